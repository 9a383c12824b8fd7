"""Periods for the pages and the API: those the actor may see, one period (or one they manage), what a
period holds and its 加分/减分 entries."""

from __future__ import annotations

from datetime import date

from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.errors import NotFoundError
from jiceng.core.scope import is_active_account, scope_q

from .. import workflow
from ..models import AssessmentPeriod, AssessmentScheme


def period_list(actor) -> QuerySet[AssessmentPeriod]:
    """Periods of schemes in the actor's scope, plus those the actor rates in or is assessed in."""
    from django.db.models import Q

    if not is_active_account(actor):
        return AssessmentPeriod.objects.none()
    q = Q(assignments__rater=actor) | Q(subjects__user=actor)
    scoped = scope_q(AssessmentPeriod, actor)
    if scoped is not None:
        q |= scoped
    ids = AssessmentPeriod.objects.filter(q).values("pk")
    return (AssessmentPeriod.objects.filter(pk__in=ids).select_related("scheme__region", "version")
            .annotate(republished_at=Max("appeals__decided_at")).order_by("-starts_on", "-pk"))


def period_republished_on(period: AssessmentPeriod) -> date | None:
    """The day of the period's latest 复核后公布 (None before any): ``published_on`` keeps the first
    publication's date (红黑榜 are dated by it); each 复核后公布 resolves the open appeals at that moment
    (``Appeal.decided_at``). Read from ``period_list``'s annotation when there."""
    if hasattr(period, "republished_at"):
        at = period.republished_at
    else:
        at = period.appeals.aggregate(at=Max("decided_at"))["at"]
    return timezone.localtime(at).date() if at is not None else None


def period_get(actor, pk: int) -> AssessmentPeriod:
    period = period_list(actor).filter(pk=pk).first()
    if period is None:
        raise NotFoundError(_("未找到该考核期，或您无权查看。"))
    return period


def managed_period(actor, pk: int) -> AssessmentPeriod:
    """A period the actor may see (else 404) of a scheme they manage (else 403): what setting up a
    round, 加减分 and 新建下一期 need, on pages and in the API alike."""
    period = period_get(actor, pk)
    workflow.require_manager(actor, period.scheme)
    return period


def published_periods(scheme: AssessmentScheme) -> list[AssessmentPeriod]:
    """A scheme's periods with published results, oldest first (what a cumulative ranking sums)."""
    return list(scheme.periods.filter(state__in=workflow.PUBLISHED_STATES).order_by("starts_on", "id"))


def period_contents(period: AssessmentPeriod) -> dict[str, int]:
    """What a period holds: its subjects and rater assignments (which go with a deleted draft) and the
    saved records that forbid deleting it (its 删除 page, ``services.period_delete_refusal``)."""
    from ..models import Rating

    return {"subjects": period.subjects.count(), "assignments": period.assignments.count(),
            "ratings": Rating.objects.filter(assignment__period=period).count(),
            "adjustments": period.adjustments.count(), "results": period.results.count(),
            "appeals": period.appeals.count()}


def adjustment_items(period: AssessmentPeriod) -> QuerySet:
    """The period's 加分/减分 items (leaves of its scheme version) an entry may be recorded against."""
    from ..choices import IndicatorKind

    return period.version.indicators.filter(children__isnull=True,
                                            kind__in=[IndicatorKind.BONUS, IndicatorKind.DEDUCTION]).order_by("code")


def period_adjustments(actor, period: AssessmentPeriod) -> QuerySet:
    """Every 加分/减分 entry of a period, newest first, withdrawn ones included (managers only)."""
    if not workflow.is_manager(actor, period.scheme):
        return period.adjustments.none()
    return (period.adjustments.select_related("subject", "indicator", "recorded_by", "withdrawn_by")
            .order_by("-recorded_at", "-id"))
