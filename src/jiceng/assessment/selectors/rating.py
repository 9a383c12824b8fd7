"""The raters' side: an actor's own rating tasks (never other raters' work), and for the scheme's managers
the score sheets of a period — which groups raters score, and which sheets are still missing."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from jiceng.core.errors import NotFoundError
from jiceng.core.scope import is_active_account

from .. import workflow
from ..models import AssessmentPeriod, RaterAssignment


def rater_assignments(actor, period: AssessmentPeriod | None = None) -> QuerySet[RaterAssignment]:
    """Only the actor's own tasks: a rater never sees other raters' work."""
    if not is_active_account(actor):
        return RaterAssignment.objects.none()
    qs = RaterAssignment.objects.filter(rater=actor).select_related("group", "subject", "period__scheme", "rating")
    return qs.filter(period=period) if period is not None else qs


def rater_todo(actor) -> QuerySet[RaterAssignment]:
    """The actor's tasks still to do (what 我的评分任务 counts): not submitted, in periods open for rating;
    and, while a period is re-reviewed, those a manager sent back to be scored again (退回重评)."""
    from django.db.models import Q

    from ..choices import RatingState

    scoring = Q(period__state__in=workflow.RATING_STATES) & ~Q(rating__state=RatingState.SUBMITTED)
    rerate = Q(period__state__in=workflow.APPEAL_CORRECTION_STATES, rerate_requested_at__isnull=False)
    return rater_assignments(actor).filter(scoring | rerate)


def rater_done(actor) -> QuerySet[RaterAssignment]:
    """The actor's other tasks of periods past their draft: submitted, or no longer open for rating —
    still readable, not counted as to-dos. Tasks of draft periods (not yet open) are neither."""
    from ..choices import PeriodState

    return (rater_assignments(actor).exclude(period__state=PeriodState.DRAFT)
            .exclude(pk__in=rater_todo(actor).values("pk")))


def rater_tasks(actor, status: str = "todo") -> QuerySet[RaterAssignment]:
    """我的评分任务 by status: ``todo`` (``rater_todo``), ``done`` (``rater_done``) or ``all`` — both, which
    is every task of the actor's periods past their draft."""
    from ..choices import PeriodState

    if status == "todo":
        return rater_todo(actor)
    if status == "done":
        return rater_done(actor)
    return rater_assignments(actor).exclude(period__state=PeriodState.DRAFT)


def assignment_get(actor, pk: int) -> RaterAssignment:
    assignment = rater_assignments(actor).filter(pk=pk).first()
    if assignment is None:
        raise NotFoundError(_("未找到该评分任务，或它不是您的任务。"))
    return assignment


def rater_scored_groups(period: AssessmentPeriod) -> list:
    """The groups of the period's scheme version that raters score: a questionnaire, a single score, or
    indicators of which at least one leaf is scored by hand (an all-automatic group needs no rater)."""
    from ..choices import GroupKind, IndicatorKind
    from ..models import Indicator

    manual = set(Indicator.objects.filter(version=period.version, kind=IndicatorKind.MANUAL,
                                          children__isnull=True).values_list("group_id", flat=True))
    return [g for g in period.version.groups.order_by("order", "id")
            if g.kind != GroupKind.INDICATORS or g.pk in manual]


def unrated_groups(period: AssessmentPeriod) -> list:
    """The groups raters score (``rater_scored_groups``) without a single submitted score sheet in the
    period — no task, or none submitted: every subject scores 0 there. 结束评分's page warns of them;
    计算 waits for the manager's explicit word (``services.period_compute_refusal``)."""
    from ..choices import RatingState
    from ..models import Rating

    submitted = set(Rating.objects.filter(assignment__period=period, state=RatingState.SUBMITTED)
                    .values_list("assignment__group_id", flat=True))
    return [g for g in rater_scored_groups(period) if g.pk not in submitted]


def period_open_summary(actor, period: AssessmentPeriod) -> dict:
    """开始评分's confirmation, for the scheme's managers: the period's subjects and rating tasks, each
    group scored by raters with its tasks and raters — those with none are named, as every subject would
    score 0 there."""
    from django.db.models import Count

    if not workflow.is_manager(actor, period.scheme):
        return {"subjects": 0, "assignments": 0, "groups": [], "idle": []}
    counts = {c["group_id"]: c for c in period.assignments.values("group_id").annotate(
        tasks=Count("id"), raters=Count("rater_id", distinct=True)).order_by()}
    groups = [{"group": g, "tasks": counts.get(g.pk, {}).get("tasks", 0), "raters": counts.get(g.pk, {}).get("raters", 0)}
              for g in rater_scored_groups(period)]
    return {"subjects": period.subjects.count(), "assignments": period.assignments.count(), "groups": groups,
            "idle": [row["group"] for row in groups if not row["tasks"]]}


def period_missing_sheets(actor, period: AssessmentPeriod) -> dict:
    """结束评分's warning, for the scheme's managers: of the period's rater × subject score sheets (its
    assignments), those not submitted — none saved, or a draft, which computing does not count — in all
    and by group and rater."""
    from django.db.models import Count

    from jiceng.people.models import User

    from ..choices import RatingState

    if not workflow.is_manager(actor, period.scheme):
        return {"sheets": 0, "missing": 0, "drafts": 0, "rows": []}
    open_sheets = (period.assignments.exclude(rating__state=RatingState.SUBMITTED)
                   .values("group_id", "rater_id").annotate(missing=Count("id"), drafts=Count("rating")).order_by())
    counts = list(open_sheets)
    groups = {g.pk: g for g in period.version.groups.all()}
    users = User.objects.in_bulk({c["rater_id"] for c in counts})
    rows = sorted(({"group": groups[c["group_id"]], "rater": users[c["rater_id"]], "missing": c["missing"],
                    "drafts": c["drafts"]} for c in counts),
                  key=lambda r: (r["group"].order, r["group"].pk, str(r["rater"]), r["rater"].pk))
    return {"sheets": period.assignments.count(), "missing": sum(c["missing"] for c in counts),
            "drafts": sum(c["drafts"] for c in counts), "rows": rows}
