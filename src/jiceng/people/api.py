"""People API: residents, grid workers and departments.

Lists use the same filters as the pages (``selectors.resident_filter`` / ``worker_filter``) on a
queryset already narrowed to the caller's scope. Responses carry masked ID numbers, phones,
addresses and tags, a resident's age instead of the birth date and the house down to its building
(``services.masked``, as the pages); the full values come only from the audited ``reveal`` endpoints.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from django.db import IntegrityError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from jiceng.core.api_schemas import (
    CREATE_ERRORS,
    EXPORT_CREATED_DESCRIPTION,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    XLSX_UPLOAD,
    Error,
    ExportOut,
    ImportOut,
    ObjectId,
    PageParams,
    bounded_date,
    choice,
    lookup_or_404,
    paginate,
    strict_bool,
    text,
    write_conflict,
)
from jiceng.core.edits import version_parse
from jiceng.core.errors import ApplicationError, NotFoundError
from jiceng.core.exports import export_out
from jiceng.core.scope import restrict
from jiceng.regions.api import RegionRef, region_ref
from jiceng.regions.choices import GRID_LEVELS, RegionLevel
from jiceng.regions.models import House, Region

from . import selectors, services
from .choices import DepartmentKind, PoliticalStatus, ResidenceType, ResidentTag, WorkerKind
from .models import GridWorker, Resident
from .transfer import TRANSFERS

router = Router(tags=["人员"])

MAX_TAGS = len(ResidentTag.values)
IdNumber = text(18, description="身份证号（18位，末位可为X；校验位须正确）")
Phone = text(20, description="手机号：11位，可带 +86、空格或连字符（如 138-1234-5678），存为11位数字")
ContactPhone = text(20, description="联系电话：11位手机号（可带 +86、空格或连字符），或带区号的固定电话（如 0599-2345678）")
Date = bounded_date(1900, 2100, "日期 YYYY-MM-DD")
Tag = choice(ResidentTag, "关爱标签")


# --- residents -------------------------------------------------------------------------------


class ResidentOut(Schema):
    id: int
    name: str
    gender: str = Field(..., description="M 男，F 女，空为未知")
    age: int | None = Field(..., description="周岁（由身份证号推算；出生日期脱敏，只显示周岁）")
    id_number: str = Field(..., description="身份证号（脱敏）")
    phone: str = Field(..., description="联系电话（脱敏）")
    address: str = Field(..., description="住址（脱敏）")
    tags: str = Field(..., description="关爱标签（脱敏，只显示项数）")
    grid: RegionRef
    house_id: int | None
    house: str = Field(..., description="房屋（脱敏，只显示到楼栋，房号隐藏；未关联时为空）")
    residence_type: str
    residence_type_label: str
    political_status: str
    political_status_label: str
    is_volunteer: bool
    created_at: str
    updated_at: str


class ResidentPage(Schema):
    count: int = Field(..., description="范围内符合条件的总数")
    limit: int
    offset: int
    items: list[ResidentOut]


class ResidentFilter(PageParams):
    q: text(50, description="姓名包含的文字，或完整的身份证号、联系电话（手机或带区号的固定电话；按密文索引精确匹配）") = ""  # type: ignore[valid-type]
    region: ObjectId | None = Field(None, description="区域 ID：只列出该区域（含下级网格）的居民")  # type: ignore[valid-type]
    tag: Tag | None = None  # type: ignore[valid-type]
    residence_type: choice(ResidenceType, "人口类型") | None = None  # type: ignore[valid-type]
    political_status: choice(PoliticalStatus, "政治面貌") | None = None  # type: ignore[valid-type]
    is_volunteer: bool | None = Field(None, description="是否志愿者")


class ResidentIn(Schema):
    name: text(50, min_length=1, description="姓名")  # type: ignore[valid-type]
    grid: ObjectId = Field(..., description="所属网格 ID")  # type: ignore[valid-type]
    id_number: IdNumber = ""  # type: ignore[valid-type]
    phone: ContactPhone = ""  # type: ignore[valid-type]
    address: text(200, description="住址") = ""  # type: ignore[valid-type]
    house: ObjectId | None = Field(None, description="房屋 ID（须在该网格内）")  # type: ignore[valid-type]
    residence_type: choice(ResidenceType, "人口类型") = ResidenceType.REGISTERED.value  # type: ignore[valid-type]
    political_status: choice(PoliticalStatus, "政治面貌") = PoliticalStatus.MASSES.value  # type: ignore[valid-type]
    is_volunteer: strict_bool("是否志愿者") = False  # type: ignore[valid-type]
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)  # type: ignore[valid-type]


SEEN_VERSION = ("读取记录时的 updated_at（原样回传）。若此后已有人修改该记录，返回 409（code 为 stale_edit，"
                "message 说明谁在何时改了哪些字段），本次修改不保存；不传则不检查。")


class ResidentPatch(Schema):
    """只修改提交的字段。"""

    name: text(50, min_length=1, description="姓名") = None  # type: ignore[valid-type,assignment]
    grid: ObjectId = Field(None, description="迁入的网格 ID")  # type: ignore[valid-type]
    id_number: IdNumber = None  # type: ignore[valid-type,assignment]
    phone: ContactPhone = None  # type: ignore[valid-type,assignment]
    address: text(200, description="住址") = None  # type: ignore[valid-type,assignment]
    house: ObjectId | None = Field(None, description="房屋 ID；null 表示解除关联")  # type: ignore[valid-type]
    residence_type: choice(ResidenceType, "人口类型") = None  # type: ignore[valid-type,assignment]
    political_status: choice(PoliticalStatus, "政治面貌") = None  # type: ignore[valid-type,assignment]
    is_volunteer: strict_bool("是否志愿者") = None  # type: ignore[valid-type,assignment]
    tags: list[Tag] = Field(None, max_length=MAX_TAGS)  # type: ignore[valid-type]
    expected_updated_at: datetime | None = Field(None, description=SEEN_VERSION)


PersonalField = Literal["id_number", "phone", "address", "tags", "birth_date", "house"]


class RevealIn(Schema):
    fields: list[PersonalField] = Field(
        default_factory=list, max_length=6,
        description="要查看的字段；为空则全部（网格员无住址、标签、出生日期、房屋）")


class RevealOut(Schema):
    id_number: str | None = Field(None, description="完整身份证号")
    phone: str | None = Field(None, description="完整联系电话（网格员为手机号）")
    address: str | None = Field(None, description="完整住址")
    tags: list[str] | None = Field(None, description="关爱标签")
    birth_date: date | None = Field(None, description="出生日期")
    house: str | None = Field(None, description="完整房屋（楼栋、单元、房号；未关联时为空）")


def resident_out(r: Resident) -> dict:
    """Built field by field from the masked values (``services.masked``, as the pages show them):
    plaintext personal data never reaches a response."""
    m = services.masked(r)
    return {
        "id": r.pk, "name": r.name, "gender": r.gender, "age": m["age"],
        "id_number": m["id_number"], "phone": m["phone"], "address": m["address"], "tags": m["tags"],
        "grid": region_ref(r.grid), "house_id": r.house_id, "house": m["house"],
        "residence_type": r.residence_type, "residence_type_label": r.get_residence_type_display(),
        "political_status": r.political_status, "political_status_label": r.get_political_status_display(),
        "is_volunteer": r.is_volunteer, "created_at": r.created_at.isoformat(), "updated_at": r.updated_at.isoformat(),
    }


def _filter_region(actor, region_id: int | None) -> Region | None:
    return lookup_or_404(Region.objects.all(), actor, region_id, field="region", label=pgettext("record type", "区域"))


def _grid(actor, pk: int) -> Region:
    grid = lookup_or_404(Region.objects.all(), actor, pk, field="grid", label=pgettext("record type", "网格"))
    if grid.level not in GRID_LEVELS:
        raise ApplicationError(_("“%(name)s”不是网格，居民须登记到网格。") % {"name": grid.name}, field="grid")
    return grid


def _house(actor, pk: int | None) -> House | None:
    return lookup_or_404(House.objects.select_related("unit__building"), actor, pk, field="house", label=pgettext("record type", "房屋"))


@router.get("/residents", response={200: ResidentPage, LIST_ERRORS: Error}, summary="居民列表",
            description="您范围内的居民（实有人口），筛选条件与居民页面相同。身份证号、联系电话、住址、关爱标签均脱敏；"
                        "count 为范围内符合条件的总数。管理员角色看不到居民。")
def resident_list(request, filters: Query[ResidentFilter]):
    actor = request.auth
    qs = selectors.resident_filter(
        selectors.resident_visible(actor), q=filters.q, region=_filter_region(actor, filters.region),
        tag=filters.tag or "", residence_type=filters.residence_type or "",
        political_status=filters.political_status or "", is_volunteer=filters.is_volunteer,
    )
    return paginate(qs, filters, resident_out)


@router.post("/residents", response={201: ResidentOut, CREATE_ERRORS: Error}, summary="登记居民",
             description="在您范围内的网格登记居民。身份证号须通过校验且未被登记；标签须为系统定义的关爱标签。"
                         "个人信息加密保存，返回脱敏值。")
def resident_create(request, payload: ResidentIn):
    actor = request.auth
    grid = _grid(actor, payload.grid)
    try:
        resident = services.resident_create(
            actor=actor, name=payload.name, grid=grid, id_number=payload.id_number, phone=payload.phone,
            address=payload.address, house=_house(actor, payload.house), residence_type=payload.residence_type,
            political_status=payload.political_status, is_volunteer=payload.is_volunteer, tags=list(payload.tags),
        )
    except IntegrityError as exc:
        raise write_conflict(exc) from exc
    return Status(201, resident_out(resident))


# --- Excel import and export ------------------------------------------------------------------

PeopleDataset = Annotated[Literal["workers", "residents"], Field(description="workers 网格员，residents 居民")]


class PeopleExportFilter(Schema):
    q: text(50, description="姓名包含的文字，或完整的身份证号、电话号码") = ""  # type: ignore[valid-type]
    region: ObjectId | None = Field(None, description="区域 ID")  # type: ignore[valid-type]
    tag: Tag | None = Field(None, description="关爱标签（居民）")  # type: ignore[valid-type]
    residence_type: choice(ResidenceType, "人口类型（居民）") | None = None  # type: ignore[valid-type]
    is_volunteer: bool | None = Field(None, description="是否志愿者（居民）")
    kind: choice(WorkerKind, "网格员类型（网格员）") | None = None  # type: ignore[valid-type]
    active: bool | None = Field(None, description="是否在岗（网格员）")


@router.post("/import/{dataset}", response={201: ImportOut, CREATE_ERRORS: Error}, openapi_extra=XLSX_UPLOAD,
             summary="Excel 导入居民或网格员",
             description="上传按导入模板填写的 .xlsx（multipart 字段 file）。全部或全不：任何一行有错都不导入，"
                         "errors 列出每个错误的行号、列名和原因（code 为 import_rejected）；文件不是 xlsx 时 code 为 bad_file。"
                         "仅区县、街道、社区工作人员可导入，且只能导入到本人管辖范围内。")
def people_import(request, dataset: PeopleDataset, file: File[UploadedFile]):
    created = TRANSFERS[dataset].run_import(actor=request.auth, upload=file)
    return Status(201, {"dataset": dataset, "created": created})


@router.get("/export/{dataset}", response={200: ExportOut, READ_ERRORS: Error},
            summary="Excel 导出居民或网格员",
            description="导出您范围内、符合筛选条件（与列表页相同）的记录；个人信息均为脱敏值。"
                        "不查看居民和网格员的角色（管理员、部门工作人员、居民）返回 403。" + EXPORT_CREATED_DESCRIPTION)
def people_export(request, dataset: PeopleDataset, filters: Query[PeopleExportFilter]):
    params = {k: ("1" if v is True else "0" if v is False else str(v))
              for k, v in filters.model_dump(exclude_none=True).items() if v != ""}
    if "is_volunteer" in params:
        params["volunteer"] = params.pop("is_volunteer")
    return export_out(TRANSFERS[dataset].export_file(actor=request.auth, params=params))


@router.get("/residents/{id}", response={200: ResidentOut, READ_ERRORS: Error}, summary="居民详情",
            description="一位居民的信息（脱敏）。范围外或不存在时返回 404。")
def resident_detail(request, id: ObjectId):  # type: ignore[valid-type]
    return resident_out(selectors.resident_get(actor=request.auth, pk=id))


@router.patch("/residents/{id}", response={200: ResidentOut, WRITE_ERRORS: Error}, summary="修改居民信息",
              description="只修改提交的字段。迁往其他网格时，目标网格也须在您的范围内。")
def resident_update(request, id: ObjectId, payload: ResidentPatch):  # type: ignore[valid-type]
    actor = request.auth
    resident = selectors.resident_get(actor=actor, pk=id)
    values = payload.model_dump(exclude_unset=True)
    seen_version = version_parse(values.pop("expected_updated_at", None))
    for field in ("name", "grid", "id_number", "phone", "address", "residence_type", "political_status",
                  "is_volunteer", "tags"):
        if field in values and values[field] is None:
            raise ApplicationError(_("该字段不能为空。"), field=field)
    if "grid" in values:
        values["grid"] = _grid(actor, values["grid"])
    if "house" in values:
        values["house"] = _house(actor, values["house"])
    try:
        resident = services.resident_update(actor=actor, resident=resident, seen_version=seen_version, **values)
    except IntegrityError as exc:
        raise write_conflict(exc) from exc
    return resident_out(selectors.resident_get(actor=actor, pk=resident.pk))


@router.post("/residents/{id}/reveal", response={200: RevealOut, READ_ERRORS: Error},
             summary="查看居民完整个人信息",
             description="返回未脱敏的身份证号、联系电话、住址、关爱标签、出生日期、房屋（可只选部分字段）。"
                         "仅区县、街道、社区工作人员和网格员可查看本范围内的居民；每次查看都记入审计日志。")
def resident_reveal(request, id: ObjectId, payload: RevealIn | None = None):  # type: ignore[valid-type]
    resident = selectors.resident_get(actor=request.auth, pk=id)
    fields = list(dict.fromkeys(payload.fields)) if payload else []
    return services.personal_info_reveal(actor=request.auth, person=resident, fields=fields or None)


# --- grid workers -----------------------------------------------------------------------------


class WorkerOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    gender: str
    id_number: str = Field(..., description="身份证号（脱敏）")
    phone: str = Field(..., description="手机号（脱敏）")
    community: RegionRef
    grids: list[RegionRef] = Field(..., description="负责网格（第一个为主责网格）")
    occupation: str
    is_party_member: bool
    active: bool
    joined_on: date | None
    has_account: bool
    updated_at: str


class WorkerPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[WorkerOut]


class WorkerFilter(PageParams):
    q: text(50, description="姓名包含的文字，或完整手机号") = ""  # type: ignore[valid-type]
    region: ObjectId | None = Field(None, description="区域 ID：社区及以上按所属社区，网格按负责网格")  # type: ignore[valid-type]
    kind: choice(WorkerKind, "网格员类型") | None = None  # type: ignore[valid-type]
    active: bool | None = Field(None, description="是否在岗")


class WorkerIn(Schema):
    name: text(50, min_length=1, description="姓名")  # type: ignore[valid-type]
    kind: choice(WorkerKind, "网格员类型")  # type: ignore[valid-type]
    community: ObjectId = Field(..., description="所属社区/村 ID")  # type: ignore[valid-type]
    grids: list[ObjectId] = Field(default_factory=list, max_length=50,  # type: ignore[valid-type]
                                  json_schema_extra={"uniqueItems": True},
                                  description="负责网格 ID（第一个为主责网格）；专职、兼职网格员的网格须属于本社区")
    id_number: IdNumber = ""  # type: ignore[valid-type]
    phone: Phone = ""  # type: ignore[valid-type]
    occupation: text(50, description="职业/身份（特聘网格员填写，如快递员）") = ""  # type: ignore[valid-type]
    is_party_member: strict_bool("党员") = False  # type: ignore[valid-type]
    joined_on: Date | None = None


class WorkerPatch(Schema):
    """只修改提交的字段。"""

    name: text(50, min_length=1, description="姓名") = None  # type: ignore[valid-type,assignment]
    kind: choice(WorkerKind, "网格员类型") = None  # type: ignore[valid-type,assignment]
    id_number: IdNumber = None  # type: ignore[valid-type,assignment]
    phone: Phone = None  # type: ignore[valid-type,assignment]
    occupation: text(50, description="职业/身份") = None  # type: ignore[valid-type,assignment]
    is_party_member: strict_bool("党员") = None  # type: ignore[valid-type,assignment]
    active: strict_bool("在岗") = None  # type: ignore[valid-type,assignment]
    joined_on: Date | None = None
    expected_updated_at: datetime | None = Field(None, description=SEEN_VERSION)


class WorkerGridsIn(Schema):
    grids: list[ObjectId] = Field(..., max_length=50, json_schema_extra={"uniqueItems": True},  # type: ignore[valid-type]
                                  description="负责网格 ID（整体替换，第一个为主责网格，不能重复）")


def worker_out(w: GridWorker) -> dict:
    m = services.masked(w)
    assignments = sorted(w.assignments.all(), key=lambda a: (not a.is_primary, a.grid.code))
    return {
        "id": w.pk, "name": w.name, "kind": w.kind, "kind_label": w.get_kind_display(), "gender": w.gender,
        "id_number": m["id_number"], "phone": m["phone"], "community": region_ref(w.community),
        "grids": [region_ref(a.grid) for a in assignments], "occupation": w.occupation,
        "is_party_member": w.is_party_member, "active": w.active, "joined_on": w.joined_on,
        "has_account": w.user_id is not None, "updated_at": w.updated_at.isoformat(),
    }


def _workers(actor):
    return selectors.worker_visible(actor).prefetch_related("assignments__grid")


def _grids(actor, ids: list[int]) -> list[Region]:
    if len(set(ids)) != len(ids):
        raise ApplicationError(_("负责网格重复。"), field="grids")
    found = {g.pk: g for g in restrict(Region.objects.filter(pk__in=ids), actor)}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise NotFoundError(_("网格（ID %(ids)s）不存在，或不在您的管辖范围内。") % {"ids": ', '.join(missing)}, field="grids")
    return [found[i] for i in ids]


@router.get("/workers", response={200: WorkerPage, LIST_ERRORS: Error}, summary="网格员列表",
            description="您范围内的网格员，筛选条件与网格员页面相同。身份证号、手机号脱敏。")
def worker_list(request, filters: Query[WorkerFilter]):
    actor = request.auth
    qs = selectors.worker_filter(_workers(actor), q=filters.q, region=_filter_region(actor, filters.region),
                                 kind=filters.kind or "", active=filters.active)
    return paginate(qs, filters, worker_out)


@router.post("/workers", response={201: WorkerOut, CREATE_ERRORS: Error}, summary="登记网格员",
             description="在您范围内的社区/村登记网格员（区县、街道、社区工作人员）。")
def worker_create(request, payload: WorkerIn):
    actor = request.auth
    community = lookup_or_404(Region.objects.all(), actor, payload.community, field="community", label=pgettext("record type", "社区/村"))
    if community.level != RegionLevel.COMMUNITY:
        raise ApplicationError(_("“%(name)s”不是社区/村。") % {"name": community.name}, field="community")
    try:
        worker = services.grid_worker_create(
            actor=actor, name=payload.name, kind=payload.kind, community=community,
            grids=_grids(actor, payload.grids), id_number=payload.id_number, phone=payload.phone,
            occupation=payload.occupation, is_party_member=payload.is_party_member, joined_on=payload.joined_on,
        )
    except IntegrityError as exc:
        raise write_conflict(exc) from exc
    return Status(201, worker_out(_workers(actor).get(pk=worker.pk)))


@router.get("/workers/{id}", response={200: WorkerOut, READ_ERRORS: Error}, summary="网格员详情",
            description="一位网格员的信息（脱敏）。范围外或不存在时返回 404。")
def worker_detail(request, id: ObjectId):  # type: ignore[valid-type]
    selectors.worker_get(actor=request.auth, pk=id)
    return worker_out(_workers(request.auth).get(pk=id))


@router.patch("/workers/{id}", response={200: WorkerOut, WRITE_ERRORS: Error}, summary="修改网格员信息",
              description="只修改提交的字段（姓名、类型、身份证号、手机号、职业、党员、在岗、入职日期）。")
def worker_update(request, id: ObjectId, payload: WorkerPatch):  # type: ignore[valid-type]
    actor = request.auth
    worker = selectors.worker_get(actor=actor, pk=id)
    values = payload.model_dump(exclude_unset=True)
    seen_version = version_parse(values.pop("expected_updated_at", None))
    for field in ("name", "kind", "id_number", "phone", "occupation", "is_party_member", "active"):
        if field in values and values[field] is None:
            raise ApplicationError(_("该字段不能为空。"), field=field)
    try:
        services.grid_worker_update(actor=actor, worker=worker, seen_version=seen_version, **values)
    except IntegrityError as exc:
        raise write_conflict(exc) from exc
    return worker_out(_workers(actor).get(pk=id))


@router.put("/workers/{id}/grids", response={200: WorkerOut, WRITE_ERRORS: Error}, summary="调整负责网格",
            description="整体替换网格员负责的网格；第一个为主责网格。专职、兼职网格员的网格须属于其社区。")
def worker_set_grids(request, id: ObjectId, payload: WorkerGridsIn):  # type: ignore[valid-type]
    actor = request.auth
    worker = selectors.worker_get(actor=actor, pk=id)
    try:
        services.grid_worker_set_grids(actor=actor, worker=worker, grids=_grids(actor, payload.grids))
    except IntegrityError as exc:
        raise write_conflict(exc) from exc
    return worker_out(_workers(actor).get(pk=id))


@router.post("/workers/{id}/reveal", response={200: RevealOut, READ_ERRORS: Error},
             summary="查看网格员完整个人信息",
             description="返回未脱敏的身份证号、手机号；每次查看都记入审计日志。")
def worker_reveal(request, id: ObjectId, payload: RevealIn | None = None):  # type: ignore[valid-type]
    worker = selectors.worker_get(actor=request.auth, pk=id)
    fields = list(dict.fromkeys(payload.fields)) if payload else []
    return services.personal_info_reveal(actor=request.auth, person=worker, fields=fields or None)


# --- departments ------------------------------------------------------------------------------


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    region: RegionRef


class DepartmentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[DepartmentOut]


class DepartmentFilter(PageParams):
    kind: choice(DepartmentKind, "部门类别") | None = None  # type: ignore[valid-type]
    q: text(100, description="部门名称包含的文字") = ""  # type: ignore[valid-type]


@router.get("/departments", response={200: DepartmentPage, LIST_ERRORS: Error}, summary="部门列表",
            description="服务于您所在区域的职能部门（住建、民政、公安……）：您范围内的，以及上级区域（如本县）的。")
def department_list(request, filters: Query[DepartmentFilter]):
    qs = selectors.department_visible(request.auth)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q.strip():
        qs = qs.filter(name__contains=filters.q.strip())
    return paginate(qs.order_by("code"), filters, lambda d: {
        "id": d.pk, "code": d.code, "name": d.name, "kind": d.kind, "kind_label": d.get_kind_display(),
        "region": region_ref(d.region)})


