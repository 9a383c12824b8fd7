"""Regions API: the region tree, boundaries, point → grid, staffing ratios, buildings and
organisations. Parse, call a selector or service, render; every read narrowed to the caller's scope.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.db import IntegrityError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from jiceng.core.api_schemas import (
    CODE_PATTERN,
    CREATE_ERRORS,
    EXPORT_CREATED_DESCRIPTION,
    INT32_MAX,
    LIST_ERRORS,
    READ_ERRORS,
    SMALLINT_MAX,
    WRITE_ERRORS,
    XLSX_DOWNLOAD,
    XLSX_UPLOAD,
    Error,
    ExportOut,
    ImportOut,
    Lat,
    Level,
    Lng,
    ObjectId,
    PageParams,
    bounded_int,
    choice,
    lookup_or_404,
    paginate,
    strict_bool,
    text,
    write_conflict,
)
from jiceng.core.errors import ApplicationError, NotFoundError
from jiceng.core.exports import export_out
from jiceng.core.masking import mask_phone
from jiceng.core.scope import restrict
from jiceng.people import selectors as people_selectors

from . import selectors, services
from .choices import GRID_LEVELS, OrganisationKind, RegionKind, RegionLevel
from .locator import locate_grid
from .models import Building, Organisation, Region
from .transfer import TRANSFERS, check_geojson_numbers

# --- schemas ---------------------------------------------------------------------------------

router = Router(tags=["区域与网格"])


class RegionRef(Schema):
    id: int
    code: str
    name: str
    level: int
    level_label: str


class RegionOut(Schema):
    id: int
    code: str = Field(..., description="行政区划代码或网格编码")
    name: str
    level: int = Field(..., description="层级 1～7")
    level_label: str
    kind: str = Field(..., description="街道/乡镇、社区/村的细分类型，可为空")
    parent_id: int | None
    path: str = Field(..., description="编码路径，如 /350724/350724001/")
    depth: int
    is_grid: bool
    population: int
    households: int
    staffing_standard: int | None = Field(..., description="社区工作者配备标准（每万人），空则沿用上级")
    center_lng: float | None
    center_lat: float | None
    has_boundary: bool


class RegionDetailOut(RegionOut):
    boundary: dict[str, Any] | None = Field(..., description="GeoJSON 几何（Polygon/MultiPolygon）")


class RegionPage(Schema):
    count: int = Field(..., description="范围内符合条件的总数")
    limit: int
    offset: int
    items: list[RegionOut]


def region_ref(region: Region | None) -> dict | None:
    if region is None:
        return None
    return {"id": region.pk, "code": region.code, "name": region.name, "level": region.level,
            "level_label": str(RegionLevel(region.level).label)}


def region_out(region: Region) -> dict:
    return {
        "id": region.pk, "code": region.code, "name": region.name, "level": region.level,
        "level_label": str(RegionLevel(region.level).label), "kind": region.kind, "parent_id": region.parent_id,
        "path": region.path, "depth": region.depth, "is_grid": region.is_grid,
        "population": region.population, "households": region.households,
        "staffing_standard": region.staffing_standard, "center_lng": region.center_lng,
        "center_lat": region.center_lat, "has_boundary": region.boundary is not None,
    }


def region_detail_out(region: Region) -> dict:
    return region_out(region) | {"boundary": region.boundary}


class RegionFilter(PageParams):
    parent: ObjectId | None = Field(None, description="只列出该上级区域的直接下级")  # type: ignore[valid-type]
    level: Level | None = None  # type: ignore[valid-type]
    q: text(100, description="名称或编码包含的文字") = ""  # type: ignore[valid-type]


Boundary = Annotated[dict[str, Any] | None, Field(
    description="GeoJSON 几何（Polygon 或 MultiPolygon，或含其一的 Feature），WGS84 [经度, 纬度]；"
                "须在上级区域边界内，且不与同级区域重叠")]


class RegionIn(Schema):
    code: text(32, min_length=1, pattern=CODE_PATTERN, description="编码（字母、数字、_、-，最多 32 位）")  # type: ignore[valid-type]
    name: text(100, min_length=1, description="名称")  # type: ignore[valid-type]
    level: Level  # type: ignore[valid-type]
    parent: ObjectId | None = Field(None, description="上级区域 ID；只有市、区县可以没有上级")  # type: ignore[valid-type]
    kind: choice(RegionKind, "细分类型") = ""  # type: ignore[valid-type]
    boundary: Boundary = None
    population: bounded_int(0, INT32_MAX, "常住人口（统计数）") = 0  # type: ignore[valid-type]
    households: bounded_int(0, INT32_MAX, "户数（统计数）") = 0  # type: ignore[valid-type]
    staffing_standard: bounded_int(1, SMALLINT_MAX, "配备标准（每万人）") | None = None  # type: ignore[valid-type]


class RegionPatch(Schema):
    """只修改提交的字段。"""

    code: text(32, min_length=1, pattern=CODE_PATTERN, description="编码；修改后整棵子树的路径随之更新") = None  # type: ignore[valid-type,assignment]
    name: text(100, min_length=1, description="名称") = None  # type: ignore[valid-type,assignment]
    kind: choice(RegionKind, "细分类型") = None  # type: ignore[valid-type,assignment]
    boundary: Boundary = None
    population: bounded_int(0, INT32_MAX, "常住人口（统计数）") = None  # type: ignore[valid-type,assignment]
    households: bounded_int(0, INT32_MAX, "户数（统计数）") = None  # type: ignore[valid-type,assignment]
    staffing_standard: bounded_int(1, SMALLINT_MAX, "配备标准（每万人），null 表示沿用上级") | None = None  # type: ignore[valid-type]


class FeatureProperties(Schema):
    id: int
    code: str
    name: str
    level: int
    level_label: str
    self: bool = Field(..., description="是否为所查询的区域本身")


class Feature(Schema):
    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any]
    properties: FeatureProperties


class FeatureCollection(Schema):
    type: Literal["FeatureCollection"]
    features: list[Feature]


class LocateOut(Schema):
    grid: RegionOut = Field(..., description="坐标所在的最末级网格")
    community: RegionRef | None = Field(..., description="网格所属社区/村")
    street: RegionRef | None = Field(..., description="网格所属街道/乡镇")


class StaffingOut(Schema):
    community: RegionRef
    numerator: int = Field(..., description="分子：在岗专职网格员人数")
    denominator: int = Field(..., description="分母：登记居民人数")
    per_10k: float | None = Field(..., description="每万人配备数（分母为 0 时为空）")
    standard: int = Field(..., description="配备标准（每万人）")
    applies: bool = Field(..., description="标准是否适用（村不适用城镇社区标准）")
    flag: bool = Field(..., description="低于标准")


class BuildingOut(Schema):
    id: int
    code: str
    name: str
    address: str
    grid: RegionRef
    lng: float | None
    lat: float | None
    floors: int


class BuildingPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[BuildingOut]


class BuildingFilter(PageParams):
    region: ObjectId | None = Field(None, description="只列出该区域（含下级网格）内的楼栋")  # type: ignore[valid-type]
    q: text(100, description="楼栋名称或编码包含的文字") = ""  # type: ignore[valid-type]


class BuildingIn(Schema):
    grid: ObjectId = Field(..., description="所属网格 ID")  # type: ignore[valid-type]
    code: text(40, min_length=1, pattern=r"^[0-9A-Za-z_-]{1,40}$", description="楼栋编码")  # type: ignore[valid-type]
    name: text(100, min_length=1, description="楼栋名称")  # type: ignore[valid-type]
    address: text(200, min_length=1, description="标准地址")  # type: ignore[valid-type]
    lng: Lng | None = None  # type: ignore[valid-type]
    lat: Lat | None = None  # type: ignore[valid-type]
    floors: bounded_int(1, 300, "层数") = 1  # type: ignore[valid-type]
    units: list[text(40, min_length=1)] = Field(default_factory=list, max_length=50,  # type: ignore[valid-type]
                                                json_schema_extra={"uniqueItems": True},
                                                description="单元名称，如 1单元（不能重复）")
    rooms_per_unit: list[text(20, min_length=1)] = Field(default_factory=list, max_length=500,  # type: ignore[valid-type]
                                                         json_schema_extra={"uniqueItems": True},
                                                         description="每个单元都建的房号，如 101（不能重复）")


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    uscc: str | None
    address: str
    grid: RegionRef
    contact_name: str
    contact_phone: str = Field(..., description="联系电话（脱敏）")


class OrganisationPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[OrganisationOut]


class OrganisationFilter(PageParams):
    region: ObjectId | None = Field(None, description="只列出该区域（含下级网格）内的单位")  # type: ignore[valid-type]
    kind: choice(OrganisationKind, "单位类型") | None = None  # type: ignore[valid-type]
    q: text(100, description="单位名称包含的文字") = ""  # type: ignore[valid-type]


class OrganisationIn(Schema):
    grid: ObjectId = Field(..., description="所属网格 ID")  # type: ignore[valid-type]
    name: text(200, min_length=1, description="单位名称")  # type: ignore[valid-type]
    kind: choice(OrganisationKind, "单位类型")  # type: ignore[valid-type]
    uscc: text(18, description="统一社会信用代码（可空）") = ""  # type: ignore[valid-type]
    address: text(200, description="地址") = ""  # type: ignore[valid-type]
    contact_name: text(50, description="联系人") = ""  # type: ignore[valid-type]
    contact_phone: text(20, description="联系电话") = ""  # type: ignore[valid-type]


def building_out(b: Building) -> dict:
    return {"id": b.pk, "code": b.code, "name": b.name, "address": b.address, "grid": region_ref(b.grid),
            "lng": b.lng, "lat": b.lat, "floors": b.floors}


def organisation_out(o: Organisation) -> dict:
    return {"id": o.pk, "name": o.name, "kind": o.kind, "kind_label": o.get_kind_display(), "uscc": o.uscc,
            "address": o.address, "grid": region_ref(o.grid), "contact_name": o.contact_name,
            "contact_phone": mask_phone(o.contact_phone)}


class NoGridError(NotFoundError):
    code = "no_grid"


# --- region tree -----------------------------------------------------------------------------


@router.get("/", response={200: RegionPage, LIST_ERRORS: Error}, summary="区域列表",
            description="列出您范围内的区域与网格，按编码路径排序。可按上级（parent）、层级（level）、名称或编码（q）筛选。")
def region_list(request, filters: Query[RegionFilter]):
    qs = selectors.region_visible(request.auth).select_related("parent")
    if filters.parent is not None:
        qs = qs.filter(parent_id=filters.parent)
    if filters.level is not None:
        qs = qs.filter(level=filters.level)
    if filters.q.strip():
        q = filters.q.strip()
        qs = qs.filter(Q(name__contains=q) | Q(code__contains=q))
    return paginate(qs.order_by("path"), filters, region_out)


@router.get("/locate", response={200: LocateOut, READ_ERRORS: Error}, summary="坐标定位网格",
            description="给出经纬度（WGS84），返回所在的最末级网格及其所属社区/村、街道/乡镇。"
                        "不在任何网格内（或不在您可查看的网格内）时返回 404，code 为 no_grid。")
def region_locate(request, lng: Lng, lat: Lat):  # type: ignore[valid-type]
    grid = locate_grid(lng, lat)
    if grid is None:
        raise NoGridError(_("该位置不在任何网格内（可能在辖区边界之外，或该处网格尚未绘制边界）。"))
    if not selectors.region_visible(request.auth).filter(pk=grid.pk).exists():
        raise NoGridError(_("该位置不在您可查看的任何网格内。"))
    ancestors = {r.level: r for r in selectors.region_ancestors(grid)}
    return {"grid": region_out(grid), "community": region_ref(ancestors.get(RegionLevel.COMMUNITY)),
            "street": region_ref(ancestors.get(RegionLevel.STREET))}


@router.post("/", response={201: RegionDetailOut, CREATE_ERRORS: Error}, summary="新增区域或网格",
             description="系统管理员可在任意位置新增；区县、街道工作人员可在本辖区内新增下级（如网格）。"
                         "层级须比上级低一级；网格必须有上级；编码不能重复；边界须在上级边界内且不与同级重叠。")
def region_create(request, payload: RegionIn):
    actor = request.auth
    parent = lookup_or_404(Region.objects.all(), actor, payload.parent, field="parent", label=pgettext("record type", "上级区域"))
    if payload.boundary is not None:
        check_geojson_numbers(payload.boundary)
    try:
        region = services.region_create(
            actor=actor, code=payload.code, name=payload.name, level=payload.level, parent=parent,
            kind=payload.kind, boundary=payload.boundary, population=payload.population,
            households=payload.households, staffing_standard=payload.staffing_standard,
        )
    except IntegrityError as exc:
        raise write_conflict(exc) from exc
    return Status(201, region_detail_out(region))


# --- buildings and organisations (一标三实) ----------------------------------------------------


def _region_filter_path(actor, region_id: int | None) -> str | None:
    if region_id is None:
        return None
    region = lookup_or_404(Region.objects.all(), actor, region_id, field="region", label=pgettext("record type", "区域"))
    return region.path


@router.get("/buildings", response={200: BuildingPage, LIST_ERRORS: Error}, summary="楼栋列表",
            description="您范围内的楼栋（标准地址），可按区域与名称筛选。")
def building_list(request, filters: Query[BuildingFilter]):
    qs = restrict(Building.objects.select_related("grid"), request.auth)
    path = _region_filter_path(request.auth, filters.region)
    if path:
        qs = qs.filter(grid__path__startswith=path)
    if filters.q.strip():
        qs = qs.filter(Q(name__contains=filters.q.strip()) | Q(code__contains=filters.q.strip()))
    return paginate(qs.order_by("code"), filters, building_out)


@router.post("/buildings", response={201: BuildingOut, CREATE_ERRORS: Error}, summary="登记楼栋",
             description="在网格中登记楼栋，可同时建单元和房号。系统管理员，或辖区含该网格的区域工作人员可登记。")
def building_create(request, payload: BuildingIn):
    actor = request.auth
    grid = lookup_or_404(Region.objects.all(), actor, payload.grid, field="grid", label=pgettext("record type", "网格"))
    if len(set(payload.units)) != len(payload.units):
        raise ApplicationError(_("单元名称重复。"), field="units")
    if len(set(payload.rooms_per_unit)) != len(payload.rooms_per_unit):
        raise ApplicationError(_("房号重复。"), field="rooms_per_unit")
    try:
        building = services.building_create(
            actor=actor, grid=grid, code=payload.code, name=payload.name, address=payload.address,
            lng=payload.lng, lat=payload.lat, floors=payload.floors, units=payload.units,
            rooms_per_unit=payload.rooms_per_unit,
        )
    except IntegrityError as exc:
        raise write_conflict(exc) from exc
    return Status(201, building_out(building))


@router.get("/organisations", response={200: OrganisationPage, LIST_ERRORS: Error}, summary="实有单位列表",
            description="您范围内的实有单位，可按区域、类型与名称筛选。联系电话脱敏显示。")
def organisation_list(request, filters: Query[OrganisationFilter]):
    qs = restrict(Organisation.objects.select_related("grid"), request.auth)
    path = _region_filter_path(request.auth, filters.region)
    if path:
        qs = qs.filter(grid__path__startswith=path)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q.strip():
        qs = qs.filter(name__contains=filters.q.strip())
    return paginate(qs.order_by("name", "id"), filters, organisation_out)


@router.post("/organisations", response={201: OrganisationOut, CREATE_ERRORS: Error}, summary="登记实有单位",
             description="在网格中登记单位（商铺、企业、物业等）。统一社会信用代码须通过校验且不重复。")
def organisation_create(request, payload: OrganisationIn):
    actor = request.auth
    grid = lookup_or_404(Region.objects.all(), actor, payload.grid, field="grid", label=pgettext("record type", "网格"))
    if grid.level not in GRID_LEVELS:
        raise ApplicationError(_("单位须登记在网格中。"), field="grid")
    try:
        org = services.organisation_create(
            actor=actor, grid=grid, name=payload.name, kind=payload.kind, uscc=payload.uscc or None,
            address=payload.address, contact_name=payload.contact_name, contact_phone=payload.contact_phone,
        )
    except IntegrityError as exc:
        raise write_conflict(exc) from exc
    return Status(201, organisation_out(org))


# --- Excel import and export ------------------------------------------------------------------

RegionDataset = Annotated[Literal["regions", "grids"], Field(description="regions 区域（市至社区/村），grids 网格")]


class RegionExportFilter(Schema):
    q: text(100, description="名称或编码包含的文字") = ""  # type: ignore[valid-type]
    region: ObjectId | None = Field(None, description="只导出该区域的子树")  # type: ignore[valid-type]
    level: Level | None = None  # type: ignore[valid-type]


@router.post("/import/{dataset}", response={201: ImportOut, CREATE_ERRORS: Error}, openapi_extra=XLSX_UPLOAD,
             summary="Excel 导入区域或网格",
             description="上传按导入模板填写的 .xlsx（multipart 字段 file）。全部或全不：任何一行有错都不导入，"
                         "errors 列出每个错误的行号、列名和原因。上级须已存在或在文件中更靠前的行；"
                         "系统管理员可导入任意区域，区县、街道工作人员可在本辖区内导入下级。")
def region_import(request, dataset: RegionDataset, file: File[UploadedFile]):
    created = TRANSFERS[dataset].run_import(actor=request.auth, upload=file)
    return Status(201, {"dataset": dataset, "created": created})


@router.get("/export/{dataset}", response={200: ExportOut, READ_ERRORS: Error},
            summary="Excel 导出区域或网格",
            description="导出您范围内、符合筛选条件的区域或网格（与导入模板同列，可作为另一系统的导入文件）。" + EXPORT_CREATED_DESCRIPTION)
def region_export(request, dataset: RegionDataset, filters: Query[RegionExportFilter]):
    params = {k: str(v) for k, v in filters.model_dump(exclude_none=True).items() if v != ""}
    return export_out(TRANSFERS[dataset].export_file(actor=request.auth, params=params))


# --- one region (declared after the fixed paths above, which '/{id}' would otherwise match) ------


@router.get("/{id}", response={200: RegionDetailOut, READ_ERRORS: Error}, summary="区域详情",
            description="一个区域或网格的基本信息与边界。范围外或不存在时返回 404。")
def region_detail(request, id: ObjectId):  # type: ignore[valid-type]
    return region_detail_out(selectors.region_get(actor=request.auth, pk=id))


@router.patch("/{id}", response={200: RegionDetailOut, WRITE_ERRORS: Error}, summary="修改区域或网格",
              description="只修改提交的字段（名称、编码、类型、边界、人口、户数、配备标准）。"
                          "权限同新增：系统管理员，或上级区域在本辖区内的区县、街道工作人员。")
def region_update(request, id: ObjectId, payload: RegionPatch):  # type: ignore[valid-type]
    actor = request.auth
    region = selectors.region_get(actor=actor, pk=id)
    changes = payload.model_dump(exclude_unset=True)
    for field in ("code", "name", "kind", "population", "households"):
        if field in changes and changes[field] is None:
            raise ApplicationError(_("该字段不能为空。"), field=field)
    if changes.get("boundary") is not None:
        check_geojson_numbers(changes["boundary"])
    try:
        region = services.region_update(actor=actor, region=region, **changes)
    except IntegrityError as exc:
        raise write_conflict(exc) from exc
    return region_detail_out(region)


@router.get("/{id}/children", response={200: RegionPage, READ_ERRORS: Error}, summary="下级区域",
            description="一个区域在您范围内的直接下级，按编码排序。")
def region_children(request, id: ObjectId, page: Query[PageParams]):  # type: ignore[valid-type]
    region = selectors.region_get(actor=request.auth, pk=id)
    return paginate(selectors.region_children(actor=request.auth, region=region), page, region_out)


@router.get("/{id}/boundaries", response={200: FeatureCollection, READ_ERRORS: Error}, summary="区域边界（GeoJSON）",
            description="GeoJSON FeatureCollection：该区域本身、其直接下级，以及（社区及以下）各级网格的边界，"
                        "供地图显示。properties.self 标出所查询的区域。")
def region_boundaries(request, id: ObjectId):  # type: ignore[valid-type]
    region = selectors.region_get(actor=request.auth, pk=id)
    collection = selectors.grid_boundaries(actor=request.auth, region=region)
    for feature in collection["features"]:  # gettext_lazy labels → plain strings for the schema
        feature["properties"]["level_label"] = str(feature["properties"]["level_label"])
    return collection


@router.get("/{id}/staffing", response={200: list[StaffingOut], READ_ERRORS: Error}, summary="专职网格员配备率",
            description="该区域下每个社区/村：在岗专职网格员数（分子）÷ 登记居民数（分母）× 10000，"
                        "与配备标准比较；flag 为真表示低于标准。只统计您范围内的人员。")
def region_staffing(request, id: ObjectId):  # type: ignore[valid-type]
    region = selectors.region_get(actor=request.auth, pk=id)
    return [
        {"community": region_ref(r.community), "numerator": r.full_time_workers, "denominator": r.residents,
         "per_10k": r.per_10k, "standard": r.standard, "applies": r.applies, "flag": r.below_standard}
        for r in people_selectors.staffing_ratios(actor=request.auth, region=region)
    ]


__all__ = ["router", "Error", "PageParams", "paginate", "text", "bounded_int", "choice", "strict_bool",
           "ObjectId", "LIST_ERRORS", "READ_ERRORS", "CREATE_ERRORS", "WRITE_ERRORS", "XLSX_DOWNLOAD", "ImportOut",
           "lookup_or_404", "region_ref", "write_conflict"]
