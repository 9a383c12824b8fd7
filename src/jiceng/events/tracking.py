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
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.crypto import blind_index
from jiceng.core.errors import ApplicationError, NotFoundError
from jiceng.core.models import Attachment
from jiceng.core.validators import phone_normalise

from . import workflow
from .choices import EventState
from .models import Event, EventRating, EventSupporter, EventTransition

TRACKING_SALT = "jiceng.events.tracking"
PHOTO_SALT = "jiceng.events.tracking.photo"
PHOTO_MAX_AGE = timedelta(hours=2)  # a photo address given on a tracking page works this long
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


def number_normalise(number: str) -> str:
    """A case number as pasted: spaces around or inside it (a copied "2026 1125 0100 003") dropped."""
    return "".join((number or "").split())


def _event_by_number(number: str) -> Event | None:
    number = number_normalise(number)
    if not re.fullmatch(NUMBER_PATTERN, number):
        return None
    event = Event.objects.select_related("category").filter(pk=int(number[8:])).first()
    return event if event is not None and event.number == number else None


def event_by_number_and_phone(number: str, phone: str) -> tuple[Event, bool]:
    """(case, whether the phone is the reporter's). The phone must be the reporter's or a
    supporter's; otherwise NotFoundError with the same message as for an unknown number."""
    event = _event_by_number(number)
    phone = phone_normalise(phone)
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


# --- what the resident sees of the handling --------------------------------------------------------
# The steps a resident is shown, without who took them (staff names stay inside). Only the handler's
# feedback (处置反馈) shows its text: the other notes (退单 and 挂起 reasons, 督办, 核查不通过 …) are
# the staff's and may name people. Only the feedback's and the verification's photos are shown.
PUBLIC_STEPS = ("report", "register", "reject", "dispatch", "redispatch", "escalate", "rule", "sign", "start",
                "submit", "verify", "verify_fail", "rate", "reopen", "suspend", "resume", "void", "merge")
# notes the reporter reads: the handler's feedback, and why the case was not taken or was voided
# (the answer a resident is owed; the forms say so)
NOTE_STEPS = ("submit", "reject", "void")
PHOTO_STEPS = ("submit", "verify")


@dataclass
class PublicStep:
    at: datetime
    action: str
    label: str
    note: str = ""
    photos: list[str] = field(default_factory=list)  # addresses the follower may open


def _attachment_id(url: str) -> uuid.UUID | None:
    match = re.fullmatch(r"/files/([0-9a-fA-F-]{32,36})/", url or "")
    try:
        return uuid.UUID(match.group(1)) if match else None
    except ValueError:
        return None


def _public_photo_url(event: Event, url: str) -> str:
    """A stored photo (served to logged-in staff only) becomes a signed, short-lived address bound to
    this case; a static demo photo stays as it is; anything else is left out."""
    from django.urls import reverse

    found = _attachment_id(url)
    if found is not None:
        token = signing.TimestampSigner(salt=PHOTO_SALT).sign(f"{event.pk}:{found.hex}")
        return reverse("events:track-photo", args=[token])
    return url if url.startswith(settings.STATIC_URL) else ""


def public_steps(event: Event) -> list[PublicStep]:
    """The case's handling as its reporter or a supporter may see it: what was done and when, the
    handler's feedback and the feedback and closure photos; no staff names, no internal notes."""
    rows = EventTransition.objects.filter(event_id=event.pk, action__in=PUBLIC_STEPS).order_by("at", "id")
    out = []
    for row in rows.only("at", "action", "note", "photos"):
        photos = [_public_photo_url(event, u) for u in (row.photos or [])] if row.action in PHOTO_STEPS else []
        out.append(PublicStep(at=row.at, action=row.action, label=str(workflow.transition(row.action).label),
                              note=row.note if row.action in NOTE_STEPS else "", photos=[u for u in photos if u]))
    return out


def public_outcome(event: Event) -> PublicStep | None:
    """What was done, for the rating page: the latest feedback with the photos of it and of the
    verification that closed the case."""
    steps = public_steps(event)
    feedback = next((s for s in reversed(steps) if s.action == "submit"), None)
    if feedback is None:
        return None
    after = steps[steps.index(feedback) + 1:]
    closing = next((s for s in after if s.action == "verify"), None)
    return PublicStep(at=feedback.at, action="submit", label=feedback.label, note=feedback.note,
                      photos=feedback.photos + (closing.photos if closing else []))


def event_photo_by_token(token: str) -> Attachment:
    """The photo a signed address from a tracking or rating page stands for: it must belong to the
    case and be one of its feedback or closure photos (never a resident's own report photo)."""
    try:
        value = signing.TimestampSigner(salt=PHOTO_SALT).unsign(token or "", max_age=PHOTO_MAX_AGE)
        pk_s, hex_s = value.split(":")
        pk, attachment_id = int(pk_s), uuid.UUID(hex_s)
    except (signing.BadSignature, ValueError) as exc:
        raise NotFoundError(_("未找到该照片。")) from exc
    url = f"/files/{attachment_id}/"
    shown = EventTransition.objects.filter(event_id=pk, action__in=PHOTO_STEPS).only("photos")
    attachment = Attachment.objects.filter(pk=attachment_id, owner_type="events.event", owner_id=str(pk)).first()
    if attachment is None or not any(url in (r.photos or []) for r in shown):
        raise NotFoundError(_("未找到该照片。"))
    return attachment


def rating_link(token: str) -> tuple[Event, EventRating | None]:
    """(the case a rating link stands for, the rating already given in its round or None when it can
    still be rated). An invalid or expired link, or a round reopened without a rating, is refused
    with the same messages as ``event_rate``."""
    from .services.flow import rating_token_read

    event, round_ = rating_token_read(token)
    if event.reopen_count == round_ and event.state == EventState.CLOSED:
        return event, None
    given = EventRating.objects.filter(event_id=event.pk, round=round_).order_by("-at", "-id").first()
    if given is None:
        raise ApplicationError(_("该评价链接已失效（事件已评价或已重办）。"), field="token")
    return event, given
