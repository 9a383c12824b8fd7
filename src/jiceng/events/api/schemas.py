"""The events API's request and response schemas, shared by its endpoint modules (and by
bench/events_intake.py, which builds StaffIntakeIn)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import field_validator

from jiceng.core.api_schemas import (
    BIGINT_MAX,
    Lat,
    Lng,
    ObjectId,
    bounded_date,
    bounded_int,
    choice,
    strict_bool,
    text,
)

from .. import selectors
from ..choices import Channel, EventState, Rating, UnitKind
from ..tracking import NUMBER_PATTERN

Note = text(2000, description="意见/说明")
Reason = text(500, min_length=1, description="原因或意见（必填）")
Photos = list[text(300, min_length=1, description="已上传照片的地址（/files/<uuid>/）")]


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
    actor: str = Field(..., description="操作人：人员姓名；系统写下的（系统、上报人、群众 张*）按所选语言（与页面相同：语言 Cookie，默认中文）")
    at: datetime
    note: str = Field(..., description="意见：人员填写的原样；系统写下的（自动立案、超时预警等）按所选语言")
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
