"""The category catalogue in Excel (events/transfer.py): import and export."""

from __future__ import annotations

from ninja import Field, File, Schema
from ninja.files import UploadedFile

from jiceng.core.api_schemas import (
    CREATE_ERRORS,
    EXPORT_CREATED_DESCRIPTION,
    READ_ERRORS,
    XLSX_UPLOAD,
    Error,
    ExportOut,
)
from jiceng.core.exports import export_out

from ..transfer import CATEGORIES
from .common import router


class CategoryImportOut(Schema):
    dataset: str = Field(..., description="event_categories")
    imported: int = Field(..., description="新增或处置程序有变化的分类数（与系统中完全相同的行不计）")


@router.post("/categories/import", response={200: CategoryImportOut, CREATE_ERRORS: Error},
             openapi_extra=XLSX_UPLOAD, summary="Excel 导入事项分类",
             description="上传按导入模板填写的 .xlsx（multipart 字段 file）：新编码新增分类，已有编码更新其处置程序。"
                         "全部或全不：任何一行有错都不导入，errors 列出每个错误的行号、列名和原因（code 为 import_rejected）。"
                         "系统管理员和区县工作人员可以导入，其他人 403。")
def category_import(request, file: File[UploadedFile]):
    imported = CATEGORIES.run_import(actor=request.auth, upload=file)
    return {"dataset": CATEGORIES.kind, "imported": imported}


@router.get("/categories/export", response={200: ExportOut, READ_ERRORS: Error}, summary="Excel 导出事项分类",
            description="导出全部事项分类及其处置程序（与导入模板同列，导出的文件可原样导回）。系统管理员和区县工作人员可以导出。"
                        + EXPORT_CREATED_DESCRIPTION)
def category_export(request):
    return export_out(CATEGORIES.export_file(actor=request.auth, params={}))
