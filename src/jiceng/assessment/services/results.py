"""Computing, publishing and re-reviewing results, and the rules applied to published results."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.audit import audit_record
from jiceng.core.errors import ApplicationError

from .. import registry, workflow
from ..choices import FlagKind, IndicatorKind, PeriodState
from ..compute import competition_ranks, gather_inputs, rank_and_grade, subject_total, version_config
from ..models import AssessmentPeriod, AssessmentResult, AutoValue, PeriodSubject, ResultFlag
from .appeals import appeals_resolve, rerates_waiting
from .periods import _locked


def _refresh_auto_values(period: AssessmentPeriod, subjects: list[PeriodSubject]) -> None:
    autos = list(period.version.indicators.filter(kind=IndicatorKind.AUTO, children__isnull=True))
    for subject in subjects:
        for ind in autos:
            value, explanation = registry.call(ind.auto_key, subject, period.starts_on, period.ends_on)
            AutoValue.objects.update_or_create(subject=subject, indicator=ind, defaults={
                "period": period, "value": value, "explanation": explanation})


def compute_all(period: AssessmentPeriod) -> dict[str, dict]:
    """Numbers for every subject of a period from its records: {subject id: {...total, rank, grade}}."""
    subjects = list(period.subjects.all())
    config = version_config(period.version)
    inputs = gather_inputs(period, subjects)
    out = {}
    for s in subjects:
        numbers = subject_total(config, inputs[str(s.pk)])
        out[str(s.pk)] = {"subject": s, "numbers": numbers, "inputs": inputs[str(s.pk)], "config": config}
    ranked = rank_and_grade(period.version, [(k, v["subject"].peer_group, Decimal(v["numbers"]["total"]))
                                             for k, v in out.items()])
    for k, v in out.items():
        v["rank"], v["rank_of"], v["grade"] = ranked[k]
    return out


def _result(period, actor, row: dict, version_no: int, reason: str, current: bool) -> AssessmentResult:
    return AssessmentResult.objects.create(
        period=period, subject=row["subject"], version_no=version_no, current=current,
        total=Decimal(row["numbers"]["total"]), grade=row["grade"], rank=row["rank"], rank_of=row["rank_of"],
        peer_group=row["subject"].peer_group, reason=reason, computed_by=actor,
        detail={"config": row["config"], "inputs": row["inputs"], "numbers": row["numbers"]})


@transaction.atomic
def period_compute(*, actor, period: AssessmentPeriod) -> list[AssessmentResult]:
    """Compute (or, before publication, compute again) every subject's result."""
    period = _locked(period)
    t = workflow.check(period, actor, "compute")
    subjects = list(period.subjects.all())
    if not subjects:
        raise ApplicationError(_("本考核期没有考核对象。"), field="subjects")
    _refresh_auto_values(period, subjects)
    period.results.all().delete()
    rows = compute_all(period)
    results = [_result(period, actor, row, 1, "", True) for row in rows.values()]
    before, period.state = period.state, t.target
    period.save(update_fields=["state"])
    audit_record(actor=actor, action="assessment.period_compute", obj=period,
                 changes={"state": [before, period.state], "results": [None, len(results)]})
    return results


@transaction.atomic
def period_publish(*, actor, period: AssessmentPeriod, published_on: date | None = None) -> AssessmentPeriod:
    period = _locked(period)
    t = workflow.check(period, actor, "publish")
    now = timezone.now()
    period.published_on = published_on or timezone.localdate()
    period.results.filter(current=True).update(published_at=now)
    before, period.state = period.state, t.target
    period.save(update_fields=["state", "published_on"])
    flags = apply_rules(period)
    audit_record(actor=actor, action="assessment.period_publish", obj=period,
                 changes={"state": [before, period.state], "published_on": [None, period.published_on],
                          "flags": [None, len(flags)]})
    return period


@transaction.atomic
def period_start_rereview(*, actor, period: AssessmentPeriod) -> AssessmentPeriod:
    period = _locked(period)
    t = workflow.check(period, actor, "start_rereview")
    before, period.state = period.state, t.target
    period.save(update_fields=["state"])
    audit_record(actor=actor, action="assessment.period_start_rereview", obj=period,
                 changes={"state": [before, period.state]})
    return period


@transaction.atomic
def period_recompute(*, actor, period: AssessmentPeriod, reason: str) -> list[AssessmentResult]:
    """After corrections: every subject whose numbers changed gets a new result version with the
    reason, pending until ``period_republish``. Published versions are never touched."""
    period = _locked(period)
    workflow.check(period, actor, "recompute")
    if not reason or not reason.strip():
        raise ApplicationError(_("请填写重算原因。"), field="reason")
    period.results.filter(published_at__isnull=True).delete()
    current = {str(r.subject_id): r for r in period.results.filter(current=True)}
    made = []
    for sid, row in compute_all(period).items():
        old = current.get(sid)
        same = old is not None and (old.total, old.grade, old.rank, old.rank_of) == (
            Decimal(row["numbers"]["total"]), row["grade"], row["rank"], row["rank_of"])
        if same:
            continue
        version_no = (old.version_no + 1) if old else 1
        made.append(_result(period, actor, row, version_no, reason[:500], current=False))
    audit_record(actor=actor, action="assessment.period_recompute", obj=period,
                 changes={"reason": [None, reason[:200]], "new_versions": [None, [r.subject_id for r in made]]})
    return made


@transaction.atomic
def period_republish(*, actor, period: AssessmentPeriod, decision: str = "") -> AssessmentPeriod:
    """Publish the re-review's new result versions and resolve the open appeals: each with its own reply
    (``appeal_reply``) or else ``decision`` — one of the two is required — as 调整 when its subject's
    total or grade changed, 维持 otherwise (a new version that only moves the rank, after a neighbour's
    correction, is no adjustment of the appellant's score). Refused while a score sent back (退回重评)
    is not submitted again."""
    period = _locked(period)
    t = workflow.check(period, actor, "republish")
    rerates_waiting(period)
    now = timezone.now()
    pending = list(period.results.filter(published_at__isnull=True))
    current = {r.subject_id: r for r in period.results.filter(current=True)}
    adjusted = {r.subject_id for r in pending if r.subject_id not in current or not r.same_score(current[r.subject_id])}
    appeals = appeals_resolve(actor=actor, period=period, decision=decision, adjusted=adjusted)
    for new in pending:
        period.results.filter(subject_id=new.subject_id, current=True).update(current=False)
        new.current, new.published_at = True, now
        new.save(update_fields=["current", "published_at"])
    before, period.state = period.state, t.target
    period.save(update_fields=["state"])
    flags = apply_rules(period)
    audit_record(actor=actor, action="assessment.period_republish", obj=period,
                 changes={"state": [before, period.state], "new_versions": [None, [r.pk for r in pending]],
                          "appeals": [None, {a.pk: a.outcome for a in appeals}], "flags": [None, len(flags)]})
    return period


# --- rules on published results -------------------------------------------------------------


def apply_rules(period: AssessmentPeriod) -> list[ResultFlag]:
    """Rebuild this period's flags from its current published results (called inside publish)."""
    version = period.version
    period.flags.all().delete()
    results = list(period.results.filter(current=True, published_at__isnull=False).select_related("subject"))
    flags: list[ResultFlag] = []

    def flag(kind, result, triggering, rank=None, note=""):
        f = ResultFlag.objects.create(period=period, subject=result.subject, kind=kind, rank=rank,
                                      published_on=period.published_on, note=note)
        f.results.set(triggering)
        flags.append(f)

    totals = {r.pk: r.total for r in results}
    by_pk = {r.pk: r for r in results}
    if version.red_top_n:
        ranks = competition_ranks(totals)
        for pk, rank in sorted(ranks.items(), key=lambda kv: (kv[1], by_pk[kv[0]].subject.display_name)):
            if rank <= version.red_top_n:
                flag(FlagKind.RED, by_pk[pk], [by_pk[pk]], rank, f"第 {rank} 名")
    if version.black_bottom_n:
        reverse = competition_ranks({k: -v for k, v in totals.items()})
        for pk, rrank in sorted(reverse.items(), key=lambda kv: (kv[1], by_pk[kv[0]].subject.display_name)):
            if rrank <= version.black_bottom_n:
                rank = 1 + sum(1 for v in totals.values() if v > totals[pk])
                flag(FlagKind.BLACK, by_pk[pk], [by_pk[pk]], rank, f"倒数第 {rrank} 名")
    if version.candidate_grade:
        for r in results:
            if r.grade == version.candidate_grade:
                flag(FlagKind.PERMANENT, r, [r], r.rank, f"考核为 {r.grade} 档，符合条件的优先入编")
    # Streaks look back over the scheme's published periods, whatever version each used.
    if version.streak_grade and version.streak_length:
        previous = list(AssessmentPeriod.objects.filter(
            scheme_id=period.scheme_id, starts_on__lte=period.starts_on,
            state__in=workflow.PUBLISHED_STATES).order_by("-starts_on")[: version.streak_length])
        if len(previous) == version.streak_length:
            history = AssessmentResult.objects.filter(period__in=previous, current=True,
                                                      published_at__isnull=False).select_related("subject")
            by_key: dict[tuple, dict[int, AssessmentResult]] = {}
            for r in history:
                by_key.setdefault(r.subject.key, {})[r.period_id] = r
            for r in results:
                chain = [by_key.get(r.subject.key, {}).get(p.pk) for p in previous]
                if all(c is not None and c.grade == version.streak_grade for c in chain):
                    flag(FlagKind.ADJUST, r, chain, r.rank,
                         f"连续 {version.streak_length} 期 {version.streak_grade} 档，建议调整")
    return flags


def is_published(period: AssessmentPeriod) -> bool:
    return period.state in (PeriodState.PUBLISHED, PeriodState.APPEAL, PeriodState.REREVIEW,
                            PeriodState.REPUBLISHED)
