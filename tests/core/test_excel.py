"""The generic Excel helpers: writing, the download response, and the safe reading of uploads."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from urllib.parse import unquote

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiceng.core.excel import (
    XLSX_CONTENT_TYPE,
    BadWorkbook,
    Column,
    ImportRejected,
    build_template,
    build_workbook,
    cell_text,
    long_number_lost,
    parse_date,
    parse_yes_no,
    read_workbook,
    split_list,
    xlsx_response,
)

COLUMNS = [Column("name", "姓名", required=True), Column("id_number", "身份证号", text=True),
           Column("note", "备注")]


def xlsx(rows: list[list], name: str = "data.xlsx") -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=XLSX_CONTENT_TYPE)


def upload(content: bytes, name: str = "data.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX_CONTENT_TYPE)


# --- writing ------------------------------------------------------------------------------------


def test_workbook_round_trips_headers_and_rows():
    content, count = build_workbook(COLUMNS, [["张三", "350724198001010011", "甲"], ["李四", "", None]])
    assert count == 2
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [c.value for c in ws[1]] == ["姓名", "身份证号", "备注"]
    assert [c.value for c in ws[2]] == ["张三", "350724198001010011", "甲"]


def test_a_value_starting_with_equals_is_text_not_a_formula():
    content, _ = build_workbook(COLUMNS, [['=HYPERLINK("http://evil","点我")', "", "+1"]])
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no formula element anywhere
    cell = openpyxl.load_workbook(io.BytesIO(content)).active["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_control_characters_are_dropped_not_crashing_the_writer():
    content, _ = build_workbook(COLUMNS, [["张\x01三\x0b", "", ""]])
    assert openpyxl.load_workbook(io.BytesIO(content)).active["A2"].value == "张三"


def test_response_has_the_xlsx_type_and_an_rfc5987_chinese_filename():
    response = xlsx_response(b"PK", filename="居民导出-20260101.xlsx", fallback="residents-20260101.xlsx")
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="residents-20260101.xlsx"; ')
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert unquote(encoded) == "居民导出-20260101.xlsx"
    assert encoded.isascii()


def test_template_marks_required_headers_and_comments_out_the_example():
    content = build_template(COLUMNS, ["张三", "350724198001010011", ""], title="居民导入模板")
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb["数据"]
    assert [c.value for c in ws[1]] == ["姓名*", "身份证号", "备注"]
    assert ws["A2"].value == "#张三"
    assert ws["B2"].number_format == "@"
    assert "填写说明" in wb.sheetnames
    assert read_workbook(upload(content), COLUMNS) == []  # the example row is skipped


# --- reading ------------------------------------------------------------------------------------


def test_rows_carry_excel_row_numbers_and_skip_blank_and_comment_rows():
    rows = read_workbook(xlsx([["姓名*", "备注", "身份证号"], ["张三", "x", "1"], [None, None, None],
                               ["#注释", None, None], ["李四", None, None]]), COLUMNS)
    assert [(r.number, r.values["name"], r.values["note"]) for r in rows] == [(2, "张三", "x"), (5, "李四", None)]
    assert rows[0].values["id_number"] == "1"


def test_missing_required_column_is_reported_on_row_1():
    with pytest.raises(ImportRejected) as exc:
        read_workbook(xlsx([["身份证号", "备注"], ["1", "x"]]), COLUMNS)
    assert exc.value.errors == [{"row": 1, "column": "姓名", "message": "缺少该列（请使用导入模板的表头）"}]


@pytest.mark.parametrize("content, reason", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "不是 Excel"),
    ("姓名,身份证号\n张三,1\n".encode(), "CSV"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
    (b"PK\x03\x04garbage", "损坏"),
    (b"", "空"),
])
def test_files_that_are_not_xlsx_are_refused_by_content_whatever_their_name(content, reason):
    with pytest.raises(BadWorkbook) as exc:
        read_workbook(upload(content, "renamed.xlsx"), COLUMNS)
    assert reason in exc.value.message
    assert exc.value.field == "file"


def test_a_plain_zip_or_a_word_file_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(BadWorkbook, match="压缩包"):
        read_workbook(upload(out.getvalue()), COLUMNS)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<Types><Override ContentType="application/vnd.openxmlformats-'
                                          'officedocument.wordprocessingml.document.main+xml"/></Types>')
    with pytest.raises(BadWorkbook, match="Word"):
        read_workbook(upload(out.getvalue()), COLUMNS)


def test_doctype_in_a_part_is_refused():
    good = xlsx([["姓名"], ["张三"]]).read()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/workbook.xml":
                body = data.split(b"?>", 1)[-1]
                data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + body
            dst.writestr(item, data)
    with pytest.raises(BadWorkbook, match="DOCTYPE"):
        read_workbook(upload(out.getvalue()), COLUMNS)


def test_highly_compressed_parts_are_refused(settings):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "spreadsheetml.sheet.main+xml")
        z.writestr("xl/worksheets/sheet1.xml", "<a>" + " " * 5_000_000 + "</a>")
    with pytest.raises(BadWorkbook, match="压缩比"):
        read_workbook(upload(out.getvalue()), COLUMNS)


def test_size_limit(settings):
    settings.JICENG_IMPORT_MAX_BYTES = 1000
    with pytest.raises(BadWorkbook, match="过大"):
        read_workbook(xlsx([["姓名"], ["张三" * 500]]), COLUMNS)


def test_row_limit(settings):
    settings.JICENG_IMPORT_MAX_ROWS = 3
    assert len(read_workbook(xlsx([["姓名"], ["a"], ["b"], ["c"]]), COLUMNS)) == 3
    with pytest.raises(BadWorkbook, match="超过 3 行"):
        read_workbook(xlsx([["姓名"], ["a"], ["b"], ["c"], ["d"]]), COLUMNS)


# --- cell values ------------------------------------------------------------------------------


def test_cell_values_read_as_typed():
    excel_date = datetime(2025, 3, 1)  # noqa: DTZ001 (Excel cells carry naive dates)
    assert cell_text(350724.0) == "350724"
    assert cell_text(13800001111) == "13800001111"
    assert cell_text(excel_date) == "2025-03-01"
    assert cell_text("  张三 ") == "张三"
    assert long_number_lost(3.50724198001010e17) and not long_number_lost(13800001111)
    assert split_list("独居老人、低保,残疾人，大病") == ["独居老人", "低保", "残疾人", "大病"]
    assert (parse_yes_no("是"), parse_yes_no(""), parse_yes_no("否"), parse_yes_no("也许")) == (True, False, False, None)
    assert parse_date("2025年3月1日") == parse_date("2025/3/1") == parse_date(excel_date) == date(2025, 3, 1)
    with pytest.raises(ValueError):
        parse_date("去年")
