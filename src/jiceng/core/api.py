"""API endpoints of the core: downloading one's own exports through their short-lived link."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from ninja import Path, Router

from .api_schemas import READ_ERRORS, XLSX_DOWNLOAD, Error
from .exports import export_download

router = Router(tags=["导出"])


@router.get("/{id}", response={READ_ERRORS: Error}, openapi_extra=XLSX_DOWNLOAD, summary="下载导出文件",
            description="下载本人发起的导出（导出接口返回的 url）。只有发起导出的同一用户可在链接有效期内下载；"
                        "他人、过期或不存在的链接一律 404。每次下载都记入审计日志。")
def export_file(request, id: Annotated[UUID, Path(description="导出文件 ID")]):  # noqa: A002
    return export_download(actor=request.auth, pk=id)
