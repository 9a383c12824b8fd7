"""Logging filters."""

from __future__ import annotations

import logging


class ClientErrorsBrief(logging.Filter):
    """Drops the traceback from a log record about a 4xx response (Django's ``django.request``
    attaches one to every PermissionDenied): the one-line message stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
