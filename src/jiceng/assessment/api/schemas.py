"""The assessment API's request and response schemas, shared by its endpoint modules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema

from jiceng.core.api_schemas import ObjectId, PageParams, bounded_date, bounded_decimal, strict_bool, text

Points = bounded_decimal(5, places=2, description="分值（0～99999.99，最多两位小数；数字或数字字符串）")
Code = text(32, min_length=1, pattern=r"^[0-9A-Za-z_-]{1,32}$", description="编码")
Note = text(500, description="说明")
CODE_KEYS_ONLY = {"additionalProperties": False}
Date = bounded_date(1900, 2100, "日期 YYYY-MM-DD")

class SchemeOut(Schema):
    id: int
    name: str
    subject_type: str
    subject_type_label: str
    period_type: str
    period_type_label: str
    region_id: int
    region_name: str
    description: str


class SchemeDetailOut(SchemeOut):
    versions: list[dict[str, Any]] = Field(..., description="各版本：版本号、是否冻结、评分组、指标、等次分档")


class SchemePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SchemeOut]


class PeriodOut(Schema):
    id: int
    scheme_id: int
    scheme_name: str
    version: int = Field(..., description="方案版本号")
    label: str
    starts_on: date
    ends_on: date
    state: str
    state_label: str
    published_on: date | None = Field(..., description="首次公布日期")
    republished_on: date | None = Field(..., description="最近一次复核后公布的日期（没有复核后公布时为空）")
    actions: list[str] = Field(..., description="调用者现在可执行的流程操作")


class ComputationOut(Schema):
    id: int
    action: str = Field(..., description="compute 计算 或 recompute 复核重算")
    action_label: str
    status: str = Field(..., description="queued 排队中、running 计算中、done 已完成、failed 未完成")
    status_label: str
    stale: bool = Field(..., description="排队或计算中却超过 15 分钟没有进展（后台进程已停止）：可重新操作")
    subjects: int = Field(..., description="考核对象数")
    done: int = Field(..., description="已算出的考核对象数（PostgreSQL 上计算中逐批更新；完成时等于 subjects）")
    requested_by: str = Field(..., description="发起人（用户名）")
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    message: str = Field(..., description="完成时：做了什么（与同步计算的 message 相同）；未完成时：原因")


class TransitionOut(PeriodOut):
    message: str = Field(..., description="做了什么，按记录计数（如“已复核重算：60 个结果中 3 个有变化……”）")
    computation: ComputationOut | None = Field(
        None, description="考核对象较多时，计算、复核重算排入后台进行：这次后台计算（之后用 GET …/periods/{id}/computation "
                          "查看进度和结果）；否则为空")


class PeriodPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PeriodOut]


FLAG_KINDS = "red 红榜、black 黑榜、adjust 连续等次建议调整、permanent 优先入编"


class ResultLine(Schema):
    """One subject's result as a ranking shows it."""

    result_id: int
    subject_id: int
    subject: str
    peer_group: str
    total: str
    grade: str
    rank: int
    rank_of: int


class RankingRow(ResultLine):
    tied: bool = Field(..., description="与他人并列")
    flags: list[str] = Field(..., description=FLAG_KINDS)
    published: bool
    version_no: int
    appeal_pending: bool = Field(..., description="复核中：该对象的申诉待复核，结果可能调整")
    reviewed: bool = Field(..., description="已复核调整：复核改变了该对象自己的总分或等次（与复核前的版本相比）")
    rank_moved: bool = Field(..., description="名次随复核变化：复核后公布了新版本，但只是名次（或参评数）随其他对象的"
                                              "调整而变，总分和等次未变")


class RankingOut(Schema):
    period: PeriodOut
    rows: list[RankingRow]


class GradeCount(Schema):
    grade: str = Field(..., description="等次（按方案版本的分档从高到低）；空为没有等次的结果")
    count: int = Field(..., description="该等次的人数")


class FlagCount(Schema):
    kind: str = Field(..., description=FLAG_KINDS)
    label: str = Field(..., description="标记名称，如“红榜”")
    count: int = Field(..., description="得到该标记的考核对象数")
    names: list[str] = Field(..., description="得到该标记的考核对象")


class PublishPreviewRow(ResultLine):
    flags: list[str] = Field(..., description=f"公布时将得到的标记：{FLAG_KINDS}")


class PublishPreviewOut(Schema):
    period: PeriodOut
    results: int = Field(..., description="将公布的结果数（已计算、未公布的现行结果）")
    grades: list[GradeCount] = Field(..., description="各等次人数，按方案版本的分档从高到低；方案不分等次时为空")
    flags: list[FlagCount] = Field(..., description="公布时按规则产生的结果运用标记（红榜、黑榜、建议调整、优先入编），"
                                                    "按种类计数并列出名单；没有的种类不列出")
    top: list[PublishPreviewRow] = Field(..., description="排名前 5 的结果（完整排名见 …/ranking）")


class ResultFigures(Schema):
    result_id: int
    version_no: int
    total: str
    grade: str
    rank: int
    rank_of: int


class RepublishPreviewRow(Schema):
    subject_id: int
    subject: str
    peer_group: str
    old: ResultFigures | None = Field(..., description="现在公布的结果（没有时为空）")
    new: ResultFigures = Field(..., description="复核后公布的结果：复核重算得到的新版本，没有新版本时同 old")
    change: str = Field(..., description="adjusted 总分或等次有调整；rank 只是名次（或参评数）随之变化；空：没有变化")


class RepublishPreviewAppeal(Schema):
    id: int
    subject_id: int
    subject: str
    reason: str = Field(..., description="申诉理由")
    decision: str = Field(..., description="已单独填写的复核意见（空：由复核后公布时填写的 decision 答复）")
    replied: bool = Field(..., description="已单独填写复核意见")
    outcome: str = Field(..., description="复核后公布时将得到的结果：adjusted 调整（该对象总分或等次有变化）；"
                                          "upheld 维持（包括只是名次变化）")
    outcome_label: str = Field(..., description="调整、维持")


class SubjectRef(Schema):
    subject_id: int = Field(..., description="考核对象 ID")
    subject: str = Field(..., description="考核对象名称")


class RepublishPreviewOut(Schema):
    period: PeriodOut
    rows: list[RepublishPreviewRow] = Field(..., description="将取代现在公布的排名，每个考核对象一行（按排名组、名次）")
    changed: int = Field(..., description="有变化的行数")
    adjusted: int = Field(..., description="其中总分或等次有调整的行数（其余只是名次变化）")
    appeals: list[RepublishPreviewAppeal] = Field(..., description="待复核的申诉，复核后公布时全部答复")
    flags: list[FlagCount] = Field(..., description="复核后公布时按规则重建的结果运用标记")
    stale: list[SubjectRef] = Field(..., description="按现在的记录计算，结果与将公布的不同的考核对象：复核重算之后（或还没有"
                                              "复核重算）又有更正，这次公布不会包含这些更正；应先复核重算")
    refusal: str | None = Field(..., description="现在复核后公布会被拒绝的原因（如退回重评的评分未提交）；可以时为空")


class ResultVersionOut(Schema):
    result_id: int
    version_no: int
    current: bool
    total: str
    grade: str
    rank: int
    rank_of: int
    reason: str
    published_at: str | None
    change: str = Field(..., description="与上一版相比：adjusted 总分或等次有变；rank 只是名次变化；第 1 版为空")


class AssignmentOut(Schema):
    id: int
    period_id: int
    period: str
    period_state: str
    scheme_id: int
    scheme_name: str = Field(..., description="方案名称（两个方案可有同名的考核期）")
    group: str
    group_name: str
    group_kind: str
    subject_id: int
    subject: str
    rating_state: str = Field(..., description="空：未评；draft 草稿；submitted 已提交")
    score: str | None
    answers: dict[str, str]
    indicator_scores: dict[str, str]
    note: str
    rerate_requested: bool = Field(..., description="复核中被退回重评：重新评分并提交（submit=true）后取消")
    rerate_reason: str = Field(..., description="退回重评的原因")


class AssignmentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AssignmentOut]


class AssignmentFilter(PageParams):
    period: ObjectId | None = None  # type: ignore[valid-type]
    status: Literal["todo", "done", "all"] = Field(
        "todo", description="todo 待评（默认，同“我的评分任务”的计数）：评分中未提交的，及复核中被退回重评的；"
                            "done 已提交或评分已结束的；all 两者（草稿考核期的任务不列出）")


class PeriodFilter(PageParams):
    scheme: ObjectId | None = None  # type: ignore[valid-type]


class IndicatorScoreIn(Schema):
    points: Points
    note: Note = ""  # type: ignore[valid-type]
    evidence_ref: Note = ""  # type: ignore[valid-type]


class RatingIn(Schema):
    score: Points | None = Field(None, description="综合评分（评委打分、互评、单位评价）")
    # additionalProperties: the keys are codes too (pydantic states their pattern for matching keys only).
    answers: dict[Code, Code] = Field(default_factory=dict, json_schema_extra=CODE_KEYS_ONLY,  # type: ignore[valid-type]
                                      description="问卷：项目编码 → 评价等级编码")
    indicator_scores: dict[Code, IndicatorScoreIn] = Field(  # type: ignore[valid-type]
        default_factory=dict, json_schema_extra=CODE_KEYS_ONLY, description="指标评分：指标编码 → 得分")
    note: Note = ""  # type: ignore[valid-type]
    evidence_ref: Note = ""  # type: ignore[valid-type]
    submit: strict_bool("true 提交（提交后不能修改），false 保存草稿") = False  # type: ignore[valid-type]


class AdjustmentIn(Schema):
    subject_id: ObjectId  # type: ignore[valid-type]
    indicator: Code  # type: ignore[valid-type]
    points: Points
    note: text(500, min_length=1, description="事由")  # type: ignore[valid-type]
    evidence_ref: Note = ""  # type: ignore[valid-type]


class AdjustmentOut(Schema):
    id: int
    subject_id: int
    indicator: str
    points: str
    note: str
    withdrawn: bool


class WithdrawIn(Schema):
    reason: text(500, min_length=1, description="撤销原因")  # type: ignore[valid-type]


class TransitionIn(Schema):
    reason: text(500, description="重算原因（复核重算时必填）") = ""  # type: ignore[valid-type]
    decision: text(1000, description="复核意见（复核后公布时可填）") = ""  # type: ignore[valid-type]
    published_on: Date | None = Field(None, description="公布日期（公布时可填，默认今天）")
    force: bool = Field(False, description="计算时：有评分组没有一份已提交的评分，仍按 0 分计算（否则 400 force）")


class AppealIn(Schema):
    subject_id: ObjectId  # type: ignore[valid-type]
    reason: text(1000, min_length=1, description="申诉理由")  # type: ignore[valid-type]


class AppealRow(Schema):
    id: int
    subject_id: int
    subject: str
    reason: str = Field(..., description="申诉理由")
    state: str = Field(..., description="open 待复核；resolved 已复核")
    outcome: str = Field(..., description="复核结果：upheld 维持；adjusted 调整（结果有新版本）；未复核为空")
    status_label: str = Field(..., description="待复核、已复核：维持、已复核：调整")
    decision: str = Field(..., description="复核意见（答复申诉人）；待复核时只有管理者能看到草稿")
    filed_at: str
    decided_at: str | None


class AppealOut(AppealRow):
    period: PeriodOut


class CountOut(Schema):
    count: int


class AppealReplyIn(Schema):
    decision: text(1000, min_length=1, description="复核意见（答复申诉人）")  # type: ignore[valid-type]


class RerateIn(Schema):
    subject_id: ObjectId  # type: ignore[valid-type]
    group: Code  # type: ignore[valid-type]
    rater_id: ObjectId | None = Field(None, description="只退回该评分人的评分；不填则整组退回（匿名评分组只能整组）")  # type: ignore[valid-type]
    reason: text(500, min_length=1, description="退回重评原因（评分人能看到）")  # type: ignore[valid-type]


class RerateCancelIn(Schema):
    subject_id: ObjectId  # type: ignore[valid-type]
    group: Code  # type: ignore[valid-type]
    rater_id: ObjectId | None = None  # type: ignore[valid-type]


Action = Literal["open_scoring", "close_scoring", "compute", "publish", "start_rereview", "recompute", "republish"]
