"""Exports through short-lived links bound to the user who asked for them.

An export is generated for the requesting user only (within their data scope, masked), stored
encrypted as an ``ExportFile`` and audited with its row count; the user then downloads it through
``/exports/<id>/`` (pages) or ``/api/exports/{id}`` (API) until the link expires
(``JICENG_EXPORT_LINK_SECONDS``, ten minutes by default). Anyone else — another user, another
user's token, no login — gets a 404, as for a link that never existed. Every download is audited.
Expired files are deleted whenever an export is created and by ``export_purge_expired``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import crypto
from .audit import audit_record
from .errors import NotFoundError
from .models import ExportFile

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_purge_expired() -> int:
    """Delete the files whose links have expired; returns how many."""
    deleted, _ = ExportFile.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


@transaction.atomic
def export_create(*, actor, kind: str, content: bytes, rows: int, filename: str, fallback: str,
                  description: str = "", obj=None, content_type: str = XLSX_CONTENT_TYPE) -> ExportFile:
    """Store a generated file for ``actor`` alone and audit the export (kind, row count, file id)."""
    if actor is None or not getattr(actor, "pk", None):
        raise NotFoundError(_("导出须由登录用户发起。"))
    export_purge_expired()
    cipher, key_id, blob = crypto.encrypt_bytes(content)
    now = timezone.now()
    export = ExportFile.objects.create(
        user=actor, kind=kind, filename=filename[:200], fallback=fallback[:200], content_type=content_type,
        cipher=cipher, key_id=key_id, content=blob, rows=rows,
        expires_at=now + timedelta(seconds=settings.JICENG_EXPORT_LINK_SECONDS))
    audit_record(actor=actor, action=f"export.{kind}", obj=obj,
                 object_type="" if obj is not None else "export", object_id="" if obj is not None else kind,
                 object_repr=(description or filename)[:200],
                 changes={"rows": rows, "file": str(export.pk), "expires_at": export.expires_at})
    return export


def export_get(*, actor, pk) -> ExportFile:
    """The actor's own, unexpired export; a 404 for anything else (never says whose it is)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotFoundError(_("下载链接无效或已过期，请重新导出。"))
    export = ExportFile.objects.filter(pk=pk, user_id=actor.pk, expires_at__gt=timezone.now()).first()
    if export is None:
        raise NotFoundError(_("下载链接无效或已过期，请重新导出。"))
    return export


def export_download(*, actor, pk) -> HttpResponse:
    """The file as an attachment download, audited."""
    export = export_get(actor=actor, pk=pk)
    try:
        content = crypto.decrypt_bytes(export.cipher, export.key_id, export.content)
    except crypto.DecryptionError as exc:  # its key was retired: as good as expired
        raise NotFoundError(_("下载链接无效或已过期，请重新导出。")) from exc
    audit_record(actor=actor, action="export.download", object_type="export", object_id=export.kind,
                 object_repr=export.filename, changes={"file": str(export.pk), "rows": export.rows})
    return file_response(content, filename=export.filename, fallback=export.fallback,
                         content_type=export.content_type)


DOWNLOAD_COOKIE = "jiceng_download"


def file_response(content: bytes, *, filename: str, fallback: str, content_type: str = XLSX_CONTENT_TYPE) -> HttpResponse:
    """Download with a Chinese file name (RFC 5987 ``filename*``) and an ASCII fallback."""
    return _as_download(HttpResponse(content, content_type=content_type), filename=filename, fallback=fallback)


def streaming_file_response(chunks: Iterable[str | bytes], *, filename: str, fallback: str,
                            content_type: str) -> StreamingHttpResponse:
    """The same download, sent chunk by chunk as ``chunks`` yields them (a file too large to build
    in memory first)."""
    return _as_download(StreamingHttpResponse(chunks, content_type=content_type), filename=filename, fallback=fallback)


def _as_download(response, *, filename: str, fallback: str):
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # a fresh value each download, so that the page that asked (js/jiceng.js, data-busy) can tell
    # the file has arrived: nothing secret, readable by the page
    response.set_cookie(DOWNLOAD_COOKIE, secrets.token_hex(6), max_age=120, samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE)
    return response


def export_page_url(export: ExportFile) -> str:
    return reverse("export-download", args=[export.pk])


def export_api_url(export: ExportFile) -> str:
    return f"/api/exports/{export.pk}"


def export_out(export: ExportFile) -> dict:
    """What the API answers when it has made an export."""
    return {"id": str(export.pk), "url": export_api_url(export), "filename": export.filename, "rows": export.rows,
            "expires_at": export.expires_at}
