"""The assessment router, and the renderings and lookups that several groups of endpoints share."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Router

from jiceng.core.errors import ApplicationError, NotFoundError

from .. import selectors, services, workflow
from ..compute import fmt
from ..models import (
    AssessmentPeriod,
    AssessmentResult,
    AssessmentScheme,
    PeriodComputation,
    PeriodSubject,
    RaterAssignment,
)

router = Router(tags=["考核"])


def scheme_out(s: AssessmentScheme) -> dict:
    return {"id": s.pk, "name": s.name, "subject_type": s.subject_type, "subject_type_label": s.get_subject_type_display(),
            "period_type": s.period_type, "period_type_label": s.get_period_type_display(),
            "region_id": s.region_id, "region_name": s.region.name, "description": s.description}


def period_out(p: AssessmentPeriod, actor) -> dict:
    return {"id": p.pk, "scheme_id": p.scheme_id, "scheme_name": p.scheme.name, "version": p.version.number,
            "label": p.label, "starts_on": p.starts_on, "ends_on": p.ends_on, "state": p.state,
            "state_label": p.get_state_display(), "published_on": p.published_on,
            "republished_on": selectors.period_republished_on(p),
            # none while a 计算 / 复核重算 of it runs in the background (each would be refused, 409)
            "actions": [] if services.period_busy(p) else [t.action for t in workflow.available(p, actor)]}


def computation_out(job: PeriodComputation) -> dict:
    return {"id": job.pk, "action": job.action, "action_label": job.get_action_display(), "status": job.status,
            "status_label": job.get_status_display(), "stale": job.is_stale(), "subjects": job.subjects,
            "done": job.done, "requested_by": job.requested_by.username, "requested_at": job.requested_at,
            "started_at": job.started_at, "finished_at": job.finished_at, "message": job.message}


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


@contextmanager
def _input_names(**names: str):
    """A service names its own argument (``region``); the caller sent ``region_id``: say that one."""
    try:
        yield
    except ApplicationError as exc:
        if exc.field in names:
            exc.field = names[exc.field]
        raise
