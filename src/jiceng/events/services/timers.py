"""Stage deadlines (时限): database rows started, stopped, paused and resumed by the workflow, and
``process_due_timers`` which turns due rows into warnings (临期预警) and overdue flags (超期).

Nothing lives only in memory: whichever process runs ``process_due_timers`` next (the Celery beat
task every minute, or the embedded server's in-process loop) finds every due row, even after a
restart. Processing is idempotent: a row is warned and fired at most once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from jiceng.core.audit import audit_record

from .. import rollup, texts
from ..choices import Stage, WhistleState
from ..models import Event, EventTransition, Timer, Whistle
from ..worktime import WorkCalendar, clock_add, clock_between

log = logging.getLogger(__name__)


def hours_to_seconds(hours: Decimal | float) -> int:
    return int(Decimal(str(hours)) * 3600)


def timer_new(event: Event, stage: str, *, now: datetime, calendar: WorkCalendar, hours=None,
              due_at: datetime | None = None, whistle: Whistle | None = None) -> Timer:
    """A stage clock by the category's procedure (or to a given deadline, without warning), not yet
    saved."""
    category = event.category
    clock = category.clock
    if due_at is None:
        seconds = hours_to_seconds(hours)
        due_at = clock_add(clock, now, seconds, calendar)
        warn_at = clock_add(clock, now, seconds * category.warn_percent / 100, calendar)
        warned_at = None
    else:
        warn_at, warned_at = due_at, now  # a kept deadline (重办): no second warning
    return Timer(event=event, stage=stage, whistle=whistle, clock=clock, started_at=now, due_at=due_at,
                 warn_at=warn_at, warned_at=warned_at)


def timer_start(event: Event, stage: str, *, now: datetime, calendar: WorkCalendar, hours=None,
                due_at: datetime | None = None, whistle: Whistle | None = None) -> Timer:
    """Start a stage clock by the category's procedure (or to a given deadline, without warning)."""
    timer = timer_new(event, stage, now=now, calendar=calendar, hours=hours, due_at=due_at, whistle=whistle)
    timer.save(force_insert=True)
    return timer


def timers_stop(event: Event, stages, *, now: datetime) -> int:
    return Timer.objects.filter(event=event, stage__in=list(stages), stopped_at__isnull=True).update(
        stopped_at=now, paused_at=None)


def timers_pause(event: Event, *, now: datetime, calendar: WorkCalendar) -> None:
    """Suspension (挂起): freeze every open clock, keeping what was left of it."""
    for timer in Timer.objects.filter(event=event, stopped_at__isnull=True, paused_at__isnull=True):
        remaining = clock_between(timer.clock, now, timer.due_at, calendar)
        if timer.due_at < now:
            remaining = -clock_between(timer.clock, timer.due_at, now, calendar)
        timer.paused_at = now
        timer.remaining_seconds = remaining
        timer.warn_remaining_seconds = (clock_between(timer.clock, now, timer.warn_at, calendar)
                                        if timer.warned_at is None else None)
        timer.save(update_fields=["paused_at", "remaining_seconds", "warn_remaining_seconds"])


def timers_resume(event: Event, *, now: datetime, calendar: WorkCalendar) -> None:
    """Resumption (恢复): every frozen deadline moves later by the suspended time, measured in the
    stage's own clock (working time for 工作时 stages). The case's handling deadline follows."""
    for timer in Timer.objects.filter(event=event, stopped_at__isnull=True, paused_at__isnull=False):
        pause = clock_between(timer.clock, timer.paused_at, now, calendar)
        timer.due_at = clock_add(timer.clock, timer.due_at, pause, calendar)
        if timer.warned_at is None:
            timer.warn_at = clock_add(timer.clock, timer.warn_at, pause, calendar)
        timer.paused_at = None
        timer.save(update_fields=["due_at", "warn_at", "paused_at"])
        if timer.stage == Stage.HANDLE:
            event.handle_due_at = timer.due_at
        elif timer.stage == Stage.WHISTLE and timer.whistle_id:
            Whistle.objects.filter(pk=timer.whistle_id).update(due_at=timer.due_at)


# --- processing due timers -----------------------------------------------------------------------


def _due_timer_ids(now: datetime, batch: int) -> list[int]:
    due = Q(fired_at__isnull=True, due_at__lte=now) | Q(warned_at__isnull=True, warn_at__lte=now)
    return list(Timer.objects.filter(due, stopped_at__isnull=True, paused_at__isnull=True)
                .order_by("due_at", "id").values_list("id", flat=True)[:batch])


def _note(event: Event, action: str, *, now: datetime, note: str, data: dict) -> None:
    entry = audit_record(actor=None, action=f"event.{action}", obj=event, changes={"by": texts.ACTOR_SYSTEM, **data})
    EventTransition.objects.create(event=event, action=action, from_state=event.state, to_state=event.state,
                                   actor=None, actor_label=texts.ACTOR_SYSTEM, at=now, note=note, data=data,
                                   audit_id=entry.pk)


def _process_one(timer_id: int, now: datetime) -> tuple[int, int]:
    """Warn and/or fire one timer. The case is locked first (the same order as the workflow takes),
    skipping a case someone is changing right now: it is picked up on the next run."""
    warned = fired = 0
    with transaction.atomic():
        event_id = Timer.objects.filter(pk=timer_id).values_list("event_id", flat=True).first()
        if event_id is None:
            return 0, 0
        events = Event.objects.select_for_update(of=("self",), skip_locked=True).filter(pk=event_id)
        event = events.select_related("category").first()
        if event is None:
            return 0, 0
        timer = Timer.objects.filter(pk=timer_id, stopped_at__isnull=True, paused_at__isnull=True).first()
        if timer is None:
            return 0, 0
        stage = Stage(timer.stage)
        if timer.warned_at is None and timer.warn_at <= now and (timer.fired_at is None and timer.due_at > now):
            timer.warned_at = now
            timer.save(update_fields=["warned_at"])
            _note(event, "warn", now=now, note=texts.NOTE_WARN % {"stage": stage.label, "due": texts.due_text(timer.due_at)},
                  data={"stage": timer.stage, "due_at": timer.due_at.isoformat()})
            warned = 1
        if timer.fired_at is None and timer.due_at <= now:
            timer.fired_at = now
            if timer.warned_at is None:
                timer.warned_at = now
            timer.save(update_fields=["fired_at", "warned_at"])
            fired = 1
            if stage == Stage.WHISTLE:
                _fire_whistle(event, timer, now)
            else:
                _fire_case(event, timer, now)
    return warned, fired


def _fire_case(event: Event, timer: Timer, now: datetime) -> None:
    before = rollup.contributions(event)
    changes = {}
    if event.overdue_at is None:
        event.overdue_at = timer.due_at
        changes["overdue_at"] = timer.due_at
    if timer.stage == Stage.HANDLE and event.handle_overdue_at is None:
        event.handle_overdue_at = timer.due_at
        changes["handle_overdue_at"] = timer.due_at
    if changes:
        Event.objects.filter(pk=event.pk).update(**changes)
        rollup.apply(rollup.delta(before, rollup.contributions(event)))
    _note(event, "overdue", now=now,
          note=texts.NOTE_OVERDUE % {"stage": Stage(timer.stage).label, "due": texts.due_text(timer.due_at)},
          data={"stage": timer.stage, "due_at": timer.due_at.isoformat()})


def _fire_whistle(event: Event, timer: Timer, now: datetime) -> None:
    whistle = Whistle.objects.select_related("department").get(pk=timer.whistle_id)
    if whistle.state != WhistleState.CALLED or whistle.late:
        return
    Whistle.objects.filter(pk=whistle.pk).update(late=True, late_at=timer.due_at)
    _note(event, "whistle_late", now=now, note=texts.NOTE_WHISTLE_LATE % {"department": whistle.department.name},
          data={"whistle": whistle.pk, "department": whistle.department_id, "due_at": timer.due_at.isoformat()})


def process_due_timers(*, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Warn and fire every due timer; returns how many. Safe to run from several processes at once
    (each case is locked with SKIP LOCKED on PostgreSQL) and to run again (idempotent)."""
    now = now or timezone.now()
    totals = {"warned": 0, "fired": 0, "skipped": 0}
    seen: set[int] = set()
    while True:
        ids = [i for i in _due_timer_ids(now, batch) if i not in seen]
        if not ids:
            break
        for timer_id in ids:
            seen.add(timer_id)
            try:
                warned, fired = _process_one(timer_id, now)
            except DatabaseError:
                if connection.vendor != "postgresql":
                    raise
                log.exception("timer %s could not be processed; retried on the next run", timer_id)
                totals["skipped"] += 1
                continue
            totals["warned"] += warned
            totals["fired"] += fired
            if not (warned or fired):
                totals["skipped"] += 1
    return totals
