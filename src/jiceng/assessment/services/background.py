"""计算 and 复核重算 of a large period as background work.

A period's computation reads every score of every subject: about 10 ms a subject (bench/
assessment_period.py), so a city's 21,622 grid workers in one scheme take minutes — longer than a web
request may run (``jiceng serve`` allows 120 s; a proxy in front may allow less). From
``settings.JICENG_ASSESSMENT_BACKGROUND_FROM`` subjects (2,000 by default) the ranking page's and the API's
计算 and 复核重算 therefore ask for a ``PeriodComputation`` instead: checked at once (the workflow, the
reason, the groups without a submitted sheet), then run by background work — a Celery worker in
production; in the embedded mode Celery is eager and it runs right after the request's commit — with
the same service, as the manager who asked and with their address in its audit records. While one is
queued or running, the period takes no other step. On PostgreSQL the worker writes how many subjects
it has worked out after each chunk (on a connection of its own, so that the page sees it before the
computation commits); a run that has not moved for ``PeriodComputation.STALE_AFTER`` (15 minutes) died
with its worker and is marked 未完成 (``core.models.BackgroundRun``), and the manager asks again.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jiceng.core.audit import audit_record
from jiceng.core.context import channel as request_channel
from jiceng.core.context import client_ip, reset_request_context, set_request_context
from jiceng.core.errors import ApplicationError, ConflictError

from ..choices import ComputationStatus
from ..models import AssessmentPeriod, PeriodComputation

log = logging.getLogger(__name__)

ACTIONS = tuple(code for code, _label in PeriodComputation.ACTIONS)  # 计算, 复核重算
UNDER_WAY = PeriodComputation.UNDER_WAY
SHOWN_FOR = timedelta(hours=24)  # how long the period's page says how a background computation ended

# The computation this thread is running (``computation_run``): its own steps are not refused as busy.
_running: ContextVar[int | None] = ContextVar("jiceng_assessment_computation", default=None)


def running_computation() -> int | None:
    return _running.get()


def background_from() -> int:
    """From how many subjects 计算 and 复核重算 run as background work."""
    return settings.JICENG_ASSESSMENT_BACKGROUND_FROM


def background_wanted(period: AssessmentPeriod, action: str) -> bool:
    return action in ACTIONS and period.subjects.count() >= background_from()


def period_busy(period: AssessmentPeriod) -> bool:
    """A computation of the period is queued or running (and has not stopped moving): it takes no step now."""
    job = period.computations.filter(status__in=UNDER_WAY).order_by("-pk").first()
    return job is not None and job.under_way


def computation_latest(period: AssessmentPeriod) -> PeriodComputation | None:
    """The period's latest background computation, if any (read only: a stale one is shown as such)."""
    return period.computations.select_related("requested_by").first()


def computation_shown(period: AssessmentPeriod) -> PeriodComputation | None:
    """The computation the period's page tells its managers about: the latest, under way or stale, or
    ended within ``SHOWN_FOR`` (after that the table and the audit log tell the rest)."""
    job = computation_latest(period)
    if job is not None and job.finished and job.finished_at < timezone.now() - SHOWN_FOR:
        return None
    return job


def computation_under_way(period: AssessmentPeriod, *, other_than: int | None = None) -> PeriodComputation | None:
    """The period's computation still queued or running, if any; those that have stopped moving are
    marked 未完成 (their worker died)."""
    return PeriodComputation.first_under_way(
        period.computations.select_related("requested_by").exclude(pk=other_than),
        status=ComputationStatus.FAILED, message=_("后台计算没有完成（处理它的后台进程已停止），请重新操作。"))


def computation_refusal(period: AssessmentPeriod) -> ConflictError | None:
    """Why the period takes no change now: a computation of it is under way, other than the one this
    thread runs (None otherwise). Every write that locks the period asks first (``periods._locked``),
    so that it is refused at once instead of waiting minutes for the computation's lock."""
    job = computation_under_way(period, other_than=_running.get())
    if job is None:
        return None
    return ConflictError(_("本考核期正在后台%(action)s（%(who)s 于 %(at)s 发起），完成后才能进行其他操作。") % {
        "action": job.get_action_display(), "who": str(job.requested_by),
        "at": f"{timezone.localtime(job.requested_at):%H:%M:%S}"}, field="state")


def computation_queue(*, actor, period: AssessmentPeriod, action: str, reason: str = "", force: bool = False
                      ) -> PeriodComputation:
    """Ask for ``action`` (计算 or 复核重算) of the locked ``period`` as background work, after the checks the
    service itself makes that can be made now (who may, from which state, the reason, the groups without a
    submitted sheet), so that a refusal is said at once. The work is queued once the request commits."""
    from ..tasks import compute_period_task
    from .results import period_compute_checks, period_recompute_checks

    if action == "compute":
        period_compute_checks(actor=actor, period=period, force=force)
    elif action == "recompute":
        period_recompute_checks(actor=actor, period=period, reason=reason)
    else:
        raise ApplicationError(_("未知的操作。"), field="action")
    job = PeriodComputation.objects.create(
        period=period, action=action, force=force, reason=(reason or "").strip()[:500], requested_by=actor,
        requested_at=timezone.now(), request_ip=client_ip(), request_channel=request_channel()[:8],
        subjects=period.subjects.count())
    audit_record(actor=actor, action="assessment.computation_queue", obj=period,
                 changes={"computation": job.pk, "action": action, "subjects": job.subjects})
    transaction.on_commit(lambda: compute_period_task.delay(job.pk))
    return job


def queued_message(job: PeriodComputation) -> str:
    if job.action == "compute":
        return ngettext("已开始在后台计算 %(n)s 个考核对象的结果，完成后在本页显示。",
                        "已开始在后台计算 %(n)s 个考核对象的结果，完成后在本页显示。", job.subjects) % {"n": job.subjects}
    return ngettext("已开始在后台复核重算 %(n)s 个考核对象，完成后在本页显示。",
                    "已开始在后台复核重算 %(n)s 个考核对象，完成后在本页显示。", job.subjects) % {"n": job.subjects}


class _ProgressWriter:
    """Writes a running computation's progress where the period's page sees it before the computation
    commits: on PostgreSQL through a connection of its own, in autocommit. On SQLite a second writer
    would wait for the computation's own lock on the whole database, so nothing is written there (the
    embedded mode computes inside the request anyway)."""

    def __init__(self, pk: int):
        self.pk = pk
        main = connections[DEFAULT_DB_ALIAS]
        self.conn = None
        if main.vendor == "postgresql":
            self.conn = type(main)(dict(main.settings_dict), "jiceng_progress")
        meta = PeriodComputation._meta
        quote = main.ops.quote_name
        self.sql = (f"UPDATE {quote(meta.db_table)} SET {quote(meta.get_field('done').column)} = %s, "  # noqa: S608
                    f"{quote(meta.get_field('progress_at').column)} = %s WHERE {quote(meta.pk.column)} = %s")

    def __call__(self, done: int) -> None:
        if self.conn is None:
            return
        try:
            with self.conn.cursor() as cur:
                cur.execute(self.sql, [done, timezone.now(), self.pk])
        except Exception:  # progress is a courtesy: the computation goes on without it
            log.warning("progress of assessment computation %s not written", self.pk, exc_info=True)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def computation_run(*, pk: int) -> PeriodComputation | None:
    """Run a queued computation (the background work): the period's 计算 or 复核重算 through
    ``period_transition``, as the manager who asked; what it did, or why it could not, is kept on the
    row for the period's page. A computation already taken (or given up as stale) is left alone (None)."""
    from .transitions import period_transition

    now = timezone.now()
    taken = PeriodComputation.objects.filter(pk=pk, status=ComputationStatus.QUEUED).update(
        status=ComputationStatus.RUNNING, started_at=now, progress_at=now)
    if not taken:
        return None
    job = PeriodComputation.objects.select_related("requested_by", "period").get(pk=pk)
    progress = _ProgressWriter(pk)
    tokens = set_request_context(ip=job.request_ip, channel=job.request_channel)
    running = _running.set(job.pk)
    try:
        done = period_transition(actor=job.requested_by, period=job.period, action=job.action, reason=job.reason,
                                 force=job.force, progress=progress)
    except ApplicationError as exc:
        job.status, job.message = ComputationStatus.FAILED, exc.message[:1000]
    else:
        job.status, job.message = ComputationStatus.DONE, done.message[:1000]
        job.done = job.subjects
    finally:
        _running.reset(running)
        reset_request_context(tokens)
        progress.close()
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "done", "finished_at"])
    return job


def computation_fail(*, pk: int) -> None:
    """Mark a computation that could not finish (an error of the database or of the code, logged)."""
    PeriodComputation.objects.filter(pk=pk, status__in=UNDER_WAY).update(
        status=ComputationStatus.FAILED, finished_at=timezone.now(),
        message=_("后台计算出错，没有完成（已记录在服务器日志中），请重新操作或联系系统管理员。"))
