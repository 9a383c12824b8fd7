"""Background work of assessment: 计算 and 复核重算 of a period too large for a web request
(``services.background``; a Celery worker in production, at once after the request's commit in the
embedded mode, where Celery is eager)."""

from __future__ import annotations

import logging

from celery import shared_task

from .services.background import computation_fail, computation_run

log = logging.getLogger(__name__)

COMPUTE_PERIOD = "jiceng.assessment.compute_period"


@shared_task(name=COMPUTE_PERIOD, ignore_result=True)
def compute_period_task(pk: int) -> None:
    try:
        computation_run(pk=pk)
    except Exception:  # the database went away, or a defect: the period's page says it did not finish
        log.exception("assessment computation %s failed", pk)
        computation_fail(pk=pk)
