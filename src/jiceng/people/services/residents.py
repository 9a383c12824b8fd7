"""Residents: registration, changes, and their tags' blind tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core.audit import audit_record, diff, snapshot
from jiceng.core.crypto import blind_index, blind_tokens
from jiceng.core.edits import edit_unchanged_check, editable_fields_check
from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.validators import birth_date_from_id, gender_from_id
from jiceng.regions.choices import GRID_LEVELS
from jiceng.regions.models import House, Region

from ..choices import PoliticalStatus, ResidenceType, ResidentTag
from ..models import Resident
from .rules import SECRET_FIELDS, _clean_person_ids, _full_clean, can_edit_people_in, id_unique_check

RESIDENT_FIELDS = ["name", "gender", "birth_date", "id_number", "phone", "address", "grid_id", "house_id",
                   "residence_type", "political_status", "is_volunteer", "tags"]


def can_edit_resident(actor, resident: Resident) -> bool:
    """The rule ``resident_update`` applies, asked by the pages before they offer 编辑."""
    return can_edit_people_in(actor, resident.grid)


def tag_tokens(tags: list[str]) -> str:
    return blind_tokens(tags, purpose="tag")


def tag_token(tag: str) -> str:
    return blind_index(tag, purpose="tag")[:16]


def _check_grid(grid: Region) -> None:
    if grid is None or grid.level not in GRID_LEVELS:
        raise ApplicationError(_("居民须登记到网格。"), field="grid")


def _check_tags(tags: list[str]) -> list[str]:
    unknown = [t for t in tags if t not in ResidentTag.values]
    if unknown:
        raise ApplicationError(_("未知标签：%(tags)s") % {"tags": '、'.join(unknown)}, field="tags")
    return sorted(set(tags))


def _apply_resident_values(resident: Resident, values: dict[str, Any]) -> None:
    if "id_number" in values or "phone" in values:
        id_number, phone = _clean_person_ids(id_number=values.get("id_number", resident.id_number),
                                             phone=values.get("phone", resident.phone), landline=True)
        resident.id_number, resident.phone = id_number, phone
        resident.id_number_hash = blind_index(id_number, purpose="id_number") if id_number else ""
        resident.phone_hash = blind_index(phone, purpose="phone") if phone else ""
        if id_number:
            resident.birth_date = birth_date_from_id(id_number)
            resident.gender = gender_from_id(id_number)
    if "tags" in values:
        resident.tags = _check_tags(list(values["tags"] or []))
        resident.tag_tokens = tag_tokens(resident.tags)
    for field in ("name", "address", "residence_type", "political_status", "is_volunteer", "house", "grid"):
        if field in values:
            setattr(resident, field, values[field].strip() if isinstance(values[field], str) else values[field])
    if not resident.name:
        raise ApplicationError(_("请填写姓名。"), field="name")
    if resident.residence_type not in ResidenceType.values:
        raise ApplicationError(_("未知的人口类型。"), field="residence_type")
    if resident.political_status not in PoliticalStatus.values:
        raise ApplicationError(_("未知的政治面貌。"), field="political_status")
    if resident.house_id and resident.house.unit.building.grid_id != resident.grid_id:
        raise ApplicationError(_("所选房屋不在该网格内。"), field="house")


@transaction.atomic
def resident_create(*, actor, name: str, grid: Region, id_number: str = "", phone: str = "", address: str = "",
                    house: House | None = None, residence_type: str = ResidenceType.REGISTERED,
                    political_status: str = PoliticalStatus.MASSES, is_volunteer: bool = False,
                    tags: list[str] | None = None) -> Resident:
    _check_grid(grid)
    if not can_edit_people_in(actor, grid):
        raise PermissionDeniedError(_("您无权在此网格登记居民。"))
    resident = Resident(grid=grid)
    _apply_resident_values(resident, {
        "name": name, "id_number": id_number, "phone": phone, "address": address, "house": house,
        "residence_type": residence_type, "political_status": political_status,
        "is_volunteer": is_volunteer, "tags": tags or [], "grid": grid,
    })
    id_unique_check(resident, actor)
    _full_clean(resident)
    resident.save()
    audit_record(actor=actor, action="resident.create", obj=resident,
                 changes=diff({}, snapshot(resident, RESIDENT_FIELDS), secret_fields=SECRET_FIELDS))
    return resident


@transaction.atomic
def resident_update(*, actor, resident: Resident, seen_version: datetime | None = None, **values: Any) -> Resident:
    """Change the given fields. ``seen_version``: the ``updated_at`` the editor started from; if
    someone saved since, nothing is written (``core.edits``)."""
    allowed = {"name", "id_number", "phone", "address", "house", "grid", "residence_type", "political_status",
               "is_volunteer", "tags"}
    editable_fields_check(values, allowed)
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    if not can_edit_resident(actor, resident):
        raise PermissionDeniedError(_("您无权修改此居民。"))
    edit_unchanged_check(resident, seen_version, what=_("居民“%(name)s”的信息") % {"name": resident.name})
    if "grid" in values:
        _check_grid(values["grid"])
        if not can_edit_people_in(actor, values["grid"]):
            raise PermissionDeniedError(_("您无权把居民迁入该网格。"), field="grid")
    before = snapshot(resident, RESIDENT_FIELDS)
    _apply_resident_values(resident, values)
    id_unique_check(resident, actor)
    _full_clean(resident)
    resident.save()
    changes = diff(before, snapshot(resident, RESIDENT_FIELDS), secret_fields=SECRET_FIELDS)
    if changes:
        audit_record(actor=actor, action="resident.update", obj=resident, changes=changes)
    return resident
