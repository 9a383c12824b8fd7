"""Excel (xlsx) import and export, for any domain: workbooks from Chinese headers and rows, a
download response with a Chinese file name, and the safe reading of an uploaded workbook.

An upload is checked by its content, never its name: an xlsx is a zip holding OOXML content
types with a spreadsheet main part. Size, uncompressed size and row count are bounded before and
while openpyxl reads it (read-only mode, values only). Import is all-or-nothing: a domain's
importer checks every row, collects every problem as (Excel row, column header, reason) and
raises ``ImportRejected`` before anything is written.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import ParseError

import openpyxl
from django.conf import settings
from django.db import IntegrityError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from .errors import ApplicationError, ConflictError, PermissionDeniedError
from .exports import XLSX_CONTENT_TYPE, export_create, file_response
from .models import ExportFile

_MAIN_PART = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_MACRO_PART = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
COMMENT_MARK = "#"  # a row whose first cell starts with # is a comment (the template's example row)
MAX_HEADER_COLUMNS = 100
EXCEL_CELL_MAX = 32_767
_TAG_SPLIT = re.compile(r"[、,，;；\s]+")


# --- columns, rows and errors ------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    hint: str = ""
    width: int = 16
    text: bool = False  # kept as text in Excel (ID numbers, codes): never let Excel turn them into numbers
    number_format: str = ""  # for the column's numbers, e.g. "0.00" for scores (60 shown as 60.00)
    aliases: tuple[str, ...] = ()  # former headers still read on import (files filled in from an older template)

    @property
    def title(self) -> str:
        return f"{self.header}*" if self.required else self.header


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row number Excel shows
    values: dict[str, Any]  # column key → raw cell value


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        if self.column:
            return _("第 %(row)s 行「%(column)s」：%(message)s") % {
                "row": self.row, "column": self.column, "message": self.message}
        return _("第 %(row)s 行：%(message)s") % {"row": self.row, "message": self.message}


class BadWorkbook(ApplicationError):
    """The upload is not a readable xlsx within the limits."""

    code = "bad_file"

    def __init__(self, message: str):
        super().__init__(message, field="file")


class ImportRejected(ApplicationError):
    """At least one bad row: nothing was saved. ``errors`` lists every problem."""

    code = "import_rejected"

    def __init__(self, errors: list[RowError]):
        self.row_errors = sorted(errors, key=lambda e: (e.row, e.column))
        shown = pgettext("list separator", "；").join(str(e) for e in self.row_errors[:3])
        more = ""
        if len(self.row_errors) > 3:
            more = _("……（共 %(count)s 处错误）") % {"count": len(self.row_errors)}
        super().__init__(_("导入失败，未导入任何数据。%(shown)s%(more)s") % {"shown": shown, "more": more}, field="file",
                         errors=[e.as_dict() for e in self.row_errors])


@dataclass
class RowErrors:
    """Collects problems while an importer walks the rows."""

    columns: dict[str, Column]
    items: list[RowError] = field(default_factory=list)

    def add(self, row: int, key: str, message: str) -> None:
        column = self.columns.get(key)
        self.items.append(RowError(row, column.header if column else key, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise ImportRejected(self.items)


# --- cell values ------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """The text a person typed, whatever type Excel stored it as."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\x00", "").strip()


def long_number_lost(value: Any) -> bool:
    """A long digit string (ID number) that Excel stored as a number has lost its last digits."""
    return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 1e15


def split_list(value: Any) -> list[str]:
    """Tags and grid codes in one cell, separated by 、 or commas (also ；, spaces)."""
    return [part for part in _TAG_SPLIT.split(cell_text(value)) if part]


_YES = {"是", "y", "yes", "true", "1", "√", "✓"}
_NO = {"否", "n", "no", "false", "0", "", "×"}


def parse_yes_no(value: Any) -> bool | None:
    """True/False, or None when the text is neither."""
    text = cell_text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


def parse_date(value: Any) -> date | None:
    """A date cell, or text like 2025-03-01, 2025/3/1, 2025年3月1日; raises ValueError otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None
    match = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if not match:
        raise ValueError(text)
    return date(int(match[1]), int(match[2]), int(match[3]))


def parse_choice(value: Any, choices) -> str | None:
    """A TextChoices value from its Chinese label or the value itself; None when unknown."""
    text = cell_text(value)
    for choice_value, label in choices.choices:
        if text in (str(choice_value), str(label)):
            return choice_value
    return None


def choice_labels(choices) -> str:
    return " / ".join(str(label) for value, label in choices.choices if value != "")


# --- writing ----------------------------------------------------------------------------------


def _safe_cell(sheet, value: Any, *, text: bool = False, font: Font | None = None, number_format: str = ""
               ) -> WriteOnlyCell:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:EXCEL_CELL_MAX]
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # a value starting with "=" stays text: never a formula (CSV/formula injection)
    if text:
        cell.number_format = "@"
    elif number_format and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def build_workbook(columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, sheet_title: str = "数据"
                   ) -> tuple[bytes, int]:
    """A streamed (write-only) workbook: one header row, then ``rows``. Returns the bytes and the
    number of data rows written."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title)
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    ws.append([_safe_cell(ws, col.header, font=bold) for col in columns])
    count = 0
    for row in rows:
        ws.append([_safe_cell(ws, value, text=col.text, number_format=col.number_format)
                   for col, value in zip(columns, row, strict=False)])
        count += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), count


def build_template(columns: Sequence[Column], example: Sequence[Any], *, title: str) -> bytes:
    """An import template: headers (required ones marked *), one example row commented out with
    ``#`` (import skips it; delete the # to import it), and a sheet of filling instructions."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for i, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i, value=col.title)
        cell.font = Font(bold=True, color="C00000" if col.required else "000000")
        cell.fill = header_fill
        if col.hint:
            cell.comment = Comment(col.hint, "Jiceng")
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = col.width
        if col.text:
            ws.column_dimensions[letter].number_format = "@"
    grey = Font(color="808080", italic=True)
    for i, (col, value) in enumerate(zip(columns, example, strict=False), start=1):
        if i == 1:
            value = f"{COMMENT_MARK}{cell_text(value)}"
        cell = ws.cell(row=2, column=i, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        if col.text:
            cell.number_format = "@"
        cell.font = grey
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    notes.append([f"{title}：填写说明"])
    notes.append(["第 1 张表第 1 行为表头（带 * 的列必填），请勿修改；从第 2 行起每行一条记录。"])
    notes.append([f"第 1 个单元格以 {COMMENT_MARK} 开头的行是示例或注释，导入时跳过；删去 {COMMENT_MARK} 即可导入该行。"])
    notes.append(["导入是“全部或全不”：任何一行有错都不会导入，页面会列出每个错误所在的行、列和原因。"])
    notes.append([])
    notes.append(["列", "必填", "说明"])
    for col in columns:
        notes.append([col.header, "是" if col.required else "", col.hint])
    notes.column_dimensions["A"].width = 20
    notes.column_dimensions["C"].width = 80
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_response(content: bytes, *, filename: str, fallback: str) -> HttpResponse:
    """Download with a Chinese file name (RFC 5987 ``filename*``) and an ASCII fallback."""
    return file_response(content, filename=filename, fallback=fallback, content_type=XLSX_CONTENT_TYPE)


# --- reading ----------------------------------------------------------------------------------


def _check_xlsx(data: bytes) -> None:
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise BadWorkbook(_("这是旧版 Excel（.xls）或设置了打开密码的文件，请在 Excel 中另存为 .xlsx（不设密码）后再导入。"))
    if not data.startswith(b"PK\x03\x04"):
        raise BadWorkbook(_("文件不是 Excel 工作簿（.xlsx）。请下载模板，用 Excel 或 WPS 填写后保存为 .xlsx 再上传；"
                            "CSV、图片等文件改了扩展名也不能导入。"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise BadWorkbook(_("文件已损坏，无法作为 Excel 工作簿（.xlsx）打开。")) from exc
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names:
        raise BadWorkbook(_("文件不是 Excel 工作簿（.xlsx）：这是一个普通的压缩包。"))
    limit = settings.JICENG_IMPORT_MAX_BYTES * 10
    if sum(info.file_size for info in infos) > limit:
        raise BadWorkbook(_("文件解压后过大，请拆分后分批导入。"))
    for info in infos:
        if info.file_size > 1_000_000 and info.file_size > 200 * max(info.compress_size, 1):
            raise BadWorkbook(_("文件压缩比异常，拒绝读取。"))
    try:
        content_types = archive.read("[Content_Types].xml")[:200_000]
        for info in infos:
            if info.filename.endswith((".xml", ".rels")):
                with archive.open(info) as part:
                    head = part.read(4096).upper()
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise BadWorkbook(_("文件含有不允许的 XML 声明（DOCTYPE/ENTITY），拒绝读取。"))
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise BadWorkbook(_("文件已损坏或已加密，无法读取。")) from exc
    if _MAIN_PART not in content_types:
        if _MACRO_PART in content_types:
            raise BadWorkbook(_("不能导入含宏的工作簿（.xlsm），请另存为 .xlsx 后再导入。"))
        raise BadWorkbook(_("文件不是 Excel 工作簿（.xlsx），可能是 Word、PPT 或其他 Office 文件。"))


def _normalise_header(value: Any) -> str:
    text = re.sub(r"\s+", "", cell_text(value))
    return text.rstrip("*＊").replace("（必填）", "").replace("(必填)", "")


def read_workbook(upload, columns: Sequence[Column]) -> list[SheetRow]:
    """The data rows of the first sheet of an uploaded xlsx, by column key.

    Rows are numbered as Excel shows them; blank rows and comment rows (first cell starting with
    ``#``) are skipped. Missing required columns, a wrong file, or too many rows raise.
    """
    size = getattr(upload, "size", None)
    max_bytes = settings.JICENG_IMPORT_MAX_BYTES
    if size is not None and size > max_bytes:
        raise BadWorkbook(_("文件过大（%(size)s KB），上限为 %(max_bytes)s KB。请拆分后分批导入。") % {
            "size": size // 1024, "max_bytes": max_bytes // 1024})
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise BadWorkbook(_("文件过大，上限为 %(max_bytes)s KB。请拆分后分批导入。") % {"max_bytes": max_bytes // 1024})
    if not data:
        raise BadWorkbook(_("文件是空的。"))
    _check_xlsx(data)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, ParseError,
            OSError) as exc:
        raise BadWorkbook(_("无法读取该 Excel 文件，请用 Excel 或 WPS 打开后另存为 .xlsx 再试。")) from exc
    try:
        return _read_rows(wb, columns)
    except (KeyError, ValueError, TypeError, IndexError, ParseError, zipfile.BadZipFile, OSError) as exc:
        raise BadWorkbook(_("读取 Excel 内容时出错，请用 Excel 或 WPS 打开后另存为 .xlsx 再试。")) from exc
    finally:
        wb.close()


def _read_rows(wb, columns: Sequence[Column]) -> list[SheetRow]:
    if not wb.worksheets:
        raise BadWorkbook(_("工作簿里没有工作表。"))
    ws = wb.worksheets[0]
    max_rows = settings.JICENG_IMPORT_MAX_ROWS
    rows = ws.iter_rows(values_only=True, max_col=MAX_HEADER_COLUMNS)
    header = next(rows, None)
    if header is None:
        raise BadWorkbook(_("第 1 张工作表是空的：第 1 行应为表头。"))
    wanted = {_normalise_header(name): col for col in columns for name in (*col.aliases, col.header)}
    position: dict[str, int] = {}
    for index, value in enumerate(header):
        col = wanted.get(_normalise_header(value))
        if col is not None and col.key not in position:
            position[col.key] = index
    missing = [col for col in columns if col.required and col.key not in position]
    if missing:
        raise ImportRejected([RowError(1, col.header, _("缺少该列（请使用导入模板的表头）")) for col in missing])
    if not position:
        raise BadWorkbook(_("第 1 行没有可识别的表头，请使用导入模板。"))
    out: list[SheetRow] = []
    for number, raw in enumerate(rows, start=2):
        if raw is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in raw):
            continue
        first = next((v for v in raw if v is not None and cell_text(v)), None)
        if isinstance(first, str) and first.lstrip().startswith(COMMENT_MARK):
            continue
        if len(out) >= max_rows:
            raise BadWorkbook(_("数据超过 %(max_rows)s 行，请拆分后分批导入。") % {"max_rows": max_rows})
        values = {key: (raw[index] if index < len(raw) else None) for key, index in position.items()}
        out.append(SheetRow(number, values))
    return out


# --- one kind of data: its template, export and import -----------------------------------------


@dataclass(frozen=True)
class Transfer:
    """What the transfer pages and API need to know about one kind of data."""

    kind: str  # "residents"
    label: str  # "居民"
    columns: Sequence[Column]  # import columns (the template)
    example: Callable[[Any], Sequence[Any]]  # actor → one example row, in column order
    export: Callable[..., tuple[Sequence[Column], Iterable[Sequence[Any]], str]]  # (actor, params) → columns, rows, filters
    importer: Callable[..., int]  # (actor, rows) → number of records created (or changed, see import_verb)
    import_verb: str = "新增"  # what the count counts, on the import page: 新增, or 新增或更新 for a catalogue
    # actor → raises PermissionDeniedError, before the file is read, when the right to import does not
    # depend on the rows (no need to tell someone who may not import what is wrong with their file)
    guard: Callable[[Any], None] | None = None

    def template_response(self, actor) -> HttpResponse:
        content = build_template(self.columns, self.example(actor), title=f"{self.label}导入模板")
        return xlsx_response(content, filename=f"{self.label}导入模板.xlsx", fallback=f"{self.kind}-template.xlsx")

    def may_import(self, actor) -> bool:
        """Whether the import page offers this kind to the actor (the guard's answer)."""
        if self.guard is None:
            return True
        try:
            self.guard(actor)
        except PermissionDeniedError:
            return False
        return True

    def run_import(self, *, actor, upload) -> int:
        if self.guard is not None:
            self.guard(actor)
        rows = read_workbook(upload, self.columns)
        if not rows:
            raise BadWorkbook(_("文件里没有数据行（示例行以 # 开头，导入时跳过）。"))
        try:
            return self.importer(actor=actor, rows=rows)
        except IntegrityError as exc:  # a concurrent write took a code or ID number after the checks
            raise ConflictError(_("导入期间有人同时登记了相同的编码或身份证号，未导入任何数据，请重新导入。")) from exc

    def export_file(self, *, actor, params) -> ExportFile:
        """Export what the actor may see under the list's filters (masked), for the actor alone
        (a short-lived link, core.exports); audited with the row count."""
        columns, rows, described = self.export(actor=actor, params=params)
        content, count = build_workbook(columns, rows, sheet_title=self.label)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return export_create(actor=actor, kind=self.kind, content=content, rows=count,
                             filename=f"{self.label}导出-{stamp}.xlsx", fallback=f"{self.kind}-{stamp}.xlsx",
                             description=f"{self.label}导出 {described}".strip())


def describe_filters(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items() if v not in (None, ""))
