"""Deadlines: warnings and overdue flags from database timers, suspension excluded, restarts, the
in-process loop, and (when JICENG_TEST_REDIS_URL is set) a real Celery worker.

垃圾乱堆乱放 has a 16 working-hour handling deadline with a warning at 75 %. Signed on Monday
09:00: Monday gives 3 + 3.5 = 6.5 h, Tuesday 7 h (13.5 h), Wednesday 08:30 + 2.5 h → due Wednesday
11:00. The warning at 12 h: Tuesday 08:30 + 3.5 h (noon) + 2 h from 14:00 → Tuesday 16:00.
"""

import time
from datetime import timedelta

import pytest
from django.db import OperationalError

from jiceng.core.models import AuditLog
from jiceng.events import services
from jiceng.events.choices import Stage
from jiceng.events.models import Event, EventTransition, Timer
from jiceng.events.rollup import rollup_verify
from jiceng.events.services import process_due_timers
from jiceng.events.tasks import InprocessScheduler, start_inprocess_scheduler, stop_inprocess_scheduler
from tests.celery_worker import celery_worker, wait_for
from tests.events.conftest import at
from tests.events.factories import PHOTO, report, to_handling


def handle_timer(ev) -> Timer:
    return Timer.objects.get(event=ev, stage=Stage.HANDLE, stopped_at__isnull=True)


def test_the_handling_deadline_warns_then_flags_overdue(world, clock):
    ev = to_handling(world, report(world))
    assert ev.handle_due_at == at(2025, 3, 5, 11, 0)
    assert handle_timer(ev).warn_at == at(2025, 3, 4, 16, 0)

    assert process_due_timers(now=at(2025, 3, 4, 15, 59)) == {"warned": 0, "fired": 0, "skipped": 0}
    assert process_due_timers(now=at(2025, 3, 4, 16, 0))["warned"] == 1
    assert process_due_timers(now=at(2025, 3, 5, 10, 59))["fired"] == 0
    assert process_due_timers(now=at(2025, 3, 5, 11, 0))["fired"] == 1
    assert process_due_timers(now=at(2025, 3, 5, 12, 0)) == {"warned": 0, "fired": 0, "skipped": 0}  # idempotent

    ev.refresh_from_db()
    assert ev.overdue_at == ev.handle_overdue_at == at(2025, 3, 5, 11, 0)
    notes = list(EventTransition.objects.filter(event=ev, action__in=["warn", "overdue"]).order_by("at"))
    assert [n.action for n in notes] == ["warn", "overdue"]
    assert AuditLog.objects.filter(pk__in=[n.audit_id for n in notes], action__in=["event.warn", "event.overdue"]
                                   ).count() == 2
    assert rollup_verify() == []


def test_suspended_time_is_excluded_from_the_deadline(world, clock):
    w = world
    ev = to_handling(w, report(w))
    clock.move_to(at(2025, 3, 3, 10, 0))
    services.event_suspend(actor=w.alice, event=ev, reason="等待业主回家")
    # Thursday is past the original deadline, but a suspended case's clocks stand still.
    assert process_due_timers(now=at(2025, 3, 6, 9, 0))["fired"] == 0
    clock.move_to(at(2025, 3, 4, 10, 0))
    services.event_resume(actor=w.alice, event=ev)
    # Suspended Monday 10:00 → Tuesday 10:00: 2 + 3.5 + 1.5 = 7 working hours, so the deadline moves
    # from Wednesday 11:00 by 7 h: Wednesday 1 + 3.5 h, Thursday 08:30 + 2.5 h → Thursday 11:00.
    assert ev.handle_due_at == at(2025, 3, 6, 11, 0)
    assert ev.suspended_seconds == 24 * 3600
    assert handle_timer(ev).due_at == at(2025, 3, 6, 11, 0)
    assert process_due_timers(now=at(2025, 3, 6, 10, 59))["fired"] == 0
    clock.move_to(at(2025, 3, 6, 10, 30))
    services.event_submit(actor=w.alice, event=ev, note="已清理", photos=[PHOTO])
    services.event_verify(actor=w.wang, event=ev)
    ev.refresh_from_db()
    assert ev.closed_at <= ev.handle_due_at and ev.overdue_at is None
    assert process_due_timers(now=at(2025, 3, 7, 9, 0))["fired"] == 0


def test_a_restart_still_fires_the_pending_timer(world, clock):
    ev = to_handling(world, report(world))
    first = InprocessScheduler(interval=60)
    assert first.run_once(now=at(2025, 3, 3, 10, 0))["fired"] == 0
    del first  # the process dies; nothing about the timer lived in it
    second = InprocessScheduler(interval=60)
    assert second.run_once(now=at(2025, 3, 5, 11, 0))["fired"] == 1
    ev.refresh_from_db()
    assert ev.handle_overdue_at == at(2025, 3, 5, 11, 0)


def test_the_whistle_deadline_and_the_accept_deadline_fire_too(world, clock):
    ev = report(world)  # 受理时限 2 h → Monday 11:00
    assert process_due_timers(now=at(2025, 3, 3, 11, 0))["fired"] == 1
    ev.refresh_from_db()
    assert ev.overdue_at == at(2025, 3, 3, 11, 0) and ev.handle_overdue_at is None


@pytest.mark.django_db(transaction=True)
def test_the_inprocess_thread_fires_a_due_timer():
    from tests.events.factories import build_world

    w = build_world()
    ev = to_handling(w, report(w))
    Timer.objects.filter(event=ev, stage=Stage.HANDLE).update(due_at=ev.signed_at - timedelta(minutes=1),
                                                             warn_at=ev.signed_at - timedelta(minutes=2))
    scheduler = start_inprocess_scheduler(interval=0.2)
    try:
        assert start_inprocess_scheduler(interval=0.2) is scheduler  # once per process
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _overdue(ev.pk):
            time.sleep(0.1)
    finally:
        stop_inprocess_scheduler()
    assert Event.objects.get(pk=ev.pk).handle_overdue_at is not None


def _overdue(pk: int) -> bool:
    """Polled while the scheduler's thread writes: on a loaded machine SQLite may report "database is
    locked" to this reader for a moment (the thread itself retries the same way, on its next round)."""
    try:
        return Event.objects.get(pk=pk).handle_overdue_at is not None
    except OperationalError:
        return False


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_fires_a_due_timer():
    from tests.events.factories import build_world

    with celery_worker() as send:
        w = build_world()
        ev = to_handling(w, report(w))
        Timer.objects.filter(event=ev, stage=Stage.HANDLE).update(due_at=ev.signed_at - timedelta(minutes=1),
                                                                 warn_at=ev.signed_at - timedelta(minutes=2))
        send("jiceng.events.process_due_timers")
        wait_for(send, lambda: Event.objects.get(pk=ev.pk).handle_overdue_at is not None)
    assert Event.objects.get(pk=ev.pk).handle_overdue_at is not None
    assert EventTransition.objects.filter(event=ev, action="overdue").exists()
