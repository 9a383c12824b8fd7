"""Periods, their subjects and raters, ratings and deduction/bonus entries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiceng.core.audit import audit_record
from jiceng.core.errors import ApplicationError, PermissionDeniedError

from .. import selectors, workflow
from ..choices import AppealState, GroupKind, IndicatorKind, RatingState, SubjectType
from ..models import (
    Adjustment,
    AssessmentPeriod,
    AssessmentScheme,
    Indicator,
    PeriodSubject,
    RaterAssignment,
    RaterGroup,
    Rating,
)
from .background import computation_refusal
from .schemes import _dec


def _locked(period: AssessmentPeriod) -> AssessmentPeriod:
    """The period, locked for a change; refused (409) while a computation of it runs in the background."""
    busy = computation_refusal(period)
    if busy is not None:
        raise busy
    return AssessmentPeriod.objects.select_for_update().select_related("scheme__region", "version").get(pk=period.pk)


@transaction.atomic
def period_create(*, actor, scheme: AssessmentScheme, label: str, starts_on: date, ends_on: date,
                  routine_periods: list[AssessmentPeriod] | None = None) -> AssessmentPeriod:
    """A period uses the scheme's newest version, which is frozen from now on."""
    workflow.require_manager(actor, scheme)
    if not label or len(label) > 100:
        raise ApplicationError(_("考核期名称不能为空（最多 100 字）。"), field="label")
    if ends_on < starts_on:
        raise ApplicationError(_("结束日期不能早于开始日期。"), field="ends_on")
    version = scheme.versions.select_for_update().order_by("-number").first()
    for rp in routine_periods or []:
        if rp.scheme.subject_type != scheme.subject_type or rp.scheme_id == scheme.pk:
            raise ApplicationError(_("平时考核 %(label)s 须是另一方案、同类考核对象的考核期。") % {
                "label": rp.label}, field="routine_periods")
        if rp.ends_on > ends_on or rp.starts_on < starts_on:
            raise ApplicationError(_("平时考核 %(label)s 不在本考核期内。") % {"label": rp.label},
                                   field="routine_periods")
    period = AssessmentPeriod.objects.create(scheme=scheme, version=version, label=label, starts_on=starts_on,
                                             ends_on=ends_on)
    if routine_periods:
        period.routine_periods.set(routine_periods)
    if not version.frozen:
        version.frozen = True
        version.save(update_fields=["frozen"])
    audit_record(actor=actor, action="assessment.period_create", obj=period,
                 changes={"label": [None, label], "version": [None, version.number],
                          "starts_on": [None, starts_on], "ends_on": [None, ends_on]})
    return period


def subject_reference(subject_type: str, obj) -> tuple[int, str, str, object | None]:
    """(id, display name, region path, own account) of an assessed object."""
    from jiceng.people.models import Department, GridWorker, User
    from jiceng.regions.choices import OrganisationKind, RegionLevel
    from jiceng.regions.models import Organisation, Region

    expected = {
        SubjectType.GRID_WORKER: GridWorker, SubjectType.STAFF: User, SubjectType.SECRETARY: User,
        SubjectType.COMMUNITY: Region, SubjectType.STREET: Region, SubjectType.PROPERTY: Organisation,
        SubjectType.DEPARTMENT: Department,
    }[subject_type]
    if not isinstance(obj, expected):
        raise ApplicationError(_("考核对象类型与方案不符。"), field="subject")
    if isinstance(obj, GridWorker):
        return obj.pk, obj.name, obj.community.path, obj.user
    if isinstance(obj, User):
        if obj.region_id is None:
            raise ApplicationError(_("该账号未绑定区域，不能作为考核对象。"), field="subject")
        return obj.pk, str(obj), obj.region.path, obj
    if isinstance(obj, Region):
        level = RegionLevel.COMMUNITY if subject_type == SubjectType.COMMUNITY else RegionLevel.STREET
        if obj.level != level:
            raise ApplicationError(_("考核对象须为%(level)s。") % {"level": RegionLevel(level).label},
                                   field="subject")
        return obj.pk, obj.name, obj.path, None
    if isinstance(obj, Organisation):
        if obj.kind != OrganisationKind.PROPERTY:
            raise ApplicationError(_("考核对象须为物业服务企业。"), field="subject")
        return obj.pk, obj.name, obj.grid.path, None
    return obj.pk, obj.name, obj.region.path, None


@transaction.atomic
def period_subject_add(*, actor, period: AssessmentPeriod, obj, peer_group: str = "") -> PeriodSubject:
    period = _locked(period)
    workflow.require_manager(actor, period.scheme)
    if period.state not in workflow.STATE_EDITABLE_SUBJECTS:
        raise ApplicationError(_("评分结束后不能再增加考核对象。"), field="state")
    sid, name, path, user = subject_reference(period.scheme.subject_type, obj)
    scheme_path = period.scheme.region.path
    if not path.startswith(scheme_path):
        raise ApplicationError(_("考核对象不在方案的组织区域内。"), field="subject")
    if period.subjects.filter(subject_type=period.scheme.subject_type, subject_id=sid).exists():
        raise ApplicationError(_("该对象已在本考核期中。"), field="subject")
    subject = PeriodSubject.objects.create(period=period, subject_type=period.scheme.subject_type, subject_id=sid,
                                           display_name=name[:200], region_path=path, peer_group=peer_group[:64],
                                           user=user)
    audit_record(actor=actor, action="assessment.subject_add", obj=subject,
                 changes={"period": [None, period.pk], "subject": [None, f"{subject.subject_type}:{sid}"]})
    return subject


def _group(period: AssessmentPeriod, group: RaterGroup | str) -> RaterGroup:
    code = group.code if isinstance(group, RaterGroup) else group
    found = period.version.groups.filter(code=code).first()
    if found is None:
        raise ApplicationError(_("评分组 %(code)s 不在本考核期的方案版本中。") % {"code": code}, field="group")
    return found


@transaction.atomic
def assignment_create(*, actor, period: AssessmentPeriod, group: RaterGroup | str, rater,
                      subjects: list[PeriodSubject] | None = None) -> list[RaterAssignment]:
    """``rater`` rates ``subjects`` in ``group``; without subjects, every subject of the period
    but the rater themself."""
    period = _locked(period)
    workflow.require_manager(actor, period.scheme)
    if period.state not in workflow.STATE_EDITABLE_SUBJECTS:
        raise ApplicationError(_("评分结束后不能再分配评分任务。"), field="state")
    group = _group(period, group)
    if rater is None or not rater.is_active:
        raise ApplicationError(_("评分人账号无效。"), field="rater")
    if subjects is None:
        subjects = [s for s in period.subjects.order_by("display_name", "id") if s.user_id != rater.pk]
    if group.peer and subjects and not period.subjects.filter(user=rater).exists():
        raise ApplicationError(_("互评的评分人须是本考核期的考核对象。"), field="rater")
    made = []
    for subject in subjects:
        if subject.period_id != period.pk:
            raise ApplicationError(_("考核对象不属于本考核期。"), field="subjects")
        if subject.user_id == rater.pk:
            raise ApplicationError(_("不能评自己。"), field="subjects")
        a, _created = RaterAssignment.objects.get_or_create(period=period, group=group, rater=rater,
                                                            subject=subject)
        made.append(a)
    audit_record(actor=actor, action="assessment.assignment_create", obj=period,
                 changes={"group": [None, group.code], "rater": [None, rater.pk],
                          "subjects": [None, [s.pk for s in subjects]]})
    return made


@transaction.atomic
def peer_assignments_create(*, actor, period: AssessmentPeriod, group: RaterGroup | str) -> list[RaterAssignment]:
    """互评: every subject with an account rates every other subject of its ranking group, never itself."""
    period = _locked(period)
    workflow.require_manager(actor, period.scheme)
    group = _group(period, group)
    if not group.peer:
        raise ApplicationError(_("该评分组不是互评组。"), field="group")
    if period.state not in workflow.STATE_EDITABLE_SUBJECTS:
        raise ApplicationError(_("评分结束后不能再分配评分任务。"), field="state")
    subjects = list(period.subjects.select_related("user"))
    made = []
    for rater_subject in subjects:
        if rater_subject.user is None:
            continue
        for other in subjects:
            if other.pk != rater_subject.pk and other.peer_group == rater_subject.peer_group:
                a, _created = RaterAssignment.objects.get_or_create(period=period, group=group,
                                                                    rater=rater_subject.user, subject=other)
                made.append(a)
    audit_record(actor=actor, action="assessment.peer_assign", obj=period,
                 changes={"group": [None, group.code], "count": [None, len(made)]})
    return made


def _transition(actor, period: AssessmentPeriod, action: str) -> AssessmentPeriod:
    period = _locked(period)
    t = workflow.check(period, actor, action)
    before = period.state
    period.state = t.target
    period.save(update_fields=["state"])
    audit_record(actor=actor, action=f"assessment.period_{action}", obj=period, changes={"state": [before, t.target]})
    return period


def period_open_refusal(period: AssessmentPeriod) -> ApplicationError | None:
    """Why scoring cannot start yet (None when it can): a period without subjects, or without a single
    rating task while its scheme has groups that raters score, would go to 评分中 with nothing to score —
    and could no longer be deleted. The 开始评分 page shows it before asking; ``period_open_scoring``
    raises it (``field`` ``subjects`` or ``assignments``)."""
    if not period.subjects.exists():
        return ApplicationError(_("本考核期还没有考核对象，不能开始评分。请先添加考核对象。"), field="subjects")
    groups = selectors.rater_scored_groups(period)
    if groups and not period.assignments.exists():
        return ApplicationError(_("本考核期还没有评分任务，不能开始评分：“%(groups)s”要由评分人评分。请先添加评分人。") % {
            "groups": pgettext("list separator", "、").join(g.name for g in groups)}, field="assignments")
    return None


@transaction.atomic
def period_open_scoring(*, actor, period: AssessmentPeriod) -> AssessmentPeriod:
    """开始评分: refused (``period_open_refusal``) for a period with nothing to score."""
    locked = _locked(period)
    workflow.check(locked, actor, "open_scoring")
    refusal = period_open_refusal(locked)
    if refusal is not None:
        raise refusal
    return _transition(actor, locked, "open_scoring")


@transaction.atomic
def period_close_scoring(*, actor, period: AssessmentPeriod) -> AssessmentPeriod:
    return _transition(actor, period, "close_scoring")


def _correction_allowed(period: AssessmentPeriod, subject: PeriodSubject) -> bool:
    """While re-reviewing, the records of subjects under appeal may be corrected."""
    return (period.state in workflow.APPEAL_CORRECTION_STATES
            and subject.appeals.filter(state=AppealState.OPEN).exists())


def correctable_subject_ids(period: AssessmentPeriod) -> set[int] | None:
    """Whose 加减分 entries may be recorded or withdrawn now: everyone's while scoring (None), while
    re-reviewing only those of the subjects with an appeal under review, nobody's otherwise (empty).
    The 加减分 page offers its subjects and its 撤销 buttons by this; the services check the same."""
    if period.state in workflow.RATING_STATES:
        return None
    if period.state in workflow.APPEAL_CORRECTION_STATES:
        return set(period.appeals.filter(state=AppealState.OPEN).values_list("subject_id", flat=True))
    return set()


def _adjustment_refusal(period: AssessmentPeriod, subject: PeriodSubject, *, withdraw: bool) -> str:
    """Why an entry of the subject cannot be recorded (or withdrawn) now, "" when it can."""
    if period.state in workflow.RATING_STATES or _correction_allowed(period, subject):
        return ""
    if period.state in workflow.APPEAL_CORRECTION_STATES:
        if withdraw:
            return _("复核中只能撤销申诉待复核的考核对象的加减分；“%(subject)s”没有待复核的申诉。") % {
                "subject": subject.display_name}
        return _("复核中只能为申诉待复核的考核对象登记加减分；“%(subject)s”没有待复核的申诉。") % {
            "subject": subject.display_name}
    if withdraw:
        return _("考核期为“%(state)s”，不能撤销加减分：评分中可以撤销，复核中只能撤销申诉待复核的考核对象的加减分。") % {
            "state": period.get_state_display()}
    return _("考核期为“%(state)s”，不能登记加减分：评分中可以登记，复核中只能为申诉待复核的考核对象登记。") % {
        "state": period.get_state_display()}


def rating_refusal(period: AssessmentPeriod, subject: PeriodSubject, rating: Rating | None) -> str:
    """Why the rating of an assignment cannot be saved now ("" when it can): the period is not open for
    rating (nor re-reviewing an appeal of the subject), or it was submitted in the scoring round. The
    rating form is read-only when it says something; ``rating_save`` refuses with it."""
    if period.state not in workflow.RATING_STATES and not _correction_allowed(period, subject):
        return _("考核期为“%(state)s”，不能评分。") % {"state": period.get_state_display()}
    if rating is not None and rating.state == RatingState.SUBMITTED and period.state in workflow.RATING_STATES:
        return _("评分已提交，不能修改。")
    return ""


def _check_points(value, field: str, maximum: Decimal) -> Decimal:
    points = _dec(value, field)
    if points > maximum:
        raise ApplicationError(_("得分不能超过满分 %(maximum)s。") % {"maximum": maximum}, field=field)
    return points


@transaction.atomic
def rating_save(*, actor, period: AssessmentPeriod, group: RaterGroup | str, subject: PeriodSubject,
                score=None, answers: dict | None = None, indicator_scores: dict | None = None,
                note: str = "", evidence_ref: str = "", submit: bool = False) -> Rating:
    """Save the actor's rating of one assigned subject (a draft, or submitted when ``submit``).

    ``indicator_scores`` maps indicator codes to ``{"points", "note", "evidence_ref"}`` (or points)."""
    period = _locked(period)
    group = _group(period, group)
    assignment = RaterAssignment.objects.filter(period=period, group=group, rater=actor, subject=subject).first()
    if assignment is None or actor is None or not actor.is_active:
        raise ApplicationError(_("您没有评该考核对象的任务。"), field="subject")
    rating = Rating.objects.select_for_update().filter(assignment=assignment).first()
    refusal = rating_refusal(period, subject, rating)
    if refusal:
        raise ApplicationError(refusal, field="state")
    if rating is not None and rating.state == RatingState.SUBMITTED and not submit:
        # a correction during 复核: the submitted score counts until another is submitted, so a draft
        # must not overwrite it in place (it would count half-finished)
        raise ApplicationError(_("这份评分已提交并计入计算：复核中修改请直接提交，不能保存为草稿。"), field="state")
    rating = rating or Rating(assignment=assignment)
    rows: list[tuple[Indicator, Decimal, str, str]] = []
    if group.kind == GroupKind.SINGLE:
        if score is None:
            if submit:
                raise ApplicationError(_("请填写评分。"), field="score")
            rating.score = None
        else:
            rating.score = _check_points(score, "score", group.max_points)
    elif group.kind == GroupKind.QUESTIONNAIRE:
        answers = dict(answers or {})
        items = {it["code"] for it in group.questionnaire["items"]}
        levels = {lv["code"] for lv in group.questionnaire["levels"]}
        for key, value in answers.items():
            if key not in items:
                raise ApplicationError(_("问卷中没有项目 %(item)s。") % {"item": key}, field="answers")
            if value not in levels:
                raise ApplicationError(_("项目 %(item)s 的评价 %(level)s 无效。") % {"item": key, "level": value},
                                       field="answers")
        if submit and set(answers) != items:
            raise ApplicationError(_("问卷每一项都须作答。"), field="answers")
        rating.answers = answers
    else:
        leaves = {i.code: i for i in group.indicators.filter(kind=IndicatorKind.MANUAL, children__isnull=True)
                  .order_by("order", "id")}  # the rating form's order
        for code, entry in (indicator_scores or {}).items():
            entry = entry if isinstance(entry, dict) else {"points": entry}
            if code not in leaves:
                raise ApplicationError(_("指标 %(code)s 不是本组的人工评分指标。") % {"code": code},
                                       field="indicator_scores")
            pts = _check_points(entry.get("points"), f"indicator_scores.{code}", leaves[code].max_points)
            rows.append((leaves[code], pts, str(entry.get("note", ""))[:500], str(entry.get("evidence_ref", ""))[:500]))
        if submit:
            given = {r[0].code for r in rows} | set(
                rating.indicator_scores.values_list("indicator__code", flat=True) if rating.pk else [])
            missing = [i.name for code, i in leaves.items() if code not in given]
            if missing:
                raise ApplicationError(_("以下指标尚未评分：%(names)s。") % {
                    "names": pgettext("list separator", "、").join(missing)}, field="indicator_scores")
    before = {"state": rating.state if rating.pk else None}
    rating.note, rating.evidence_ref = note[:500], evidence_ref[:500]
    if submit:
        rating.state = RatingState.SUBMITTED
        rating.submitted_at = timezone.now()
    rating.save()
    for indicator, pts, inote, ievidence in rows:
        rating.indicator_scores.update_or_create(indicator=indicator, defaults={
            "points": pts, "note": inote, "evidence_ref": ievidence})
    changes = {"state": [before["state"], rating.state], "group": [None, group.code], "subject": [None, subject.pk]}
    if submit and assignment.rerate_requested_at is not None:  # 退回重评 answered: off the rater's to-do list
        changes["rerate"] = [assignment.rerate_reason, None]
        assignment.rerate_requested_at, assignment.rerate_reason = None, ""
        assignment.save(update_fields=["rerate_requested_at", "rerate_reason"])
    if not group.anonymous:
        changes["score"] = [None, rating.score]
        changes["indicators"] = [None, {r[0].code: r[1] for r in rows}]
    audit_record(actor=actor, action="assessment.rating_save", obj=rating, object_repr=f"评分 {subject}",
                 changes=changes)
    return rating


@transaction.atomic
def adjustment_record(*, actor, period: AssessmentPeriod, subject: PeriodSubject, indicator: str, points,
                      note: str, evidence_ref: str = "") -> Adjustment:
    """One 加分/减分 entry by a manager. The item's ``max_points`` (if set) bounds one entry; its
    ``cap`` bounds the item's sum when computing."""
    period = _locked(period)
    if not workflow.is_manager(actor, period.scheme):
        raise PermissionDeniedError(_("您无权登记加减分。"))
    if subject.period_id != period.pk:
        raise ApplicationError(_("考核对象不属于本考核期。"), field="subject")
    refusal = _adjustment_refusal(period, subject, withdraw=False)
    if refusal:
        raise ApplicationError(refusal, field="state")
    item = period.version.indicators.filter(code=indicator, children__isnull=True,
                                            kind__in=[IndicatorKind.BONUS, IndicatorKind.DEDUCTION]).first()
    if item is None:
        raise ApplicationError(_("%(code)s 不是加分或减分项。") % {"code": indicator}, field="indicator")
    pts = _dec(points, "points")
    if pts <= 0:
        raise ApplicationError(_("分值须大于零。"), field="points")
    if item.max_points and pts > item.max_points:
        raise ApplicationError(_("单次分值不能超过 %(max)s。") % {"max": item.max_points}, field="points")
    if not note:
        raise ApplicationError(_("请填写事由。"), field="note")
    adj = Adjustment.objects.create(period=period, subject=subject, indicator=item, points=pts, note=note[:500],
                                    evidence_ref=evidence_ref[:500], recorded_by=actor)
    audit_record(actor=actor, action="assessment.adjustment_record", obj=adj, object_repr=f"{item.name} {subject}",
                 changes={"indicator": [None, item.code], "points": [None, pts], "subject": [None, subject.pk]})
    return adj


@transaction.atomic
def adjustment_withdraw(*, actor, adjustment: Adjustment, reason: str) -> Adjustment:
    """Withdraw a wrongly recorded 加分/减分 entry (kept, marked, and no longer counted)."""
    adjustment = Adjustment.objects.select_for_update().select_related("subject").get(pk=adjustment.pk)
    period = _locked(adjustment.period)
    if not workflow.is_manager(actor, period.scheme):
        raise PermissionDeniedError(_("您无权撤销加减分。"))
    refusal = _adjustment_refusal(period, adjustment.subject, withdraw=True)
    if refusal:
        raise ApplicationError(refusal, field="state")
    if adjustment.withdrawn_at is not None:
        raise ApplicationError(_("该条目已撤销。"), field="adjustment")
    if not reason or not reason.strip():
        raise ApplicationError(_("请填写撤销原因。"), field="reason")
    adjustment.withdrawn_at, adjustment.withdrawn_by, adjustment.withdrawn_reason = timezone.now(), actor, reason[:500]
    adjustment.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    audit_record(actor=actor, action="assessment.adjustment_withdraw", obj=adjustment,
                 object_repr=f"撤销 {adjustment.indicator.name} {adjustment.subject}",
                 changes={"withdrawn": [False, True], "reason": [None, reason[:200]]})
    return adjustment
