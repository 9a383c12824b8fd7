"""下一期: the next round of a scheme, set up from the last one — how an organisation department
starts every month, quarter or year: the same people and units assessed by the same raters."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.audit import audit_record
from jiceng.core.errors import ApplicationError

from .. import workflow
from ..choices import PeriodType, SubjectType
from ..models import AssessmentPeriod, AssessmentScheme, PeriodSubject, RaterAssignment
from .periods import period_create, subject_reference

_MONTHS = {PeriodType.MONTH: 1, PeriodType.BIMONTH: 2, PeriodType.QUARTER: 3, PeriodType.HALF_YEAR: 6,
           PeriodType.YEAR: 12}
_QUARTERS = "一二三四"


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_dates(period_type: str, starts_on: date, ends_on: date) -> tuple[date, date]:
    """The round after [starts_on, ends_on]: the next month, two months, quarter, half year or
    year for calendar-aligned rounds; for a term (or a round not aligned to months) the same number
    of days right after."""
    months = _MONTHS.get(period_type)
    aligned = (months is not None and starts_on.day == 1
               and ends_on == _add_months(starts_on, months) - timedelta(days=1))
    if aligned:
        start = _add_months(starts_on, months)
        return start, _add_months(start, months) - timedelta(days=1)
    start = ends_on + timedelta(days=1)
    return start, start + (ends_on - starts_on)


def next_round(period: AssessmentPeriod) -> tuple[AssessmentPeriod, date, date]:
    """What a 下一期 form proposes from ``period``: the round after the scheme's latest period (which
    may be a later one than ``period`` — 下一期 clicked on Q3 when Q4 exists proposes next year's Q1,
    not Q4 again), with that latest period so the page can say it exists."""
    latest = period.scheme.periods.order_by("-ends_on", "-starts_on", "-pk").first() or period
    starts_on, ends_on = next_dates(period.scheme.period_type, latest.starts_on, latest.ends_on)
    return latest, starts_on, ends_on


def current_dates(period_type: str, today: date) -> tuple[date, date]:
    """The round of ``period_type`` that contains ``today``: this month, these two months (1–2, 3–4 …),
    this quarter, this half year or this year; a term (任期) is five calendar years from this January
    (村（社区）“两委” are elected for five years)."""
    months = _MONTHS.get(period_type)
    if months is None:
        start = date(today.year, 1, 1)
        return start, date(today.year + 4, 12, 31)
    start = date(today.year, (today.month - 1) // months * months + 1, 1)
    return start, _add_months(start, months) - timedelta(days=1)


def first_free_dates(scheme: AssessmentScheme, today: date) -> tuple[date, date]:
    """What a new round of a scheme is proposed as: the round containing ``today`` for a scheme without
    rounds, else the first one not created yet — the one after the scheme's latest round (``next_dates``),
    so that 新建考核期 never proposes dates a round already has."""
    latest = scheme.periods.order_by("-ends_on", "-starts_on", "-pk").first()
    if latest is None:
        return current_dates(scheme.period_type, today)
    return next_dates(scheme.period_type, latest.starts_on, latest.ends_on)


def refuse_overlap(scheme, starts_on: date, ends_on: date) -> None:
    """One round of a scheme per stretch of time: a second click makes no second round."""
    overlap = scheme.periods.filter(starts_on__lte=ends_on, ends_on__gte=starts_on).order_by("starts_on").first()
    if overlap is not None:
        raise ApplicationError(_("本方案已有考核期“%(label)s”（%(starts_on)s至%(ends_on)s）与新的日期重叠。") % {
            "label": overlap.label, "starts_on": overlap.starts_on, "ends_on": overlap.ends_on}, field="starts_on")


def default_label(period_type: str, starts_on: date, ends_on: date) -> str:
    """The name offices give a round: 2026年12月, 2026年第一季度, 2026年上半年, 2026年度 …"""
    y, m = starts_on.year, starts_on.month
    months = _MONTHS.get(period_type)
    if months and starts_on.day == 1 and ends_on == _add_months(starts_on, months) - timedelta(days=1):
        if period_type == PeriodType.MONTH:
            return f"{y}年{m}月"
        if period_type == PeriodType.BIMONTH:
            return f"{y}年{m}—{m + 1}月"
        if period_type == PeriodType.QUARTER and m in (1, 4, 7, 10):
            return f"{y}年第{_QUARTERS[(m - 1) // 3]}季度"
        if period_type == PeriodType.HALF_YEAR and m in (1, 7):
            return f"{y}年{'上' if m == 1 else '下'}半年"
        if period_type == PeriodType.YEAR and m == 1:
            return f"{y}年度"
    return f"{starts_on:%Y-%m-%d}至{ends_on:%Y-%m-%d}"


def _objects(subject_type: str, ids: list[int]) -> dict[int, object]:
    """The assessed objects that still exist and still qualify (a grid worker in post, an active account)."""
    from jiceng.people.models import Department, GridWorker, User
    from jiceng.regions.models import Organisation, Region

    if subject_type == SubjectType.GRID_WORKER:
        qs = GridWorker.objects.filter(active=True).select_related("community", "user")
    elif subject_type in (SubjectType.STAFF, SubjectType.SECRETARY):
        qs = User.objects.filter(is_active=True).select_related("region")
    elif subject_type in (SubjectType.COMMUNITY, SubjectType.STREET):
        qs = Region.objects.all()
    elif subject_type == SubjectType.PROPERTY:
        qs = Organisation.objects.select_related("grid")
    else:
        qs = Department.objects.select_related("region")
    return qs.in_bulk(ids)


@dataclass(frozen=True)
class NextPeriod:
    period: AssessmentPeriod
    subjects: int
    assignments: int
    dropped_subjects: list[str]  # names of subjects that no longer exist or qualify
    dropped_raters: list[str]  # account off, group gone from the new version, or a peer no longer assessed


@transaction.atomic
def period_next(*, actor, period: AssessmentPeriod, label: str = "", starts_on: date | None = None,
                ends_on: date | None = None) -> NextPeriod:
    """下一期: a new period of ``period``'s scheme (its newest version, like any new period), by
    default the round right after it (``next_dates``, ``default_label``), with the same subjects —
    those that still exist and qualify, their names and places read afresh, their ranking groups
    kept — and the same rater assignments, matched to the new version's groups by code (raters whose
    account is off are left out; nobody rates themselves). Refused when a period of the scheme
    already covers the new dates (a second click makes no second round). One audit record for the
    period, one for what was carried over."""
    scheme = period.scheme
    workflow.require_manager(actor, scheme)
    if (starts_on is None) != (ends_on is None):
        raise ApplicationError(_("开始日期和结束日期须同时填写（或都不填，按考核周期顺延）。"), field="starts_on")
    if starts_on is None or ends_on is None:
        starts_on, ends_on = next_dates(scheme.period_type, period.starts_on, period.ends_on)
    if ends_on < starts_on:
        raise ApplicationError(_("开始日期不能晚于结束日期。"), field="starts_on")
    label = (label or "").strip() or default_label(scheme.period_type, starts_on, ends_on)
    refuse_overlap(scheme, starts_on, ends_on)
    new = period_create(actor=actor, scheme=scheme, label=label, starts_on=starts_on, ends_on=ends_on)

    old_subjects = list(period.subjects.order_by("id"))
    found = _objects(scheme.subject_type, [s.subject_id for s in old_subjects])
    carried: dict[int, PeriodSubject] = {}  # old subject id → new
    dropped_subjects = []
    for old in old_subjects:
        obj = found.get(old.subject_id)
        if obj is None:
            dropped_subjects.append(old.display_name)
            continue
        try:
            sid, name, path, user = subject_reference(scheme.subject_type, obj)
        except ApplicationError:
            dropped_subjects.append(old.display_name)
            continue
        if not path.startswith(scheme.region.path):
            dropped_subjects.append(old.display_name)
            continue
        carried[old.pk] = PeriodSubject(period=new, subject_type=scheme.subject_type, subject_id=sid,
                                        display_name=name[:200], region_path=path, peer_group=old.peer_group,
                                        user=user)
    PeriodSubject.objects.bulk_create(carried.values())

    groups = {g.code: g for g in new.version.groups.all()}
    subject_users = {s.user_id for s in carried.values() if s.user_id}
    assignments, dropped_raters = [], set()
    for a in period.assignments.select_related("group", "rater").order_by("id"):
        subject = carried.get(a.subject_id)
        group = groups.get(a.group.code)
        if group is None or not a.rater.is_active or (group.peer and a.rater_id not in subject_users):
            dropped_raters.add(str(a.rater))  # a peer rater must still be assessed in the round
            continue
        if subject is None or subject.user_id == a.rater_id:
            continue
        assignments.append(RaterAssignment(period=new, group=group, rater=a.rater, subject=subject))
    RaterAssignment.objects.bulk_create(assignments)
    audit_record(actor=actor, action="assessment.period_next", obj=new,
                 changes={"from_period": period.pk, "subjects": [None, len(carried)],
                          "assignments": [None, len(assignments)],
                          "dropped_subjects": dropped_subjects[:50], "dropped_raters": sorted(dropped_raters)[:50]})
    return NextPeriod(new, len(carried), len(assignments), dropped_subjects, sorted(dropped_raters))


@transaction.atomic
def period_start(*, actor, scheme: AssessmentScheme, label: str = "", starts_on: date | None = None,
                 ends_on: date | None = None, today: date | None = None) -> AssessmentPeriod:
    """A new round of a scheme with nothing carried over — the first one, typically: by default the
    round of the scheme's period type that contains today (``current_dates``), or, when the scheme has
    rounds, the one after its latest (``first_free_dates``), named as offices name it
    (``default_label``). Refused when a period of the scheme already covers the dates."""
    workflow.require_manager(actor, scheme)
    if (starts_on is None) != (ends_on is None):
        raise ApplicationError(_("开始日期和结束日期须同时填写（或都不填，按考核周期取本期）。"), field="starts_on")
    if starts_on is None or ends_on is None:
        starts_on, ends_on = first_free_dates(scheme, today or timezone.localdate())
    if ends_on < starts_on:
        raise ApplicationError(_("结束日期不能早于开始日期。"), field="ends_on")
    label = (label or "").strip() or default_label(scheme.period_type, starts_on, ends_on)
    refuse_overlap(scheme, starts_on, ends_on)
    return period_create(actor=actor, scheme=scheme, label=label, starts_on=starts_on, ends_on=ends_on)
