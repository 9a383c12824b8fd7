"""What 公布 and 复核后公布 will publish (their confirmation pages)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from .. import workflow
from ..choices import AppealState
from ..models import AssessmentPeriod, AssessmentResult
from .results import ADJUSTED, version_change

PREVIEW_TOP = 5  # the first ranks a 公布 confirmation shows (the ranking page has them all)


def _grade_counts(period: AssessmentPeriod, results: list[AssessmentResult]) -> list[tuple[str, int]]:
    """(grade, how many) for each band of the scheme version, best first; "" for results without a grade."""
    bands = sorted(period.version.grade_bands or [], key=lambda b: Decimal(str(b["min"])), reverse=True)
    if not bands:
        return []
    counts: dict[str, int] = {b["grade"]: 0 for b in bands}
    for r in results:
        counts[r.grade] = counts.get(r.grade, 0) + 1
    return list(counts.items())


def _flag_counts(drafts) -> list[dict]:
    """The flags the rules would give, by kind (红榜, 黑榜, 连续 … 档, 优先入编): how many, and whom."""
    from ..choices import FlagKind

    labels = dict(FlagKind.choices)
    out = []
    for kind in (FlagKind.RED, FlagKind.BLACK, FlagKind.ADJUST, FlagKind.PERMANENT):
        names = [d.result.subject.display_name for d in drafts if d.kind == kind]
        if names:
            out.append({"kind": kind, "label": labels[kind], "count": len(names), "names": names})
    return out


def period_publish_preview(actor, period: AssessmentPeriod) -> dict:
    """公布's confirmation, for the scheme's managers: the computed results that would be published — how
    many, how many of each grade, the flags the rules would give them (结果运用: ``rules.rule_flags``) and
    the first ranks — all from the stored results, as 公布 would publish them."""
    from ..rules import rule_flags

    if not workflow.is_manager(actor, period.scheme):
        return {"results": 0, "grades": [], "flags": [], "top": [], "peer_groups": False}
    results = list(period.results.filter(current=True, published_at__isnull=True).select_related("subject")
                   .order_by("rank", "peer_group", "subject__display_name", "pk"))
    drafts = rule_flags(period, results)
    kinds: dict[int, list[str]] = defaultdict(list)
    for d in drafts:
        kinds[d.result.pk].append(d.kind)
    top = [{"result": r, "flags": kinds.get(r.pk, [])} for r in results[:PREVIEW_TOP]]
    return {"results": len(results), "grades": _grade_counts(period, results), "flags": _flag_counts(drafts),
            "top": top, "peer_groups": any(r.peer_group for r in results)}


def period_republish_preview(actor, period: AssessmentPeriod) -> dict:
    """复核后公布's confirmation, for the scheme's managers: the ranking that will replace the published one
    — every subject's published total, grade and rank beside those it will have (its new version from
    复核重算, or the same), a changed row marked ``adjusted`` (its own total or grade) or ``rank`` (only its
    rank); the open appeals with the outcome each will get (调整 where the subject's score changes, 维持
    otherwise) and whether it has its own reply; the flags after; and ``stale``: the subjects whose
    numbers, computed from the records now, differ from what would be published — corrections made after
    (or without) 复核重算, which this publication would leave out (by name, with ``stale_names``)."""
    from ..choices import AppealOutcome
    from ..rules import rule_flags
    from ..services.results import compute_all

    empty = {"rows": [], "changed": 0, "adjusted": 0, "appeals": [], "flags": [], "stale": [], "stale_names": [],
             "peer_groups": False}
    if not workflow.is_manager(actor, period.scheme):
        return empty
    current = {r.subject_id: r for r in period.results.filter(current=True).select_related("subject")}
    pending = {r.subject_id: r for r in period.results.filter(published_at__isnull=True).select_related("subject")}
    rows = []
    for sid in current.keys() | pending.keys():
        old, new = current.get(sid), pending.get(sid) or current[sid]
        change = "" if new is old else (version_change(old, new) if old is not None else ADJUSTED)
        rows.append({"subject": new.subject, "old": old, "new": new, "change": change})
    rows.sort(key=lambda r: (r["new"].peer_group, r["new"].rank, r["subject"].display_name, r["subject"].pk))
    adjusted = {r["subject"].pk for r in rows if r["change"] == ADJUSTED}
    appeals = [{"appeal": a, "replied": bool(a.decision.strip()),
                "outcome": AppealOutcome(AppealOutcome.ADJUSTED if a.subject_id in adjusted else AppealOutcome.UPHELD)}
               for a in period.appeals.filter(state=AppealState.OPEN).select_related("subject").order_by("filed_at", "pk")]
    shown = {r["subject"].pk: r["new"] for r in rows}
    stale = []
    for sid, row in compute_all(period).items():
        now = (row["total"], row["grade"], row["rank"], row["rank_of"])
        r = shown.get(int(sid))
        if r is None or (r.total, r.grade, r.rank, r.rank_of) != now:
            stale.append(row["subject"])
    stale.sort(key=lambda subject: (subject.display_name, subject.pk))
    return {"rows": rows, "changed": sum(1 for r in rows if r["change"]), "adjusted": len(adjusted),
            "appeals": appeals, "flags": _flag_counts(rule_flags(period, [r["new"] for r in rows])),
            "stale": stale, "stale_names": [subject.display_name for subject in stale],
            "peer_groups": any(r["new"].peer_group for r in rows)}
