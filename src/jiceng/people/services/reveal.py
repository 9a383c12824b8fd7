"""Personal information: masked on every screen and in every API response, shown in full only
through an audited reveal."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.audit import audit_record
from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.masking import age_on, mask_address, mask_house, mask_id_number, mask_phone, mask_tags
from jiceng.core.scope import in_scope, is_active_account

from ..choices import REVEAL_ROLES, Role
from ..models import GridWorker, Resident


def can_reveal(actor, person=None) -> bool:
    """May ``actor`` see ``person``'s personal information in full? A grid worker sees the
    colleagues who share its grids (to know who they are), but in full only residents and itself:
    a colleague's ID number is not what its work needs."""
    if not (is_active_account(actor) and actor.role in REVEAL_ROLES):
        return False
    if isinstance(person, GridWorker) and actor.role == Role.GRID_WORKER:
        return person.user_id == actor.pk
    return True


# What a reveal shows in full; a grid worker has no address, tags, birth date or house.
PERSONAL_FIELDS = ("id_number", "phone", "address", "tags", "birth_date", "house")


@transaction.atomic
def personal_info_reveal(*, actor, person: Resident | GridWorker, fields: list[str] | None = None) -> dict:
    """Return the unmasked values for a permitted actor (the house as its full label); every reveal
    is audited."""
    if not can_reveal(actor):
        raise PermissionDeniedError(_("您的角色无权查看完整个人信息。"))
    if not in_scope(person, actor):
        from jiceng.core.errors import NotFoundError

        raise NotFoundError(_("未找到该记录，或您无权查看。"))
    if not can_reveal(actor, person):
        raise PermissionDeniedError(_("网格员只能查看居民和本人的完整信息。"))
    available = [f for f in PERSONAL_FIELDS if hasattr(person, f)]
    fields = fields or available
    bad = [f for f in fields if f not in available]
    if bad:
        raise ApplicationError(_("不能查看字段：%(fields)s") % {"fields": ', '.join(bad)}, field="fields")
    audit_record(actor=actor, action="personal_info.reveal", obj=person, changes={"fields": fields})
    values = {f: getattr(person, f) for f in fields}
    if "house" in values:
        values["house"] = str(values["house"]) if values["house"] is not None else ""
    return values


def masked(person: Resident | GridWorker) -> dict:
    """What screens and API responses show until a reveal: a resident's age instead of the birth date
    and the house down to its building, so that with the masked ID number (first and last four
    digits) neither the ID nor the door can be worked out. Pages and the API both take this."""
    out = {"id_number": mask_id_number(person.id_number), "phone": mask_phone(person.phone)}
    if isinstance(person, Resident):
        out["address"] = mask_address(person.address)
        out["tags"] = mask_tags(person.tags)
        out["age"] = age_on(person.birth_date, timezone.localdate())
        out["house"] = mask_house(person.house.unit.building.name if person.house_id else "")
    return out
