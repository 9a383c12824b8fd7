"""Reading cases: the list and its Excel export, a case's page; and adding a photo to a case."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import pgettext
from ninja import File, Query, Status
from ninja.files import UploadedFile

from jiceng.core.api_schemas import (
    EXPORT_CREATED_DESCRIPTION,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Error,
    ExportOut,
    ObjectId,
    PageParams,
    lookup_or_404,
    paginate,
)
from jiceng.core.exports import export_out
from jiceng.core.uploads import attachment_store
from jiceng.regions.models import Region

from .. import exports, selectors
from .common import _case, _category, _detail, _render, router
from .schemas import CaseDetail, CasePage, ListFilters, PhotoOut


@router.get("/cases", response={200: CasePage, LIST_ERRORS: Error}, summary="事件列表",
            description="按状态、分类、区域、是否超期、上报日期筛选；只列当前用户管辖范围内的事件。")
def case_list(request, filters: Query[ListFilters], page: Query[PageParams]):
    return paginate(_filtered_cases(request.auth, filters), page, _render)


def _filtered_cases(actor, filters: ListFilters):
    """The cases the list shows for these filters (its export the same, every page)."""
    region = lookup_or_404(Region.objects.all(), actor, filters.region, field="region", label=pgettext("record type", "区域"))
    return selectors.event_filter(
        selectors.event_visible(actor), state=filters.state or "", category=_category(filters.category),
        region=region, overdue=filters.overdue, open_only=filters.open_only, q=filters.q,
        reported_from=filters.reported_from, reported_to=filters.reported_to)


@router.get("/cases/export", response={200: ExportOut, LIST_ERRORS: Error}, summary="Excel 导出事件列表",
            description="与 GET /cases 同样的筛选，导出全部页（按上报时间倒序，上报人姓名、电话脱敏）；超过 "
                        f"{exports.CASES_EXPORT_MAX} 件时 400，请缩小筛选范围。" + EXPORT_CREATED_DESCRIPTION)
def case_list_export(request, filters: Query[ListFilters]):
    return export_out(exports.cases_export(actor=request.auth, cases=_filtered_cases(request.auth, filters),
                                           title="事件列表", fallback="event-cases"))


@router.get("/cases/{pk}", response={200: CaseDetail, READ_ERRORS: Error}, summary="事件详情（含全部流转记录）")
def case_detail(request, pk: ObjectId):
    return _detail(request.auth, _case(request, pk))


@router.post("/cases/{pk}/photos", response={201: PhotoOut, WRITE_ERRORS: Error}, summary="上传照片",
             description="图片按内容检查、重新编码并去除 EXIF；返回的地址可用于处置反馈、核查的 photos。")
def case_photo(request, pk: ObjectId, file: File[UploadedFile]):
    event = _case(request, pk)
    data = file.read(settings.JICENG_UPLOAD_MAX_BYTES + 1)
    attachment = attachment_store(actor=request.auth, data=data, owner=event, purpose="event")
    return Status(201, {"id": str(attachment.id), "url": f"/files/{attachment.id}/"})
