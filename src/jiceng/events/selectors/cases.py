"""Reads of cases, already narrowed to what the actor may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.errors import ApplicationError, NotFoundError
from jiceng.core.scope import is_active_account, restrict
from jiceng.people.choices import Role
from jiceng.people.models import Department
from jiceng.regions.models import Region

from .. import workflow
from ..choices import OPEN_STATES, EventState, WhistleState
from ..models import Event, EventCategory, EventTransition, ResponseTemplate, Timer, Whistle
from .numbers import day_bounds


def event_visible(actor) -> QuerySet[Event]:
    """Region staff see the cases in their region's subtree (by the case's grid path), grid workers
    the cases in their grids, department staff the cases assigned or whistled to their department.
    The admin roles see none (cases carry the reporter's personal information)."""
    qs = Event.objects.select_related("category", "grid", "community", "handler_region", "handler_department")
    if not is_active_account(actor):
        return qs.none()
    if actor.role == Role.DEPARTMENT_STAFF:
        if not actor.department_id:
            return qs.none()
        whistled = Whistle.objects.filter(department_id=actor.department_id).values("event_id")
        return qs.filter(Q(handler_department_id=actor.department_id) | Q(pk__in=whistled))
    return restrict(qs, actor)


def event_get(*, actor, pk: int) -> Event:
    event = event_visible(actor).filter(pk=pk).first()
    if event is None:
        raise NotFoundError(_("未找到该事件，或您无权查看。"))
    return event


def event_filter(qs: QuerySet[Event], *, state: str = "", category: EventCategory | None = None,
                 region: Region | None = None, department: Department | None = None, channel: str = "",
                 q: str = "", overdue: bool | None = None, open_only: bool = False,
                 reported_from: date | None = None, reported_to: date | None = None,
                 states: tuple[str, ...] = (), late_now: bool = False) -> QuerySet[Event]:
    """One filter for pages, API and exports. ``q`` is a case number or a fragment of the title;
    ``overdue`` is 曾超期 (a deadline was missed at some stage), ``late_now`` 超期未办结 (past a
    deadline right now, ``overdue_now``); ``states`` one of the console's queues."""
    q = (q or "").strip()
    if q:
        if q.isdigit() and len(q) >= 15:
            qs = qs.filter(pk=int(q[8:]))
        else:
            qs = qs.filter(title__contains=q)
    if state:
        qs = qs.filter(state=state)
    if open_only:
        qs = qs.filter(state__in=list(OPEN_STATES))
    if category is not None:
        qs = qs.filter(category__path__startswith=category.path)
    if region is not None:
        qs = qs.filter(grid__path__startswith=region.path)
    if department is not None:
        qs = qs.filter(handler_department=department)
    if channel:
        qs = qs.filter(channel=channel)
    if overdue is not None:
        qs = qs.filter(overdue_at__isnull=not overdue)
    if states:
        qs = qs.filter(state__in=list(states))
    if late_now:
        qs = qs.filter(overdue_now())
    if reported_from is not None or reported_to is not None:  # both days included
        start, end = day_bounds(reported_from or date(1970, 1, 1),
                                reported_to + timedelta(days=1) if reported_to else date(9999, 1, 1))
        qs = qs.filter(reported_at__gte=start, reported_at__lt=end)
    return qs


def event_timeline(*, actor, event: Event) -> list[EventTransition]:
    event_get(actor=actor, pk=event.pk)
    return list(EventTransition.objects.filter(event=event).select_related("actor").order_by("at", "id"))


def latest_feedback(*, events: list[Event]) -> dict[int, EventTransition]:
    """Each case's latest 处置反馈 (the handler's note and photos), for those who must check it (the
    patrol page's 核查 cards): one query for the whole list. The cases are ones the caller already
    narrowed to the actor's."""
    found: dict[int, EventTransition] = {}
    rows = EventTransition.objects.filter(event_id__in=[e.pk for e in events], action="submit").order_by("at", "id")
    for row in rows.only("event_id", "at", "note", "photos"):
        found[row.event_id] = row  # later rows replace earlier ones
    return found


def event_actions(*, actor, event: Event) -> list[str]:
    """What the actor may do on the case now (for buttons); the services check again."""
    return event_actions_many(actor=actor, events=[event])[event.pk]


def event_actions_many(*, actor, events: list[Event]) -> dict[int, list[str]]:
    """``event_actions`` for a list of cases (a queue), by case id, in two queries."""
    from ..services._engine import relations_of_many

    relations = relations_of_many(events, actor)
    return {e.pk: [a for a in workflow.allowed_actions(e.state, relations[e.pk])
                   if not workflow.case_refusal(a, e, actor)] for e in events}


def event_timers(*, event: Event) -> list[Timer]:
    return list(Timer.objects.filter(event=event).order_by("started_at", "id"))


def response_templates(*, action: str, category: EventCategory | None = None) -> QuerySet[ResponseTemplate]:
    """常用语 for an action: the category's own first, then the general ones."""
    qs = ResponseTemplate.objects.filter(action=action)
    if category is not None:
        qs = qs.filter(Q(category=category) | Q(category__isnull=True))
    else:
        qs = qs.filter(category__isnull=True)
    return qs.order_by(F("category_id").asc(nulls_last=True), "sort", "id")


def category_options(*, active_only: bool = True) -> QuerySet[EventCategory]:
    qs = EventCategory.objects.all()
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("path")


def overdue_now(now: datetime | None = None) -> Q:
    """Open and past a deadline right now: a stage timer has fired and is still running, or the
    handling deadline has passed — 超期未办结, the console's tile and the list it opens alike."""
    now = now or timezone.now()
    running_fired = Timer.objects.filter(stopped_at__isnull=True, fired_at__isnull=False).values("event_id")
    return Q(state__in=list(OPEN_STATES)) & (Q(pk__in=running_fired) | Q(handle_due_at__lt=now, state__in=[
        EventState.SIGNED, EventState.HANDLING, EventState.DISPATCHED]))


def overdue_open(*, actor, now: datetime | None = None, region: Region | None = None) -> QuerySet[Event]:
    """The 超期未办结 cases the actor sees (``overdue_now``)."""
    qs = event_visible(actor).filter(overdue_now(now))
    if region is not None:
        qs = qs.filter(grid__path__startswith=region.path)
    return qs


# --- 吹哨报到 ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhistleRow:
    """One department's answers to whistles in a period: called, reported in time, reported late,
    still unanswered and late, still unanswered within the deadline (waiting) — the four add up
    to called (the whistles behind each figure: ``whistle_list``)."""

    department: Department
    called: int
    reported_in_time: int
    reported_late: int
    unanswered_late: int
    waiting: int

    @property
    def late(self) -> int:
        return self.reported_late + self.unanswered_late

    @property
    def in_time_rate(self) -> float | None:
        return round(self.reported_in_time / self.called, 4) if self.called else None

    @property
    def in_time_percent(self) -> float | None:
        """As the page shows it (one decimal, like every rate there): 129/151 → 85.4."""
        return self.reported_in_time * 100 / self.called if self.called else None


def whistle_visible(actor) -> QuerySet[Whistle]:
    """Whistles of visible cases; department staff see their own department's calls."""
    qs = Whistle.objects.select_related("department", "event", "blower_region")
    if not is_active_account(actor):
        return qs.none()
    if actor.role == Role.DEPARTMENT_STAFF:
        return qs.filter(department_id=actor.department_id)
    return qs.filter(event__in=event_visible(actor).values("pk"))


def whistle_pending(*, actor, event: Event | None = None) -> list[tuple[Whistle, str]]:
    """Calls waiting for the actor's department, each with the step it awaits: 报到
    (``whistle_report``) while called, 部门反馈 (``whistle_feedback``) once reported — only on cases
    in a state where the workflow allows either. Only department staff have any."""
    if not is_active_account(actor) or actor.role != Role.DEPARTMENT_STAFF or not actor.department_id:
        return []
    step = {WhistleState.CALLED: "whistle_report", WhistleState.REPORTED: "whistle_feedback"}
    qs = whistle_visible(actor).filter(state__in=list(step), event__state__in=list(
        workflow.transition("whistle_report").sources)).select_related("event__grid", "event__community")
    if event is not None:
        qs = qs.filter(event_id=event.pk)
    return [(w, step[w.state]) for w in qs.order_by("due_at", "id")[:300]]


def whistle_departments(*, event: Event) -> list[Department]:
    """Departments a whistle on ``event`` may call: those serving its place without an open call."""
    from ..units import units_serving

    open_calls = set(Whistle.objects.filter(event_id=event.pk, state__in=[
        WhistleState.CALLED, WhistleState.REPORTED]).values_list("department_id", flat=True))
    return [u.department for u in units_serving(event)
            if u.department is not None and u.department.pk not in open_calls]


def event_check(*, actor, event: Event, action: str) -> None:
    """Refuse as the service will (the state first, then the actor) before a page parses a form."""
    from ..services._engine import relations_of

    workflow.check(action, state=event.state, relations=relations_of(event, actor))


def merge_candidates(*, actor, event: Event) -> list[Event]:
    """Open cases the actor sees that could be the master of ``event`` (合并): the same category,
    near it and recent (the category's duplicate radius and window), nearest first."""
    from ..services.intake import event_find_duplicates

    if event.lng is None or event.lat is None or not event.category.active:
        return []
    near = event_find_duplicates(category=event.category, lng=event.lng, lat=event.lat, exclude=event, limit=20)
    seen = set(event_visible(actor).filter(pk__in=[d.event.pk for d in near], duplicate_of__isnull=True)
               .values_list("pk", flat=True))
    return [d.event for d in near if d.event.pk in seen]


# The figures of a department's row in 吹哨报到, each the whistles it counts: the page's and the API's
# counts and the lists behind them (whistle_list) read the same conditions.
WHISTLE_KINDS: dict[str, Q] = {
    "called": Q(),
    "reported_in_time": Q(reported_at__isnull=False, late=False),
    "reported_late": Q(reported_at__isnull=False, late=True),
    "unanswered_late": Q(reported_at__isnull=True, late=True),
    "waiting": Q(reported_at__isnull=True, late=False),
    "late": Q(late=True),
}


def whistles_in(*, actor, start: date, end: date, region: Region | None = None) -> QuerySet[Whistle]:
    """The whistles 吹哨报到 counts for whistles blown in [start, end): those the actor sees, on cases
    in ``region`` (and below); a call cancelled before anyone reported is not counted."""
    if end <= start:
        raise ApplicationError(_("统计结束日期须晚于开始日期。"), field="end")
    lo, hi = day_bounds(start, end)
    qs = whistle_visible(actor).filter(blown_at__gte=lo, blown_at__lt=hi).exclude(state=WhistleState.CANCELLED,
                                                                                   reported_at__isnull=True)
    if region is not None:
        qs = qs.filter(event__grid__path__startswith=region.path)
    return qs


def whistle_list(*, actor, start: date, end: date, region: Region | None = None, department: Department,
                 kind: str = "called") -> QuerySet[Whistle]:
    """The whistles behind one figure of ``whistle_stats`` (``kind``, a key of WHISTLE_KINDS) for one
    department, newest first: as many as the figure says. Department staff ask only of their own."""
    if kind not in WHISTLE_KINDS:
        raise ApplicationError(_("未知的吹哨统计项。"), field="kind")
    if is_active_account(actor) and actor.role == Role.DEPARTMENT_STAFF and department.pk != actor.department_id:
        raise NotFoundError(_("部门（ID %(pk)s）不存在，或不在您的管辖范围内。") % {"pk": department.pk}, field="department")
    qs = whistles_in(actor=actor, start=start, end=end, region=region)
    return (qs.filter(WHISTLE_KINDS[kind], department_id=department.pk)
            .select_related("event__grid", "event__community", "event__category").order_by("-blown_at", "-id"))


def whistle_stats(*, actor, start: date, end: date, region: Region | None = None) -> list[WhistleRow]:
    """吹哨报到 per department for whistles blown in [start, end): the county sees every department;
    a flagged (late) call counts against the department whether or not it reported afterwards."""
    qs = whistles_in(actor=actor, start=start, end=end, region=region)
    rows = qs.values("department_id").annotate(**{
        kind: Count("id", filter=condition) for kind, condition in WHISTLE_KINDS.items() if kind != "late"})
    departments = Department.objects.in_bulk([r["department_id"] for r in rows])
    out = [WhistleRow(department=departments[r["department_id"]], called=r["called"],
                      reported_in_time=r["reported_in_time"], reported_late=r["reported_late"],
                      unanswered_late=r["unanswered_late"], waiting=r["waiting"])
           for r in rows]
    return sorted(out, key=lambda r: (-r.late, r.department.code))
