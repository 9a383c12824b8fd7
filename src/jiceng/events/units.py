"""Handling units (处置单位) and the dispatch rules (派单规则).

A case is handled by a region node above its grid (its community, street or county) or by a
department serving the area (a ``people.Department`` whose region is the county or another node
above the grid). The category's procedure names the default; the command centre may choose
another unit; escalation moves the case one level up the region tree.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from jiceng.core import rows
from jiceng.core.errors import ApplicationError
from jiceng.people.choices import DepartmentKind
from jiceng.people.models import Department
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region

from .choices import HandlerLevel, UnitKind
from .workflow import escalation_level

_LEVEL_OF = {HandlerLevel.COMMUNITY: RegionLevel.COMMUNITY, HandlerLevel.STREET: RegionLevel.STREET,
             HandlerLevel.COUNTY: RegionLevel.COUNTY}
UNIT_LEVELS = (RegionLevel.COUNTY, RegionLevel.STREET, RegionLevel.COMMUNITY)


@dataclass(frozen=True)
class Unit:
    kind: str
    region: Region | None = None
    department: Department | None = None

    @classmethod
    def of_region(cls, region: Region) -> Unit:
        return cls(UnitKind.REGION, region=region)

    @classmethod
    def of_department(cls, department: Department) -> Unit:
        return cls(UnitKind.DEPARTMENT, department=department)

    @classmethod
    def of_event(cls, event) -> Unit | None:
        if event.handler_kind == UnitKind.REGION:
            return cls.of_region(event.handler_region)
        if event.handler_kind == UnitKind.DEPARTMENT:
            return cls.of_department(event.handler_department)
        return None

    @property
    def name(self) -> str:
        return self.department.name if self.kind == UnitKind.DEPARTMENT else self.region.name

    @property
    def key(self) -> str:
        return f"d{self.department.pk}" if self.kind == UnitKind.DEPARTMENT else f"r{self.region.pk}"

    def describe(self) -> dict:
        return {"kind": self.kind, "id": (self.department or self.region).pk, "name": self.name}


def _ancestors(grid: Region) -> list[Region]:
    """Every region above the grid, read once per grid instance (intake reads them to place the case;
    dispatch and the rollup use them again)."""
    found = getattr(grid, "_ancestors", None)
    if found is None:
        found = grid._ancestors = rows.rows(Region, path__in=grid.ancestor_paths())
    return found


def ancestor_regions(grid: Region) -> dict[int, Region]:
    """The case's community, street and county by level."""
    return {r.level: r for r in _ancestors(grid) if r.level in UNIT_LEVELS}


def department_for(kind: str, grid: Region) -> Department:
    """The department of ``kind`` serving the grid: the one on the nearest region above it."""
    regions = {r.pk: r for r in [*_ancestors(grid), grid]}
    found = rows.rows(Department, kind=kind, region__in=list(regions))
    if not found:
        label = DepartmentKind(kind).label if kind in DepartmentKind.values else kind
        raise ApplicationError(_("本地未设置“%(label)s”类部门，无法自动派遣，请选择处置单位。") % {"label": label}, field="unit")
    dept = min(found, key=lambda d: (-regions[d.region_id].depth, d.code))
    dept.region = regions[dept.region_id]
    return dept


def default_unit(event) -> Unit:
    """The category procedure's unit for this case's grid."""
    category = event.category
    if category.handler_level == HandlerLevel.DEPARTMENT:
        return Unit.of_department(department_for(category.department_kind, event.grid))
    region = ancestor_regions(event.grid).get(_LEVEL_OF[HandlerLevel(category.handler_level)])
    if region is None:
        raise ApplicationError(_("未找到该网格的上级区域，无法自动派遣。"), field="unit")
    return Unit.of_region(region)


def check_unit(event, unit: Unit) -> Unit:
    """A unit chosen by hand must serve the case's place."""
    if unit.kind == UnitKind.REGION:
        region = unit.region
        if region is None or region.level not in UNIT_LEVELS or not event.grid.path.startswith(region.path):
            raise ApplicationError(_("处置属地须为该事件所在的社区/村、街道/乡镇或区县。"), field="unit")
        return unit
    if unit.kind == UnitKind.DEPARTMENT and unit.department is not None:
        if not event.grid.path.startswith(unit.department.region.path):
            raise ApplicationError(_("%(name)s不负责该事件所在区域。") % {"name": unit.department.name}, field="unit")
        return unit
    raise ApplicationError(_("请选择处置单位。"), field="unit")


def units_serving(event) -> list[Unit]:
    """Every unit ``check_unit`` accepts for the case: its community, street and county (top down),
    then the departments serving its place (the choices of the 改派 and 审定 forms)."""
    regions = [Unit.of_region(r) for _, r in sorted(ancestor_regions(event.grid).items())]
    departments = (Department.objects.select_related("region")
                   .filter(region__path__in=[*event.grid.ancestor_paths(), event.grid.path])
                   .order_by("region__depth", "code"))
    return regions + [Unit.of_department(d) for d in departments]


def escalation_target(event) -> Unit:
    """One level up: community → street → county; a department escalates to the county."""
    level = escalation_level(event)
    if level is None:
        raise ApplicationError(_("已是区县层级，不能再上报升级。"), field="unit")
    target = ancestor_regions(event.grid).get(level)
    if target is None:
        raise ApplicationError(_("未找到上级区域。"), field="unit")
    return Unit.of_region(target)
