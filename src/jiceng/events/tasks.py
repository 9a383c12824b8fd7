"""Background work for events: the stage timers.

Production runs ``process_due_timers`` through Celery beat every minute (``BEAT_SCHEDULE``, to be
merged into ``app.conf.beat_schedule`` or ``CELERY_BEAT_SCHEDULE``). The embedded mode has no
broker: ``start_inprocess_scheduler`` starts one daemon thread per process that does the same.
Either way the timers are database rows, so nothing is lost when a process restarts.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime

from celery import shared_task
from django.db import DatabaseError, close_old_connections

from .services.timers import process_due_timers

log = logging.getLogger(__name__)

TASK_NAME = "jiceng.events.process_due_timers"
BEAT_SCHEDULE = {"events-process-due-timers": {"task": TASK_NAME, "schedule": 60.0}}


@shared_task(name=TASK_NAME, ignore_result=True)
def process_due_timers_task() -> dict[str, int]:
    return process_due_timers()


class InprocessScheduler:
    """Runs ``process_due_timers`` every ``interval`` seconds in a daemon thread."""

    def __init__(self, interval: float = 60):
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, *, now: datetime | None = None) -> dict[str, int]:
        return process_due_timers(now=now)

    def _loop(self) -> None:
        from jiceng.core.dbtimeout import exempt_this_thread

        exempt_this_thread()  # a web process's background thread: no ceiling on its statements
        while not self._stop.is_set():
            close_old_connections()
            try:
                self.run_once()
            except DatabaseError:  # the database is away for a moment: try again next round
                log.exception("processing event timers failed; retrying in %s s", self.interval)
            finally:
                close_old_connections()
            self._stop.wait(self.interval)

    def start(self) -> InprocessScheduler:
        self._thread = threading.Thread(target=self._loop, name="jiceng-event-timers", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


_lock = threading.Lock()
_scheduler: InprocessScheduler | None = None
_scheduler_pid: int | None = None


def start_inprocess_scheduler(interval: float = 60) -> InprocessScheduler:
    """Start the in-process timer loop once per process (idempotent; a forked child starts its own)."""
    global _scheduler, _scheduler_pid
    with _lock:
        if _scheduler is not None and _scheduler_pid == os.getpid() and _scheduler.alive:
            return _scheduler
        _scheduler = InprocessScheduler(interval).start()
        _scheduler_pid = os.getpid()
        return _scheduler


def stop_inprocess_scheduler() -> None:
    global _scheduler
    with _lock:
        if _scheduler is not None:
            _scheduler.stop()
            _scheduler = None
