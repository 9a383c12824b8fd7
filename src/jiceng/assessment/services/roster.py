"""Who is in a round: subjects added in bulk from a region, and the removal of a subject or a
rater added by mistake — or of a whole draft period — before scoring opens, and never of anything
already saved."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiceng.core.audit import audit_record
from jiceng.core.errors import ApplicationError

from .. import selectors, workflow
from ..choices import PeriodState
from ..models import AssessmentPeriod, PeriodSubject, RaterAssignment, RaterGroup, Rating
from .periods import _group, _locked, subject_reference

REMOVABLE_STATES = (PeriodState.DRAFT,)


@dataclass(frozen=True)
class BulkAdd:
    added: list[PeriodSubject]
    skipped: int  # already in the period


@transaction.atomic
def period_subjects_add_bulk(*, actor, period: AssessmentPeriod, region, peer_group: str = "") -> BulkAdd:
    """Every object of the scheme's subject type under ``region`` that qualifies
    (``selectors.subject_candidates``: a grid worker in post, an active community staff account, …),
    except those already in the period. ``region`` must lie in the scheme's region. One audit record
    lists what was added."""
    period = _locked(period)
    scheme = period.scheme
    workflow.require_manager(actor, scheme)
    if period.state not in workflow.STATE_EDITABLE_SUBJECTS:
        raise ApplicationError(_("评分结束后不能再增加考核对象。"), field="state")
    if region is None or not region.path.startswith(scheme.region.path):
        raise ApplicationError(_("区域须在方案的组织区域（%(region)s）内。") % {"region": scheme.region.name},
                               field="region")
    present = set(period.subjects.values_list("subject_id", flat=True))
    made, skipped = [], 0
    for obj in selectors.subject_candidates(actor, scheme, region):
        if obj.pk in present:
            skipped += 1
            continue
        try:
            sid, name, path, user = subject_reference(scheme.subject_type, obj)
        except ApplicationError:
            continue  # does not qualify after all (an account without a region …)
        made.append(PeriodSubject(period=period, subject_type=scheme.subject_type, subject_id=sid,
                                  display_name=name[:200], region_path=path, peer_group=peer_group[:64], user=user))
    PeriodSubject.objects.bulk_create(made)
    audit_record(actor=actor, action="assessment.subjects_add_bulk", obj=period,
                 changes={"region": [None, region.path], "peer_group": [None, peer_group[:64]],
                          "added": [None, len(made)], "skipped": [None, skipped],
                          "subjects": [None, [f"{s.subject_type}:{s.subject_id}" for s in made][:500]]})
    return BulkAdd(made, skipped)


def _refuse_saved(ratings: int, what: str) -> None:
    if ratings:
        raise ApplicationError(_("%(what)s已有 %(count)s 条评分，不能移除（评分不会被删除）。") % {
            "what": what, "count": ratings}, field="state")


@transaction.atomic
def period_subject_remove(*, actor, period: AssessmentPeriod, subject: PeriodSubject) -> None:
    """Take out a subject added by mistake, with its rater assignments (and, in a peer group, the
    assignments in which it rates the others) — only before scoring opens, and never once a rating,
    a 加减分 entry, a result or an appeal has been saved for it."""
    period = _locked(period)
    workflow.require_manager(actor, period.scheme)
    if subject.period_id != period.pk:
        raise ApplicationError(_("考核对象不属于本考核期。"), field="subject")
    subject = PeriodSubject.objects.select_for_update().get(pk=subject.pk)
    mine = Q(subject=subject)
    if subject.user_id:  # in a peer group the subject also rates the others
        mine |= Q(group__peer=True, rater_id=subject.user_id)
    assignments = RaterAssignment.objects.filter(period=period).filter(mine)
    _refuse_saved(Rating.objects.filter(assignment__in=assignments).count(), f"“{subject.display_name}”")
    saved = {pgettext("saved record", "加减分"): subject.adjustments.count(),
             pgettext("saved record", "结果"): subject.results.count(),
             pgettext("saved record", "申诉"): subject.appeals.count()}
    if any(saved.values()):
        listed = pgettext("list separator", "、").join(
            _("%(what)s %(count)s 条") % {"what": k, "count": n} for k, n in saved.items() if n)
        raise ApplicationError(_("“%(name)s”已有%(records)s，不能移除。") % {
            "name": subject.display_name, "records": listed}, field="state")
    if period.state not in REMOVABLE_STATES:
        raise ApplicationError(_("考核期为“%(state)s”：开始评分后不能移除考核对象。") % {
            "state": period.get_state_display()}, field="state")
    removed = list(assignments.select_related("group").values_list("group__code", "rater_id", "subject_id"))
    snapshot = {"subject": [f"{subject.subject_type}:{subject.subject_id}", None],
                "display_name": [subject.display_name, None], "peer_group": [subject.peer_group, None],
                "region_path": [subject.region_path, None], "assignments": [len(removed), 0],
                "assignment_list": [[list(a) for a in removed][:500], None]}
    assignments.delete()
    audit_record(actor=actor, action="assessment.subject_remove", obj=period,
                 object_repr=f"{period.label}：移除 {subject.display_name}", changes=snapshot)
    subject.delete()


@transaction.atomic
def assignment_remove(*, actor, period: AssessmentPeriod, group: RaterGroup | str, rater,
                      subjects: list[PeriodSubject] | None = None) -> int:
    """Take a rater's assignments in a group out (all of them, or those for ``subjects``) — only
    before scoring opens, and never one with a saved rating. Returns how many were removed."""
    period = _locked(period)
    workflow.require_manager(actor, period.scheme)
    group = _group(period, group)
    qs = RaterAssignment.objects.filter(period=period, group=group, rater=rater)
    if subjects:
        if any(s.period_id != period.pk for s in subjects):
            raise ApplicationError(_("考核对象不属于本考核期。"), field="subjects")
        qs = qs.filter(subject__in=subjects)
    if not qs.exists():
        raise ApplicationError(_("%(rater)s 在“%(group)s”中没有（这些）评分任务。") % {
            "rater": rater, "group": group.name}, field="rater")
    _refuse_saved(Rating.objects.filter(assignment__in=qs).count(),
                  _("%(rater)s 在“%(group)s”中") % {"rater": rater, "group": group.name})
    if period.state not in REMOVABLE_STATES:
        raise ApplicationError(_("考核期为“%(state)s”：开始评分后不能移除评分任务。") % {
            "state": period.get_state_display()}, field="state")
    subject_ids = list(qs.values_list("subject_id", flat=True))
    count = len(subject_ids)
    qs.delete()
    audit_record(actor=actor, action="assessment.assignment_remove", obj=period,
                 object_repr=f"{period.label}：移除评分人 {rater}",
                 changes={"group": [group.code, None], "rater": [rater.pk, None],
                          "subjects": [subject_ids[:500], None], "count": [count, 0]})
    return count


def period_delete_refusal(period: AssessmentPeriod) -> str:
    """Why a period cannot be deleted ("" when it can): anything scored, recorded, computed or appealed;
    any state but 草稿; another period counting it as its 平时考核. The 删除 page shows it before asking."""
    counts = selectors.period_contents(period)
    saved = {pgettext("saved record", "评分"): counts["ratings"], pgettext("saved record", "加减分"): counts["adjustments"],
             pgettext("saved record", "结果"): counts["results"], pgettext("saved record", "申诉"): counts["appeals"]}
    if any(saved.values()):
        listed = pgettext("list separator", "、").join(
            _("%(what)s %(count)s 条") % {"what": k, "count": n} for k, n in saved.items() if n)
        return _("“%(label)s”已有%(records)s，不能删除。") % {"label": period.label, "records": listed}
    if period.state not in REMOVABLE_STATES:
        return _("考核期为“%(state)s”：只有草稿（开始评分前）可以删除。") % {"state": period.get_state_display()}
    annual = list(period.annual_periods.order_by("starts_on").values_list("label", flat=True))
    if annual:
        return _("“%(label)s”已作为“%(annual)s”的平时考核折算，不能删除。") % {
            "label": period.label, "annual": pgettext("list separator", "、").join(annual)}
    return ""


@transaction.atomic
def period_delete(*, actor, period: AssessmentPeriod) -> None:
    """Delete a period made by mistake, with its subjects and rater assignments: whoever may create a
    period of the scheme may delete it while it is a draft with nothing saved (``period_delete_refusal``,
    ``field="state"``). The audit record keeps what it was and what went with it."""
    period = _locked(period)
    workflow.require_manager(actor, period.scheme)
    refusal = period_delete_refusal(period)
    if refusal:
        raise ApplicationError(refusal, field="state")
    counts = selectors.period_contents(period)
    audit_record(actor=actor, action="assessment.period_delete", obj=period,
                 object_repr=f"{period.scheme.name}：删除考核期 {period.label}",
                 changes={"label": [period.label, None], "scheme": [period.scheme_id, None],
                          "version": [period.version.number, None], "starts_on": [period.starts_on, None],
                          "ends_on": [period.ends_on, None], "state": [period.state, None],
                          "subjects": [counts["subjects"], 0], "assignments": [counts["assignments"], 0]})
    period.delete()
