"""How a resident follows their case without a login, without letting anyone enumerate cases.

Case numbers are guessable (the report date and the id), so a number alone opens nothing:

* **the tracking link** given when the case is filed (on the page after reporting, and as
  ``tracking_token`` in the API's answer): a signed token, single-purpose (its own salt), that
  expires after ``JICENG_EVENT_TRACKING_DAYS`` (365 by default);
* **the case number with the phone** given when reporting (or when saying "me too"): compared by
  keyed hash, never stored in clear; a wrong phone and an unknown number get the same answer.

Both are rate-limited per address by the views. The reporter (not a supporter) who follows a
closed, not yet rated case is offered the rating link.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.crypto import blind_index
from jiceng.core.errors import ApplicationError, NotFoundError

from .choices import EventState
from .models import Event, EventSupporter

TRACKING_SALT = "jiceng.events.tracking"
NUMBER_PATTERN = r"^[0-9]{15,20}$"  # 8-digit date + the id, zero-padded to at least 7 digits
NOT_FOUND = gettext_lazy("未找到该案件，或电话与上报时不符。")


def tracking_token(event: Event, *, supporter: bool = False) -> str:
    """The reporter's link, or a supporter's ("me too": follows the case, is not offered the rating)."""
    return signing.TimestampSigner(salt=TRACKING_SALT).sign(f"{event.pk}:s" if supporter else str(event.pk))


def _max_age() -> timedelta:
    return timedelta(days=settings.JICENG_EVENT_TRACKING_DAYS)


def event_by_tracking_token(token: str) -> tuple[Event, bool]:
    """(the case a tracking link stands for, whether it is the reporter's link); a clear error when
    the link is tampered with or old."""
    try:
        value = signing.TimestampSigner(salt=TRACKING_SALT).unsign(token or "", max_age=_max_age())
        is_reporter = not value.endswith(":s")
        pk = int(value.removesuffix(":s"))
    except signing.SignatureExpired as exc:
        raise ApplicationError(_("查询链接已过期，请用案件编号和上报电话查询。"), field="token") from exc
    except (signing.BadSignature, ValueError) as exc:
        raise ApplicationError(_("查询链接无效。"), field="token") from exc
    event = Event.objects.select_related("category").filter(pk=pk).first()
    if event is None:
        raise NotFoundError(_("未找到该案件。"))
    return event, is_reporter


def _event_by_number(number: str) -> Event | None:
    if not re.fullmatch(NUMBER_PATTERN, number or ""):
        return None
    event = Event.objects.select_related("category").filter(pk=int(number[8:])).first()
    return event if event is not None and event.number == number else None


def event_by_number_and_phone(number: str, phone: str) -> tuple[Event, bool]:
    """(case, whether the phone is the reporter's). The phone must be the reporter's or a
    supporter's; otherwise NotFoundError with the same message as for an unknown number."""
    event = _event_by_number(number)
    digest = blind_index(phone, purpose="phone") if phone else ""
    if event is None or not digest:
        raise NotFoundError(str(NOT_FOUND), field="number")
    if event.reporter_phone_hash and event.reporter_phone_hash == digest:
        return event, True
    if EventSupporter.objects.filter(event_id=event.pk, phone_hash=digest).exists():
        return event, False
    raise NotFoundError(str(NOT_FOUND), field="number")


def event_by_number_for_join(number: str) -> Event:
    """"Me too" names a case by its number (offered as a likely duplicate while reporting)."""
    event = _event_by_number(number)
    if event is None:
        raise NotFoundError(_("未找到该案件编号。"), field="number")
    return event


def rating_offer(event: Event, *, is_reporter: bool) -> str:
    """The rating token to offer the follower, or '' (only the reporter, only a closed, unrated round)."""
    from .services import rating_token

    if not is_reporter or event.state != EventState.CLOSED:
        return ""
    return rating_token(event)
