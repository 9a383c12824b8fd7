"""What the writes to people share: who keeps whose records, ID numbers and phones as they are
stored, the audit log's secret fields, and the hourly allowance of answers about ID numbers
registered outside the actor's scope."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from jiceng.core.errors import ApplicationError, validation_error_to_app_error
from jiceng.core.ratelimit import enforce
from jiceng.core.scope import in_scope, is_active_account, restrict
from jiceng.core.validators import contact_phone_error, id_number_error, phone_error, phone_normalise
from jiceng.regions.models import Region

from ..choices import REGION_STAFF_ROLES, Role

# Recorded as changed in the audit log, never with their values: birth date and gender come from the ID
# number (eight of its digits and its parity digit), so they are as secret as it is.
SECRET_FIELDS = frozenset({"id_number", "phone", "address", "tags", "birth_date", "gender"})


def _full_clean(obj, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise validation_error_to_app_error(exc) from exc


def can_edit_people_in(actor, region: Region) -> bool:
    """Region staff and grid workers keep the people records of their own scope."""
    if not is_active_account(actor):
        return False
    if actor.role not in (*REGION_STAFF_ROLES, Role.GRID_WORKER):
        return False
    return in_scope(region, actor)


def person_phone_error(phone: str, *, landline: bool) -> str | None:
    """Why ``phone`` (as ``phone_normalise`` gives it) will not do, or None. A resident's may be a fixed
    line with its area code (many older residents have no mobile: ``landline``); a grid worker's must
    be a mobile (the work is on the move). The forms and the Excel import ask the same."""
    return contact_phone_error(phone) if landline else phone_error(phone)


def _clean_person_ids(*, id_number: str, phone: str, landline: bool = False) -> tuple[str, str]:
    """The ID number and phone as stored, or the refusal at its field (``person_phone_error``)."""
    id_number = (id_number or "").strip().upper()
    phone = phone_normalise((phone or "").strip())  # 138-1234-5678, +86 … stored as the 11 digits
    if id_number:
        error = id_number_error(id_number)
        if error:
            raise ApplicationError(error, field="id_number")
    if phone:
        error = person_phone_error(phone, landline=landline)
        if error:
            raise ApplicationError(error, field="phone")
    return id_number, phone


# An ID number already registered outside the actor's scope must still be refused (一人一档: one record
# per person in the county), which tells that the number is registered somewhere. So that no account
# can test numbers against the county's register, such answers are limited per account.
ELSEWHERE_LIMIT = 10  # per account and hour
ELSEWHERE_WINDOW = 3600


def id_elsewhere_refusal(actor, *, worker: bool = False) -> ApplicationError:
    """The refusal of an ID number registered outside ``actor``'s scope, counted against the account's
    hourly allowance (``ELSEWHERE_LIMIT``; spent: ``RateLimitedError``, which names no number). The
    form, the API and the Excel import all answer through here, so that a file of numbers cannot test
    more of them against the register than the form can."""
    enforce("people-id-elsewhere", str(actor.pk), limit=ELSEWHERE_LIMIT, window=ELSEWHERE_WINDOW,
            message=_("身份证号核对次数过多，请一小时后再试。"))
    if worker:
        return ApplicationError(_("该身份证号已在您管辖范围以外登记为网格员，不能重复登记；如需调动，请联系上级办理。"),
                                field="id_number")
    return ApplicationError(_("该身份证号已在您管辖范围以外登记，不能重复登记；如该居民已迁入，请联系上级办理迁移。"),
                            field="id_number")


def id_unique_check(record, actor, *, worker: bool = False) -> None:
    """一人一档: ``record``'s ID number (by its keyed hash) on no other record of its kind — a resident, or
    a grid worker (``worker``) — checked on create and on a changed number. A clash the actor can see is
    refused at the field; one outside their scope through ``id_elsewhere_refusal``."""
    if not record.id_number_hash:
        return
    clash = type(record).objects.filter(id_number_hash=record.id_number_hash).exclude(pk=record.pk)
    if not clash.exists():
        return
    if restrict(clash, actor).exists():
        if worker:
            raise ApplicationError(_("该身份证号已登记为网格员。"), field="id_number")
        raise ApplicationError(_("该身份证号已登记为其他居民。"), field="id_number")
    raise id_elsewhere_refusal(actor, worker=worker)
