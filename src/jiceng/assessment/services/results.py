"""Computing, publishing and re-reviewing results, and the rules applied to published results."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiceng.core.audit import audit_record
from jiceng.core.errors import ApplicationError, ConflictError

from .. import registry, selectors, workflow
from ..choices import IndicatorKind, PeriodState
from ..compute import gather_inputs, rank_and_grade, subject_total, version_config
from ..models import AssessmentPeriod, AssessmentResult, AutoValue, PeriodSubject, ResultFlag
from ..rules import rule_flags
from .appeals import appeals_resolve, rerates_waiting
from .periods import _locked


def _refresh_auto_values(period: AssessmentPeriod, subjects: list[PeriodSubject]) -> None:
    autos = list(period.version.indicators.filter(kind=IndicatorKind.AUTO, children__isnull=True))
    for subject in subjects:
        for ind in autos:
            value, explanation = registry.call(ind.auto_key, subject, period.starts_on, period.ends_on)
            AutoValue.objects.update_or_create(subject=subject, indicator=ind, defaults={
                "period": period, "value": value, "explanation": explanation})


# Subjects whose inputs (every score with its rater) and arithmetic are held in memory at once: a period
# of 25,000 subjects × 40 indicators × 10 raters is 10 M scores, far too many to hold together.
CHUNK = 500


Progress = Callable[[int], None]  # told how many subjects' numbers are worked out so far (background work)


def _computed(period: AssessmentPeriod, subjects: list[PeriodSubject], config: dict, progress: Progress | None = None
              ) -> Iterator[tuple[PeriodSubject, dict, dict]]:
    """``(subject, inputs, numbers)`` for each of ``subjects``, read ``CHUNK`` subjects at a time. A chunk's
    arithmetic is done before the first of its subjects is handed on: writing each result between two
    subjects' arithmetic made the whole computation about 40 % slower (bench/assessment_period.py)."""
    for start in range(0, len(subjects), CHUNK):
        part = subjects[start:start + CHUNK]
        inputs = gather_inputs(period, part)
        numbers = [(s, inputs[str(s.pk)], subject_total(config, inputs[str(s.pk)])) for s in part]
        if progress is not None:
            progress(start + len(part))
        yield from numbers


def compute_all(period: AssessmentPeriod, progress: Progress | None = None) -> dict[str, dict]:
    """Every subject's numbers from the records now, ranked and graded:
    {subject id: {"subject", "total", "rank", "rank_of", "grade"}}. The inputs and the arithmetic behind
    each total are read a chunk of subjects at a time and not kept (``_computed``)."""
    subjects = list(period.subjects.all())
    config = version_config(period.version)
    out = {str(s.pk): {"subject": s, "total": Decimal(numbers["total"])}
           for s, _inputs, numbers in _computed(period, subjects, config, progress)}
    _rank(period, out)
    return out


def _rank(period: AssessmentPeriod, rows: dict[str, dict]) -> None:
    ranked = rank_and_grade(period.version, [(k, v["subject"].peer_group, v["total"]) for k, v in rows.items()])
    for k, v in rows.items():
        v["rank"], v["rank_of"], v["grade"] = ranked[k]


def _store_results(period: AssessmentPeriod, actor, subjects: list[PeriodSubject], *, version_no, reason: str,
                   current: bool, ranks: dict[str, dict] | None = None, progress: Progress | None = None
                   ) -> list[AssessmentResult]:
    """Store a result for each of ``subjects`` with its config, inputs and arithmetic (what its explanation
    and a later recomputation read), the inputs read ``CHUNK`` subjects at a time; ranked and graded by
    ``ranks`` (from ``compute_all``), or else among themselves once all are stored. Returned as read back, without
    their ``detail`` (``models.ResultManager``), so that a large period's results are never all in memory."""
    config = version_config(period.version)
    unranked = {"rank": 0, "rank_of": 0, "grade": ""}  # until every total is known (``ranks`` None)
    totals: dict[str, dict] = {}
    made: list[int] = []
    for s, inputs, numbers in _computed(period, subjects, config, progress):
        total = Decimal(numbers["total"])
        row = unranked if ranks is None else ranks.get(str(s.pk))
        if row is None or row.get("total", total) != total:
            # the records changed between the two readings (the period is locked: they should not)
            raise ConflictError(_("计算期间评分记录发生了变化，请重新计算。"), field="state")
        # One insert a result: bulk_create's one statement has psycopg quote every JSON document
        # character by character in Python (an UNNEST of text arrays), several times slower here.
        made.append(AssessmentResult.objects.create(
            period=period, subject=s, version_no=version_no(s), current=current, total=total, grade=row["grade"],
            rank=row["rank"], rank_of=row["rank_of"], peer_group=s.peer_group, reason=reason, computed_by=actor,
            detail={"config": config, "inputs": inputs, "numbers": numbers}).pk)
        if ranks is None:
            totals[str(s.pk)] = {"subject": s, "total": total, "pk": made[-1]}
    if ranks is None:
        _rank(period, totals)
        AssessmentResult.objects.bulk_update(
            [AssessmentResult(pk=v["pk"], rank=v["rank"], rank_of=v["rank_of"], grade=v["grade"])
             for v in totals.values()], ["rank", "rank_of", "grade"], batch_size=CHUNK)
    found = {}
    for start in range(0, len(made), CHUNK):  # a bounded IN list (SQLite allows 32,766 variables a statement)
        found.update((r.pk, r) for r in AssessmentResult.objects.filter(pk__in=made[start:start + CHUNK]))
    return [found[pk] for pk in made]


def period_compute_refusal(period: AssessmentPeriod) -> ApplicationError | None:
    """Why 计算 waits for the manager's explicit word (None when it need not): a group that raters score
    without one submitted score sheet (``selectors.unrated_groups``) gives every subject 0 there — with all
    of them so, everyone would be ranked 0.00, tied first. ``period_compute`` raises it unless ``force``;
    the ranking page shows it beside 计算 with its 仍按 0 分计算 box (``field`` ``force``)."""
    groups = selectors.unrated_groups(period)
    return _zero_refusal(groups) if groups else None


def _zero_refusal(groups: list) -> ApplicationError:
    return ApplicationError(_("“%(groups)s”没有一份已提交的评分：计算后所有考核对象在这些评分组的得分都将为 0。"
                              "确需如此计算，请确认“仍按 0 分计算”。") % {
        "groups": pgettext("list separator", "、").join(g.name for g in groups)}, field="force")


def period_compute_checks(*, actor, period: AssessmentPeriod, force: bool = False):
    """What 计算 checks before it reads a score — who may, from which state, a period with subjects, the
    groups raters score without a submitted sheet (refused unless ``force``) — raising its refusal; the
    transition and those groups otherwise. ``period_compute`` and the background queue ask the same."""
    t = workflow.check(period, actor, "compute")
    if not period.subjects.exists():
        raise ApplicationError(_("本考核期没有考核对象。"), field="subjects")
    zero = selectors.unrated_groups(period)
    if zero and not force:
        raise _zero_refusal(zero)
    return t, zero


def period_recompute_checks(*, actor, period: AssessmentPeriod, reason: str) -> None:
    """What 复核重算 checks before it reads a score: who may, from which state, and its reason."""
    workflow.check(period, actor, "recompute")
    if not reason or not reason.strip():
        raise ApplicationError(_("请填写重算原因。"), field="reason")


@transaction.atomic
def period_compute(*, actor, period: AssessmentPeriod, force: bool = False, progress: Progress | None = None
                   ) -> list[AssessmentResult]:
    """Compute (or, before publication, compute again) every subject's result. Refused
    (``period_compute_refusal``) while a group raters score has no submitted sheet, unless ``force``:
    the audit record then names the groups counted as 0. ``progress`` is told the subjects worked out
    so far, a chunk at a time (``services.background`` shows it on the period's page)."""
    period = _locked(period)
    t, zero = period_compute_checks(actor=actor, period=period, force=force)
    subjects = list(period.subjects.all())
    _refresh_auto_values(period, subjects)
    period.results.all().delete()
    results = _store_results(period, actor, subjects, version_no=lambda s: 1, reason="", current=True,
                             progress=progress)
    before, period.state = period.state, t.target
    period.save(update_fields=["state"])
    changes = {"state": [before, period.state], "results": [None, len(results)]}
    if zero:
        changes["zero_groups"] = [None, [g.code for g in zero]]  # computed as 0 on the manager's word (``force``)
    audit_record(actor=actor, action="assessment.period_compute", obj=period, changes=changes)
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
def period_recompute(*, actor, period: AssessmentPeriod, reason: str, progress: Progress | None = None
                     ) -> list[AssessmentResult]:
    """After corrections: every subject whose numbers changed gets a new result version with the
    reason, pending until ``period_republish``. Published versions are never touched. ``progress``: as
    ``period_compute``'s, over the reading of every subject's numbers (the changed ones are few)."""
    period = _locked(period)
    period_recompute_checks(actor=actor, period=period, reason=reason)
    period.results.filter(published_at__isnull=True).delete()
    current = {str(r.subject_id): r for r in period.results.filter(current=True)}
    rows = compute_all(period, progress)
    changed = [row["subject"] for sid, row in rows.items()
               if sid not in current or (current[sid].total, current[sid].grade, current[sid].rank,
                                         current[sid].rank_of) != (row["total"], row["grade"], row["rank"], row["rank_of"])]
    made = _store_results(
        period, actor, changed, ranks=rows, reason=reason[:500], current=False,
        version_no=lambda s: current[str(s.pk)].version_no + 1 if str(s.pk) in current else 1)
    audit_record(actor=actor, action="assessment.period_recompute", obj=period,
                 changes={"reason": [None, reason[:200]], "new_versions": [None, [r.subject_id for r in made]]})
    return made


def period_republish_refusal(period: AssessmentPeriod) -> ApplicationError | None:
    """Why 复核后公布 cannot be taken now (None when it can): a score sent back (退回重评) is not submitted
    again. Its confirmation page says so before asking; ``period_republish`` raises it."""
    try:
        rerates_waiting(period)
    except ApplicationError as exc:
        return exc
    return None


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
    period.flags.all().delete()
    results = list(period.results.filter(current=True, published_at__isnull=False).select_related("subject"))
    flags: list[ResultFlag] = []
    for draft in rule_flags(period, results):
        f = ResultFlag.objects.create(period=period, subject=draft.result.subject, kind=draft.kind, rank=draft.rank,
                                      published_on=period.published_on, note=draft.note)
        f.results.set(draft.triggering)
        flags.append(f)
    return flags


def is_published(period: AssessmentPeriod) -> bool:
    return period.state in (PeriodState.PUBLISHED, PeriodState.APPEAL, PeriodState.REREVIEW,
                            PeriodState.REPUBLISHED)
