"""Assessment API: schemes, periods and their ranking, explanations and history of results, a
rater's own assignments and ratings, 加减分 entries and the period workflow — and setting a round
up: a scheme from a shipped template, a period, its subjects (one, or a region's in bulk) and raters.

Parse, call the services and selectors, render. Every read goes through the selectors (data
scope: managers see the periods of their region subtree; raters only their own assignments; a
subject only its own published results).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from ninja import Field, Query, Router, Schema, Status

from jiceng.core.api_schemas import (
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Error,
    ObjectId,
    PageParams,
    bounded_date,
    bounded_decimal,
    lookup_or_404,
    paginate,
    strict_bool,
    text,
)
from jiceng.core.errors import ApplicationError, NotFoundError
from jiceng.regions.models import Region

from . import selectors, services, workflow
from .choices import PeriodType, SubjectType
from .compute import fmt
from .forms import candidate_label
from .models import AssessmentPeriod, AssessmentResult, AssessmentScheme, PeriodSubject, RaterAssignment
from .templates import TEMPLATES, scheme_from_template

router = Router(tags=["考核"])


Points = bounded_decimal(5, places=2, description="分值（0～99999.99，最多两位小数；数字或数字字符串）")
Code = text(32, min_length=1, pattern=r"^[0-9A-Za-z_-]{1,32}$", description="编码")
Note = text(500, description="说明")
CODE_KEYS_ONLY = {"additionalProperties": False}
Date = bounded_date(1900, 2100, "日期 YYYY-MM-DD")


# --- schemas ----------------------------------------------------------------------------------


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


class TransitionOut(PeriodOut):
    message: str = Field(..., description="做了什么，按记录计数（如“已复核重算：60 个结果中 3 个有变化……”）")


class PeriodPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PeriodOut]


class RankingRow(Schema):
    result_id: int
    subject_id: int
    subject: str
    peer_group: str
    total: str
    grade: str
    rank: int
    rank_of: int
    tied: bool = Field(..., description="与他人并列")
    flags: list[str] = Field(..., description="red 红榜、black 黑榜、adjust 连续等次建议调整、permanent 优先入编")
    published: bool
    version_no: int
    appeal_pending: bool = Field(..., description="复核中：该对象的申诉待复核，结果可能调整")
    reviewed: bool = Field(..., description="已复核调整：复核改变了该对象自己的总分或等次（与复核前的版本相比）")
    rank_moved: bool = Field(..., description="名次随复核变化：复核后公布了新版本，但只是名次（或参评数）随其他对象的"
                                              "调整而变，总分和等次未变")


class RankingOut(Schema):
    period: PeriodOut
    rows: list[RankingRow]


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


# --- rendering ----------------------------------------------------------------------------------


def scheme_out(s: AssessmentScheme) -> dict:
    return {"id": s.pk, "name": s.name, "subject_type": s.subject_type, "subject_type_label": s.get_subject_type_display(),
            "period_type": s.period_type, "period_type_label": s.get_period_type_display(),
            "region_id": s.region_id, "region_name": s.region.name, "description": s.description}


def period_out(p: AssessmentPeriod, actor) -> dict:
    return {"id": p.pk, "scheme_id": p.scheme_id, "scheme_name": p.scheme.name, "version": p.version.number,
            "label": p.label, "starts_on": p.starts_on, "ends_on": p.ends_on, "state": p.state,
            "state_label": p.get_state_display(), "published_on": p.published_on,
            "republished_on": selectors.period_republished_on(p),
            "actions": [t.action for t in workflow.available(p, actor)]}


def version_out(r: AssessmentResult) -> dict:
    return {"result_id": r.pk, "version_no": r.version_no, "current": r.current, "total": format(r.total, "f"),
            "grade": r.grade, "rank": r.rank, "rank_of": r.rank_of, "reason": r.reason,
            "published_at": r.published_at.isoformat() if r.published_at else None,
            "change": getattr(r, "change", "")}


def assignment_out(a: RaterAssignment) -> dict:
    rating = getattr(a, "rating", None)
    return {"id": a.pk, "period_id": a.period_id, "period": a.period.label, "period_state": a.period.state,
            "scheme_id": a.period.scheme_id, "scheme_name": a.period.scheme.name,
            "group": a.group.code, "group_name": a.group.name, "group_kind": a.group.kind,
            "subject_id": a.subject_id, "subject": a.subject.display_name,
            "rating_state": rating.state if rating else "",
            "score": None if rating is None or rating.score is None else fmt(rating.score),
            "answers": dict(rating.answers) if rating else {},
            "indicator_scores": {s.indicator.code: fmt(s.points)
                                 for s in rating.indicator_scores.select_related("indicator")} if rating else {},
            "note": rating.note if rating else "", "rerate_requested": a.rerate_requested_at is not None,
            "rerate_reason": a.rerate_reason}


def appeal_out(a) -> dict:
    return {"id": a.pk, "subject_id": a.subject_id, "subject": a.subject.display_name, "reason": a.reason,
            "state": a.state, "outcome": a.outcome, "status_label": a.status_label, "decision": a.decision,
            "filed_at": a.filed_at.isoformat(), "decided_at": a.decided_at.isoformat() if a.decided_at else None}


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _subject(period: AssessmentPeriod, pk: int) -> PeriodSubject:
    subject = period.subjects.filter(pk=pk).first()
    if subject is None:
        raise NotFoundError(_("考核对象（ID %(id)s）不属于本考核期。") % {"id": pk}, field="subject_id")
    return subject


# --- schemes ------------------------------------------------------------------------------------


@router.get("/schemes", response={200: SchemePage, LIST_ERRORS: Error}, summary="考核方案列表",
            description="调用者管辖区域内的考核方案。")
def scheme_list(request, params: Query[PageParams]):
    return paginate(selectors.scheme_list(request.auth).order_by("name", "pk"), params, scheme_out)


@router.get("/schemes/{id}", response={200: SchemeDetailOut, READ_ERRORS: Error}, summary="考核方案详情",
            description="方案及其各版本的评分组、指标、等次分档和规则。")
def scheme_detail(request, id: ObjectId):  # type: ignore[valid-type]
    scheme = selectors.scheme_get(request.auth, id)
    versions = [{"number": v.number, "frozen": v.frozen, **_jsonable(selectors.scheme_version_definition(v))}
                for v in scheme.versions.order_by("number")]
    return {**scheme_out(scheme), "versions": versions}


# --- periods ------------------------------------------------------------------------------------


@router.get("/periods", response={200: PeriodPage, LIST_ERRORS: Error}, summary="考核期列表",
            description="管辖区域内方案的考核期，以及调用者参与评分或被考核的考核期。")
def period_list(request, filters: Query[PeriodFilter]):
    qs = selectors.period_list(request.auth)
    if filters.scheme is not None:
        qs = qs.filter(scheme_id=filters.scheme)
    return paginate(qs, filters, lambda p: period_out(p, request.auth))


@router.get("/periods/{id}", response={200: PeriodOut, READ_ERRORS: Error}, summary="考核期详情")
def period_detail(request, id: ObjectId):  # type: ignore[valid-type]
    return period_out(selectors.period_get(request.auth, id), request.auth)


@router.get("/periods/{id}/ranking", response={200: RankingOut, READ_ERRORS: Error}, summary="考核期排名表",
            description="现行结果的总分、等次、名次（并列标出）和红黑榜、连续等次等标记；appeal_pending 标出申诉待复核"
                        "（结果可能调整）的，reviewed 标出复核改变了自己总分或等次的，rank_moved 标出只是名次随复核变化的。"
                        "管理者可看已计算未公布的结果；其他人只看已公布的、范围内的结果。")
def period_ranking(request, id: ObjectId):  # type: ignore[valid-type]
    period = selectors.period_get(request.auth, id)
    rows = [{"result_id": row["result"].pk, "subject_id": row["result"].subject_id,
             "subject": row["result"].subject.display_name, "peer_group": row["result"].peer_group,
             "total": format(row["result"].total, "f"), "grade": row["result"].grade, "rank": row["result"].rank,
             "rank_of": row["result"].rank_of, "tied": row["tied"], "flags": row["flags"],
             "published": row["result"].published_at is not None, "version_no": row["result"].version_no,
             "appeal_pending": row["appeal_pending"], "reviewed": row["reviewed"], "rank_moved": row["rank_moved"]}
            for row in selectors.period_ranking(request.auth, period)]
    return {"period": period_out(period, request.auth), "rows": rows}


@router.post("/periods/{id}/transitions/{action}", response={200: TransitionOut, WRITE_ERRORS: Error},
             summary="考核期流程操作",
             description="open_scoring 开始评分（没有考核对象时 400 subjects；方案有评分人评的评分组而没有任何评分任务时"
                         " 400 assignments），close_scoring 结束评分，compute 计算（有评分人评的评分组没有一份已提交的评分时"
                         " 400 force，除非 force 为 true：这些评分组按 0 分计算），publish 公布，"
                         "start_rereview 复核，recompute 复核重算（须填 reason），republish 复核后公布（待复核的申诉"
                         "没有各自的复核意见时须填 decision，否则 400 decision；有退回重评未提交时 400 state）。"
                         "message 说明做了什么（按记录计数）。")
def period_transition(request, id: ObjectId, action: Action, payload: TransitionIn):  # type: ignore[valid-type]
    actor = request.auth
    done = services.period_transition(actor=actor, period=selectors.period_get(actor, id), action=action,
                                      reason=payload.reason, decision=payload.decision,
                                      published_on=payload.published_on, force=payload.force)
    return {**period_out(selectors.period_get(actor, id), actor), "message": done.message}


class NextPeriodIn(Schema):
    label: text(100, description="名称（空则按周期自动命名，如“2026年第二季度”）") = ""  # type: ignore[valid-type]
    starts_on: Date | None = Field(None, description="开始日期（与结束日期同时填写；都不填则紧接本期按考核周期顺延）")  # type: ignore[valid-type]
    ends_on: Date | None = Field(None, description="结束日期")  # type: ignore[valid-type]


class NextPeriodOut(Schema):
    period: PeriodOut
    subjects: int = Field(..., description="带入的考核对象数")
    assignments: int = Field(..., description="带入的评分任务数")
    dropped_subjects: list[str] = Field(..., description="未带入的考核对象（已离岗、停用或不再符合）")
    dropped_raters: list[str] = Field(..., description="未带入的评分人（账号停用、评分组已取消或已不是互评对象）")


@router.post("/periods/{id}/next", response={201: NextPeriodOut, WRITE_ERRORS: Error}, summary="新建下一期",
             description="按方案最新版本新建一期（默认紧接本期、按考核周期顺延并自动命名），带入本期仍在的考核对象和评分任务。"
                         "与本方案已有考核期日期重叠时 400（重复提交不会建出第二期）。仅方案管理者。")
def period_next(request, id: ObjectId, payload: NextPeriodIn):  # type: ignore[valid-type]
    made = services.period_next(actor=request.auth, period=selectors.period_get(request.auth, id),
                                label=payload.label, starts_on=payload.starts_on, ends_on=payload.ends_on)
    return Status(201, {"period": period_out(made.period, request.auth), "subjects": made.subjects,
                        "assignments": made.assignments, "dropped_subjects": made.dropped_subjects,
                        "dropped_raters": made.dropped_raters})


@router.post("/periods/{id}/appeals", response={200: AppealOut, WRITE_ERRORS: Error}, summary="提出申诉",
             description="被考核人本人（或管理者代为）对已公布的结果提出申诉。该对象已有待复核的申诉时 400（subject_id），"
                         "不会重复提出。")
def appeal_create(request, id: ObjectId, payload: AppealIn):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.period_get(actor, id)
    with _input_names(subject="subject_id"):
        appeal = services.appeal_file(actor=actor, period=period, subject=_subject(period, payload.subject_id),
                                      reason=payload.reason)
    return {**appeal_out(appeal), "period": period_out(selectors.period_get(actor, id), actor)}


@router.post("/appeals/{id}/reply", response={200: AppealRow, WRITE_ERRORS: Error}, summary="填写复核意见",
             description="管理者答复一项待复核的申诉（可改写，直到复核后公布）；申诉人在复核后公布时看到。")
def appeal_reply(request, id: ObjectId, payload: AppealReplyIn):  # type: ignore[valid-type]
    actor = request.auth
    appeal = services.appeal_reply(actor=actor, appeal=selectors.appeal_get(actor, id), decision=payload.decision)
    return appeal_out(appeal)


@router.post("/periods/{id}/rerates", response={200: CountOut, WRITE_ERRORS: Error}, summary="退回重评",
             description="复核中，把申诉待复核的考核对象在一个评分组中的评分退回评分人重评（一人，或整组；匿名评分组只能整组，"
                         "否则 400 rater_id）。任务回到评分人的待评任务，提交后取消；未提交前不能复核后公布。count 为退回数。")
def rerate_request(request, id: ObjectId, payload: RerateIn):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.managed_period(actor, id)
    subject = _subject(period, payload.subject_id)
    with _input_names(subject="subject_id", rater="rater_id"):
        sent = services.assignment_rerate_request(actor=actor, period=period, subject=subject, group=payload.group,
                                                  rater=_subject_rater(subject, payload.rater_id), reason=payload.reason)
    return {"count": len(sent)}


@router.post("/periods/{id}/rerates/cancel", response={200: CountOut, WRITE_ERRORS: Error}, summary="撤回退回重评",
             description="撤回尚未提交的退回重评（评分人无法重评时），原评分不变。count 为撤回数。")
def rerate_cancel(request, id: ObjectId, payload: RerateCancelIn):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.managed_period(actor, id)
    subject = _subject(period, payload.subject_id)
    with _input_names(subject="subject_id", rater="rater_id"):
        count = services.assignment_rerate_cancel(actor=actor, period=period, subject=subject, group=payload.group,
                                                  rater=_subject_rater(subject, payload.rater_id))
    return {"count": count}


def _subject_rater(subject: PeriodSubject, rater_id: int | None):
    if rater_id is None:
        return None
    found = subject.assignments.filter(rater_id=rater_id).select_related("rater").first()
    if found is None:
        raise NotFoundError(_("评分人（ID %(id)s）没有评该考核对象的任务。") % {"id": rater_id}, field="rater_id")
    return found.rater


@router.post("/periods/{id}/adjustments", response={200: AdjustmentOut, WRITE_ERRORS: Error}, summary="登记加减分",
             description="管理者在评分中（或复核中对申诉对象）登记一条加分或减分。")
def adjustment_create(request, id: ObjectId, payload: AdjustmentIn):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.period_get(actor, id)
    adj = services.adjustment_record(actor=actor, period=period, subject=_subject(period, payload.subject_id),
                                     indicator=payload.indicator, points=payload.points, note=payload.note,
                                     evidence_ref=payload.evidence_ref)
    return {"id": adj.pk, "subject_id": adj.subject_id, "indicator": adj.indicator.code,
            "points": fmt(adj.points), "note": adj.note, "withdrawn": False}


@router.post("/periods/{id}/adjustments/{adjustment_id}/withdraw", response={200: AdjustmentOut, WRITE_ERRORS: Error},
             summary="撤销加减分", description="撤销的条目保留并标记，不再计入。")
def adjustment_withdraw(request, id: ObjectId, adjustment_id: ObjectId, payload: WithdrawIn):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.period_get(actor, id)
    adj = period.adjustments.filter(pk=adjustment_id).first()
    if adj is None:
        raise NotFoundError(_("加减分条目（ID %(id)s）不属于本考核期。") % {"id": adjustment_id},
                            field="adjustment_id")
    adj = services.adjustment_withdraw(actor=actor, adjustment=adj, reason=payload.reason)
    return {"id": adj.pk, "subject_id": adj.subject_id, "indicator": adj.indicator.code,
            "points": fmt(adj.points), "note": adj.note, "withdrawn": True}


# --- results ------------------------------------------------------------------------------------


@router.get("/results/{id}/explain", response={200: dict[str, Any], READ_ERRORS: Error}, summary="得分说明",
            description="一个得分背后的一切：各指标原始输入、评分组小计与权重、加减分、逐行算式、等次和名次，"
                        "以及按存档输入重算的核对结果（verified）。匿名组不含评分人。")
def result_explain(request, id: ObjectId):  # type: ignore[valid-type]
    result = selectors.result_get(request.auth, id)
    return _jsonable(selectors.result_explain(request.auth, result))


@router.get("/results/{id}/appeals", response={200: list[AppealRow], READ_ERRORS: Error}, summary="申诉与复核意见",
            description="该结果的考核对象在本期的申诉：状态（待复核、已复核：维持、已复核：调整）和复核意见。"
                        "被考核人本人和管理者可看；复核意见在复核后公布前只有管理者能看到。")
def result_appeals(request, id: ObjectId):  # type: ignore[valid-type]
    result = selectors.result_get(request.auth, id)
    return [appeal_out(a) for a in selectors.subject_appeals(request.auth, result.subject)]


@router.get("/results/{id}/history", response={200: list[ResultVersionOut], READ_ERRORS: Error},
            summary="得分版本历史", description="同一考核对象在该考核期的全部结果版本（含申诉复核后被取代的版本）。")
def result_history(request, id: ObjectId):  # type: ignore[valid-type]
    result = selectors.result_get(request.auth, id)
    return [version_out(r) for r in selectors.result_history(request.auth, result)]


# --- rater assignments ------------------------------------------------------------------------


@router.get("/assignments", response={200: AssignmentPage, LIST_ERRORS: Error}, summary="我的评分任务",
            description="只列出调用者本人的评分任务。status=todo（默认）待评：评分中未提交的，以及复核中被退回重评的"
                        "（rerate_requested）——与页面“我的评分任务”的计数相同；status=done 已提交或评分已结束的；"
                        "status=all 两者。草稿考核期（尚未开始评分）的任务都不列出。")
def assignment_list(request, filters: Query[AssignmentFilter]):
    qs = selectors.rater_tasks(request.auth, filters.status).order_by("-period__starts_on", "group__order",
                                                                     "subject__display_name", "pk")
    if filters.period is not None:
        qs = qs.filter(period_id=filters.period)
    return paginate(qs, filters, assignment_out)


@router.post("/assignments/{id}/rating", response={200: AssignmentOut, WRITE_ERRORS: Error},
             summary="保存或提交评分", description="submit=false 保存草稿；submit=true 提交，提交后不能修改。")
def rating_save(request, id: ObjectId, payload: RatingIn):  # type: ignore[valid-type]
    actor = request.auth
    assignment = selectors.assignment_get(actor, id)
    services.rating_save(
        actor=actor, period=assignment.period, group=assignment.group, subject=assignment.subject,
        score=payload.score, answers=dict(payload.answers) or None,
        indicator_scores={k: v.model_dump() for k, v in payload.indicator_scores.items()} or None,
        note=payload.note, evidence_ref=payload.evidence_ref, submit=payload.submit)
    return assignment_out(selectors.assignment_get(actor, id))


# --- setting up a round: a scheme from a template, a period, subjects, raters -------------------

TemplateKey = Literal[tuple(TEMPLATES)]  # type: ignore[valid-type]
PeerGroup = text(64, description="排名组（同组内排名、互评；空则全部为一组）")
SubjectIds = Field(default_factory=list, max_length=1000,
                   description="考核对象 ID（本考核期的考核对象，见考核对象列表的 id）；空则为本期全部考核对象（不评自己）")


@contextmanager
def _input_names(**names: str):
    """A service names its own argument (``region``); the caller sent ``region_id``: say that one."""
    try:
        yield
    except ApplicationError as exc:
        if exc.field in names:
            exc.field = names[exc.field]
        raise


class TemplateOut(Schema):
    key: str = Field(..., description="模板编码，新建方案时填 template")
    name: str = Field(..., description="方案默认名称")
    subject_type: str
    subject_type_label: str
    period_type: str
    period_type_label: str
    summary: str = Field(..., description="评分组、权重和等次规则的简述")


class SchemeIn(Schema):
    template: TemplateKey = Field(..., description="方案模板：" + "；".join(  # type: ignore[valid-type]
        f"{t.key}={t.name}" for t in TEMPLATES.values()))
    region_id: ObjectId = Field(..., description="方案所属区域（市、区县、街道/乡镇或社区/村，须在调用者管辖范围内）")  # type: ignore[valid-type]
    name: text(100, description="方案名称（空则用模板名称）") = ""  # type: ignore[valid-type]


class PeriodIn(Schema):
    label: text(100, description="名称（空则按周期自动命名，如“2026年第二季度”）") = ""  # type: ignore[valid-type]
    starts_on: Date | None = Field(None, description="开始日期（与结束日期同时填写；都不填则取今天所在的这一期，方案已有考核期时取最后一期的下一期）")  # type: ignore[valid-type]
    ends_on: Date | None = Field(None, description="结束日期")  # type: ignore[valid-type]


class SubjectOut(Schema):
    id: int = Field(..., description="考核对象在本考核期的 ID（评分任务、加减分、移除时用）")
    subject_type: str
    subject_id: int = Field(..., description="被考核的网格员、账号、区域、单位或部门的 ID")
    display_name: str
    peer_group: str
    user_id: int | None = Field(..., description="考核对象本人的账号（互评、申诉）")
    assignments: int = Field(..., description="评该对象的评分任务数")
    ratings: int = Field(..., description="已保存的评分数（有评分的不能移除）")


class SubjectPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SubjectOut]


class CandidateOut(Schema):
    subject_id: int = Field(..., description="添加时填的 subject_id")
    name: str = Field(..., description="名称（所在区域）")
    in_period: bool = Field(..., description="已在本考核期")


class CandidatePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CandidateOut]


class CandidateFilter(PageParams):
    region: ObjectId | None = Field(None, description="只列该区域内的（须在方案的组织区域内）")  # type: ignore[valid-type]


class SubjectIn(Schema):
    subject_id: ObjectId = Field(..., description="被考核对象的 ID（见可添加的考核对象）")  # type: ignore[valid-type]
    peer_group: PeerGroup = ""  # type: ignore[valid-type]


class BulkIn(Schema):
    region_id: ObjectId = Field(..., description="区域：添加其中全部符合条件的考核对象，已在本期的跳过")  # type: ignore[valid-type]
    peer_group: PeerGroup = ""  # type: ignore[valid-type]


class BulkOut(Schema):
    added: list[SubjectOut]
    skipped: int = Field(..., description="已在本期、跳过的个数")


class RaterOut(Schema):
    rater_id: int
    rater: str
    username: str
    subjects: int = Field(..., description="评几个考核对象")
    ratings: int = Field(..., description="已保存的评分数（有评分的不能移除）")


class RaterGroupOut(Schema):
    code: str
    name: str
    kind: str
    weight: str
    peer: bool
    anonymous: bool
    raters: list[RaterOut]


class RaterIn(Schema):
    group: Code  # type: ignore[valid-type]
    rater_id: ObjectId = Field(..., description="评分人账号 ID（调用者管辖范围内的工作人员、部门工作人员或网格员）")  # type: ignore[valid-type]
    subject_ids: list[ObjectId] = SubjectIds  # type: ignore[valid-type]


class RaterAddOut(Schema):
    group: str
    rater_id: int
    subject_ids: list[int] = Field(..., description="该评分人在该组评的考核对象（本次请求的）")


class PeerIn(Schema):
    group: Code  # type: ignore[valid-type]


class RaterRemoveIn(Schema):
    group: Code  # type: ignore[valid-type]
    rater_id: ObjectId  # type: ignore[valid-type]
    subject_ids: list[ObjectId] = Field(default_factory=list, max_length=1000,  # type: ignore[valid-type]
                                        description="只移除评这些考核对象的任务；空则移除该评分人在该组的全部任务")


def subject_out(s: PeriodSubject) -> dict:
    return {"id": s.pk, "subject_type": s.subject_type, "subject_id": s.subject_id, "display_name": s.display_name,
            "peer_group": s.peer_group, "user_id": s.user_id,
            "assignments": getattr(s, "assignment_count", 0), "ratings": getattr(s, "rating_count", 0)}


def _period_subjects(period: AssessmentPeriod, ids: list[int], field: str) -> list[PeriodSubject]:
    found = {s.pk: s for s in period.subjects.filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFoundError(_("考核对象（ID %(id)s）不属于本考核期。") % {"id": missing[0]}, field=field)
    return [found[i] for i in dict.fromkeys(ids)]


@router.get("/templates", response={200: list[TemplateOut], LIST_ERRORS: Error}, summary="方案模板",
            description="随平台提供的考核方案模板（集贤社区工作者、张家口社区书记、物业三方）：考核对象类型、考核周期和规则。")
def template_list(request):
    return [{"key": t.key, "name": t.name, "subject_type": t.subject_type,
             "subject_type_label": str(SubjectType(t.subject_type).label), "period_type": t.period_type,
             "period_type_label": str(PeriodType(t.period_type).label), "summary": str(t.summary)}
            for t in TEMPLATES.values()]


@router.post("/schemes", response={201: SchemeOut, WRITE_ERRORS: Error}, summary="从模板新建考核方案",
             description="按模板新建方案（考核对象类型、考核周期和规则来自模板），属于调用者管辖范围内的一个区域；"
                         "区域不在范围内 404，不是区县工作人员、街道/乡镇或社区/村工作人员 403，网格 400（region_id）。")
def scheme_create(request, payload: SchemeIn):
    actor = request.auth
    region = lookup_or_404(Region.objects.all(), actor, payload.region_id, field="region_id",
                           label=pgettext("record type", "区域"))
    with _input_names(region="region_id"):
        scheme = scheme_from_template(actor=actor, template=payload.template, region=region, name=payload.name)
    return Status(201, scheme_out(scheme))


@router.post("/schemes/{id}/periods", response={201: PeriodOut, WRITE_ERRORS: Error}, summary="新建考核期",
             description="方案的一个新考核期（草稿，用方案最新版本），不带入任何对象；默认为今天所在的这一期（方案已有考核期时为最后一期的下一期）并按周期命名"
                         "（如“2026年第二季度”）。与本方案已有考核期日期重叠时 400（starts_on）。仅方案管理者。")
def period_create(request, id: ObjectId, payload: PeriodIn):  # type: ignore[valid-type]
    actor = request.auth
    period = services.period_start(actor=actor, scheme=selectors.scheme_get(actor, id), label=payload.label,
                                   starts_on=payload.starts_on, ends_on=payload.ends_on)
    return Status(201, period_out(period, actor))


@router.delete("/periods/{id}", response={204: None, WRITE_ERRORS: Error}, summary="删除考核期",
               description="删除误建的考核期及其考核对象和评分任务，记入审计日志。只有草稿（开始评分前）可以，且不能有评分、"
                           "加减分、结果或申诉，也不能是别的考核期折算的平时考核：否则 400（state）。仅方案管理者（可新建考核期的人）。")
def period_delete(request, id: ObjectId):  # type: ignore[valid-type]
    actor = request.auth
    services.period_delete(actor=actor, period=selectors.managed_period(actor, id))
    return Status(204, None)


@router.get("/periods/{id}/subjects", response={200: SubjectPage, LIST_ERRORS: Error}, summary="考核期的考核对象",
            description="本期全部考核对象，含评分任务数和已保存评分数。仅方案管理者（其他人 403）。")
def subject_list(request, id: ObjectId, params: Query[PageParams]):  # type: ignore[valid-type]
    period = selectors.managed_period(request.auth, id)
    return paginate(selectors.period_subject_rows(request.auth, period), params, subject_out)


@router.get("/periods/{id}/subjects/candidates", response={200: CandidatePage, LIST_ERRORS: Error},
            summary="可添加的考核对象",
            description="方案组织区域内（可再限定到一个区域）符合方案考核对象类型的对象：在岗网格员、在用的社区/村工作人员账号、"
                        "社区/村、街道/乡镇、物业服务企业或部门，并标出已在本期的。仅方案管理者。")
def candidate_list(request, id: ObjectId, filters: Query[CandidateFilter]):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.managed_period(actor, id)
    region = lookup_or_404(Region.objects.all(), actor, filters.region, field="region",
                           label=pgettext("record type", "区域"))
    present = set(period.subjects.values_list("subject_id", flat=True))
    return paginate(selectors.subject_candidates(actor, period.scheme, region), filters,
                    lambda o: {"subject_id": o.pk, "name": candidate_label(o), "in_period": o.pk in present})


@router.post("/periods/{id}/subjects", response={201: SubjectOut, WRITE_ERRORS: Error}, summary="添加一个考核对象",
             description="subject_id 为可添加的考核对象之一（方案组织区域内、符合考核对象类型）；不在其中 404，已在本期 400"
                         "（subject_id），评分结束后 400（state）。仅方案管理者。")
def subject_add(request, id: ObjectId, payload: SubjectIn):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.managed_period(actor, id)
    obj = selectors.subject_candidates(actor, period.scheme).filter(pk=payload.subject_id).first()
    if obj is None:
        raise NotFoundError(_("考核对象（ID %(id)s）不存在、不符合方案，或不在方案的组织区域内。") % {
            "id": payload.subject_id}, field="subject_id")
    with _input_names(subject="subject_id"):
        subject = services.period_subject_add(actor=actor, period=period, obj=obj, peer_group=payload.peer_group)
    return Status(201, subject_out(subject))


@router.post("/periods/{id}/subjects/bulk", response={200: BulkOut, WRITE_ERRORS: Error}, summary="按区域批量添加考核对象",
             description="添加区域内全部符合条件的考核对象（同“可添加的考核对象”），已在本期的跳过并计数。区域不在调用者管辖范围内 404，"
                         "不在方案的组织区域内 400（region_id）。仅方案管理者。")
def subjects_bulk(request, id: ObjectId, payload: BulkIn):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.managed_period(actor, id)
    region = lookup_or_404(Region.objects.all(), actor, payload.region_id, field="region_id",
                           label=pgettext("record type", "区域"))
    with _input_names(region="region_id"):
        made = services.period_subjects_add_bulk(actor=actor, period=period, region=region,
                                                 peer_group=payload.peer_group)
    return {"added": [subject_out(s) for s in made.added], "skipped": made.skipped}


@router.delete("/periods/{id}/subjects/{subject_id}", response={204: None, WRITE_ERRORS: Error},
               summary="移除考核对象",
               description="移除误加的考核对象及其评分任务（互评组中它评别人的任务也一并移除），记入审计日志。"
                           "只在草稿（开始评分前）可以；已有评分、加减分、结果或申诉的对象 400（state），不会删除任何已保存的内容。")
def subject_remove(request, id: ObjectId, subject_id: ObjectId):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.managed_period(actor, id)
    subject = _period_subjects(period, [subject_id], "subject_id")[0]
    services.period_subject_remove(actor=actor, period=period, subject=subject)
    return Status(204, None)


@router.get("/periods/{id}/raters", response={200: list[RaterGroupOut], LIST_ERRORS: Error}, summary="考核期的评分人",
            description="按评分组列出评分人、各评几个考核对象、已保存几条评分。仅方案管理者。")
def rater_list(request, id: ObjectId):  # type: ignore[valid-type]
    period = selectors.managed_period(request.auth, id)
    return [{"code": g["group"].code, "name": g["group"].name, "kind": g["group"].kind,
             "weight": fmt(g["group"].weight), "peer": g["group"].peer, "anonymous": g["group"].anonymous,
             "raters": [{"rater_id": r["rater"].pk, "rater": str(r["rater"]), "username": r["rater"].username,
                         "subjects": r["subjects"], "ratings": r["ratings"]} for r in g["raters"]]}
            for g in selectors.period_rater_rows(request.auth, period)]


@router.post("/periods/{id}/raters", response={201: RaterAddOut, WRITE_ERRORS: Error}, summary="添加评分人",
             description="让一个评分人在一个评分组中评若干考核对象（不填 subject_ids 则评本期全部，不评自己）；已有的不重复。"
                         "评分人不在调用者管辖范围内 404（rater_id）；评分结束后 400（state）。仅方案管理者。")
def rater_add(request, id: ObjectId, payload: RaterIn):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.managed_period(actor, id)
    rater = selectors.rater_candidates(actor).filter(pk=payload.rater_id).first()
    if rater is None:
        raise NotFoundError(_("评分人（ID %(id)s）不存在，或不在您的管辖范围内。") % {"id": payload.rater_id},
                            field="rater_id")
    subjects = _period_subjects(period, payload.subject_ids, "subject_ids") if payload.subject_ids else None
    with _input_names(rater="rater_id", subjects="subject_ids"):
        made = services.assignment_create(actor=actor, period=period, group=payload.group, rater=rater,
                                          subjects=subjects)
    return Status(201, {"group": payload.group, "rater_id": rater.pk, "subject_ids": [a.subject_id for a in made]})


@router.post("/periods/{id}/raters/peers", response={201: CountOut, WRITE_ERRORS: Error}, summary="生成互评任务",
             description="互评组：每个有账号的考核对象评同一排名组的其他对象，不评自己；已有的不重复。count 为该组的互评任务数。"
                         "仅方案管理者。")
def raters_peers(request, id: ObjectId, payload: PeerIn):  # type: ignore[valid-type]
    actor = request.auth
    made = services.peer_assignments_create(actor=actor, period=selectors.managed_period(actor, id), group=payload.group)
    return Status(201, {"count": len(made)})


@router.post("/periods/{id}/raters/remove", response={200: CountOut, WRITE_ERRORS: Error}, summary="移除评分人",
             description="移除误加的评分人在一个评分组中的评分任务（全部，或只评 subject_ids 的），记入审计日志；count 为移除数。"
                         "只在草稿（开始评分前）可以；已保存评分的 400（state）。仅方案管理者。")
def rater_remove(request, id: ObjectId, payload: RaterRemoveIn):  # type: ignore[valid-type]
    actor = request.auth
    period = selectors.managed_period(actor, id)
    found = period.assignments.filter(rater_id=payload.rater_id).select_related("rater").first()
    if found is None:
        raise NotFoundError(_("评分人（ID %(id)s）在本考核期没有评分任务。") % {"id": payload.rater_id},
                            field="rater_id")
    subjects = _period_subjects(period, payload.subject_ids, "subject_ids") if payload.subject_ids else None
    with _input_names(rater="rater_id", subjects="subject_ids"):
        count = services.assignment_remove(actor=actor, period=period, group=payload.group, rater=found.rater,
                                           subjects=subjects)
    return {"count": count}
