"""A ceiling on one SQL statement of a web request (PostgreSQL).

A province's database holds tens of millions of cases; a question nobody foresaw (a deep page of a
year's list, a custom range over every region) can run for minutes and hold an app server's thread
and a database backend all that time. In a process serving requests (``jiceng.wsgi``: gunicorn,
``jiceng serve``), every database connection its request threads open gets ``statement_timeout`` =
``JICENG_DB_STATEMENT_TIMEOUT`` seconds (0: none), and a statement the database cancels for it
becomes ``QueryTooSlowError`` (503 with a readable message: a page, the API's error body, Open311's
error format) instead of a server error. Celery workers and management commands do not load
``jiceng.wsgi``, and a background thread of a serving process (the embedded mode's timers) says so
with ``exempt_this_thread``: they keep no ceiling, their work (a period of 25,000 subjects, a rollup
rebuild, a backup) being long on purpose.

With PgBouncer in transaction mode a session ``SET`` would leak to other clients: set the timeout
on the web role instead (``ALTER ROLE jiceng_web SET statement_timeout = '60s'``) and 0 here.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import ApplicationError

logger = logging.getLogger(__name__)

# Set by ``jiceng.wsgi`` before the application loads: this process serves requests.
SERVING = {"on": False}
_thread = threading.local()


def exempt_this_thread() -> None:
    """The calling thread does background work: connections it opens get no ceiling."""
    _thread.exempt = True


class QueryTooSlowError(ApplicationError):
    status = 503
    code = "query_timeout"


def _cancelled(exc: BaseException) -> bool:
    cause = exc.__cause__
    return cause is not None and type(cause).__name__ == "QueryCanceled"


def translate_cancelled(execute, sql, params, many, context):
    """An execute wrapper: the database's cancellation of a statement for its timeout, as a
    ``QueryTooSlowError``; every other error unchanged."""
    from django.db import OperationalError

    try:
        return execute(sql, params, many, context)
    except OperationalError as exc:
        if not _cancelled(exc):
            raise
        seconds = f"{statement_timeout_seconds():g}"
        # Only where: the statement's parameters may hold personal data and are never logged.
        logger.warning("statement cancelled after its %s s timeout: %s", seconds, context["connection"].alias)
        raise QueryTooSlowError(_("查询用时超过 %(s)s 秒，已被取消。请缩小范围（日期、区域、分类等）后重试。")
                                % {"s": seconds}) from exc


def statement_timeout_seconds() -> float:
    return max(float(settings.JICENG_DB_STATEMENT_TIMEOUT), 0.0)


def statement_timeout_apply(connection, seconds: float) -> None:
    """Give this PostgreSQL connection a statement timeout and the wrapper that explains it."""
    with connection.cursor() as cur:
        cur.execute("SELECT set_config('statement_timeout', %s, false)", [f"{round(seconds * 1000)}ms"])
    if translate_cancelled not in connection.execute_wrappers:
        connection.execute_wrappers.append(translate_cancelled)


def on_connection_created(sender, connection, **kwargs) -> None:
    """``connection_created``: a connection a serving process opens gets the ceiling, unless its thread
    does background work."""
    if connection.vendor != "postgresql" or not SERVING["on"] or getattr(_thread, "exempt", False):
        return
    seconds = statement_timeout_seconds()
    if seconds:
        statement_timeout_apply(connection, seconds)
