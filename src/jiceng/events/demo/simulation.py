"""The workflow simulated case by case, collecting the rows to insert."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

from jiceng.regions.choices import RegionLevel

from .. import texts
from ..choices import (
    Channel,
    HandlerLevel,
    Rating,
    RatingSource,
    Stage,
    UnitKind,
    UnsatisfiedAction,
    WhistleState,
)
from ..models import Whistle
from ..worktime import clock_add, clock_between
from .world import (
    Case,
    H,
    S,
    Stop,
    World,
    demo_photos,
    fast_datetime,
    fraction,
    json_list,
    reporter_label,
    stage_allowance,
)

# What is still open at the end of the window depends on a case's age, as on a real platform. A
# case simply stops where its timeline reaches the end (``Stop``), so the last days' cases are still
# being accepted, dispatched, handled or checked, most inside their deadlines. Work with a long
# allowance (disputes, applications, repairs: handle_hours >= 40) is often unhurried (35–90 % of the
# allowance, UNHURRIED_LONG of the time; 35–75 % for UNHURRIED of the 16–24 h ones) and is more often
# suspended while waiting for a party, a hearing or funds (SUSPEND_LONG, mostly for weeks: the clock
# is paused, so not overdue). A few percent get stuck and are handled late by an exponential wait: weeks
# for STUCK (mean STUCK_MEAN_DAYS), months for STUCK_LONG (mean STUCK_LONG_MEAN_DAYS). The chance
# that a case is still open falls with its age: the thin tail of old, overdue cases is thinnest for
# the oldest. Full demo (100,000 cases, a year to today): about 2,400 open, over half of them from
# the last two weeks, about 900 of them overdue; 结案率 about 97.7 %, 满意率 about 95.6 %. (A 结案率
# nearer 95 % needs about a thousand more open cases: with these deadlines, more stuck, overdue ones.)
UNHURRIED, UNHURRIED_LONG = 0.4, 0.75
SUSPEND, SUSPEND_LONG, SUSPEND_LONG_MEAN_DAYS = 0.012, 0.15, 30
STUCK, STUCK_MEAN_DAYS, STUCK_LONG, STUCK_LONG_MEAN_DAYS = 0.025, 40, 0.014, 150
# The grids of a worker with an account (the demo's ``grid`` login) keep the cases handled in their last
# days waiting for that worker's check (待我核查), so that the account has work to try: elsewhere the
# simulated checker (a worker without an account) has closed them. The window holds about
# ACCOUNT_CHECK_CASES of those grids' cases, within ACCOUNT_CHECK_DAYS (two days at full scale).
ACCOUNT_CHECK_CASES = 5
ACCOUNT_CHECK_DAYS = (2, 14)


def account_check_days(cases_a_day: float) -> float:
    """How many last days' handled cases wait for the account's check, given how many cases its grids get a day."""
    low, high = ACCOUNT_CHECK_DAYS
    return min(max(ACCOUNT_CHECK_CASES / cases_a_day, low), high) if cases_a_day > 0 else 0


class Sim:
    """Simulates cases one by one and collects the rows to insert."""

    def __init__(self, world: World, end: datetime, audit_id: int, *, account_check_from: datetime | None = None):
        self.fdt = fast_datetime()
        self.w = world
        self.rng = world.rng
        self.end = end
        self.account_check_from = account_check_from or end  # see ACCOUNT_CHECK_CASES
        self.audit_id = audit_id
        self.transitions: list[tuple] = []
        self.whistles: list[tuple] = []
        self.ratings: list[tuple] = []
        self.timers: list[tuple] = []
        self.supporters: list[tuple] = []
        self.next_whistle_id = (Whistle.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        self.recent: dict[tuple[int, int], int] = {}  # (grid, category) → last case id, for duplicates

    # --- helpers -------------------------------------------------------------------------------

    def hours(self, value) -> float:
        return float(Decimal(str(value))) * H

    def at(self, clock: str, start: datetime, seconds: float) -> datetime:
        return clock_add(clock, start, seconds, self.w.calendar)

    def row(self, case: Case, action: str, frm: str, to: str, at: datetime, *, actor: int | None = None,
            label: str = "", note: str = "", photos=(), data: dict | None = None) -> None:
        self.transitions.append((case.id, action, frm, to, actor, label[:100], self.fdt(at), note,
                                 json_list(photos), json.dumps(data, ensure_ascii=False) if data else "{}",
                                 self.audit_id))
        if case.last_at is None or at > case.last_at:
            case.last_at = at

    def move(self, case: Case, action: str, to: str, at: datetime, **kw) -> None:
        if at > self.end:
            raise Stop
        self.row(case, action, case.state, to, at, **kw)
        case.state = to

    def overdue(self, case: Case, due: datetime, stage: str) -> None:
        if due > self.end:
            return
        if case.overdue_at is None or due < case.overdue_at:
            first = case.overdue_at is None
            case.overdue_at = due
            if first:
                self.row(case, "overdue", case.state, case.state, due, label=texts.ACTOR_SYSTEM,
                         note=texts.NOTE_OVERDUE % {"stage": Stage(stage).label, "due": texts.due_text(due)},
                         data={"stage": stage, "due_at": due.isoformat()})
        if stage == Stage.HANDLE and case.handle_overdue_at is None:
            case.handle_overdue_at = due

    def open_timer(self, case: Case, stage: str, start: datetime, due: datetime, cat, whistle_id=None,
                   paused_at: datetime | None = None) -> None:
        """The timer of the stage a case is in at the end of the window, as the processor leaves it
        (warned and fired when those moments have passed; frozen while suspended)."""
        warn = self.at(cat.clock, start, self.hours(stage_allowance(cat, stage)) * cat.warn_percent / 100)
        until = paused_at or self.end
        remaining = clock_between(cat.clock, paused_at, due, self.w.calendar) if paused_at else None
        self.timers.append((case.id, stage, whistle_id, cat.clock, start, due, warn, warn if warn <= until else None,
                            due if due <= until else None, paused_at, remaining))
        if due <= until and stage != Stage.WHISTLE:
            self.overdue(case, due, stage)

    def command(self, case: Case, *, other_than: int | None = None, nobody: str = "指挥中心") -> tuple[int | None, str]:
        """The command-centre staff nearest the case (community, street, county), leaving out
        ``other_than``: a call-back rating (回访) comes from someone who did not handle the case."""
        regions = self.w.ancestors[case.grid_id]
        for level in (RegionLevel.COMMUNITY, RegionLevel.STREET, RegionLevel.COUNTY):
            region = regions.get(level)
            user = self.w.staff_by_region.get(region.pk) if region else None
            if user is not None and user.pk != other_than:
                return user.pk, user.full_name or user.username
        return None, nobody

    def unit_for(self, case: Case, cat) -> tuple[str, int | None, int | None, str]:
        if cat.handler_level == HandlerLevel.DEPARTMENT and cat.department_kind in self.w.departments:
            d = self.w.departments[cat.department_kind]
            return UnitKind.DEPARTMENT, None, d.pk, d.name
        level = {HandlerLevel.COMMUNITY: RegionLevel.COMMUNITY, HandlerLevel.STREET: RegionLevel.STREET}.get(
            cat.handler_level, RegionLevel.COUNTY)
        region = self.w.ancestors[case.grid_id].get(level) or self.w.ancestors[case.grid_id][RegionLevel.COUNTY]
        return UnitKind.REGION, region.pk, None, region.name

    def handler_actor(self, case: Case, unit_name: str) -> tuple[int | None, str]:
        if case.handler_kind == UnitKind.DEPARTMENT:
            user = self.w.staff_by_department.get(case.handler_department_id)
        else:
            user = self.w.staff_by_region.get(case.handler_region_id)
        if user is not None:
            return user.pk, user.full_name or user.username
        return None, unit_name

    def set_unit(self, case: Case, unit) -> None:
        case.handler_kind, case.handler_region_id, case.handler_department_id, _ = unit

    # --- one case ------------------------------------------------------------------------------

    def simulate(self, case: Case, cat) -> None:
        try:
            self._simulate(case, cat)
        except Stop:
            pass
        limit = case.closed_at or self.end
        if case.whistle_at is not None and case.whistle_at <= limit:
            self._whistle(case, cat, case.whistle_at, limit)
        if case.state not in (S.CLOSED, S.RATED, S.REJECTED, S.VOID):
            self.recent[(case.grid_id, case.category_id)] = case.id

    def _stage(self, case: Case, cat, stage: str, start: datetime, fraction: float) -> tuple[datetime, datetime]:
        """When the stage ends (``fraction`` of its allowance) and its deadline; an open timer and
        Stop when that is after the end of the window; the overdue flag when late."""
        allowance = self.hours(stage_allowance(cat, stage))
        due = self.at(cat.clock, start, allowance)
        done = self.at(cat.clock, start, allowance * fraction)
        if done > self.end:
            self._still_in(case, cat, stage, start, due)
        if done > due:
            self.overdue(case, due, stage)
        return done, due

    def _still_in(self, case: Case, cat, stage: str, start: datetime, due: datetime | None = None):
        """The case is still in ``stage`` at the end of the window: its open timer, and Stop."""
        if due is None:
            due = self.at(cat.clock, start, self.hours(stage_allowance(cat, stage)))
        self.open_timer(case, stage, start, due, cat)
        raise Stop

    def _simulate(self, case: Case, cat) -> None:
        rng = self.rng
        label = reporter_label(case)
        self.row(case, "report", "", S.PENDING, case.reported_at, actor=case.reporter_id, label=label,
                 note=case.description, photos=case.photos, data={"channel": case.channel})
        cmd_id, cmd_label = self.command(case)
        emergency = case.channel == Channel.EMERGENCY
        if emergency:
            t = case.reported_at
            case.registered_at = t
            self.move(case, "register", S.REGISTERED, t, label=texts.ACTOR_SYSTEM, note=texts.NOTE_AUTO_REGISTER)
        else:
            t, _ = self._stage(case, cat, Stage.ACCEPT, case.reported_at, fraction(rng, late=0.015))
            if rng.random() < 0.01:
                case.reason = "不属于网格事件受理范围"
                self.move(case, "reject", S.REJECTED, t, actor=cmd_id, label=cmd_label, note=case.reason)
                return
            case.registered_at = t
            self.move(case, "register", S.REGISTERED, t, actor=cmd_id, label=cmd_label)
            master = self.recent.get((case.grid_id, case.category_id))
            if master is not None and rng.random() < 0.08:
                case.duplicate_of_id, case.reason = master, "重复"
                self.move(case, "merge", S.VOID, t + timedelta(minutes=rng.randint(1, 20)), actor=cmd_id,
                          label=cmd_label, note="重复：与在办事件为同一问题。", data={"duplicate_of": master})
                return
        unit = self.unit_for(case, cat)
        t += timedelta(minutes=rng.randint(0, 2 if emergency else 30))
        if not emergency and rng.random() < 0.045 and len(self.w.whistle_departments) > 1:
            wrong = rng.choice([d for d in self.w.whistle_departments if d.pk != unit[2]])
            self._dispatch(case, cat, (UnitKind.DEPARTMENT, None, wrong.pk, wrong.name), t, cmd_id, cmd_label)
            t, _ = self._stage(case, cat, Stage.SIGN, t, rng.uniform(0.1, 0.9))
            actor, label = self.handler_actor(case, wrong.name)
            case.return_count += 1
            case.first_returned_at = t
            case.handler_kind, case.handler_region_id, case.handler_department_id = "", None, None
            to = S.RULING if case.return_count >= cat.max_returns else S.RETURNED
            self.move(case, "return", to, t, actor=actor, label=label, note="不属于本单位职责，请重新派遣。")
            t += timedelta(minutes=rng.randint(5, 90))
            if to == S.RULING:
                case.returns_locked = True
                self._dispatch(case, cat, unit, t, cmd_id, cmd_label, action="rule")
            else:
                self._dispatch(case, cat, unit, t, cmd_id, cmd_label)
        else:
            self._dispatch(case, cat, unit, t, cmd_id, cmd_label, system=emergency)
        handler_id, handler_label = self.handler_actor(case, unit[3])
        t, _ = self._stage(case, cat, Stage.SIGN, case.dispatched_at, fraction(rng, late=0.01))
        case.signed_at = t
        self.move(case, "sign", S.SIGNED, t, actor=handler_id, label=handler_label)
        handle_start = t
        case.handle_due_at = self.at(cat.clock, t, self.hours(cat.handle_hours))
        t += timedelta(minutes=rng.randint(1, 20))
        self.move(case, "start", S.HANDLING, t, actor=handler_id, label=handler_label)
        if rng.random() < 0.03 and cat.handler_level in (HandlerLevel.COMMUNITY, HandlerLevel.STREET):
            case.whistle_at = t + timedelta(minutes=rng.randint(10, 240))
        long = cat.handle_hours >= 40  # disputes, applications, repairs: waits and visits, not one trip
        if rng.random() < (SUSPEND_LONG if long else SUSPEND):
            t = self._suspend(case, cat, t + timedelta(minutes=rng.randint(10, 300)), cmd_id, cmd_label, long=long)
        unhurried, cap = (UNHURRIED_LONG, 0.9) if long else (UNHURRIED, 0.75) if cat.handle_hours >= 16 else (0, 0)
        t = self._handle(case, cat, handle_start, fraction(rng, late=0.035, unhurried=unhurried, cap=cap), handler_id,
                         handler_label, delay=self._stuck())
        self._verify_and_close(case, cat, t, handler_id, handler_label)

    def _dispatch(self, case, cat, unit, t, cmd_id, cmd_label, *, system=False, action="dispatch") -> None:
        self.set_unit(case, unit)
        case.dispatched_at = t
        if case.first_dispatched_at is None:
            case.first_dispatched_at = t
        self.move(case, action, S.DISPATCHED, t, actor=None if system else cmd_id,
                  label=texts.ACTOR_SYSTEM if system else cmd_label,
                  data={"unit": {"kind": unit[0], "id": unit[1] or unit[2], "name": unit[3]}})

    def _stuck(self) -> timedelta | None:
        """How long a stuck case waits beyond its handling (a party out of reach, a contractor, a
        dispute that drags on): weeks for most, months for a few; None for the others."""
        roll = self.rng.random()
        if roll < STUCK:
            return timedelta(days=self.rng.expovariate(1 / STUCK_MEAN_DAYS))
        if roll < STUCK + STUCK_LONG:
            return timedelta(days=self.rng.expovariate(1 / STUCK_LONG_MEAN_DAYS))
        return None

    def _handle(self, case, cat, start, fraction, handler_id, handler_label, *, delay=None) -> datetime:
        """处置 until the feedback (``delay`` later when stuck); the deadline (already extended by
        suspensions) decides overdue."""
        allowance = self.hours(cat.handle_hours)
        worked = self.at(cat.clock, start, allowance * fraction)
        if case.paused_clock_seconds:
            worked = self.at(cat.clock, worked, case.paused_clock_seconds)
        if delay is not None:
            worked += delay
        worked = max(worked, case.last_at + timedelta(minutes=5))
        if worked > self.end:
            self._still_in(case, cat, Stage.HANDLE, case.signed_at, case.handle_due_at)
        if worked > case.handle_due_at:
            self.overdue(case, case.handle_due_at, Stage.HANDLE)
        case.handled_at, case.handled_by_id = worked, handler_id
        self.move(case, "submit", S.TO_VERIFY, worked, actor=handler_id, label=handler_label, note="已处置完毕。",
                  photos=demo_photos(cat, "after"))
        return worked

    def _verify_and_close(self, case, cat, t, handler_id, handler_label) -> None:
        rng = self.rng
        worker_name, worker_user = self.w.worker_by_grid.get(case.grid_id, ("社区核查员", None))
        if worker_user == handler_id:
            worker_user = None
        if case.grid_id in self.w.account_grids and t > self.account_check_from:
            self._still_in(case, cat, Stage.VERIFY, t)
        t, _ = self._stage(case, cat, Stage.VERIFY, t, fraction(rng, late=0.01))
        if rng.random() < 0.03:
            self._reopen(case, "verify_fail", t, worker_user, worker_name, "现场核查未通过，请继续处置。")
            t = self._rehandle(case, cat, t, handler_id, handler_label)
            t, _ = self._stage(case, cat, Stage.VERIFY, t, fraction(rng, late=0.01))
        case.closed_at = t
        self.move(case, "verify", S.CLOSED, t, actor=worker_user, label=worker_name, note="经现场核查，问题已解决。",
                  photos=demo_photos(cat, "check"))
        self._rate(case, cat, t, handler_id, handler_label, first=True)

    def _rate(self, case, cat, t, handler_id, handler_label, *, first: bool) -> None:
        rng = self.rng
        if rng.random() > (0.82 if first else 0.9):
            return
        t = t + timedelta(minutes=rng.randint(20, 48 * 60))
        roll = rng.random()
        if not first:  # after 重办
            rating = Rating.SATISFIED if roll < 0.55 else Rating.BASIC if roll < 0.7 else Rating.UNSATISFIED
        else:
            rating = Rating.SATISFIED if roll < 0.84 else Rating.BASIC if roll < 0.895 else Rating.UNSATISFIED
        source = RatingSource.REPORTER if case.channel in (Channel.RESIDENT, Channel.EMERGENCY) else RatingSource.CALLBACK
        actor, label = (None, "上报人") if source == RatingSource.REPORTER else self.command(case, other_than=handler_id, nobody="回访员")
        if t > self.end:
            raise Stop
        case.rating, case.rating_source, case.rated_at = rating, source, t
        self.ratings.append((case.id, rating, "", source, actor, case.reopen_count, t))
        self.move(case, "rate", S.RATED, t, actor=actor, label=label, data={"rating": rating, "source": source})
        if first and rating == Rating.UNSATISFIED and cat.unsatisfied_action == UnsatisfiedAction.REOPEN:
            self._reopen(case, "reopen", t, None, texts.ACTOR_SYSTEM, texts.NOTE_REOPEN_UNSATISFIED)
            t = self._rehandle(case, cat, t, handler_id, handler_label)
            t, _ = self._stage(case, cat, Stage.VERIFY, t, fraction(rng, late=0.02))
            worker_name, worker_user = self.w.worker_by_grid.get(case.grid_id, ("社区核查员", None))
            case.closed_at = t
            self.move(case, "verify", S.CLOSED, t, actor=None if worker_user == handler_id else worker_user,
                      label=worker_name, note="重办后核查通过。")
            self._rate(case, cat, t, handler_id, handler_label, first=False)

    def _reopen(self, case, action, t, actor, label, note) -> None:
        case.reopen_count += 1
        case.reopened_at = t
        case.closed_at = None
        self.move(case, action, S.HANDLING, t, actor=actor, label=label, note=note,
                  data={"reopen_count": case.reopen_count})

    def _rehandle(self, case, cat, t, handler_id, handler_label) -> datetime:
        worked = self.at(cat.clock, t, self.rng.uniform(1, 10) * H)
        if worked > self.end:
            self._still_in(case, cat, Stage.HANDLE, t, case.handle_due_at)
        if worked > case.handle_due_at:
            self.overdue(case, case.handle_due_at, Stage.HANDLE)
        case.handled_at = worked
        self.move(case, "submit", S.TO_VERIFY, worked, actor=handler_id, label=handler_label, note="已重新处置。",
                  photos=demo_photos(cat, "after"))
        return worked

    def _suspend(self, case, cat, t, cmd_id, cmd_label, *, long=False) -> datetime:
        case.suspended_from = case.state
        case.suspend_count += 1
        self.move(case, "suspend", S.SUSPENDED, t, actor=cmd_id, label=cmd_label, note="等待当事人或天气条件。")
        case.suspended_at = t
        if long and self.rng.random() < 0.7:  # a party, a hearing, materials or funds: days to weeks
            resume = t + timedelta(days=1 + self.rng.expovariate(1 / SUSPEND_LONG_MEAN_DAYS))
        else:
            resume = t + timedelta(hours=self.rng.randint(4, 120))
        if resume > self.end:
            self.open_timer(case, Stage.HANDLE, case.signed_at, case.handle_due_at, cat, paused_at=t)
            raise Stop
        paused = clock_between(cat.clock, t, resume, self.w.calendar)
        case.handle_due_at = self.at(cat.clock, case.handle_due_at, paused)
        case.paused_clock_seconds += paused
        case.suspended_seconds += int((resume - t).total_seconds())
        case.suspended_at = None
        self.move(case, "resume", case.suspended_from, resume, actor=cmd_id, label=cmd_label)
        case.suspended_from = ""
        return resume

    def _whistle(self, case, cat, t, limit: datetime) -> None:
        """吹哨 at ``t``; reports and feedback only until ``limit`` (the closure, or the window's end).
        Calls still unanswered at closure are cancelled (flagged late if their deadline had passed)."""
        rng = self.rng
        if not self.w.whistle_departments:
            return
        regions = self.w.ancestors[case.grid_id]
        blower = regions.get(RegionLevel.STREET) or regions[RegionLevel.COUNTY]
        blower_user = self.w.staff_by_region.get(blower.pk)
        if blower_user is None:
            return  # a whistle is blown by a person; without a street account there is none
        depts = rng.sample(self.w.whistle_departments, k=min(len(self.w.whistle_departments), rng.choice((1, 1, 2))))
        case.whistle_count += 1
        self.row(case, "whistle", case.state, case.state, t, actor=blower_user.pk,
                 label=blower_user.full_name or blower_user.username, note="涉及部门职责，请相关部门到场报到。",
                 data={"departments": [d.name for d in depts]})
        allowance = self.hours(cat.whistle_hours)
        for dept in depts:
            wid = self.next_whistle_id
            self.next_whistle_id += 1
            due = self.at(cat.clock, t, allowance)
            late = rng.random() < 0.12
            reported = self.at(cat.clock, t, allowance * (rng.uniform(1.1, 4) if late else rng.uniform(0.05, 0.95)))
            staff = self.w.staff_by_department.get(dept.pk)
            actor, label = (staff.pk, staff.full_name or staff.username) if staff else (None, dept.name)
            state, reported_at, feedback_at, late_at = WhistleState.CALLED, None, None, None
            late = late and due <= limit
            if reported <= limit:
                state, reported_at = WhistleState.REPORTED, reported
                self.row(case, "whistle_report", case.state, case.state, reported, actor=actor, label=label,
                         data={"whistle": wid, "department": dept.name, "late": late})
                feedback = reported + timedelta(hours=rng.randint(1, 24))
                if feedback <= limit:
                    state, feedback_at = WhistleState.DONE, feedback
                    self.row(case, "whistle_feedback", case.state, case.state, feedback, actor=actor, label=label,
                             note="已到场协同处置。", data={"whistle": wid, "department": dept.name})
            elif case.closed_at is not None:
                state = WhistleState.CANCELLED
            elif due > self.end:
                self.timers.append((case.id, Stage.WHISTLE, wid, cat.clock, t, due, due, None, None, None, None))
            if late:
                late_at = due
                self.row(case, "whistle_late", case.state, case.state, due, label=texts.ACTOR_SYSTEM,
                         note=texts.NOTE_WHISTLE_LATE % {"department": dept.name}, data={"whistle": wid, "department": dept.pk})
            self.whistles.append((wid, case.id, dept.pk, blower_user.pk, blower.pk, "涉及部门职责，请到场报到。", t,
                                  due, state, late, late_at, reported_at,
                                  actor if reported_at else None, "已到场协同处置。" if feedback_at else "",
                                  feedback_at, actor if feedback_at else None))




