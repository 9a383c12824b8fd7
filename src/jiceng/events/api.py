"""Events API: intake (staff and the public), the case list and page, every workflow step, whistles,
supervision, rating and the command centre's numbers.

Thin: parse, call the services and selectors, render. Cases out of the caller's scope are 404; the
workflow table (workflow.py) decides who may act, the services enforce it. The public endpoints
(resident intake, "me too", rating through the signed link) need no login and are rate-limited.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from ninja import Field, File, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import field_validator

from jiceng.core import rows
from jiceng.core.api_schemas import (
    BIGINT_MAX,
    CREATE_ERRORS,
    EXPORT_CREATED_DESCRIPTION,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    XLSX_UPLOAD,
    Error,
    ExportOut,
    Lat,
    Lng,
    ObjectId,
    PageParams,
    bounded_date,
    bounded_int,
    choice,
    lookup_or_404,
    paginate,
    strict_bool,
    text,
)
from jiceng.core.errors import ApplicationError, NotFoundError
from jiceng.core.exports import export_out
from jiceng.core.ratelimit import enforce
from jiceng.core.uploads import attachment_store
from jiceng.core.validators import phone_normalise
from jiceng.people.models import Department
from jiceng.regions.models import Region

from . import exports, selectors, services
from .choices import Channel, EventState, Rating, UnitKind
from .models import Event, EventCategory, Whistle
from .tracking import (
    NUMBER_PATTERN,
    event_by_number_and_phone,
    event_by_number_for_join,
    event_by_tracking_token,
    public_steps,
    rating_offer,
    tracking_token,
)
from .transfer import CATEGORIES
from .units import Unit

router = Router(tags=["事件"])

PUBLIC_ERRORS = frozenset({400, 404, 409, 429})
PUBLIC_CREATE_ERRORS = frozenset({400, 404, 409, 429})
Note = text(2000, description="意见/说明")
Reason = text(500, min_length=1, description="原因或意见（必填）")
Photos = list[text(300, min_length=1, description="已上传照片的地址（/files/<uuid>/）")]


# --- schemas ------------------------------------------------------------------------------------


class UnitIn(Schema):
    kind: choice(UnitKind, "处置单位类型")  # type: ignore[valid-type]
    id: ObjectId  # type: ignore[valid-type]


class CaseOut(Schema):
    id: int
    number: str = Field(..., description="案件编号")
    title: str
    category: str = Field(..., description="事项分类编码")
    category_name: str
    channel: str
    state: str
    state_label: str
    priority: int
    grid_id: int
    grid_name: str
    community_id: int
    community_name: str
    address: str
    lng: float | None
    lat: float | None
    handler: str = Field(..., description="当前处置单位")
    reported_at: datetime
    handle_due_at: datetime | None
    closed_at: datetime | None
    overdue: bool
    rating: str
    supporter_count: int


class CasePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CaseOut]


class StepOut(Schema):
    action: str
    from_state: str
    to_state: str
    actor: str
    at: datetime
    note: str
    photos: list[str]


class CaseDetail(CaseOut):
    description: str
    photos: list[str]
    reason: str
    rating_comment: str
    actions: list[str] = Field(..., description="当前用户现在可做的操作")
    timeline: list[StepOut]


class StaffIntakeIn(Schema):
    channel: choice(Channel, "来源渠道")  # type: ignore[valid-type]
    category: text(32, min_length=1, description="事项分类编码")  # type: ignore[valid-type]
    description: text(2000, description="问题描述") = ""  # type: ignore[valid-type]
    title: text(100, description="标题（空则自动生成）") = ""  # type: ignore[valid-type]
    lng: Lng | None = None  # type: ignore[valid-type]
    lat: Lat | None = None  # type: ignore[valid-type]
    grid: ObjectId | None = Field(None, description="网格 ID（无坐标时）")  # type: ignore[valid-type]
    address: text(200, description="地点") = ""  # type: ignore[valid-type]
    photos: Photos = []  # type: ignore[valid-type]
    reporter_name: text(50, description="上报人姓名") = ""  # type: ignore[valid-type]
    reporter_phone: text(20, description="上报人电话：11位手机号或带区号的固定电话") = ""  # type: ignore[valid-type]
    source_ref: text(100, description="来源编号（设备编号、热线工单号）") = ""  # type: ignore[valid-type]
    idempotency_key: text(80, description="幂等键：同一渠道同一键只建一件") = ""  # type: ignore[valid-type]


class PublicIntakeIn(Schema):
    category: text(32, min_length=1, description="事项分类编码")  # type: ignore[valid-type]
    description: text(2000, min_length=1, description="问题描述")  # type: ignore[valid-type]
    lng: Lng  # type: ignore[valid-type]
    lat: Lat  # type: ignore[valid-type]
    address: text(200, description="地点") = ""  # type: ignore[valid-type]
    photos: Photos = []  # type: ignore[valid-type]
    reporter_name: text(50, description="姓名（可不填）") = ""  # type: ignore[valid-type]
    reporter_phone: text(  # type: ignore[valid-type]
        20, min_length=1, description="联系电话（用于回复和评价）：11位手机号或带区号的固定电话，如 0571-8888 6666")
    website: text(0, description="须留空（防机器人）") = ""  # type: ignore[valid-type]


class PublicCaseOut(Schema):
    number: str
    title: str
    state: str
    state_label: str
    reported_at: datetime
    closed_at: datetime | None


class PublicCaseCreatedOut(PublicCaseOut):
    tracking_token: str = Field(..., description="查询令牌：凭它查询进度（POST /public/track），请妥善保存")
    tracking_url: str = Field(..., description="查询进度的网页链接（含签名，有效期默认一年）")


class PublicStepOut(Schema):
    at: datetime
    action: str = Field(..., description="步骤（工作流动作，如 register、submit、verify）")
    label: str = Field(..., description="步骤名称")
    note: str = Field("", description="处置反馈，或不予立案、作废的原因；其他步骤的内部意见不公开")
    photos: list[str] = Field([], description="处置反馈与核查结案照片的签名地址（两小时内有效，仅限本案）")


class PublicFollowOut(PublicCaseOut):
    rating_token: str = Field("", description="已结案且尚未评价时给上报人的评价令牌（POST /public/rate），否则为空")
    steps: list[PublicStepOut] = Field([], description="办理经过，与查询进度页面相同：不含工作人员姓名和内部意见")


class FollowIn(Schema):
    number: text(20, min_length=15, description="案件编号（粘贴时带的空格会被去掉）", pattern=NUMBER_PATTERN)  # type: ignore[valid-type]
    phone: text(20, min_length=1, description="上报（或附议）时留的联系电话，如 138-1234-5678、+86 138…、0571-8888 6666")  # type: ignore[valid-type]

    @field_validator("number", mode="before")
    @classmethod
    def _without_spaces(cls, value):
        return "".join(value.split()) if isinstance(value, str) else value


class TrackIn(Schema):
    token: text(300, min_length=1, description="上报时得到的查询令牌（tracking_token）")  # type: ignore[valid-type]


class NoteIn(Schema):
    note: Note = ""  # type: ignore[valid-type]


class ReasonIn(Schema):
    reason: Reason  # type: ignore[valid-type]


class RegisterIn(Schema):
    note: Note = ""  # type: ignore[valid-type]
    category: text(32, description="更正事项分类编码（可不填）") = ""  # type: ignore[valid-type]
    dispatch: strict_bool("立案后立即派遣") = False  # type: ignore[valid-type]
    unit: UnitIn | None = None


class DispatchIn(Schema):
    note: Note = ""  # type: ignore[valid-type]
    unit: UnitIn | None = Field(None, description="处置单位（不填按分类规则）")


class UnitNoteIn(Schema):
    note: Note = ""  # type: ignore[valid-type]
    unit: UnitIn


class ReopenIn(Schema):
    reason: Reason  # type: ignore[valid-type]
    unit: UnitIn | None = None


class SubmitIn(Schema):
    note: text(2000, min_length=1, description="处置结果")  # type: ignore[valid-type]
    photos: Photos = []  # type: ignore[valid-type]
    lng: Lng | None = None  # type: ignore[valid-type]
    lat: Lat | None = None  # type: ignore[valid-type]


class VerifyIn(Schema):
    passed: strict_bool("核查是否通过")  # type: ignore[valid-type]
    note: Note = ""  # type: ignore[valid-type]
    photos: Photos = []  # type: ignore[valid-type]
    lng: Lng | None = None  # type: ignore[valid-type]
    lat: Lat | None = None  # type: ignore[valid-type]


class MergeIn(Schema):
    master: ObjectId = Field(..., description="主事件 ID")  # type: ignore[valid-type]
    note: Note = ""  # type: ignore[valid-type]


class JoinIn(Schema):
    name: text(50, description="姓名（可不填）") = ""  # type: ignore[valid-type]
    phone: text(20, min_length=1, description="联系电话")  # type: ignore[valid-type]
    note: Note = ""  # type: ignore[valid-type]


class WhistleIn(Schema):
    departments: list[ObjectId] = Field(..., min_length=1, max_length=20,  # type: ignore[valid-type]
                                        description="被召集部门 ID")
    reason: Reason  # type: ignore[valid-type]


class WhistleOut(Schema):
    id: int
    event_id: int
    department: str
    state: str
    late: bool
    blown_at: datetime
    reported_at: datetime | None


class SuperviseIn(Schema):
    note: Reason  # type: ignore[valid-type]


class RateIn(Schema):
    token: text(300, min_length=1, description="结案时发给上报人的评价链接令牌")  # type: ignore[valid-type]
    rating: choice(Rating, "评价")  # type: ignore[valid-type]
    comment: text(500, description="评价意见") = ""  # type: ignore[valid-type]


class CallbackIn(Schema):
    rating: choice(Rating, "评价")  # type: ignore[valid-type]
    comment: text(500, description="评价意见") = ""  # type: ignore[valid-type]


class PhotoOut(Schema):
    id: str
    url: str


Day = bounded_date(2000, 2100, "日期 YYYY-MM-DD")
DepartmentKey = bounded_int(0, BIGINT_MAX, "处置部门 ID；0 表示属地处置（由区域处置、没有处置部门的事件）")
_KEY = "(" + "|".join(selectors.DEFINITIONS) + ")"
MetricKeys = text(1000, description="要哪些指标：指标键，逗号分隔（" + "、".join(selectors.DEFINITIONS) + "）；空为全部",
                  pattern=f"^({_KEY}(,{_KEY})*)?$")


class ListFilters(Schema):
    state: choice(EventState, "状态") | None = None  # type: ignore[valid-type]
    category: text(32, description="事项分类编码（含下级）") = ""  # type: ignore[valid-type]
    region: ObjectId | None = Field(None, description="区域 ID（含下级网格）")  # type: ignore[valid-type]
    overdue: bool | None = Field(None, description="是否超期过")
    open_only: bool = Field(False, description="只看未办结")
    q: text(100, description="案件编号或标题片段") = ""  # type: ignore[valid-type]
    reported_from: Day | None = Field(None, description="上报日期起")
    reported_to: Day | None = Field(None, description="上报日期止（含）")


class NumbersIn(Schema):
    start: Day = Field(..., description="统计开始日期（含）")
    end: Day = Field(..., description="统计结束日期（不含）")
    region: ObjectId | None = Field(None, description="区域 ID（含下级）")  # type: ignore[valid-type]
    category: text(32, description="事项分类编码（含下级）") = ""  # type: ignore[valid-type]
    department: DepartmentKey | None = Field(  # type: ignore[valid-type]
        None, description="处置部门 ID（目前或最终处置的部门）；0 为属地处置（没有处置部门的事件）")


class NumberCasesIn(NumbersIn):
    of: Literal["numerator", "denominator"] = Field(
        "numerator", description="numerator：构成分子的事件；denominator：构成分母的事件（只有比率和平均时长有分母）")


BREAKDOWN_BY = ("region", "category", "department", "month", "day")
MAX_BREAKDOWN_DAYS = 366  # by=day: at most a year of rows in one answer


class BreakdownIn(NumbersIn):
    by: Literal[BREAKDOWN_BY] = Field(  # type: ignore[valid-type]
        ..., description="分组方式：region 按 region 的下级区域（不指定 region 时按调用者自己的区域，如网格员负责的"
                         "各网格；部门工作人员须指定）；category 按 category 的下级分类"
                         "（未指定时按一级分类）；department 按处置部门（属地处置为一行）；month 按月；"
                         f"day 按日（时段最长 {MAX_BREAKDOWN_DAYS} 天）")
    keys: MetricKeys = ""  # type: ignore[valid-type]


class NumberOut(Schema):
    key: str
    label: str
    definition: str
    kind: str = Field(..., description="count 计数；ratio 比率；hours 平均时长（小时）")
    numerator: int
    denominator: int | None
    value: float | None
    display: str
    cases: str = Field(..., description="构成分子的事件清单（API 地址，带上本指标的全部统计条件）")
    base: str | None = Field(..., description="构成分母的事件清单（API 地址）；没有分母的指标为 null")


class BreakdownRowOut(Schema):
    key: str = Field(..., description="分组键：区域 ID、事项分类编码、部门 ID（属地处置为空串）、YYYY-MM 或 YYYY-MM-DD")
    label: str
    numbers: list[NumberOut] = Field(..., description="本行的指标；cases、base 链接按本行自己的统计条件")


class WhistleStatsIn(Schema):
    start: Day = Field(..., description="吹哨日期起（含）")
    end: Day = Field(..., description="吹哨日期止（不含）")
    region: ObjectId | None = Field(None, description="事件所在区域 ID（含下级）")  # type: ignore[valid-type]


class WhistleListIn(WhistleStatsIn):
    department: ObjectId = Field(..., description="被吹哨部门 ID（部门工作人员只能查本部门）")  # type: ignore[valid-type]
    kind: Literal[tuple(selectors.WHISTLE_KINDS)] = Field(  # type: ignore[valid-type]
        "called", description="统计项，与 GET /whistles/stats 的同名字段一一对应：called 被吹哨、reported_in_time 按时报到、"
                              "reported_late 超时后报到、unanswered_late 超时未报到、waiting 尚未报到（未超时）、late 超时")


class WhistleListOut(WhistleOut):
    event_number: str = Field(..., description="事件编号")
    event_title: str
    blower: str = Field(..., description="吹哨单位")
    due_at: datetime = Field(..., description="报到时限")


class WhistlePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[WhistleListOut]


class WhistleStatOut(Schema):
    department_id: int
    department: str = Field(..., description="部门名称")
    called: int = Field(..., description="被吹哨次数")
    reported_in_time: int = Field(..., description="按时报到次数")
    reported_late: int = Field(..., description="超时后才报到的次数")
    unanswered_late: int = Field(..., description="超时仍未报到的次数")
    waiting: int = Field(..., description="尚未报到、未超时的次数（四项之和等于被吹哨次数）")
    late: int = Field(..., description="超时次数（超时后报到 + 超时未报到）")
    in_time_rate: float | None = Field(..., description="按时报到率（按时报到 ÷ 被吹哨次数）")


# --- helpers ------------------------------------------------------------------------------------


def _render(e: Event) -> dict:
    return {
        "id": e.pk, "number": e.number, "title": e.title, "category": e.category.code,
        "category_name": e.category.name, "channel": e.channel, "state": e.state,
        "state_label": str(EventState(e.state).label), "priority": e.priority, "grid_id": e.grid_id,
        "grid_name": e.grid.name, "community_id": e.community_id, "community_name": e.community.name,
        "address": e.address, "lng": e.lng, "lat": e.lat, "handler": e.handler_name,
        "reported_at": e.reported_at, "handle_due_at": e.handle_due_at, "closed_at": e.closed_at,
        "overdue": e.overdue_at is not None, "rating": e.rating, "supporter_count": e.supporter_count,
    }


def _detail(actor, e: Event) -> dict:
    steps = selectors.event_timeline(actor=actor, event=e)
    return {
        **_render(e), "description": e.description, "photos": list(e.photos or []), "reason": e.reason,
        "rating_comment": e.rating_comment, "actions": selectors.event_actions(actor=actor, event=e),
        "timeline": [{"action": s.action, "from_state": s.from_state, "to_state": s.to_state,
                      "actor": s.actor_label, "at": s.at, "note": s.note, "photos": list(s.photos or [])}
                     for s in steps],
    }


def _category(code: str) -> EventCategory | None:
    if not code:
        return None
    found = EventCategory.objects.filter(code=code).first()
    if found is None:
        raise NotFoundError(_("未知的事项分类。"), field="category")
    return found


def _intake_category(code: str) -> EventCategory:
    """Administrators edit the catalogue, so the schema cannot list its codes: an unknown or retired
    code names a record that is not there (404, like an id)."""
    found = rows.row(EventCategory, code=code.strip(), active=True)  # every intake reads it: see core.rows
    if found is None:
        raise NotFoundError(_("未知或已停用的事项分类。"), field="category")
    return found


def _unit(actor, data: UnitIn | None) -> Unit | None:
    if data is None:
        return None
    if data.kind == UnitKind.DEPARTMENT:
        dept = Department.objects.filter(pk=data.id).first()
        if dept is None:
            raise NotFoundError(_("部门（ID %(id)s）不存在。") % {"id": data.id}, field="unit")
        return Unit.of_department(dept)
    region = Region.objects.filter(pk=data.id).first()
    if region is None:
        raise NotFoundError(_("区域（ID %(id)s）不存在。") % {"id": data.id}, field="unit")
    return Unit.of_region(region)


def phone_key(phone: str) -> str:
    """The rate-limit key of a phone: hashed (no raw number in the cache, no odd characters)."""
    return hashlib.sha256(phone_normalise(phone).encode("utf-8", "replace")).hexdigest()[:24]


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _public_limit(request, scope: str, phone: str = "") -> None:
    enforce(f"events.{scope}.ip", _client_ip(request), limit=settings.JICENG_PUBLIC_RATE_PER_IP, window=60)
    if phone:
        enforce(f"events.{scope}.phone", phone_key(phone), limit=settings.JICENG_PUBLIC_RATE_PER_PHONE, window=3600,
                message="该电话本小时提交过多，请稍后再试。")


def _case(request, pk: int) -> Event:
    return selectors.event_get(actor=request.auth, pk=pk)


def _done(request, pk: int) -> dict:
    return _detail(request.auth, selectors.event_get(actor=request.auth, pk=pk))


# --- intake -------------------------------------------------------------------------------------


@router.post("/cases", response={201: CaseOut, WRITE_ERRORS: Error}, summary="采集（工作人员渠道）",
             description="网格员巡查、热线受理、物联告警、急难呼救等渠道上报事件；有坐标时按坐标定位网格。"
                         "急难呼救自动立案并按处置程序派遣。返回新事件的摘要（与列表中的一行相同，不含流转记录）；"
                         "完整流转记录与可办操作见 GET /cases/{pk}。")
def case_create(request, data: StaffIntakeIn):
    grid = lookup_or_404(Region.objects.all(), request.auth, data.grid, field="grid", label=pgettext("record type", "网格"))
    event = services.event_create(
        channel=data.channel, category=_intake_category(data.category), description=data.description,
        title=data.title, lng=data.lng, lat=data.lat, grid=grid, address=data.address, photos=data.photos,
        reporter_name=data.reporter_name, reporter_phone=data.reporter_phone, actor=request.auth,
        source_ref=data.source_ref, idempotency_key=data.idempotency_key or None)
    return Status(201, _render(event))


@router.post("/public/cases", auth=None, response={201: PublicCaseCreatedOut, PUBLIC_CREATE_ERRORS: Error},
             summary="群众上报（无需登录）",
             description="居民不登录即可上报；按 IP 和电话限流；website 字段须留空。返回案件编号和签名的查询令牌"
                         "（tracking_token、tracking_url）：凭令牌，或凭编号加上报电话查询进度；仅凭编号查不到。")
def public_case_create(request, data: PublicIntakeIn):
    _public_limit(request, "intake", data.reporter_phone)
    if data.website:
        raise ApplicationError(_("提交无效。"), field="website")
    event = services.event_create(
        channel=Channel.RESIDENT, category=_intake_category(data.category), description=data.description, lng=data.lng,
        lat=data.lat, address=data.address, photos=data.photos, reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone)
    token = tracking_token(event)
    return Status(201, {**_public(event), "tracking_token": token,
                        "tracking_url": f"{reverse('events:track')}?{urlencode({'t': token})}"})


def _public(e: Event) -> dict:
    return {"number": e.number, "title": e.title, "state": e.state, "state_label": str(EventState(e.state).label),
            "reported_at": e.reported_at, "closed_at": e.closed_at}


@router.post("/public/follow", auth=None, response={200: PublicFollowOut, PUBLIC_ERRORS: Error},
             summary="凭案件编号和电话查询进度（无需登录）",
             description="案件编号加上报（或附议）时留的电话。编号不存在与电话不符给出同样的 404，防止遍历编号；按 IP 限流。"
                         "上报人查询已结案未评价的案件时返回评价令牌。")
def public_case_follow(request, data: FollowIn):
    _public_limit(request, "follow")
    event, is_reporter = event_by_number_and_phone(data.number, data.phone)
    return {**_public(event), "rating_token": rating_offer(event, is_reporter=is_reporter),
            "steps": [vars(step) for step in public_steps(event)]}


@router.post("/public/track", auth=None, response={200: PublicFollowOut, PUBLIC_ERRORS: Error},
             summary="凭查询令牌查询进度（无需登录）",
             description="上报时返回的 tracking_token（签名、专用、有效期默认一年）。令牌被改动或过期时 400。")
def public_case_track(request, data: TrackIn):
    _public_limit(request, "follow")
    event, is_reporter = event_by_tracking_token(data.token)
    return {**_public(event), "rating_token": rating_offer(event, is_reporter=is_reporter),
            "steps": [vars(step) for step in public_steps(event)]}


@router.post("/public/cases/{number}/join", auth=None, response={201: PublicCaseOut, PUBLIC_ERRORS: Error},
             summary="附议（我也遇到，无需登录）")
def public_case_join(request, data: JoinIn, number: str = Path(..., description="案件编号", pattern=NUMBER_PATTERN)):
    _public_limit(request, "join", data.phone)
    event = event_by_number_for_join(number)
    services.event_join(event=event, name=data.name, phone=data.phone, note=data.note)
    event.refresh_from_db()
    return Status(201, _public(event))


@router.post("/public/rate", auth=None, response={200: PublicCaseOut, PUBLIC_ERRORS: Error},
             summary="评价（通过结案时的评价链接，无需登录）")
def public_rate(request, data: RateIn):
    _public_limit(request, "rate")
    return _public(services.event_rate(token=data.token, rating=data.rating, comment=data.comment))


# --- reads --------------------------------------------------------------------------------------


@router.get("/cases", response={200: CasePage, LIST_ERRORS: Error}, summary="事件列表",
            description="按状态、分类、区域、是否超期、上报日期筛选；只列当前用户管辖范围内的事件。")
def case_list(request, filters: Query[ListFilters], page: Query[PageParams]):
    return paginate(_filtered_cases(request.auth, filters), page, _render)


def _filtered_cases(actor, filters: ListFilters):
    """The cases the list shows for these filters (its export the same, every page)."""
    region = lookup_or_404(Region.objects.all(), actor, filters.region, field="region", label=pgettext("record type", "区域"))
    return selectors.event_filter(
        selectors.event_visible(actor), state=filters.state or "", category=_category(filters.category),
        region=region, overdue=filters.overdue, open_only=filters.open_only, q=filters.q,
        reported_from=filters.reported_from, reported_to=filters.reported_to)


@router.get("/cases/export", response={200: ExportOut, LIST_ERRORS: Error}, summary="Excel 导出事件列表",
            description="与 GET /cases 同样的筛选，导出全部页（按上报时间倒序，上报人姓名、电话脱敏）；超过 "
                        f"{exports.CASES_EXPORT_MAX} 件时 400，请缩小筛选范围。" + EXPORT_CREATED_DESCRIPTION)
def case_list_export(request, filters: Query[ListFilters]):
    return export_out(exports.cases_export(actor=request.auth, cases=_filtered_cases(request.auth, filters),
                                           title="事件列表", fallback="event-cases"))


@router.get("/cases/{pk}", response={200: CaseDetail, READ_ERRORS: Error}, summary="事件详情（含全部流转记录）")
def case_detail(request, pk: ObjectId):
    return _detail(request.auth, _case(request, pk))


@router.post("/cases/{pk}/photos", response={201: PhotoOut, WRITE_ERRORS: Error}, summary="上传照片",
             description="图片按内容检查、重新编码并去除 EXIF；返回的地址可用于处置反馈、核查的 photos。")
def case_photo(request, pk: ObjectId, file: File[UploadedFile]):
    event = _case(request, pk)
    data = file.read(settings.JICENG_UPLOAD_MAX_BYTES + 1)
    attachment = attachment_store(actor=request.auth, data=data, owner=event, purpose="event")
    return Status(201, {"id": str(attachment.id), "url": f"/files/{attachment.id}/"})


# --- workflow -----------------------------------------------------------------------------------

_ACT = {"response": {200: CaseDetail, WRITE_ERRORS: Error}}


def _step(action: str, summary: str, body: type[Schema], call) -> None:
    """``POST /cases/{pk}/<action>``: the case in the caller's scope (404 otherwise), the service
    ``call(actor, event, data)``, then the case as it is now (its detail)."""

    def endpoint(request, pk: ObjectId, data):  # type: ignore[valid-type]
        call(request.auth, _case(request, pk), data)
        return _done(request, pk)

    endpoint.__annotations__["data"] = body  # each step's own body schema (this module's annotations are strings)
    endpoint.__name__ = endpoint.__qualname__ = f"case_{action}"  # the operation id clients know
    router.post(f"/cases/{{pk}}/{action}", **_ACT, summary=summary)(endpoint)


# One row per workflow step: the path, the OpenAPI summary, the body, the service call.
_step("register", "立案（可同时派遣）", RegisterIn, lambda actor, ev, d: services.event_register(
    actor=actor, event=ev, note=d.note, category=_category(d.category), dispatch=d.dispatch, unit=_unit(actor, d.unit)))
_step("reject", "不予立案", ReasonIn, lambda actor, ev, d: services.event_reject(actor=actor, event=ev, reason=d.reason))
_step("dispatch", "派遣（不指定单位时按分类规则）", DispatchIn, lambda actor, ev, d: services.event_dispatch(
    actor=actor, event=ev, unit=_unit(actor, d.unit), note=d.note))
_step("redispatch", "改派", UnitNoteIn, lambda actor, ev, d: services.event_redispatch(
    actor=actor, event=ev, unit=_unit(actor, d.unit), note=d.note))
_step("escalate", "上报升级", ReasonIn, lambda actor, ev, d: services.event_escalate(actor=actor, event=ev, reason=d.reason))
_step("sign", "签收", NoteIn, lambda actor, ev, d: services.event_sign(actor=actor, event=ev, note=d.note))
_step("return", "退单", ReasonIn, lambda actor, ev, d: services.event_return(actor=actor, event=ev, reason=d.reason))
_step("rule", "审定（指定处置单位）", UnitNoteIn, lambda actor, ev, d: services.event_rule(
    actor=actor, event=ev, unit=_unit(actor, d.unit), note=d.note))
_step("start", "开始处置", NoteIn, lambda actor, ev, d: services.event_start(actor=actor, event=ev, note=d.note))
_step("submit", "处置反馈（提交核查）", SubmitIn, lambda actor, ev, d: services.event_submit(
    actor=actor, event=ev, note=d.note, photos=d.photos, lng=d.lng, lat=d.lat))
_step("verify", "核查（通过即结案，不通过重办）", VerifyIn, lambda actor, ev, d: services.event_verify(
    actor=actor, event=ev, passed=d.passed, note=d.note, photos=d.photos, lng=d.lng, lat=d.lat))
_step("suspend", "挂起", ReasonIn, lambda actor, ev, d: services.event_suspend(actor=actor, event=ev, reason=d.reason))
_step("resume", "恢复", NoteIn, lambda actor, ev, d: services.event_resume(actor=actor, event=ev, note=d.note))
_step("reopen", "重办", ReopenIn, lambda actor, ev, d: services.event_reopen(
    actor=actor, event=ev, reason=d.reason, unit=_unit(actor, d.unit)))
_step("void", "作废", ReasonIn, lambda actor, ev, d: services.event_void(actor=actor, event=ev, reason=d.reason))


@router.post("/cases/{pk}/merge", **_ACT, summary="合并到主事件（重复件作废）")
def case_merge(request, pk: ObjectId, data: MergeIn):
    actor = request.auth
    master = selectors.event_visible(actor).filter(pk=data.master).first()
    if master is None:
        raise NotFoundError(_("主事件（ID %(id)s）不存在，或不在您的管辖范围内。") % {"id": data.master}, field="master")
    services.event_merge(actor=actor, duplicate=_case(request, pk), master=master, note=data.note)
    return _done(request, pk)


_step("join", "附议（工作人员代录）", JoinIn, lambda actor, ev, d: services.event_join(
    event=ev, name=d.name, phone=d.phone, note=d.note, channel=Channel.HOTLINE, actor=actor))
_step("callback", "回访评价", CallbackIn, lambda actor, ev, d: services.event_rate_callback(
    actor=actor, event=ev, rating=d.rating, comment=d.comment))
_step("supervise", "督办", SuperviseIn, lambda actor, ev, d: services.event_supervise(actor=actor, event=ev, note=d.note))


# --- 吹哨报到 ------------------------------------------------------------------------------------


def _whistle_out(w: Whistle) -> dict:
    return {"id": w.pk, "event_id": w.event_id, "department": w.department.name, "state": w.state,
            "late": w.late, "blown_at": w.blown_at, "reported_at": w.reported_at}


@router.post("/cases/{pk}/whistle", response={201: list[WhistleOut], WRITE_ERRORS: Error}, summary="吹哨")
def case_whistle(request, pk: ObjectId, data: WhistleIn):
    departments = list(Department.objects.filter(pk__in=data.departments))
    if len(departments) != len(set(data.departments)):
        raise NotFoundError(_("部分部门不存在。"), field="departments")
    rows = services.whistle_blow(actor=request.auth, event=_case(request, pk), departments=departments,
                                 reason=data.reason)
    return Status(201, [_whistle_out(w) for w in rows])


def _whistle(request, pk: int) -> Whistle:
    found = selectors.whistle_visible(request.auth).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(_("未找到该吹哨记录，或您无权查看。"))
    return found


@router.post("/whistles/{pk}/report", response={200: WhistleOut, WRITE_ERRORS: Error}, summary="部门报到")
def whistle_report(request, pk: ObjectId, data: NoteIn):
    return _whistle_out(services.whistle_report(actor=request.auth, whistle=_whistle(request, pk), note=data.note))


@router.post("/whistles/{pk}/feedback", response={200: WhistleOut, WRITE_ERRORS: Error}, summary="部门反馈")
def whistle_feedback(request, pk: ObjectId, data: ReasonIn):
    return _whistle_out(services.whistle_feedback(actor=request.auth, whistle=_whistle(request, pk),
                                                  feedback=data.reason))


# --- numbers ------------------------------------------------------------------------------------


def _department(pk: int | None) -> tuple[Department | None, bool]:
    """The department a question names, and whether it asks for 属地处置 (0). Any staff may name any
    department: departments are not personal data, and the numbers stay within the caller's scope."""
    if not pk:
        return None, pk == 0
    found = Department.objects.filter(pk=pk).first()
    if found is None:
        raise NotFoundError(_("部门（ID %(id)s）不存在。") % {"id": pk}, field="department")
    return found, False


class _Question:
    """A question of the numbers parsed from the query: the selectors' keyword arguments (``dims``)
    and the same question as query parameters (``query``), for the links to the cases."""

    def __init__(self, actor, params: NumbersIn):
        selectors.numbers_check(actor)
        region = lookup_or_404(Region.objects.all(), actor, params.region, field="region", label=pgettext("record type", "区域"))
        category = _category(params.category)
        department, unassigned = _department(params.department)
        self.dims = {"start": params.start, "end": params.end, "region": region, "category": category,
                     "department": department, "unassigned": unassigned}
        self.query = {"region": region.pk if region else None, "category": category.code if category else None,
                      "department": params.department}


def _number_out(n: selectors.Number, query: dict) -> dict:
    """One number with the addresses of its cases: the question's own parameters (the period is the
    number's own, so a month's or a day's row links to that month or day)."""
    params = {k: v for k, v in {"start": n.params["start"], "end": n.params["end"], **query}.items()
              if v is not None}
    cases = reverse("api:number_cases", kwargs={"key": n.key})
    return {**{k: v for k, v in n.as_dict().items() if k != "params"},
            "cases": f"{cases}?{urlencode(params)}",
            "base": f"{cases}?{urlencode({**params, 'of': 'denominator'})}" if n.base is not None else None}


@router.get("/numbers", response={200: list[NumberOut], LIST_ERRORS: Error}, summary="指挥中心指标",
            description="期内（start 起、end 止，不含 end）的全部指标，可按区域、事项分类、处置部门筛选；"
                        "每个指标给出分子、分母、定义，以及构成分子（cases）和分母（base）的事件清单地址。"
                        "只统计当前用户管辖范围内的事件。")
def numbers(request, params: Query[NumbersIn]):
    q = _Question(request.auth, params)
    found = selectors.event_numbers(actor=request.auth, **q.dims)
    return [_number_out(n, q.query) for n in found.values()]


@router.get("/numbers/breakdown", response={200: list[BreakdownRowOut], LIST_ERRORS: Error},
            summary="指挥中心指标分组统计",
            description="同一问题的指标按下级区域、下级事项分类、处置部门、月或日分组，每组一行；"
                        "每行指标的 cases、base 链接按该行自己的条件（该下级区域、该分类、该部门、该月或该日）。"
                        "按区域、分类分组时每个下级一行（无事件也列出），按部门、月、日分组时只列有事件的组。"
                        "keys 限定指标（逗号分隔，默认全部）。")
def number_breakdown(request, params: Query[BreakdownIn]):
    if params.by == "day" and (params.end - params.start).days > MAX_BREAKDOWN_DAYS:
        raise ApplicationError(_("按日分组的统计时段最长 %(max)s 天。") % {"max": MAX_BREAKDOWN_DAYS}, field="end")
    q = _Question(request.auth, params)
    keys = list(dict.fromkeys(params.keys.split(","))) if params.keys else None
    out = []
    for row in selectors.event_numbers_by(actor=request.auth, by=params.by, keys=keys, **q.dims):
        key, own = _row_question(params.by, row)
        out.append({"key": key, "label": row.label,
                    "numbers": [_number_out(n, {**q.query, **own}) for n in row.numbers.values()]})
    return out


class NumbersExportIn(NumbersIn):
    by: Literal["region", "category", "department", "month"] = Field(
        ..., description="分组方式，同 GET /numbers/breakdown（不含 day）")


@router.get("/numbers/export", response={200: ExportOut, LIST_ERRORS: Error}, summary="Excel 导出指挥中心指标分组统计",
            description="与 GET /numbers/breakdown 同样的条件和分组，每组一行（各项计数、比率（%）和平均办结时长），"
                        "末行为整个问题的合计；与指标统计页的“导出 Excel”相同。" + EXPORT_CREATED_DESCRIPTION)
def numbers_export(request, params: Query[NumbersExportIn]):
    q = _Question(request.auth, params)
    return export_out(exports.numbers_export(actor=request.auth, by=params.by, **q.dims))


def _row_question(by: str, row: selectors.Row) -> tuple[str, dict]:
    """A breakdown row's key, and the query parameters that make its question (the period of a month's
    or a day's row is its numbers' own)."""
    if by == "region":
        return str(row.key.pk), {"region": row.key.pk}
    if by == "category":
        return row.key.code, {"category": row.key.code}
    if by == "department":
        return (str(row.key.pk), {"department": row.key.pk}) if row.key is not None else ("", {"department": 0})
    return row.label, {}


@router.get("/numbers/{key}/cases", response={200: CasePage, READ_ERRORS: Error}, summary="构成某指标分子或分母的事件",
            description="与 GET /numbers 同样的条件；of=numerator（默认）列出构成分子的事件，of=denominator 列出构成分母的"
                        "事件（没有分母的指标 400）。按上报时间倒序分页。")
def number_cases(request, key: str, params: Query[NumberCasesIn], page: Query[PageParams]):
    _definition, cases = _number_cases(request, key, params)
    return paginate(cases, page, _render)


def _number_cases(request, key: str, params: NumberCasesIn):
    """(the number's definition, the cases of its numerator or its denominator, newest first)."""
    definition = selectors.DEFINITIONS.get(key)
    if definition is None:
        raise NotFoundError(_("未知指标。"))
    if params.of == "denominator" and definition.denominator is None:
        raise ApplicationError(_("指标“%(label)s”没有分母。") % {"label": definition.label}, field="of")
    q = _Question(request.auth, params)
    found = selectors.event_numbers(actor=request.auth, keys=[key], **q.dims)[key]
    cases = found.base if params.of == "denominator" else found.cases
    return definition, cases.order_by("-reported_at", "-id")


@router.get("/numbers/{key}/cases/export", response={200: ExportOut, READ_ERRORS: Error},
            summary="Excel 导出构成某指标分子或分母的事件",
            description="与 GET /numbers/{key}/cases 同样的条件和顺序，导出全部页（上报人姓名、电话脱敏）；超过 "
                        f"{exports.CASES_EXPORT_MAX} 件时 400。" + EXPORT_CREATED_DESCRIPTION)
def number_cases_export(request, key: str, params: Query[NumberCasesIn]):
    definition, cases = _number_cases(request, key, params)
    side = "（分母）" if params.of == "denominator" else ""
    return export_out(exports.cases_export(actor=request.auth, cases=cases, title=f"{definition.label}{side}",
                                           fallback=f"event-{key}-cases"))


@router.get("/whistles/stats", response={200: list[WhistleStatOut], LIST_ERRORS: Error}, summary="吹哨报到统计",
            description="期内（按吹哨时间，start 起、end 止，不含 end）每个被吹哨部门的被吹哨次数、按时报到、超时后报到、"
                        "超时未报到、尚未报到（未超时）和按时报到率；超时的先列。只统计当前用户能看到的吹哨（部门工作人员只看本部门）。")
def whistle_stats(request, params: Query[WhistleStatsIn]):
    selectors.numbers_check(request.auth)
    region = lookup_or_404(Region.objects.all(), request.auth, params.region, field="region", label=pgettext("record type", "区域"))
    rows = selectors.whistle_stats(actor=request.auth, start=params.start, end=params.end, region=region)
    return [{"department_id": r.department.pk, "department": r.department.name, "called": r.called,
             "reported_in_time": r.reported_in_time, "reported_late": r.reported_late,
             "unanswered_late": r.unanswered_late, "waiting": r.waiting, "late": r.late, "in_time_rate": r.in_time_rate} for r in rows]


@router.get("/whistles", response={200: WhistlePage, LIST_ERRORS: Error}, summary="吹哨统计中某一项所计的吹哨",
            description="与 GET /whistles/stats 同样的条件（start、end、region），一个部门（department）的一项统计（kind）"
                        "所计的吹哨，按吹哨时间倒序分页；count 等于统计表中的数字。")
def whistle_list(request, params: Query[WhistleListIn], page: Query[PageParams]):
    selectors.numbers_check(request.auth)
    region = lookup_or_404(Region.objects.all(), request.auth, params.region, field="region", label=pgettext("record type", "区域"))
    department = Department.objects.filter(pk=params.department).first()
    if department is None:
        raise NotFoundError(_("部门（ID %(pk)s）不存在，或不在您的管辖范围内。") % {"pk": params.department}, field="department")
    whistles = selectors.whistle_list(actor=request.auth, start=params.start, end=params.end, region=region,
                                      department=department, kind=params.kind)
    return paginate(whistles, page, lambda w: _whistle_out(w) | {
        "event_number": w.event.number, "event_title": w.event.title, "blower": w.blower_region.name, "due_at": w.due_at})


# --- the category catalogue in Excel (events/transfer.py) -----------------------------------------


class CategoryImportOut(Schema):
    dataset: str = Field(..., description="event_categories")
    imported: int = Field(..., description="新增或处置程序有变化的分类数（与系统中完全相同的行不计）")


@router.post("/categories/import", response={200: CategoryImportOut, CREATE_ERRORS: Error},
             openapi_extra=XLSX_UPLOAD, summary="Excel 导入事项分类",
             description="上传按导入模板填写的 .xlsx（multipart 字段 file）：新编码新增分类，已有编码更新其处置程序。"
                         "全部或全不：任何一行有错都不导入，errors 列出每个错误的行号、列名和原因（code 为 import_rejected）。"
                         "系统管理员和区县工作人员可以导入，其他人 403。")
def category_import(request, file: File[UploadedFile]):
    imported = CATEGORIES.run_import(actor=request.auth, upload=file)
    return {"dataset": CATEGORIES.kind, "imported": imported}


@router.get("/categories/export", response={200: ExportOut, READ_ERRORS: Error}, summary="Excel 导出事项分类",
            description="导出全部事项分类及其处置程序（与导入模板同列，导出的文件可原样导回）。系统管理员和区县工作人员可以导出。"
                        + EXPORT_CREATED_DESCRIPTION)
def category_export(request):
    return export_out(CATEGORIES.export_file(actor=request.auth, params={}))
