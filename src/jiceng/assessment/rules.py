"""结果运用: which flags (红榜, 黑榜, 优先入编, 连续 … 档建议调整) the scheme version's rules give a period's
results. One computation for the two uses: 公布 and 复核后公布 store them (``services.results.apply_rules``),
and their confirmation pages show them beforehand, from the results that would be published."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import workflow
from .choices import FlagKind
from .compute import competition_ranks
from .models import AssessmentPeriod, AssessmentResult


@dataclass
class FlagDraft:
    kind: str
    result: AssessmentResult
    triggering: list[AssessmentResult] = field(default_factory=list)
    rank: int | None = None
    note: str = ""


def rule_flags(period: AssessmentPeriod, results: list[AssessmentResult]) -> list[FlagDraft]:
    """The flags for ``results`` — the period's current results as they are, or will be, published (one per
    subject, ``subject`` loaded). Streaks look back over the scheme's other published periods that start
    no later than this one, whatever version each used; this period counts with ``results``, whether or
    not it is published yet."""
    version = period.version
    flags: list[FlagDraft] = []
    totals = {r.pk: r.total for r in results}
    by_pk = {r.pk: r for r in results}
    if version.red_top_n:
        ranks = competition_ranks(totals)
        for pk, rank in sorted(ranks.items(), key=lambda kv: (kv[1], by_pk[kv[0]].subject.display_name)):
            if rank <= version.red_top_n:
                flags.append(FlagDraft(FlagKind.RED, by_pk[pk], [by_pk[pk]], rank, f"第 {rank} 名"))
    if version.black_bottom_n:
        reverse = competition_ranks({k: -v for k, v in totals.items()})
        for pk, rrank in sorted(reverse.items(), key=lambda kv: (kv[1], by_pk[kv[0]].subject.display_name)):
            if rrank <= version.black_bottom_n:
                rank = 1 + sum(1 for v in totals.values() if v > totals[pk])
                flags.append(FlagDraft(FlagKind.BLACK, by_pk[pk], [by_pk[pk]], rank, f"倒数第 {rrank} 名"))
    if version.candidate_grade:
        for r in results:
            if r.grade == version.candidate_grade:
                flags.append(FlagDraft(FlagKind.PERMANENT, r, [r], r.rank, f"考核为 {r.grade} 档，符合条件的优先入编"))
    if version.streak_grade and version.streak_length:
        earlier = list(AssessmentPeriod.objects.filter(
            scheme_id=period.scheme_id, starts_on__lte=period.starts_on, state__in=workflow.PUBLISHED_STATES)
            .exclude(pk=period.pk).order_by("-starts_on")[: version.streak_length - 1])
        if len(earlier) == version.streak_length - 1:
            history = AssessmentResult.objects.filter(period__in=earlier, current=True,
                                                      published_at__isnull=False).select_related("subject")
            by_key: dict[tuple, dict[int, AssessmentResult]] = {}
            for h in history:
                by_key.setdefault(h.subject.key, {})[h.period_id] = h
            for r in results:
                chain = [r, *(by_key.get(r.subject.key, {}).get(p.pk) for p in earlier)]
                if all(c is not None and c.grade == version.streak_grade for c in chain):
                    flags.append(FlagDraft(FlagKind.ADJUST, r, [c for c in chain if c is not None], r.rank,
                                           f"连续 {version.streak_length} 期 {version.streak_grade} 档，建议调整"))
    return flags
