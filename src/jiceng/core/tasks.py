"""Background work of the core: deleting expired export files (Celery beat in production; the
embedded mode also purges whenever an export is made)."""

from __future__ import annotations

from celery import shared_task

from .exports import export_purge_expired

PURGE_EXPORTS = "jiceng.core.purge_expired_exports"


@shared_task(name=PURGE_EXPORTS, ignore_result=True)
def purge_expired_exports_task() -> int:
    return export_purge_expired()
