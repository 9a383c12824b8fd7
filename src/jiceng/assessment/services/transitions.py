"""One entry for the period workflow's buttons (the ranking page) and the API's transitions: it takes the
transition with its service and says what happened, counted from the records it changed — not only
"done" — so that a manager sees at once whether 复核重算 changed anything or how many appeals
复核后公布 answered. 计算 and 复核重算 of a large period are queued as background work instead
(``background``), and no step is taken while such a computation is under way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from jiceng.core.errors import ApplicationError

from .. import selectors
from ..choices import AppealOutcome, AppealState, RatingState
from ..models import Appeal, AssessmentPeriod, PeriodComputation
from .background import background_wanted, computation_queue, queued_message, running_computation
from .periods import _locked, period_close_scoring, period_open_scoring
from .results import (
    Progress,
    period_compute,
    period_publish,
    period_recompute,
    period_republish,
    period_start_rereview,
)

ACTIONS = ("open_scoring", "close_scoring", "compute", "publish", "start_rereview", "recompute", "republish")


@dataclass(frozen=True)
class Transitioned:
    period: AssessmentPeriod
    message: str  # what happened, in the reader's language
    computation: PeriodComputation | None = None  # the background work queued instead, if it was


def _subjects(n: int) -> str:
    return ngettext("%(n)s 个考核对象", "%(n)s 个考核对象", n) % {"n": n}


def _tasks(n: int) -> str:
    return ngettext("%(n)s 项评分任务", "%(n)s 项评分任务", n) % {"n": n}


@transaction.atomic
def period_transition(*, actor, period: AssessmentPeriod, action: str, reason: str = "", decision: str = "",
                      published_on: date | None = None, force: bool = False, progress: Progress | None = None
                      ) -> Transitioned:
    """Take ``action`` (one of ``ACTIONS``) through its service — the same checks, audit records and
    refusals — and return the period with a sentence on what it did. ``force``: 计算 although a group
    raters score has no submitted sheet (``period_compute_refusal``).

    计算 and 复核重算 of a period of ``background.background_from()`` subjects or more are queued
    (``Transitioned.computation``), unless this is that background work running (``progress`` is told
    how far it got). Refused (409) while a computation of the period is under way (``_locked``)."""
    if action not in ACTIONS:
        raise ApplicationError(_("未知的操作。"), field="action")
    period = _locked(period)
    if running_computation() is None and background_wanted(period, action):
        job = computation_queue(actor=actor, period=period, action=action, reason=reason, force=force)
        return Transitioned(period, queued_message(job), job)
    if action == "open_scoring":
        period = period_open_scoring(actor=actor, period=period)
        message = _("已开始评分：%(subjects)s，%(tasks)s。") % {
            "subjects": _subjects(period.subjects.count()), "tasks": _tasks(period.assignments.count())}
    elif action == "close_scoring":
        period = period_close_scoring(actor=actor, period=period)
        message = _closed_message(period)
    elif action == "compute":
        zero = selectors.unrated_groups(period)
        results = period_compute(actor=actor, period=period, force=force, progress=progress)
        message = ngettext("已计算 %(n)s 个考核对象的结果，尚未公布。", "已计算 %(n)s 个考核对象的结果，尚未公布。",
                           len(results)) % {"n": len(results)}
        if zero:
            message += " " + _("“%(groups)s”没有已提交的评分，按 0 分计算。") % {
                "groups": pgettext("list separator", "、").join(g.name for g in zero)}
    elif action == "publish":
        period = period_publish(actor=actor, period=period, published_on=published_on)
        n = period.results.filter(current=True, published_at__isnull=False).count()
        message = ngettext("已公布 %(n)s 个结果，公布日期 %(date)s。", "已公布 %(n)s 个结果，公布日期 %(date)s。", n) % {
            "n": n, "date": period.published_on.isoformat()}
    elif action == "start_rereview":
        period = period_start_rereview(actor=actor, period=period)
        n = period.appeals.filter(state=AppealState.OPEN).count()
        message = ngettext("已开始复核：%(n)s 份申诉待复核。", "已开始复核：%(n)s 份申诉待复核。", n) % {"n": n}
    elif action == "recompute":
        message = _recompute(actor, period, reason, progress)
    else:
        message = _republish(actor, period, decision)
    period.refresh_from_db()
    return Transitioned(period, message)


def _closed_message(period: AssessmentPeriod) -> str:
    """结束评分: how many of the period's score sheets were submitted (the others do not count)."""
    sheets = period.assignments.count()
    if not sheets:
        return _("已结束评分：本期没有评分任务。")
    submitted = period.assignments.filter(rating__state=RatingState.SUBMITTED).count()
    return ngettext("已结束评分：%(n)s 份评分表中 %(submitted)s 份已提交，未提交的不计入计算。",
                    "已结束评分：%(n)s 份评分表中 %(submitted)s 份已提交，未提交的不计入计算。", sheets) % {
        "n": sheets, "submitted": submitted}


def _recompute(actor, period: AssessmentPeriod, reason: str, progress: Progress | None) -> str:
    made = period_recompute(actor=actor, period=period, reason=reason, progress=progress)
    current = {r.subject_id: r for r in period.results.filter(current=True)}
    n = len(current)
    if not made:
        return ngettext("已复核重算：%(n)s 个结果都没有变化。", "已复核重算：%(n)s 个结果都没有变化。", n) % {"n": n}
    message = ngettext("已复核重算：%(n)s 个结果中 %(changed)s 个有变化，复核后公布时生效。",
                       "已复核重算：%(n)s 个结果中 %(changed)s 个有变化，复核后公布时生效。", n) % {
        "n": n, "changed": len(made)}
    rank_only = sum(1 for r in made if r.subject_id in current and r.same_score(current[r.subject_id]))
    if rank_only:
        message += " " + ngettext("其中 %(n)s 个只是名次随之变化，总分和等次未变。",
                                  "其中 %(n)s 个只是名次随之变化，总分和等次未变。", rank_only) % {"n": rank_only}
    return message


def _republish(actor, period: AssessmentPeriod, decision: str) -> str:
    waiting = list(period.appeals.filter(state=AppealState.OPEN).values_list("pk", flat=True))
    versions = period.results.filter(published_at__isnull=True).count()
    period_republish(actor=actor, period=period, decision=decision)
    outcomes = list(Appeal.objects.filter(pk__in=waiting).values_list("outcome", flat=True))
    adjusted = outcomes.count(AppealOutcome.ADJUSTED)
    message = ngettext("已复核后公布：%(n)s 份申诉已答复（调整 %(adjusted)s 份，维持 %(upheld)s 份）。",
                       "已复核后公布：%(n)s 份申诉已答复（调整 %(adjusted)s 份，维持 %(upheld)s 份）。", len(outcomes)) % {
        "n": len(outcomes), "adjusted": adjusted, "upheld": len(outcomes) - adjusted}
    if versions:
        message += " " + ngettext("%(n)s 个结果公布了新版本。", "%(n)s 个结果公布了新版本。", versions) % {"n": versions}
    else:
        message += " " + _("结果没有变化。")
    return message
