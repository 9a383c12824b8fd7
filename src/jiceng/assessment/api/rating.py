"""A rater's own assignments, and saving or submitting a rating."""

from __future__ import annotations

from ninja import Query

from jiceng.core.api_schemas import LIST_ERRORS, WRITE_ERRORS, Error, ObjectId, paginate

from .. import selectors, services
from .common import assignment_out, router
from .schemas import AssignmentFilter, AssignmentOut, AssignmentPage, RatingIn


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
