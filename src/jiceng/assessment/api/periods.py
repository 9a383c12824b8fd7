"""A period: its ranking and its workflow (open, close, compute, publish, review) with what 公布 and 复核后公布
would publish, the next period, appeals and re-rating during a review, and 加减分 entries."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status

from jiceng.core.api_schemas import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Error, ObjectId, paginate, text
from jiceng.core.errors import NotFoundError

from .. import selectors, services, workflow
from ..compute import fmt
from ..models import PeriodSubject
from .common import _input_names, _subject, appeal_out, computation_out, period_out, router
from .schemas import (
    Action,
    AdjustmentIn,
    AdjustmentOut,
    AppealIn,
    AppealOut,
    AppealReplyIn,
    AppealRow,
    ComputationOut,
    CountOut,
    Date,
    PeriodFilter,
    PeriodOut,
    PeriodPage,
    PublishPreviewOut,
    RankingOut,
    RepublishPreviewOut,
    RerateCancelIn,
    RerateIn,
    TransitionIn,
    TransitionOut,
    WithdrawIn,
)


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


def _previewed_period(actor, pk: int, action: str):
    """The period whose 公布 / 复核后公布 is previewed, refused as its confirmation page refuses it: out of the
    caller's scope 404, not one of the scheme's managers 403 (``managed_period``), and a period the step cannot
    be taken from 400 ``state`` — the words and the status of posting the step itself (``workflow.check``)."""
    period = selectors.managed_period(actor, pk)
    workflow.check(period, actor, action)
    return period


def _figures(r) -> dict:
    return {"result_id": r.pk, "version_no": r.version_no, "total": format(r.total, "f"), "grade": r.grade,
            "rank": r.rank, "rank_of": r.rank_of}


def _flag_counts_out(flags: list[dict]) -> list[dict]:
    return [{"kind": str(f["kind"]), "label": str(f["label"]), "count": f["count"], "names": f["names"]} for f in flags]


@router.get("/periods/{id}/publish-preview", response={200: PublishPreviewOut, READ_ERRORS: Error},
            summary="公布预览",
            description="公布之前查看将公布什么（与“公布”确认页相同，只读，不写任何记录）：已计算的结果数、各等次人数、"
                        "按规则将产生的红榜、黑榜、建议调整、优先入编标记（计数和名单）和前 5 名。"
                        "仅方案管理者（否则 403；范围外的考核期 404）；考核期不是“已计算”时 400 state（与提交“公布”时相同）。")
def period_publish_preview(request, id: ObjectId):  # type: ignore[valid-type]
    actor = request.auth
    period = _previewed_period(actor, id, "publish")
    preview = selectors.period_publish_preview(actor, period)
    top = [{"result_id": row["result"].pk, "subject_id": row["result"].subject_id,
            "subject": row["result"].subject.display_name, "peer_group": row["result"].peer_group,
            "total": format(row["result"].total, "f"), "grade": row["result"].grade, "rank": row["result"].rank,
            "rank_of": row["result"].rank_of, "flags": [str(f) for f in row["flags"]]} for row in preview["top"]]
    return {"period": period_out(period, actor), "results": preview["results"],
            "grades": [{"grade": grade, "count": n} for grade, n in preview["grades"]],
            "flags": _flag_counts_out(preview["flags"]), "top": top}


@router.get("/periods/{id}/republish-preview", response={200: RepublishPreviewOut, READ_ERRORS: Error},
            summary="复核后公布预览",
            description="复核后公布之前查看将公布什么（与“复核后公布”确认页相同，只读，不写任何记录）：每个考核对象现在公布的"
                        "总分、等次、名次和将公布的（复核重算的新版本，没有则不变），有变化的标出 adjusted（总分或等次有调整）"
                        "或 rank（只是名次变化）；待复核的申诉各将得到的结果（调整或维持）和是否已单独填写复核意见；"
                        "重建后的结果运用标记；stale 列出按现在的记录计算与将公布的不同的考核对象（应先复核重算）；"
                        "refusal 说明现在复核后公布会被拒绝的原因（如退回重评的评分未提交）。"
                        "仅方案管理者（否则 403；范围外的考核期 404）；考核期不是“复核中”时 400 state（与提交“复核后公布”时相同）。")
def period_republish_preview(request, id: ObjectId):  # type: ignore[valid-type]
    actor = request.auth
    period = _previewed_period(actor, id, "republish")
    preview = selectors.period_republish_preview(actor, period)
    rows = [{"subject_id": row["subject"].pk, "subject": row["subject"].display_name,
             "peer_group": row["new"].peer_group, "old": _figures(row["old"]) if row["old"] is not None else None,
             "new": _figures(row["new"]), "change": row["change"]} for row in preview["rows"]]
    appeals = [{"id": a["appeal"].pk, "subject_id": a["appeal"].subject_id, "subject": a["appeal"].subject.display_name,
                "reason": a["appeal"].reason, "decision": a["appeal"].decision, "replied": a["replied"],
                "outcome": a["outcome"].value, "outcome_label": str(a["outcome"].label)} for a in preview["appeals"]]
    refusal = services.period_republish_refusal(period)
    return {"period": period_out(period, actor), "rows": rows, "changed": preview["changed"],
            "adjusted": preview["adjusted"], "appeals": appeals, "flags": _flag_counts_out(preview["flags"]),
            "stale": [{"subject_id": subject.pk, "subject": subject.display_name} for subject in preview["stale"]],
            "refusal": refusal.message if refusal is not None else None}


@router.post("/periods/{id}/transitions/{action}", response={200: TransitionOut, WRITE_ERRORS: Error},
             summary="考核期流程操作",
             description="open_scoring 开始评分（没有考核对象时 400 subjects；方案有评分人评的评分组而没有任何评分任务时"
                         " 400 assignments），close_scoring 结束评分，compute 计算（有评分人评的评分组没有一份已提交的评分时"
                         " 400 force，除非 force 为 true：这些评分组按 0 分计算），publish 公布，"
                         "start_rereview 复核，recompute 复核重算（须填 reason），republish 复核后公布（待复核的申诉"
                         "没有各自的复核意见时须填 decision，否则 400 decision；有退回重评未提交时 400 state）。"
                         "message 说明做了什么（按记录计数）。公布、复核后公布之前，可先用 GET …/periods/{id}/publish-preview、"
                         "GET …/periods/{id}/republish-preview 查看将公布的结果、等次、结果运用标记和申诉的答复（只读）。"
                         "考核对象达到后台计算的起点（默认 2000 个，JICENG_ASSESSMENT_BACKGROUND_FROM）时，compute 和 "
                         "recompute 在检查之后排入后台进行：computation 为这次后台计算，message 说明已开始；"
                         "用 GET …/periods/{id}/computation 查看进度和结果。后台计算完成前，本考核期的任何操作都返回 409 state。")
def period_transition(request, id: ObjectId, action: Action, payload: TransitionIn):  # type: ignore[valid-type]
    actor = request.auth
    done = services.period_transition(actor=actor, period=selectors.period_get(actor, id), action=action,
                                      reason=payload.reason, decision=payload.decision,
                                      published_on=payload.published_on, force=payload.force)
    return {**period_out(selectors.period_get(actor, id), actor), "message": done.message,
            "computation": computation_out(done.computation) if done.computation is not None else None}


@router.get("/periods/{id}/computation", response={200: ComputationOut, READ_ERRORS: Error},
            summary="考核期的后台计算",
            description="本考核期最近一次后台计算（计算或复核重算）：排队中、计算中（已算出多少个考核对象）、已完成（做了什么）"
                        "或未完成（原因）。仅方案管理者（否则 403；范围外的考核期 404）；从未排入后台计算时 404。")
def period_computation(request, id: ObjectId):  # type: ignore[valid-type]
    job = services.computation_latest(selectors.managed_period(request.auth, id))
    if job is None:
        raise NotFoundError(_("本考核期没有后台计算。"))
    return computation_out(job)


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
