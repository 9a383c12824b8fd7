"""Background work of the core: deleting expired export files (Celery beat in production; the
embedded mode also purges whenever an export is made), and checking the audit log's hash chain
when the audit admin asks for it in the back office (a worker in production; in the embedded
mode Celery is eager and the check runs inside the request that asked)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from .audit_review import audit_verification_fail, audit_verification_run
from .exports import export_purge_expired

log = logging.getLogger(__name__)

PURGE_EXPORTS = "jiceng.core.purge_expired_exports"
VERIFY_AUDIT_CHAIN = "jiceng.core.verify_audit_chain"


@shared_task(name=PURGE_EXPORTS, ignore_result=True)
def purge_expired_exports_task() -> int:
    return export_purge_expired()


@shared_task(name=VERIFY_AUDIT_CHAIN, ignore_result=True)
def verify_audit_chain_task(pk: int) -> None:
    try:
        audit_verification_run(pk=pk)
    except DatabaseError:  # the page then says the check could not finish; the auditor asks again
        log.exception("audit chain check %s failed", pk)
        audit_verification_fail(pk=pk)
