"""Results across subjects: a period's ranking table and flags, a scheme's cumulative ranking (积分排名),
and the actor's own results as the person assessed."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import QuerySet

from jiceng.core.scope import is_active_account, restrict

from .. import workflow
from ..choices import AppealState
from ..compute import competition_ranks
from ..models import Appeal, AssessmentPeriod, AssessmentResult, AssessmentScheme, ResultFlag
from .results import ADJUSTED, RANK_ONLY, _can_view, period_results, review_changes


def period_flags(actor, period: AssessmentPeriod, kind: str | None = None) -> QuerySet[ResultFlag]:
    qs = restrict(ResultFlag.objects.filter(period=period).select_related("subject")
                  .prefetch_related("results"), actor)
    return qs.filter(kind=kind) if kind else qs


def cumulative_ranking(actor, scheme: AssessmentScheme, periods: list[AssessmentPeriod] | None = None) -> list[dict]:
    """积分排名: sum of current published totals over periods, competition-ranked."""
    qs = AssessmentResult.objects.filter(period__scheme=scheme, current=True, published_at__isnull=False)
    if periods is not None:
        qs = qs.filter(period__in=periods)
    qs = restrict(qs.select_related("subject", "period").order_by("period__starts_on"), actor)
    sums: dict[tuple, dict] = defaultdict(lambda: {"total": Decimal(0), "periods": [], "result_ids": [],
                                                   "by_period": {}})
    for r in qs:
        row = sums[r.subject.key]
        row["name"] = r.subject.display_name
        row["total"] += r.total
        row["periods"].append(r.period.label)
        row["result_ids"].append(r.pk)
        row["by_period"][r.period_id] = r
    ranks = competition_ranks({k: v["total"] for k, v in sums.items()})
    out = [{"subject_type": k[0], "subject_id": k[1], "rank": ranks[k], **v} for k, v in sums.items()]
    return sorted(out, key=lambda r: (r["rank"], r["name"]))


def period_ranking(actor, period: AssessmentPeriod) -> list[dict]:
    """The ranking table: current results (published ones, or computed ones for a manager), with
    ties marked and each subject's flags (红榜/黑榜/连续 C 档/优先入编)."""
    results = list(period_results(actor, period, include_unpublished=True))
    flags: dict[int, list[str]] = defaultdict(list)
    for f in ResultFlag.objects.filter(period=period).order_by("kind"):
        flags[f.subject_id].append(f.kind)
    ties: dict[tuple, int] = defaultdict(int)
    for r in results:
        ties[(r.peer_group, r.rank)] += 1
    manager = workflow.is_manager(actor, period.scheme)
    appealed = set(Appeal.objects.filter(period=period, state=AppealState.OPEN).values_list("subject_id", flat=True))
    changes = review_changes([r for r in results if r.version_no > 1 and r.published_at is not None])
    return [{"result": r, "tied": ties[(r.peer_group, r.rank)] > 1, "flags": flags.get(r.subject_id, []),
             # whether the row may link to its explanation: the result page's own check
             "may_open": _can_view(actor, r, manager=manager)[0],
             # 复核中: an appeal waits, the numbers may change; 已复核调整: a re-review changed the subject's own
             # total or grade; 名次随复核变化: only its rank moved (a neighbour's correction), its score stands
             "appeal_pending": r.subject_id in appealed,
             "reviewed": changes.get(r.subject_id) == ADJUSTED,
             "rank_moved": changes.get(r.subject_id) == RANK_ONLY}
            for r in results]


def own_results(actor, period: AssessmentPeriod | None = None) -> list[AssessmentResult]:
    """The actor's own current published results (as the person assessed), newest period first — of
    one period when given: what 我的结果 shows, each one the actor may open."""
    if not is_active_account(actor):
        return []
    qs = (AssessmentResult.objects.filter(current=True, published_at__isnull=False, subject__user=actor)
          .select_related("period__scheme", "subject").order_by("-period__starts_on", "-period_id", "pk"))
    if period is not None:
        qs = qs.filter(period=period)
    return [r for r in qs if _can_view(actor, r, manager=False)[0]]
