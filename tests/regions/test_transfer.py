"""Excel import and export of regions and grids: the transfer pages and the API endpoints."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import include, path

from jiceng.core.api_tokens import api_token_create
from jiceng.core.excel import XLSX_CONTENT_TYPE
from jiceng.core.models import AuditLog
from jiceng.regions.models import Region
from jiceng.urls import urlpatterns as project_urlpatterns
from tests.factories import square

# The project includes jiceng.transfer_urls at "transfer/"; this keeps the tests independent of when.
urlpatterns = [*project_urlpatterns, path("transfer/", include("jiceng.transfer_urls"))]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

REGION_HEADERS = ["编码", "名称", "层级", "上级编码", "类型", "常住人口", "户数", "配备标准（每万人）", "边界（GeoJSON）"]
GRID_HEADERS = ["网格编码", "网格名称", "层级", "上级编码", "常住人口", "户数", "边界（GeoJSON）"]


def xlsx(headers: list[str], rows: list[list], name: str = "regions.xlsx") -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    wb.active.append(headers)
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=XLSX_CONTENT_TYPE)


def page_import(client, kind: str, upload):
    return client.post("/transfer/import/", {"kind": kind, "file": upload})


def token_client(user) -> Client:
    _, token = api_token_create(actor=None, user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def sheet_rows(response) -> list[list]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    ws = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [[c.value for c in row] for row in ws.iter_rows()]


# --- templates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, headers", [("regions", REGION_HEADERS), ("grids", GRID_HEADERS)])
def test_template_has_chinese_headers_and_a_commented_example(county, login, kind, headers):
    response = login(county.county_staff).get(f"/transfer/template/{kind}/")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    rows = sheet_rows(response)
    assert [h.rstrip("*") for h in rows[0]] == headers
    assert str(rows[1][0]).startswith("#")


def test_grid_template_example_reimports_once_uncommented(county, login):
    client = login(county.county_staff)
    content = client.get("/transfer/template/grids/").content
    as_is = page_import(client, "grids", SimpleUploadedFile("t.xlsx", content))
    assert as_is.status_code == 400  # only the commented example: nothing to import
    assert "没有数据行" in as_is.content.decode()
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb["数据"]
    ws["A2"] = ws["A2"].value.lstrip("#")
    ws["D2"] = county.c.code  # the example's parent is a community of the demo county; use one here
    out = io.BytesIO()
    wb.save(out)
    response = page_import(client, "grids", SimpleUploadedFile("t.xlsx", out.getvalue()))
    assert response.status_code == 200, response.content.decode()
    grid = Region.objects.get(code="A1-9")
    assert (grid.name, grid.parent, grid.population) == ("示例一级网格", county.c, 1500)


# --- importing ---------------------------------------------------------------------------------


def test_a_tree_imports_with_parents_earlier_in_the_file_and_each_region_is_audited(county):
    upload = xlsx(REGION_HEADERS, [
        ["350724003", "南街道", "街道", "350724", None, None, None, None, None],
        ["350724003001", "丁社区", "社区", "350724003", None, 2000, 700, 20, None],
        ["350724003002", "戊村", "村", "350724003", None, None, None, None, None],
    ])
    response = token_client(county.sysadmin).post("/api/regions/import/regions", {"file": upload})
    assert response.status_code == 201, response.json()
    assert response.json() == {"dataset": "regions", "created": 3}
    ding = Region.objects.get(code="350724003001")
    assert (ding.path, ding.kind, ding.staffing_standard) == ("/350724/350724003/350724003001/", "community", 20)
    assert Region.objects.get(code="350724003002").kind == "village"
    assert AuditLog.objects.filter(action="region.create", object_id=str(ding.pk)).exists()


def test_three_good_and_two_bad_rows_create_nothing_and_report_both(county, login):
    upload = xlsx(GRID_HEADERS, [
        ["C2", "丙二网格", "一级网格", "350724002001", 100, 30, None],
        ["C3", "丙三网格", "一级网格", "350724002001", None, None, None],
        ["C2", "重复网格", "一级网格", "350724002001", None, None, None],  # row 4: duplicate of row 2
        ["C3-1", "丙三网格一片", "二级网格", "C3", None, None, None],
        ["C9", "无上级网格", "一级网格", "NOPE", None, None, None],  # row 6: unknown parent
    ])
    response = page_import(login(county.county_staff), "grids", upload)
    assert response.status_code == 400
    errors = response.context["row_errors"]
    assert [(e.row, e.column) for e in errors] == [(4, "网格编码"), (6, "上级编码")]
    assert "与第 2 行的编码重复" in errors[0].message
    assert "NOPE 不存在" in errors[1].message
    assert not Region.objects.filter(code__in=["C2", "C3", "C3-1", "C9"]).exists()
    page = response.content.decode()
    assert "与第 2 行的编码重复" in page and "NOPE" in page


@pytest.mark.parametrize("row, column, reason", [
    (["B1", "乙一网格", "一级网格", "350724001002", None, None, None], "网格编码", "已被使用"),
    (["X1", "孤网格", "一级网格", None, None, None, None], "上级编码", "必须有上级"),
    (["X1", "跳级", "二级网格", "350724002001", None, None, None], "层级", "应为一级网格"),
    (["X1", "社区", "社区", "350724002", None, None, None], "层级", "请用区域导入"),
    (["X 1", "空格", "一级网格", "350724002001", None, None, None], "网格编码", "字母、数字"),
    (["X1", "人口", "一级网格", "350724002001", -5, None, None], "常住人口", "整数"),
    (["X1", "坏边界", "一级网格", "350724002001", None, None, "{oops"], "边界（GeoJSON）", "JSON"),
    (["X1", "重叠", "一级网格", "350724002001", None, None, json.dumps(square(2.5, 0.5, 3, 1))],
     "边界（GeoJSON）", "重叠"),
    (["X1", "出界", "一级网格", "350724002001", None, None, json.dumps(square(5, 0, 6, 1))],
     "边界（GeoJSON）", "超出上级"),
])
def test_bad_grid_rows(county, row, column, reason):
    response = token_client(county.sysadmin).post("/api/regions/import/grids", {"file": xlsx(GRID_HEADERS, [row])})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import_rejected"
    [error] = body["errors"]
    assert (error["row"], error["column"]) == (2, column)
    assert reason in error["message"]


def test_a_parent_later_in_the_file_is_reported(county):
    upload = xlsx(GRID_HEADERS, [["C2-1", "子网格", "二级网格", "C2", None, None, None],
                                 ["C2", "丙二网格", "一级网格", "350724002001", None, None, None]])
    body = token_client(county.sysadmin).post("/api/regions/import/grids", {"file": upload}).json()
    assert body["errors"][0]["row"] == 2 and "更靠后" in body["errors"][0]["message"]


def test_siblings_in_the_file_may_not_overlap_each_other(county):
    Region.objects.filter(code="C1").update(boundary=None)  # leave room in 丙村 for two new grids
    upload = xlsx(GRID_HEADERS, [
        ["C2", "西片", "一级网格", "350724002001", None, None, json.dumps(square(2, 0, 3, 2))],
        ["C3", "东片", "一级网格", "350724002001", None, None, json.dumps(square(2.5, 0, 4, 2))],
    ])
    body = token_client(county.sysadmin).post("/api/regions/import/grids", {"file": upload}).json()
    assert body["errors"][0]["row"] == 3 and "西片（第 2 行）" in body["errors"][0]["message"]


def test_county_staff_may_not_import_grids_outside_their_county(county, login):
    other = Region.objects.create(code="350725", name="邻县", level=2, path="/350725/", depth=0)
    street = Region.objects.create(code="350725001", name="邻街道", level=3, parent=other, path="/350725/350725001/",
                                   depth=1)
    Region.objects.create(code="350725001001", name="邻社区", level=4, parent=street,
                          path="/350725/350725001/350725001001/", depth=2)
    upload = xlsx(GRID_HEADERS, [["Z1", "邻网格", "一级网格", "350725001001", None, None, None]])
    response = page_import(login(county.county_staff), "grids", upload)
    assert response.status_code == 400
    [error] = response.context["row_errors"]
    assert error.column == "上级编码" and "无权" in error.message


@pytest.mark.parametrize("who", ["alice", "auditor"])
def test_community_staff_and_auditors_may_not_import_regions(county, who):
    upload = xlsx(GRID_HEADERS, [["A2", "甲二网格", "一级网格", "350724001001", None, None, None]])
    response = token_client(getattr(county, who)).post("/api/regions/import/grids", {"file": upload})
    assert response.status_code == 403
    assert not Region.objects.filter(code="A2").exists()


def test_a_png_renamed_xlsx_is_refused_with_a_clear_message(county, login):
    fake = SimpleUploadedFile("grids.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type=XLSX_CONTENT_TYPE)
    response = page_import(login(county.county_staff), "grids", fake)
    assert response.status_code == 400
    assert "不是 Excel 工作簿" in response.content.decode()
    api = token_client(county.sysadmin).post("/api/regions/import/grids", {
        "file": SimpleUploadedFile("grids.xlsx", "编码,名称\nA,B\n".encode(), content_type="text/csv")})
    assert api.status_code == 400 and api.json()["code"] == "bad_file"


# --- exporting ---------------------------------------------------------------------------------


def test_export_holds_what_the_user_sees_and_is_audited(county, login):
    response = login(county.alice).get("/transfer/export/grids/", follow=True)
    assert response.status_code == 200 and response.redirect_chain[0][0].startswith("/exports/")
    rows = sheet_rows(response)
    assert rows[0][:4] == ["网格编码", "网格名称", "层级", "上级编码"]
    assert sorted(r[0] for r in rows[1:]) == ["A1", "A1-1", "A1-2"]
    entry = AuditLog.objects.get(action="export.grids")
    assert (entry.actor_id, entry.changes["rows"]) == (county.alice.pk, 3)


def test_region_export_reimports_elsewhere(county):
    client = token_client(county.sysadmin)
    made = client.get("/api/regions/export/regions", {"region": county.west.pk})
    assert made.status_code == 200 and made.json()["rows"] == 2
    response = client.get(made.json()["url"])
    assert response.status_code == 200
    rows = sheet_rows(response)
    assert [r[0] for r in rows[1:]] == ["350724002", "350724002001"]
    assert rows[2][2] == "社区/村" and rows[2][4] == "村"
    assert json.loads(rows[2][8])["type"] == "Polygon"


def test_export_of_a_region_out_of_scope_or_past_any_id_is_404(county):
    client = token_client(county.alice)
    assert client.get("/api/regions/export/grids", {"region": county.b.pk}).status_code == 404
    assert client.get("/api/regions/export/grids", {"region": str(2**63 - 1)}).status_code == 404
    assert client.get("/api/regions/export/grids", {"region": county.a.pk}).status_code == 200
