"""复核: an appeal against a published result, the reviewer's reply to it, and sending a score back to
its rater (退回重评) while re-reviewing. 复核后公布 itself (``results.period_republish``) resolves the
open appeals with ``appeals_resolve``."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiceng.core.audit import AuditEntry, audit_record, audit_records
from jiceng.core.errors import ApplicationError, PermissionDeniedError

from .. import workflow
from ..choices import AppealOutcome, AppealState
from ..models import Appeal, AssessmentPeriod, PeriodSubject, RaterAssignment, RaterGroup
from .periods import _correction_allowed, _group, _locked


@transaction.atomic
def appeal_file(*, actor, period: AssessmentPeriod, subject: PeriodSubject, reason: str) -> Appeal:
    """One open appeal per subject at a time: a second one while the first waits for its re-review is
    refused (``field="subject"``), so nothing is queued twice."""
    period = _locked(period)
    pending = subject.appeals.filter(state=AppealState.OPEN).order_by("filed_at").first()
    if pending is not None and workflow.relations(period, actor, subject):
        raise ApplicationError(_("已于 %(date)s 提出复核申请，尚在复核中（待复核），不能重复申请。") % {
            "date": timezone.localtime(pending.filed_at).strftime("%Y-%m-%d %H:%M")}, field="subject")
    t = workflow.check(period, actor, "appeal", subject=subject)
    if subject.period_id != period.pk:
        raise ApplicationError(_("考核对象不属于本考核期。"), field="subject")
    if not reason or not reason.strip():
        raise ApplicationError(_("请填写申诉理由。"), field="reason")
    appeal = Appeal.objects.create(period=period, subject=subject, reason=reason[:1000], filed_by=actor)
    before, period.state = period.state, t.target
    period.save(update_fields=["state"])
    audit_record(actor=actor, action="assessment.appeal_file", obj=appeal, object_repr=f"申诉 {subject}",
                 changes={"state": [before, period.state], "reason": [None, reason[:200]]})
    return appeal


@transaction.atomic
def appeal_reply(*, actor, appeal: Appeal, decision: str) -> Appeal:
    """The reviewer's reply (复核意见) to one open appeal, by a manager; the appellant reads it once the
    period is republished (``selectors.subject_appeals``). It can be rewritten until then."""
    appeal = Appeal.objects.select_for_update().select_related("subject").get(pk=appeal.pk)
    period = _locked(appeal.period)
    if not workflow.is_manager(actor, period.scheme):
        raise PermissionDeniedError(_("您无权答复申诉。"))
    if appeal.state != AppealState.OPEN:
        raise ApplicationError(_("该申诉已复核，复核意见不能再修改。"), field="state")
    decision = (decision or "").strip()
    if not decision:
        raise ApplicationError(_("请填写复核意见。"), field="decision")
    before, appeal.decision = appeal.decision, decision[:1000]
    appeal.save(update_fields=["decision"])
    audit_record(actor=actor, action="assessment.appeal_reply", obj=appeal, object_repr=f"申诉 {appeal.subject}",
                 changes={"decision": [before or None, appeal.decision]})
    return appeal


def appeals_resolve(*, actor, period: AssessmentPeriod, decision: str, adjusted: set[int]) -> list[Appeal]:
    """Inside 复核后公布 (the period locked by the caller): every open appeal resolved with its own reply or
    else ``decision``, 调整 when its subject's total or grade changed now (``adjusted``: subject ids),
    维持 otherwise; one audit record each. Refused when an appeal would end without a reply."""
    appeals = list(period.appeals.select_for_update().filter(state=AppealState.OPEN).select_related("subject")
                   .order_by("filed_at", "pk"))
    decision = (decision or "").strip()
    unanswered = [a.subject.display_name for a in appeals if not a.decision.strip()]
    if unanswered and not decision:
        raise ApplicationError(_("请填写复核意见（答复%(names)s的申诉）。") % {
            "names": pgettext("list separator", "、").join(unanswered)}, field="decision")
    now = timezone.now()
    entries = []
    for a in appeals:
        a.decision = (a.decision.strip() or decision)[:1000]
        a.outcome = AppealOutcome.ADJUSTED if a.subject_id in adjusted else AppealOutcome.UPHELD
        a.state, a.decided_by, a.decided_at = AppealState.RESOLVED, actor, now
        a.save(update_fields=["decision", "outcome", "state", "decided_by", "decided_at"])
        entries.append(AuditEntry(actor=actor, action="assessment.appeal_resolve", obj=a, object_repr=f"申诉 {a.subject}",
                                  changes={"state": [AppealState.OPEN, a.state], "outcome": [None, a.outcome],
                                           "decision": [None, a.decision[:200]]}))
    audit_records(entries)
    return appeals


def _rerate_targets(period: AssessmentPeriod, subject: PeriodSubject, group: RaterGroup, rater):
    """The subject's assignments in the group (one rater's, when named; an anonymous group only whole,
    so that no single rater's score can be read off the change it makes)."""
    if rater is not None and group.anonymous:
        raise ApplicationError(_("“%(group)s”是匿名评分组，只能整组退回重评。") % {"group": group.name}, field="rater")
    qs = RaterAssignment.objects.select_for_update().filter(period=period, group=group, subject=subject)
    return qs.filter(rater=rater) if rater is not None else qs


def _manager_and_subject(actor, period: AssessmentPeriod, subject: PeriodSubject) -> None:
    if not workflow.is_manager(actor, period.scheme):
        raise PermissionDeniedError(_("您无权退回重评。"))
    if subject.period_id != period.pk:
        raise ApplicationError(_("考核对象不属于本考核期。"), field="subject")


@transaction.atomic
def assignment_rerate_request(*, actor, period: AssessmentPeriod, subject: PeriodSubject, group: RaterGroup | str,
                              reason: str, rater=None) -> list[RaterAssignment]:
    """退回重评: during 复核 a manager sends a subject's score back to its rater (or to a whole group), with
    the reason. The task is on the rater's 我的评分任务 again until they submit (``rating_save`` clears
    the mark); 复核后公布 waits for it (``rerates_waiting``). The old score counts until then."""
    period = _locked(period)
    _manager_and_subject(actor, period, subject)
    if not _correction_allowed(period, subject):
        raise ApplicationError(_("只有复核中、申诉待复核的考核对象可以退回重评。"), field="state")
    group = _group(period, group)
    if not reason or not reason.strip():
        raise ApplicationError(_("请填写退回重评的原因。"), field="reason")
    found = list(_rerate_targets(period, subject, group, rater))
    if not found:
        raise ApplicationError(_("“%(group)s”中没有评“%(subject)s”的评分任务。") % {
            "group": group.name, "subject": subject.display_name}, field="rater" if rater is not None else "group")
    now = timezone.now()
    for a in found:
        a.rerate_requested_at, a.rerate_reason = now, reason.strip()[:500]
        a.save(update_fields=["rerate_requested_at", "rerate_reason"])
    audit_record(actor=actor, action="assessment.rerate_request", obj=period,
                 object_repr=f"{period.label}：退回重评 {subject.display_name}",
                 changes={"subject": [None, subject.pk], "group": [None, group.code],
                          "assignments": [None, [a.pk for a in found]], "reason": [None, reason.strip()[:200]]})
    return found


@transaction.atomic
def assignment_rerate_cancel(*, actor, period: AssessmentPeriod, subject: PeriodSubject, group: RaterGroup | str,
                             rater=None) -> int:
    """Take back a 退回重评 not yet answered (a rater who cannot score again): the score stands as it is.
    Returns how many tasks were taken back."""
    period = _locked(period)
    _manager_and_subject(actor, period, subject)
    group = _group(period, group)
    found = list(_rerate_targets(period, subject, group, rater).filter(rerate_requested_at__isnull=False))
    if not found:
        raise ApplicationError(_("“%(group)s”中没有待重评的任务。") % {"group": group.name},
                               field="rater" if rater is not None else "group")
    RaterAssignment.objects.filter(pk__in=[a.pk for a in found]).update(rerate_requested_at=None, rerate_reason="")
    audit_record(actor=actor, action="assessment.rerate_cancel", obj=period,
                 object_repr=f"{period.label}：撤回退回重评 {subject.display_name}",
                 changes={"subject": [subject.pk, None], "group": [group.code, None],
                          "assignments": [[a.pk for a in found], None]})
    return len(found)


def rerates_waiting(period: AssessmentPeriod) -> None:
    """复核后公布 is refused while a score sent back has not been submitted again."""
    waiting = list(period.assignments.filter(rerate_requested_at__isnull=False)
                   .select_related("group", "subject", "rater").order_by("subject__display_name", "group__order"))
    if waiting:
        sep = pgettext("list separator", "、")
        named = sep.join(dict.fromkeys(f"{a.subject.display_name}（{a.group.name}）" for a in waiting))
        raise ApplicationError(_("还有 %(count)s 份退回重评的评分未提交：%(names)s。请等评分人提交，或撤回退回重评。") % {
            "count": len(waiting), "names": named}, field="state")
