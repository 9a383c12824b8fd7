"""Every write to the region tree and the grid's basic data. Keyword-only, explicit actor, one
transaction, an audit record, ApplicationError on bad input."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from jiceng.core.audit import audit_record, diff, snapshot
from jiceng.core.edits import editable_fields_check
from jiceng.core.errors import ApplicationError, PermissionDeniedError, validation_error_to_app_error
from jiceng.core.scope import in_scope, is_active_account
from jiceng.core.validators import uscc_error

from . import geo
from .choices import GRID_LEVELS, ROOT_LEVELS, RegionKind, RegionLevel
from .locator import bump_version
from .models import Building, BuildingUnit, House, Organisation, Region

REGION_FIELDS = ["code", "name", "level", "kind", "parent_id", "boundary", "population", "households",
                 "staffing_standard"]


def can_manage_region(actor, parent: Region | None) -> bool:
    """The system admin maintains the whole tree; county staff maintain grids in their county."""
    from jiceng.people.choices import Role

    if not is_active_account(actor):
        return False
    if actor.role == Role.SYSTEM_ADMIN:
        return True
    if actor.role in (Role.COUNTY_STAFF, Role.STREET_STAFF) and parent is not None:
        return in_scope(parent, actor)
    return False


def can_manage_basic_data(actor, grid: Region) -> bool:
    """Buildings and organisations (一标三实) are kept by the system admin and by region staff
    whose scope holds the grid."""
    from jiceng.people.choices import REGION_STAFF_ROLES, Role

    if not is_active_account(actor):
        return False
    if actor.role == Role.SYSTEM_ADMIN:
        return True
    return actor.role in REGION_STAFF_ROLES and in_scope(grid, actor)


def _check_level(level: int, parent: Region | None) -> None:
    if level not in RegionLevel.values:
        raise ApplicationError(_("未知的层级 %(level)s。") % {"level": level}, field="level")
    if parent is None:
        if level in GRID_LEVELS:
            raise ApplicationError(_("网格必须有上级区域。"), field="parent")
        if level not in ROOT_LEVELS:
            raise ApplicationError(_("只有市或区县可以作为顶级区域，请选择上级区域。"), field="parent")
        return
    if level != parent.level + 1:
        expected = RegionLevel(parent.level + 1).label if parent.level < RegionLevel.GRID3 else None
        if expected is None:
            raise ApplicationError(_("三级网格之下不能再设区域。"), field="parent")
        raise ApplicationError(
            _("“%(name)s”（%(parent_level)s）的下级应为%(expected)s，而不是%(level)s。") % {
                "name": parent.name, "parent_level": parent.get_level_display(), "expected": expected,
                "level": RegionLevel(level).label},
            field="level",
        )


def _check_boundary(boundary: Any, *, parent: Region | None, exclude_id: int | None, level: int):
    """Parse and check a boundary: inside the parent's, not overlapping a sibling's."""
    if boundary in (None, "", {}):
        return None, None
    geom = geo.parse_boundary(boundary)
    if parent is not None and parent.boundary:
        geo.check_within(geom, geo.parse_boundary(parent.boundary), parent_name=parent.name)
    siblings = Region.objects.filter(parent=parent, level=level, boundary__isnull=False)
    if exclude_id is not None:
        siblings = siblings.exclude(pk=exclude_id)
    geo.check_no_overlap(geom, [(s.name, geo.parse_boundary(s.boundary)) for s in siblings])
    return geo.normalise_geojson(geom), geom.representative_point()


def _boundaries_changed() -> None:
    """Invalidate every process's point→grid index now (this process) and again at commit
    (others that rebuilt in between from the old data)."""
    bump_version()
    transaction.on_commit(bump_version)


def _check_code_unused(code: str, *, exclude_id: int | None = None) -> None:
    """Codes are unique ignoring case: paths are built from codes, and SQLite's LIKE (behind every
    scope filter) ignores case, so /…/A1/ would otherwise also cover a sibling /…/a1/."""
    clash = Region.objects.filter(code__iexact=code)
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if code and clash.exists():
        raise ApplicationError(_("编码 %(code)s 已被使用。") % {"code": code}, field="code")


def _path_for(code: str, parent: Region | None) -> str:
    return f"{parent.path if parent else '/'}{code}/"


@transaction.atomic
def region_create(
    *,
    actor,
    code: str,
    name: str,
    level: int,
    parent: Region | None = None,
    kind: str = "",
    boundary: Any = None,
    population: int = 0,
    households: int = 0,
    staffing_standard: int | None = None,
) -> Region:
    if not can_manage_region(actor, parent):
        raise PermissionDeniedError(_("您无权在此区域下新增区域或网格。"))
    code = (code or "").strip()
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("请填写名称。"), field="name")
    _check_level(level, parent)
    if kind and kind not in RegionKind.values:
        raise ApplicationError(_("未知的类型 %(kind)s。") % {"kind": kind}, field="kind")
    _check_code_unused(code)
    boundary_json, center = _check_boundary(boundary, parent=parent, exclude_id=None, level=level)
    region = Region(
        code=code, name=name, level=level, kind=kind, parent=parent, boundary=boundary_json,
        population=population, households=households, staffing_standard=staffing_standard,
        path=_path_for(code, parent), depth=(parent.depth + 1) if parent else 0,
    )
    if center is not None:
        region.center_lng, region.center_lat = center.x, center.y
    try:
        region.full_clean()
    except ValidationError as exc:
        raise validation_error_to_app_error(exc) from exc
    region.save()
    after = snapshot(region, REGION_FIELDS)
    if after.get("boundary"):
        after["boundary"] = "(GeoJSON)"
    audit_record(actor=actor, action="region.create", obj=region, changes=diff({}, after))
    if boundary_json is not None and level in GRID_LEVELS:
        _boundaries_changed()
    return region


@transaction.atomic
def region_update(*, actor, region: Region, **changes: Any) -> Region:
    """Change name, code, kind, boundary, population, households or staffing standard.
    A changed code rewrites the materialised path of the whole subtree."""
    region = Region.objects.select_for_update().get(pk=region.pk)
    if not can_manage_region(actor, region.parent):
        raise PermissionDeniedError(_("您无权修改此区域。"))
    allowed = {"name", "code", "kind", "boundary", "population", "households", "staffing_standard"}
    editable_fields_check(changes, allowed)
    before = snapshot(region, REGION_FIELDS)
    old_path = region.path
    if "code" in changes:
        code = (changes["code"] or "").strip()
        _check_code_unused(code, exclude_id=region.pk)
        region.code = code
        region.path = _path_for(code, region.parent)
    for field in ("name", "kind", "population", "households", "staffing_standard"):
        if field in changes:
            setattr(region, field, changes[field])
    boundary_changed = "boundary" in changes
    if boundary_changed:
        boundary_json, center = _check_boundary(changes["boundary"], parent=region.parent,
                                                exclude_id=region.pk, level=region.level)
        if boundary_json is not None:
            children = Region.objects.filter(parent=region, boundary__isnull=False)
            geom = geo.parse_boundary(boundary_json)
            cover = geom.buffer(geo.COVER_TOLERANCE)
            for child in children:
                if not cover.covers(geo.parse_boundary(child.boundary)):
                    raise ApplicationError(_("新边界未包含下级区域“%(name)s”。") % {
                        "name": child.name}, field="boundary")
        region.boundary = boundary_json
        region.center_lng, region.center_lat = (center.x, center.y) if center is not None else (None, None)
    try:
        region.full_clean()
    except ValidationError as exc:
        raise validation_error_to_app_error(exc) from exc
    region.save()
    if region.path != old_path:
        Region.objects.filter(path__startswith=old_path).exclude(pk=region.pk).update(
            path=Concat(Value(region.path), Substr("path", len(old_path) + 1))
        )
    after = snapshot(region, REGION_FIELDS)
    for snap in (before, after):
        if snap.get("boundary"):
            snap["boundary"] = f"(GeoJSON {len(str(snap['boundary']))} chars)"
    if boundary_changed and before["boundary"] == after["boundary"]:
        after["boundary"] = after["boundary"] + " (changed)"
    audit_record(actor=actor, action="region.update", obj=region, changes=diff(before, after))
    if boundary_changed or region.path != old_path:
        _boundaries_changed()
    return region


@transaction.atomic
def building_create(*, actor, grid: Region, code: str, name: str, address: str, lng: float | None = None,
                    lat: float | None = None, floors: int = 1, units: list[str] | None = None,
                    rooms_per_unit: list[str] | None = None) -> Building:
    if not can_manage_basic_data(actor, grid):
        raise PermissionDeniedError(_("您无权在此网格登记楼栋。"))
    if grid.level not in GRID_LEVELS:
        raise ApplicationError(_("楼栋须登记在网格中。"), field="grid")
    building = Building(grid=grid, code=code, name=name, address=address, lng=lng, lat=lat, floors=floors)
    try:
        building.full_clean()
    except ValidationError as exc:
        raise validation_error_to_app_error(exc) from exc
    building.save()
    for unit_name in units or []:
        unit = BuildingUnit.objects.create(building=building, name=unit_name)
        House.objects.bulk_create([House(unit=unit, room=room) for room in rooms_per_unit or []])
    audit_record(actor=actor, action="building.create", obj=building,
                 changes={"grid": [None, grid.code], "code": [None, code], "units": [None, len(units or [])]})
    return building


@transaction.atomic
def organisation_create(*, actor, grid: Region, name: str, kind: str, uscc: str | None = None,
                        address: str = "", contact_name: str = "", contact_phone: str = "") -> Organisation:
    if not can_manage_basic_data(actor, grid):
        raise PermissionDeniedError(_("您无权在此网格登记单位。"))
    if uscc:
        uscc = uscc.strip().upper()
        error = uscc_error(uscc)
        if error:
            raise ApplicationError(error, field="uscc")
        if Organisation.objects.filter(uscc=uscc).exists():
            raise ApplicationError(_("该统一社会信用代码已登记。"), field="uscc")
    org = Organisation(grid=grid, name=name, kind=kind, uscc=uscc or None, address=address,
                       contact_name=contact_name, contact_phone=contact_phone)
    try:
        org.full_clean()
    except ValidationError as exc:
        raise validation_error_to_app_error(exc) from exc
    org.save()
    audit_record(actor=actor, action="organisation.create", obj=org,
                 changes={"name": [None, name], "kind": [None, kind], "uscc": [None, uscc],
                          "contact_phone": ["***", "***"] if contact_phone else [None, None]})
    return org
