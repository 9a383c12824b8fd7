"""Excel import and export of the event category catalogue: the transfer pages and the API."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.test import Client

from jiceng.core.api_tokens import api_token_create
from jiceng.core.excel import XLSX_CONTENT_TYPE
from jiceng.core.models import AuditLog
from jiceng.events.catalogue import load_event_categories
from jiceng.events.models import EventCategory

pytestmark = pytest.mark.django_db

HEADERS = ["编码", "名称", "上级编码", "排序", "启用", "默认处置层级", "责任部门类别", "优先级", "计时方式",
           "受理时限（小时）", "签收时限（小时）", "处置时限（小时）", "核查时限（小时）", "报到时限（小时）", "预警点（%）",
           "结案须附照片", "退单次数上限", "不满意时", "疑似重复半径（米）", "疑似重复天数", "处置标准"]
COL = {h: i for i, h in enumerate(HEADERS)}


@pytest.fixture
def catalogue(county):
    load_event_categories()
    return county


def row(**cells) -> list:
    """A row by header: row(编码="X", 名称="Y", …); missing cells are empty."""
    out: list = [None] * len(HEADERS)
    for header, value in cells.items():
        out[COL[header]] = value
    return out


def xlsx(rows: list[list], headers: list[str] = HEADERS) -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    wb.active.append(headers)
    for r in rows:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("categories.xlsx", out.getvalue(), content_type=XLSX_CONTENT_TYPE)


def token_client(user) -> Client:
    _, token = api_token_create(actor=None, user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def api_import(user, upload):
    return token_client(user).post("/api/events/categories/import", {"file": upload})


def sheet_rows(content: bytes) -> list[list]:
    ws = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [[c.value for c in r] for r in ws.iter_rows()]


def catalogue_state() -> dict:
    return {c.code: {**model_to_dict(c), "path": c.path, "depth": c.depth} for c in EventCategory.objects.all()}


def category_audits():
    return AuditLog.objects.filter(action__in=["event_category.create", "event_category.update"])


# --- template ------------------------------------------------------------------------------------


def test_template_has_the_chinese_headers_and_an_example_that_imports_once_uncommented(catalogue, login):
    client = login(catalogue.county_staff)
    response = client.get("/transfer/template/event_categories/")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    ws = wb["数据"]
    header = [c.value for c in ws[1]]
    assert [h.rstrip("*") for h in header] == HEADERS
    assert [h for h in header if h.endswith("*")] == ["编码*", "名称*", "默认处置层级*"]
    assert ws["A2"].value == "#SRHJ-JGQS"
    ws["A2"] = "SRHJ-JGQS"
    out = io.BytesIO()
    wb.save(out)
    imported = client.post("/transfer/import/", {"kind": "event_categories",
                                                 "file": SimpleUploadedFile("t.xlsx", out.getvalue())})
    assert imported.status_code == 200
    assert "导入成功：新增或更新事项分类 1 条" in imported.content.decode()
    made = EventCategory.objects.get(code="SRHJ-JGQS")
    assert (made.parent.code, made.handler_level, made.department_kind, made.handle_hours) == (
        "SRHJ", "department", "housing", Decimal("8.00"))


def test_the_import_page_offers_the_catalogue(catalogue, login):
    page = login(catalogue.county_staff).get("/transfer/import/").content.decode()
    assert 'value="event_categories"' in page
    assert "/transfer/template/event_categories/" in page


# --- export and round trip -----------------------------------------------------------------------


def test_an_export_reimports_unchanged(catalogue):
    client = token_client(catalogue.county_staff)
    made = client.get("/api/events/categories/export")
    assert made.status_code == 200
    total = EventCategory.objects.count()
    assert made.json()["rows"] == total
    content = client.get(made.json()["url"]).content
    rows = sheet_rows(content)
    assert rows[0] == HEADERS
    by_code = {r[0]: r for r in rows[1:]}
    assert [r[0] for r in rows[1:3]] == ["AQYH", "AQYH-DDCCD"]  # tree order: parents before children
    assert by_code["AQYH-RQAQ"] == [
        "AQYH-RQAQ", "燃气安全隐患", "AQYH", 3, "是", "职能部门", "应急管理", "特急", "自然时", 0.5, 0.5, 4, 8, 2, 75,
        "是", 2, "重办", 100, 3, None]
    before, audits = catalogue_state(), category_audits().count()

    again = api_import(catalogue.county_staff, SimpleUploadedFile("export.xlsx", content))

    assert again.status_code == 200, again.json()
    assert again.json() == {"dataset": "event_categories", "imported": 0}
    assert catalogue_state() == before
    assert category_audits().count() == audits
    assert AuditLog.objects.get(action="export.event_categories").changes["rows"] == total


def test_the_export_page_redirects_to_the_users_own_link(catalogue, login):
    response = login(catalogue.sysadmin).get("/transfer/export/event_categories/", follow=True)
    assert response.status_code == 200 and response.redirect_chain[0][0].startswith("/exports/")
    assert sheet_rows(response.content)[0] == HEADERS


# --- import --------------------------------------------------------------------------------------


def test_an_import_adds_a_child_and_changes_a_deadline(catalogue):
    rows = [
        row(编码="SRHJ-ZDJY", 名称="占道经营", 上级编码="SRHJ", 默认处置层级="职能部门", 责任部门类别="城管",
            **{"处置时限（小时）": 6}),
        row(编码="SRHJ-JGQS", 名称="井盖缺失", 上级编码="SRHJ", 排序=7, 默认处置层级="职能部门", 责任部门类别="住建",
            优先级="紧急", 计时方式="自然时", 结案须附照片="否", 不满意时="仅记录",
            **{"受理时限（小时）": 0.5, "处置时限（小时）": "4", "疑似重复半径（米）": 50}),
        row(编码="SRHJ-JGQS-YS", 名称="雨水井盖", 上级编码="SRHJ-JGQS", 默认处置层级="社区/村", 启用="否"),
    ]
    response = api_import(catalogue.county_staff, xlsx(rows))
    assert response.status_code == 200, response.json()
    assert response.json()["imported"] == 3

    changed = EventCategory.objects.get(code="SRHJ-ZDJY")
    assert changed.handle_hours == Decimal("6.00")
    assert (changed.accept_hours, changed.verify_hours, changed.department_kind) == (
        Decimal("2.00"), Decimal("8.00"), "urban")  # the empty cells left the rest alone
    child = EventCategory.objects.get(code="SRHJ-JGQS")
    assert (child.parent.code, child.path, child.depth, child.sort, child.active) == (
        "SRHJ", "/SRHJ/SRHJ-JGQS/", 1, 7, True)
    assert (child.handler_level, child.department_kind, child.priority, child.clock) == (
        "department", "housing", 2, "calendar")
    assert (child.accept_hours, child.sign_hours, child.handle_hours, child.verify_hours, child.whistle_hours) == (
        Decimal("0.50"), Decimal("2.00"), Decimal("4.00"), Decimal("8.00"), Decimal("2.00"))
    assert (child.warn_percent, child.photo_required, child.max_returns, child.unsatisfied_action) == (
        75, False, 2, "record")
    assert (child.duplicate_radius_m, child.duplicate_days, child.description) == (50, 3, "")
    grandchild = EventCategory.objects.get(code="SRHJ-JGQS-YS")
    assert (grandchild.parent_id, grandchild.path, grandchild.depth, grandchild.active) == (
        child.pk, "/SRHJ/SRHJ-JGQS/SRHJ-JGQS-YS/", 2, False)
    assert (grandchild.handler_level, grandchild.department_kind, grandchild.handle_hours) == (
        "community", "", Decimal("24.00"))


def test_each_added_and_changed_category_is_audited(catalogue):
    rows = [
        row(编码="SRHJ-ZDJY", 名称="占道经营", 上级编码="SRHJ", 默认处置层级="职能部门", 责任部门类别="城管",
            **{"处置时限（小时）": 6}),
        row(编码="SRHJ-JGQS", 名称="井盖缺失", 上级编码="SRHJ", 默认处置层级="街道/乡镇"),
        row(编码="SRHJ-LJDF", 名称="垃圾乱堆乱放", 上级编码="SRHJ", 默认处置层级="社区/村"),  # as it is: no record
    ]
    assert api_import(catalogue.county_staff, xlsx(rows)).status_code == 200

    update = AuditLog.objects.get(action="event_category.update")
    assert update.actor_id == catalogue.county_staff.pk
    assert update.object_id == str(EventCategory.objects.get(code="SRHJ-ZDJY").pk)
    assert list(update.changes) == ["handle_hours"]
    assert [Decimal(str(v)) for v in update.changes["handle_hours"]] == [Decimal(8), Decimal(6)]
    create = AuditLog.objects.get(action="event_category.create")
    assert create.object_repr == "井盖缺失"
    assert create.changes["code"] == [None, "SRHJ-JGQS"]
    assert create.changes["parent"] == [None, "SRHJ"]
    assert create.changes["handler_level"] == [None, "street"]


def test_several_bad_rows_refuse_the_whole_file_listing_each(catalogue, login):
    rows = [
        row(编码="SRHJ-NEW", 名称="新分类", 上级编码="SRHJ", 默认处置层级="社区/村"),  # good, yet not saved
        row(编码="bad code!", 名称="坏编码", 默认处置层级="社区/村"),
        row(编码="X1", 名称="层级", 默认处置层级="街道办"),
        row(编码="X2", 名称="部门", 默认处置层级="职能部门"),
        row(编码="X3", 名称="数值", 默认处置层级="区县", 优先级="很急", 计时方式="工作日", 结案须附照片="也许",
            **{"受理时限（小时）": -1, "处置时限（小时）": 0, "核查时限（小时）": "1.234", "预警点（%）": 100}),
        row(编码="X4", 名称="无上级", 上级编码="NOPE", 默认处置层级="社区/村"),
        row(编码="SRHJ-ZDJY", 名称="占道经营", 上级编码="SHZA", 默认处置层级="职能部门", 责任部门类别="城管"),
        row(编码="SRHJ-NEW", 名称="重复", 上级编码="SRHJ", 默认处置层级="社区/村"),
        row(编码="X5", 名称="", 上级编码="X6", 默认处置层级="社区/村"),
        row(编码="X6", 名称="在后面", 默认处置层级="社区/村", 启用="开"),
    ]
    before, audits = catalogue_state(), category_audits().count()

    response = api_import(catalogue.county_staff, xlsx(rows))

    assert response.status_code == 400
    assert response.json()["code"] == "import_rejected"
    hours = "应为大于 0、不超过 99999.99 的小时数（最多两位小数）。"
    assert [(e["row"], e["column"], e["message"]) for e in response.json()["errors"]] == [
        (3, "编码", "只能由字母、数字、下划线和连字符组成，最多32位。"),
        (4, "默认处置层级", "无法识别“街道办”，应为 社区/村 / 街道/乡镇 / 区县 / 职能部门。"),
        (5, "责任部门类别", "默认处置层级为职能部门时必填。"),
        (6, "优先级", "无法识别“很急”，应为 特急 / 紧急 / 一般。"),
        (6, "受理时限（小时）", hours),
        (6, "处置时限（小时）", hours),
        (6, "核查时限（小时）", hours),
        (6, "结案须附照片", "应为“是”或“否”，而不是“也许”。"),
        (6, "计时方式", "无法识别“工作日”，应为 工作时 / 自然时。"),
        (6, "预警点（%）", "应为 1～99 的整数。"),
        (7, "上级编码", "上级编码 NOPE 不存在。"),
        (8, "上级编码", "已有分类不能通过导入改变上级（现为“SRHJ”）。"),
        (9, "编码", "与第 2 行的编码重复。"),
        (10, "上级编码", "上级 X6 在本文件更靠后的行，请把上级放在前面。"),
        (10, "名称", "必填。"),
        (11, "启用", "应为“是”或“否”，而不是“开”。"),
    ]
    assert catalogue_state() == before
    assert category_audits().count() == audits

    page = login(catalogue.county_staff).post("/transfer/import/", {"kind": "event_categories", "file": xlsx(rows)})
    assert page.status_code == 400
    assert page.content.decode().count('class="row-warn"') == 16


def test_a_file_without_a_required_column_is_refused(catalogue):
    response = api_import(catalogue.county_staff, xlsx([["SRHJ-NEW", "新分类"]], headers=["编码", "名称"]))
    assert response.status_code == 400
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(1, "默认处置层级")]


# --- who may ------------------------------------------------------------------------------------


def test_the_system_admin_may_import_too(catalogue, login):
    upload = xlsx([row(编码="SRHJ-NEW", 名称="新分类", 上级编码="SRHJ", 默认处置层级="社区/村")])
    response = login(catalogue.sysadmin).post("/transfer/import/", {"kind": "event_categories", "file": upload})
    assert response.status_code == 200
    assert EventCategory.objects.filter(code="SRHJ-NEW").exists()


@pytest.mark.parametrize("who", ["alice", "auditor"])
def test_others_may_neither_import_nor_export(catalogue, login, who):
    user = getattr(catalogue, who)
    rows = [row(编码="SRHJ-NEW", 名称="新分类", 上级编码="SRHJ", 默认处置层级="社区/村")]
    api = api_import(user, xlsx(rows))
    assert api.status_code == 403
    junk = api_import(user, SimpleUploadedFile("x.xlsx", b"not a workbook"))
    assert junk.status_code == 403  # refused before the file is read: no advice on a file they may not import
    page = login(user).post("/transfer/import/", {"kind": "event_categories", "file": xlsx(rows)})
    assert page.status_code == 403
    assert "只有系统管理员或区县工作人员可以导入事项分类" in page.content.decode()
    assert token_client(user).get("/api/events/categories/export").status_code == 403
    assert login(user).get("/transfer/export/event_categories/").status_code == 403
    assert not EventCategory.objects.filter(code="SRHJ-NEW").exists()
    assert not AuditLog.objects.filter(action="export.event_categories").exists()
