"""Excel import and export of the region tree: regions (市、区县、街道/乡镇、社区/村) and grids.

Import checks every row before writing anything: code format and uniqueness (in the file and in
the database), the parent (in the database, or on an earlier row of the file), the level chain,
the optional GeoJSON boundary (inside the parent's, not overlapping a sibling's, the file's own
rows included) and the actor's right to add under that parent. Then every row goes through
``region_create`` in one transaction, so each region is audited like any other.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from jiceng.core.api_schemas import BIGINT_MAX
from jiceng.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from jiceng.core.excel import (
    Column,
    ImportRejected,
    RowErrors,
    SheetRow,
    Transfer,
    cell_text,
    choice_labels,
    describe_filters,
    parse_choice,
)

from . import geo, selectors, services
from .choices import GRID_LEVELS, ROOT_LEVELS, RegionKind, RegionLevel
from .models import Region

INT32_MAX = 2_147_483_647
CODE_RE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
BOUNDARY_MAX = 32_767  # an Excel cell holds at most this many characters

REGION_LEVELS = (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.STREET, RegionLevel.COMMUNITY)
# Words people write in the 层级 column, beyond the labels: level, and the kind they imply.
LEVEL_ALIASES: dict[str, tuple[int, str]] = {
    "县": (RegionLevel.COUNTY, ""), "区": (RegionLevel.COUNTY, ""), "县区": (RegionLevel.COUNTY, ""),
    "街道": (RegionLevel.STREET, RegionKind.SUBDISTRICT), "乡镇": (RegionLevel.STREET, RegionKind.TOWN),
    "乡": (RegionLevel.STREET, RegionKind.TOWN), "镇": (RegionLevel.STREET, RegionKind.TOWN),
    "社区": (RegionLevel.COMMUNITY, RegionKind.COMMUNITY), "村": (RegionLevel.COMMUNITY, RegionKind.VILLAGE),
}

_BOUNDARY_HINT = "可空。GeoJSON 文本（Polygon 或 MultiPolygon，WGS84 [经度, 纬度]），须在上级边界内、不与同级重叠"

REGION_COLUMNS = [
    Column("code", "编码", required=True, text=True, width=16,
           hint="行政区划代码，字母、数字、_、-，最多32位，不能与已有编码重复"),
    Column("name", "名称", required=True, width=20),
    Column("level", "层级", required=True, width=12, hint="市 / 区县 / 街道 / 乡镇 / 社区 / 村"),
    Column("parent", "上级编码", text=True, width=16,
           hint="市、区县可空；上级须已在系统中，或在本文件中更靠前的行"),
    Column("kind", "类型", width=10, hint="街道 / 乡镇 / 社区 / 村，可空（层级写成街道、乡镇、社区、村时自动填写）"),
    Column("population", "常住人口", width=12, hint="统计数，非负整数，可空"),
    Column("households", "户数", width=10, hint="统计数，非负整数，可空"),
    Column("staffing_standard", "配备标准（每万人）", width=18, hint="社区工作者配备标准，可空（沿用上级或系统默认）"),
    Column("boundary", "边界（GeoJSON）", width=40, hint=_BOUNDARY_HINT),
]

GRID_COLUMNS = [
    Column("code", "网格编码", required=True, text=True, width=16,
           hint="字母、数字、_、-，最多32位，不能与已有编码重复"),
    Column("name", "网格名称", required=True, width=20),
    Column("level", "层级", required=True, width=12, hint="一级网格 / 二级网格 / 三级网格"),
    Column("parent", "上级编码", required=True, text=True, width=16,
           hint="一级网格的上级是社区/村，二级网格的上级是一级网格；上级须已在系统中，或在本文件中更靠前的行"),
    Column("population", "常住人口", width=12, hint="统计数，非负整数，可空"),
    Column("households", "户数", width=10, hint="统计数，非负整数，可空"),
    Column("boundary", "边界（GeoJSON）", width=40, hint=_BOUNDARY_HINT),
]


@dataclass
class _Planned:
    """One good row, ready for ``region_create``."""

    row: int
    code: str
    name: str
    level: int
    kind: str
    parent_code: str
    population: int
    households: int
    staffing_standard: int | None
    boundary: dict | None
    geom: Any


def _parse_level(value: Any) -> tuple[int | None, str]:
    text = cell_text(value).replace(" ", "")
    if text.isdigit() and 1 <= int(text) <= 7:
        return int(text), ""
    for level, label in RegionLevel.choices:
        if text == str(label):
            return level, ""
    return LEVEL_ALIASES.get(text, (None, ""))


def _parse_int(value: Any, *, low: int, high: int) -> int | None:
    """An integer in range, or None for an empty cell; ValueError otherwise."""
    if value is None or cell_text(value) == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float) and not value.is_integer():
        raise ValueError
    try:
        number = int(float(cell_text(value).replace(",", "")))
    except OverflowError as exc:  # "1e400"
        raise ValueError from exc
    if not low <= number <= high:
        raise ValueError
    return number


def check_geojson_numbers(value: Any, *, field: str = "boundary", _depth: int = 0) -> None:
    """Refuse deep nesting and numbers GEOS cannot take (huge integers, NaN) before parsing."""
    if _depth > 8:
        raise ApplicationError(_("GeoJSON 嵌套层级过深。"), field=field)
    if isinstance(value, dict):
        for item in value.values():
            check_geojson_numbers(item, field=field, _depth=_depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_geojson_numbers(item, field=field, _depth=_depth + 1)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int) and abs(value) > 1_000_000:
        raise ApplicationError(_("GeoJSON 坐标超出经纬度范围。"), field=field)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ApplicationError(_("GeoJSON 坐标不能是 NaN 或无穷大。"), field=field)


def _require_region_importer(actor) -> None:
    from jiceng.people.choices import Role

    if actor is None or not actor.is_authenticated or actor.role not in (
            Role.SYSTEM_ADMIN, Role.COUNTY_STAFF, Role.STREET_STAFF):
        raise PermissionDeniedError(_("只有系统管理员和区县、街道工作人员可以导入区域或网格。"))


def region_import(*, actor, rows: list[SheetRow], grids: bool) -> int:
    """Import regions (``grids=False``) or grids (``grids=True``); all rows or none."""
    columns = GRID_COLUMNS if grids else REGION_COLUMNS
    allowed_levels = GRID_LEVELS if grids else REGION_LEVELS
    _require_region_importer(actor)
    errors = RowErrors({c.key: c for c in columns})
    codes = [cell_text(r.values.get("code")) for r in rows]
    parent_codes = [cell_text(r.values.get("parent")) for r in rows]
    existing = {r.code: r for r in Region.objects.filter(code__in=set(codes) | set(parent_codes))}
    in_file: dict[str, _Planned] = {}
    first_row: dict[str, int] = {}
    allowed_in_file: dict[str, bool] = {}  # code → the actor may add below it
    planned: list[_Planned] = []
    db_geoms: dict[str, Any] = {}
    db_siblings: dict[tuple[str, int], list] = {}
    for i, (sheet_row, code, parent_code) in enumerate(zip(rows, codes, parent_codes, strict=True)):
        n, v = sheet_row.number, sheet_row.values
        bad = False

        def fail(key: str, message: str, n=n) -> None:
            nonlocal bad
            bad = True
            errors.add(n, key, message)

        if not code:
            fail("code", _("必填。"))
        elif not CODE_RE.match(code):
            fail("code", _("只能由字母、数字、下划线和连字符组成，最多32位。"))
        elif code in first_row:
            fail("code", _("与第 %(row)s 行的编码重复。") % {"row": first_row[code]})
        elif code in existing:
            fail("code", _("编码 %(code)s 已被使用（%(name)s）。") % {"code": code, "name": existing[code].name})
        if code and code not in first_row:
            first_row[code] = n
        name = cell_text(v.get("name"))
        if not name:
            fail("name", _("必填。"))
        elif len(name) > 100:
            fail("name", _("最多 100 个字。"))
        level, implied_kind = _parse_level(v.get("level"))
        if level is None:
            fail("level", _("无法识别“%(value)s”，应为 %(choices)s。") % {
                "value": cell_text(v.get("level")),
                "choices": " / ".join(str(RegionLevel(lv).label) for lv in allowed_levels)})
        elif level not in allowed_levels:
            label = RegionLevel(level).label
            fail("level", (_("%(level)s请用区域导入。") if grids else _("%(level)s请用网格导入。")) % {"level": label})
            level = None
        kind = implied_kind
        if "kind" in v and cell_text(v.get("kind")):
            kind = parse_choice(v.get("kind"), RegionKind)
            if kind is None:
                fail("kind", _("无法识别“%(value)s”，应为 %(choices)s 或留空。") % {
                    "value": cell_text(v.get("kind")), "choices": choice_labels(RegionKind)})
                kind = ""
        # parent and level chain
        parent_level = None
        parent_geom = None
        may_add = False
        if not parent_code:
            if grids or (level is not None and level in GRID_LEVELS):
                fail("parent", _("网格必须有上级。"))
            elif level is not None and level not in ROOT_LEVELS:
                fail("parent", _("只有市或区县可以没有上级，请填写上级编码。"))
            may_add = services.can_manage_region(actor, None)
        elif parent_code in in_file:
            parent = in_file[parent_code]
            parent_level, parent_geom = parent.level, parent.geom
            may_add = allowed_in_file.get(parent_code, False)
        elif parent_code in existing:
            parent_db = existing[parent_code]
            parent_level = parent_db.level
            may_add = services.can_manage_region(actor, parent_db)
            if may_add and parent_db.boundary:
                if parent_code not in db_geoms:
                    db_geoms[parent_code] = geo.parse_boundary(parent_db.boundary)
                parent_geom = db_geoms[parent_code]
        elif parent_code in first_row and first_row[parent_code] != n:
            fail("parent", _("上级 %(code)s（第 %(row)s 行）有错误，请先改正该行。") % {
                "code": parent_code, "row": first_row[parent_code]})
        elif parent_code in codes[i + 1:]:
            fail("parent", _("上级 %(code)s 在本文件更靠后的行，请把上级放在前面。") % {"code": parent_code})
        else:
            fail("parent", _("上级编码 %(code)s 不存在。") % {"code": parent_code})
        if parent_level is not None and level is not None and level != parent_level + 1:
            if parent_level >= RegionLevel.GRID3:
                fail("level", _("三级网格之下不能再设区域。"))
            else:
                fail("level", _("上级是%(parent)s，本行应为%(expected)s，而不是%(level)s。") % {
                    "parent": RegionLevel(parent_level).label, "expected": RegionLevel(parent_level + 1).label,
                    "level": RegionLevel(level).label})
        if parent_code and parent_level is not None and not may_add:
            fail("parent", _("您无权在 %(code)s 下新增区域或网格。") % {"code": parent_code})
        elif not parent_code and not may_add and not bad:
            fail("parent", _("只有系统管理员可以新增顶级区域。"))
        numbers: dict[str, int | None] = {}
        for key, low, high in (("population", 0, INT32_MAX), ("households", 0, INT32_MAX),
                               ("staffing_standard", 1, 32_767)):
            try:
                numbers[key] = _parse_int(v.get(key), low=low, high=high)
            except ValueError:
                fail(key, _("应为 %(low)s～%(high)s 的整数。") % {"low": low, "high": high})
        # boundary
        boundary = None
        geom = None
        raw_boundary = cell_text(v.get("boundary"))
        if raw_boundary:
            try:
                if len(raw_boundary) >= BOUNDARY_MAX:
                    raise ApplicationError(_("边界文本过长（Excel 单元格最多 32767 字），请改用接口导入边界。"))
                try:
                    parsed = json.loads(raw_boundary)
                except ValueError as exc:
                    raise ApplicationError(_("不是合法的 JSON：%(error)s") % {"error": exc}) from exc
                check_geojson_numbers(parsed)
                geom = geo.parse_boundary(parsed)
                if parent_geom is not None:
                    geo.check_within(geom, parent_geom, parent_name=parent_code)
                siblings = []
                if parent_code in existing and level is not None:
                    key = (parent_code, level)
                    if key not in db_siblings:
                        db_siblings[key] = [(r.name, geo.parse_boundary(r.boundary)) for r in Region.objects.filter(
                            parent=existing[parent_code], level=level, boundary__isnull=False)]
                    siblings = list(db_siblings[key])
                siblings += [(_("%(name)s（第 %(row)s 行）") % {
                    "name": p.name, "row": p.row}, p.geom) for p in planned
                             if p.parent_code == parent_code and p.level == level and p.geom is not None]
                geo.check_no_overlap(geom, siblings)
                boundary = geo.normalise_geojson(geom)
            except ApplicationError as exc:
                fail("boundary", exc.message)
        if bad:
            continue
        item = _Planned(row=n, code=code, name=name, level=level, kind=kind, parent_code=parent_code,
                        population=numbers["population"] or 0, households=numbers["households"] or 0,
                        staffing_standard=numbers.get("staffing_standard"), boundary=boundary, geom=geom)
        planned.append(item)
        in_file[code] = item
        allowed_in_file[code] = may_add
    errors.raise_if_any()
    return _create_all(actor=actor, planned=planned, existing=existing, errors=errors)


def _create_all(*, actor, planned: list[_Planned], existing: dict[str, Region], errors: RowErrors) -> int:
    """Through the service, in one transaction; a rule the checks above missed still rejects the file."""
    created: dict[str, Region] = {}
    with transaction.atomic():
        for item in planned:
            parent = created.get(item.parent_code) or existing.get(item.parent_code)
            try:
                region = services.region_create(
                    actor=actor, code=item.code, name=item.name, level=item.level, parent=parent,
                    kind=item.kind, boundary=item.boundary, population=item.population,
                    households=item.households, staffing_standard=item.staffing_standard,
                )
            except ApplicationError as exc:
                errors.add(item.row, exc.field or "", exc.message)
                raise ImportRejected(errors.items) from exc
            created[item.code] = region
    return len(created)


# --- export -----------------------------------------------------------------------------------


def _region_rows(qs, *, grids: bool):
    for region in qs.select_related("parent").iterator(chunk_size=2000):
        boundary = json.dumps(region.boundary, ensure_ascii=False, separators=(",", ":")) if region.boundary else ""
        if len(boundary) >= BOUNDARY_MAX:
            boundary = ""  # too long for a cell: the API serves it
        parent_code = region.parent.code if region.parent_id else ""
        if grids:
            yield [region.code, region.name, str(RegionLevel(region.level).label), parent_code, region.population,
                   region.households, boundary]
        else:
            yield [region.code, region.name, str(RegionLevel(region.level).label), parent_code,
                   str(RegionKind(region.kind).label) if region.kind else "", region.population, region.households,
                   region.staffing_standard, boundary]


def region_export(*, actor, params, grids: bool):
    """What the actor sees, filtered like the region list: q (name or code), region (a subtree), level."""
    qs = selectors.region_visible(actor).filter(level__in=GRID_LEVELS if grids else REGION_LEVELS)
    q = cell_text(params.get("q", ""))[:100]
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__contains=q))
    region_id = cell_text(params.get("region", ""))
    if region_id:
        if not region_id.isdigit():
            raise ApplicationError(_("区域参数无效。"), field="region")
        if int(region_id) > BIGINT_MAX:  # a well-formed id no record can have
            raise NotFoundError(_("未找到该区域，或您无权查看。"), field="region")
        root = selectors.region_get(actor=actor, pk=int(region_id))
        qs = qs.filter(path__startswith=root.path)
    level = cell_text(params.get("level", ""))
    if level:
        if not level.isdigit() or not 1 <= int(level) <= 7:
            raise ApplicationError(_("层级参数无效。"), field="level")
        qs = qs.filter(level=int(level))
    columns = GRID_COLUMNS if grids else REGION_COLUMNS
    return columns, _region_rows(qs.order_by("path"), grids=grids), describe_filters(
        {"q": q, "region": region_id, "level": level})


def _example(grids: bool):
    def example(actor) -> list:
        if grids:
            return ["A1-9", "示例一级网格", "一级网格", "350724001001", 1500, 520, ""]
        return ["350724001003", "示例社区", "社区", "350724001", "", 3000, 1100, "", ""]

    return example


REGIONS = Transfer(
    kind="regions", label="区域", columns=REGION_COLUMNS, example=_example(False),
    export=lambda *, actor, params: region_export(actor=actor, params=params, grids=False),
    importer=lambda *, actor, rows: region_import(actor=actor, rows=rows, grids=False),
    guard=_require_region_importer,
)
GRIDS = Transfer(
    kind="grids", label="网格", columns=GRID_COLUMNS, example=_example(True),
    export=lambda *, actor, params: region_export(actor=actor, params=params, grids=True),
    importer=lambda *, actor, rows: region_import(actor=actor, rows=rows, grids=True),
    guard=_require_region_importer,
)
TRANSFERS = {"regions": REGIONS, "grids": GRIDS}

