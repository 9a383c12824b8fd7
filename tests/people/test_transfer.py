"""Excel import and export of residents and grid workers: scope, all-or-nothing, masking, audit."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import include, path

from jiceng.core.api_tokens import api_token_create
from jiceng.core.excel import XLSX_CONTENT_TYPE
from jiceng.core.models import AuditLog
from jiceng.people.choices import Role
from jiceng.people.models import Department, GridWorker, Resident
from jiceng.people.services import grid_worker_create, resident_create
from jiceng.urls import urlpatterns as project_urlpatterns
from tests.factories import make_id_number, make_user

urlpatterns = [*project_urlpatterns, path("transfer/", include("jiceng.transfer_urls"))]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

RESIDENT_HEADERS = ["姓名", "网格编码", "身份证号", "联系电话", "住址", "人口类型", "政治面貌", "志愿者", "关爱标签"]
WORKER_HEADERS = ["姓名", "类型", "所属社区编码", "负责网格编码", "身份证号", "手机号", "职业/身份", "党员", "入职日期"]


def ids(n: int) -> list[str]:
    return [make_id_number(seq=2 * i + 101) for i in range(n)]


def xlsx(headers: list[str], rows: list[list], name: str = "people.xlsx") -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=XLSX_CONTENT_TYPE)


def page_import(client, kind: str, upload):
    return client.post("/transfer/import/", {"kind": kind, "file": upload})


def token_client(user) -> Client:
    _, token = api_token_create(actor=None, user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def sheet_rows(response) -> list[list]:
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [[c.value for c in row] for row in ws.iter_rows()]


@pytest.fixture
def people(county):
    a1, a2, b1 = ids(3)
    zhang = resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number=a1, phone="13800001111",
                            address="测试县东街道甲社区幸福路1号", tags=["独居老人"], is_volunteer=True)
    li = resident_create(actor=county.alice, name="李四", grid=county.a1_2, id_number=a2)
    wang = resident_create(actor=county.bob, name="王五", grid=county.b1, id_number=b1, phone="13900002222")
    return {"zhang": zhang, "li": li, "wang": wang}


# --- templates ---------------------------------------------------------------------------------


def test_resident_template_example_reimports_once_uncommented(county, login):
    client = login(county.alice)
    response = client.get("/transfer/template/residents/")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "%E5%B1%85%E6%B0%91" in response["Content-Disposition"]  # 居民, RFC 5987
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    ws = wb["数据"]
    assert [c.value.rstrip("*") for c in ws[1]] == RESIDENT_HEADERS
    assert ws["A2"].value == "#张三" and ws["B2"].value == "A1"  # alice's first grid
    ws["A2"] = "张三"
    out = io.BytesIO()
    wb.save(out)
    response = page_import(client, "residents", SimpleUploadedFile("t.xlsx", out.getvalue()))
    assert response.status_code == 200, response.content.decode()
    resident = Resident.objects.get()
    assert (resident.name, resident.grid, sorted(resident.tags)) == ("张三", county.a1, ["低保", "独居老人"])


def test_worker_template_example_reimports_once_uncommented(county, login):
    client = login(county.alice)
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/transfer/template/workers/").content))
    wb["数据"]["A2"] = wb["数据"]["A2"].value.lstrip("#")
    out = io.BytesIO()
    wb.save(out)
    response = page_import(client, "workers", SimpleUploadedFile("t.xlsx", out.getvalue()))
    assert response.status_code == 200, response.content.decode()
    worker = GridWorker.objects.get()
    assert (worker.name, worker.kind, worker.community, worker.is_party_member) == ("李四", "full_time", county.a, True)
    assert list(worker.grids.all()) == [county.a1]


# --- importing residents ------------------------------------------------------------------------


def test_three_good_and_two_bad_rows_create_nothing_and_report_both(county, login):
    good = ids(4)
    bad_check = good[3][:17] + ("0" if good[3][17] != "0" else "1")
    upload = xlsx(RESIDENT_HEADERS, [
        ["赵一", "A1-1", good[0], "13700000001", "幸福路2号", "户籍人口", "群众", "否", "独居老人、低保"],
        ["赵二", "A1-2", good[1], None, None, "流动人口", None, "是", "残疾人,大病"],
        ["赵三", "A1-1", bad_check, None, None, None, None, None, None],  # row 4: check digit
        ["赵四", "A1-2", good[2], None, None, None, "中共党员", None, None],
        ["赵五", "A1-1", None, None, None, None, None, None, "富豪"],  # row 6: unknown tag
    ])
    response = page_import(login(county.alice), "residents", upload)
    assert response.status_code == 400
    errors = response.context["row_errors"]
    assert [(e.row, e.column) for e in errors] == [(4, "身份证号"), (6, "关爱标签")]
    assert "校验位" in errors[0].message and "富豪" in errors[1].message
    assert not Resident.objects.exists()
    page = response.content.decode()
    assert "校验位" in page and "富豪" in page


def test_good_rows_are_created_through_the_service_and_each_is_audited(county, login):
    good = ids(2)
    upload = xlsx(RESIDENT_HEADERS, [
        ["赵一", "A1-1", good[0], "13700000001", "幸福路2号", "户籍人口", "群众", "否", "独居老人、低保"],
        ["赵二", "A1-2", good[1], None, None, "floating", None, "是", "残疾人，大病"],
    ])
    response = page_import(login(county.alice), "residents", upload)
    assert response.status_code == 200
    assert "新增居民 2 条" in response.content.decode()
    zhao1, zhao2 = Resident.objects.order_by("name")
    assert (zhao1.phone, sorted(zhao1.tags), zhao1.gender) == ("13700000001", ["低保", "独居老人"], "M")
    assert (zhao2.residence_type, zhao2.is_volunteer, sorted(zhao2.tags)) == ("floating", True, ["大病", "残疾人"])
    assert AuditLog.objects.filter(action="resident.create", actor_id=county.alice.pk).count() == 2


def test_rows_outside_the_scope_and_duplicates_are_bad_rows(county, people, login):
    existing = people["zhang"].id_number
    fresh = ids(5)[4]
    upload = xlsx(RESIDENT_HEADERS, [
        ["越界", "B1", None, None, None, None, None, None, None],  # bob's grid
        ["重复一", "A1-1", fresh, None, None, None, None, None, None],
        ["重复二", "A1-1", fresh, None, None, None, None, None, None],
        ["已登记", "A1-1", existing, None, None, None, None, None, None],
        ["社区", "350724001001", None, None, None, None, None, None, None],
        ["", "A1-1", None, "12345", None, "外星人", None, "也许", None],
    ])
    body = token_client(county.alice).post("/api/people/import/residents", {"file": upload}).json()
    assert body["code"] == "import_rejected"
    found = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert "不在您的管辖范围内" in found[(2, "网格编码")]
    assert "与第 3 行的身份证号重复" in found[(4, "身份证号")]
    assert "已登记为其他居民" in found[(5, "身份证号")]
    assert "不是网格" in found[(6, "网格编码")]
    assert {(7, "姓名"), (7, "联系电话"), (7, "人口类型"), (7, "志愿者")} <= set(found)
    assert Resident.objects.count() == 3


def test_an_id_number_excel_turned_into_a_number_is_explained(county):
    upload = xlsx(RESIDENT_HEADERS, [["赵一", "A1-1", 350724198001010011, None, None, None, None, None, None]])
    body = token_client(county.alice).post("/api/people/import/residents", {"file": upload}).json()
    assert "文本格式" in body["errors"][0]["message"]


def test_admin_roles_may_not_import_people(county):
    upload = xlsx(RESIDENT_HEADERS, [["赵一", "A1-1", None, None, None, None, None, None, None]])
    response = token_client(county.sysadmin).post("/api/people/import/residents", {"file": upload})
    assert response.status_code == 403
    assert not Resident.objects.exists()


def test_a_csv_renamed_xlsx_is_refused(county, login):
    fake = SimpleUploadedFile("residents.xlsx", "姓名,网格编码\n赵一,A1-1\n".encode(), content_type=XLSX_CONTENT_TYPE)
    response = page_import(login(county.alice), "residents", fake)
    assert response.status_code == 400
    assert "CSV" in response.content.decode()
    assert not Resident.objects.exists()


# --- importing workers ---------------------------------------------------------------------------


def test_workers_import_checks_grids_belong_to_the_community(county, login):
    upload = xlsx(WORKER_HEADERS, [
        ["钱一", "专职", "350724001001", "A1-1、A1-2", ids(6)[5], "13600000001", None, "是", "2025-03-01"],
        ["钱二", "兼职", "350724001001", "B1", None, None, None, None, None],  # row 3: bob's grid
        ["钱三", "骑手", "350724001001", None, None, None, None, None, "昨天"],  # row 4: kind, date
    ])
    response = page_import(login(county.county_staff), "workers", upload)
    assert response.status_code == 400
    found = {(e.row, e.column) for e in response.context["row_errors"]}
    assert found == {(3, "负责网格编码"), (4, "类型"), (4, "入职日期")}
    assert not GridWorker.objects.exists()


def test_workers_import_creates_with_assignments(county):
    upload = xlsx(WORKER_HEADERS, [
        ["钱一", "专职", "350724001001", "A1-2、A1-1", None, "13600000001", None, "是", "2025/3/1"],
        ["钱二", "特聘", "350724001001", "A1-1", None, None, "快递员", None, None],
    ])
    response = token_client(county.alice).post("/api/people/import/workers", {"file": upload})
    assert response.status_code == 201, response.json()
    qian = GridWorker.objects.get(name="钱一")
    assert [a.grid.code for a in qian.assignments.order_by("-is_primary", "grid__code")] == ["A1-2", "A1-1"]
    assert str(qian.joined_on) == "2025-03-01"
    assert AuditLog.objects.filter(action="grid_worker.create").count() == 2


# --- exporting --------------------------------------------------------------------------------


def test_export_holds_exactly_the_rows_in_scope_masked_and_audited(county, people, login):
    response = login(county.alice).get("/transfer/export/residents/", follow=True)
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    rows = sheet_rows(response)
    header, data = rows[0], rows[1:]
    assert header[:4] == ["姓名", "性别", "网格编码", "网格名称"]
    assert sorted(r[0] for r in data) == ["张三", "李四"]  # not bob's 王五
    zhang = next(r for r in data if r[0] == "张三")
    raw = " ".join(str(c) for r in data for c in r)
    assert people["zhang"].id_number not in raw and "13800001111" not in raw and "幸福路" not in raw
    assert zhang[1] == "男"  # from the ID number's 17th digit
    assert zhang[4] == people["zhang"].id_number[:4] + "*" * 10 + people["zhang"].id_number[-4:]
    assert zhang[5] == "138****1111" and zhang[10] == "1 项（已隐藏）"
    entry = AuditLog.objects.get(action="export.residents")
    assert (entry.actor_id, entry.changes["rows"]) == (county.alice.pk, 2)


def test_export_uses_the_list_filters(county, people, login):
    client = login(county.county_staff)
    rows = sheet_rows(client.get("/transfer/export/residents/", {"tag": "独居老人"}, follow=True))
    assert [r[0] for r in rows[1:]] == ["张三"]
    rows = sheet_rows(client.get("/transfer/export/residents/", {"region": county.b.pk}, follow=True))
    assert [r[0] for r in rows[1:]] == ["王五"]
    rows = sheet_rows(client.get("/transfer/export/residents/", {"volunteer": "1"}, follow=True))
    assert [r[0] for r in rows[1:]] == ["张三"]
    assert [e.changes["rows"] for e in AuditLog.objects.filter(action="export.residents").order_by("id")] == [1, 1, 1]


def test_export_with_a_region_outside_the_scope_is_refused(county, people, login):
    response = login(county.alice).get("/transfer/export/residents/", {"region": county.b.pk})
    assert response.status_code == 404
    made = token_client(county.alice).get("/api/people/export/residents", {"region": county.b.pk})
    assert made.status_code == 404 and made.json()["field"] == "region"
    assert not AuditLog.objects.filter(action="export.residents").exists()


def test_export_of_workers_through_the_api(county):
    grid_worker_create(actor=county.alice, name="甲网格员", kind="full_time", community=county.a, grids=[county.a1_1],
                       phone="13900003333")
    grid_worker_create(actor=county.bob, name="乙网格员", kind="part_time", community=county.b, grids=[county.b1])
    client = token_client(county.alice)
    made = client.get("/api/people/export/workers")
    assert made.status_code == 200 and made.json()["rows"] == 1
    response = client.get(made.json()["url"])
    rows = sheet_rows(response)
    assert [r[0] for r in rows[1:]] == ["甲网格员"]
    assert rows[0][4:7] == ["负责网格编码", "负责网格", "身份证号（脱敏）"]
    assert rows[1][4:6] == [county.a1_1.code, county.a1_1.name]  # the names the page shows, beside the codes
    assert rows[1][7] == "139****3333"
    assert AuditLog.objects.get(action="export.workers").changes["rows"] == 1


def test_admin_roles_are_refused_the_residents_export(county, people):
    client = token_client(county.sysadmin)
    made = client.get("/api/people/export/residents", {"is_volunteer": "true"})
    assert made.status_code == 403 and made.json()["message"] == "您的角色不查看居民和网格员信息。"
    assert not AuditLog.objects.filter(action__startswith="export").exists()


@pytest.mark.parametrize("url", ["/transfer/import/", "/transfer/template/residents/", "/transfer/export/residents/"])
def test_the_transfer_pages_need_a_login(county, client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def _offered(page: str) -> set[str]:
    select = page.split('name="kind"')[1].split("</select>")[0]
    return set(re.findall(r'<option value="([^"]+)"', select))


def test_the_import_page_offers_only_the_kinds_the_actor_may_import(county, login):
    page = login(county.alice).get("/transfer/import/").content.decode()
    assert _offered(page) == {"workers", "residents"}
    for kind in ("workers", "residents"):
        assert f"/transfer/template/{kind}/" in page
    for kind in ("regions", "grids", "event_categories"):
        assert f"/transfer/template/{kind}/" not in page
    assert "系统管理员" not in page.split("<main")[1]  # no talk of what only others may import
    assert 'enctype="multipart/form-data"' in page
    county_page = login(county.county_staff).get("/transfer/import/").content.decode()
    assert _offered(county_page) == {"workers", "residents", "regions", "grids", "event_categories"}


def test_the_system_admin_is_offered_base_data_but_no_people(county, login):
    page = login(county.sysadmin).get("/transfer/import/")
    assert _offered(page.content.decode()) == {"regions", "grids", "event_categories"}
    assert page.context["form"].initial["kind"] == "regions"  # not the default 居民 it may not import


@pytest.mark.parametrize("who", ["auditor", "department"])
def test_roles_that_import_nothing_get_403(county, login, who):
    if who == "department":
        dept = Department.objects.create(code="ZJ", name="住建局", kind="housing", region=county.county)
        user = make_user("erin", Role.DEPARTMENT_STAFF, department=dept)
    else:
        user = county.auditor
    assert login(user).get("/transfer/import/").status_code == 403


def test_a_kind_not_offered_is_still_refused_with_its_reason(county, login):
    grid_headers = ["网格编码", "网格名称", "层级", "上级编码", "常住人口", "户数", "边界（GeoJSON）"]
    upload = xlsx(grid_headers, [["A2", "甲二网格", "一级网格", "350724001001", None, None, None]])
    response = page_import(login(county.alice), "grids", upload)
    assert response.status_code == 403
    assert "只有系统管理员和区县、街道工作人员可以导入区域或网格" in response.content.decode()


def test_an_unknown_kind_is_404(county, login):
    assert login(county.alice).get("/transfer/export/secrets/").status_code == 404


@pytest.mark.parametrize("role", [Role.DEPARTMENT_STAFF, Role.RESIDENT])  # (admins: after their TOTP)
def test_a_role_that_does_not_see_people_is_refused_their_export_not_given_an_empty_file(county, role):
    department = Department.objects.create(code="350724-CG", name="测试县城管局", kind="urban",
                                           region=county.county) if role == Role.DEPARTMENT_STAFF else None
    user = make_user(f"no-people-{role}", role, department=department)
    client = Client()
    client.force_login(user)
    for kind in ("residents", "workers"):
        response = client.get(f"/transfer/export/{kind}/")
        assert response.status_code == 403, kind
        assert "您的角色不查看居民和网格员信息。" in response.content.decode()
    assert not AuditLog.objects.filter(action__startswith="export").exists()


def test_a_file_tests_no_more_numbers_against_the_register_than_the_form_may(county, people, login, monkeypatch):
    """An ID number registered outside the importer's scope is refused as the form refuses it, from the
    same hourly allowance: a file of numbers is no way round it. Spent, the whole file is refused with
    the allowance's message, naming no row."""
    from django.core.cache import cache

    from jiceng.people.services import rules

    cache.clear()
    monkeypatch.setattr(rules, "ELSEWHERE_LIMIT", 3)  # where ``id_elsewhere_refusal`` reads it
    theirs = ids(9)[4:]  # five numbers registered in bob's grid, outside alice's scope
    for i, number in enumerate(theirs):
        resident_create(actor=county.bob, name=f"乙{i}", grid=county.b1, id_number=number)
    mine = people["zhang"].id_number
    first = token_client(county.alice).post("/api/people/import/residents", {"file": xlsx(RESIDENT_HEADERS, [
        ["甲", "A1-1", theirs[0], None, None, None, None, None, None],
        ["乙", "A1-1", theirs[1], None, None, None, None, None, None],
        ["丙", "A1-1", mine, None, None, None, None, None, None],
    ])}).json()
    found = {(e["row"], e["column"]): e["message"] for e in first["errors"]}
    assert "管辖范围以外" in found[(2, "身份证号")] and "管辖范围以外" in found[(3, "身份证号")]
    assert found[(4, "身份证号")] == "该身份证号已登记为其他居民。"  # in her own scope: the usual word
    # two of the three answers an hour are spent; a file with two more numbers runs out at its second
    second = token_client(county.alice).post("/api/people/import/residents", {"file": xlsx(RESIDENT_HEADERS, [
        ["丁", "A1-1", theirs[2], None, None, None, None, None, None],
        ["戊", "A1-1", theirs[3], None, None, None, None, None, None],
    ])})
    assert second.status_code == 429
    assert second.json() == {"code": "rate_limited", "message": "身份证号核对次数过多，请一小时后再试。"}
    assert Resident.objects.count() == 3 + len(theirs)
    cache.clear()


def test_residents_fixed_line_phones_import_under_the_new_header_and_the_old_one(county, login):
    """Many older residents have only a fixed line: the 联系电话 column takes one with its area code,
    as the form does (stored as its digits); a file made from the former template (手机号) still
    imports its phones. A grid worker's phone stays a mobile."""
    good = ids(3)
    new, former = RESIDENT_HEADERS, [h if h != "联系电话" else "手机号" for h in RESIDENT_HEADERS]
    client = login(county.alice)
    response = page_import(client, "residents", xlsx(new, [
        ["钱一", "A1-1", good[0], "0599-2345678", None, None, None, None, None],
        ["钱二", "A1-1", good[1], "+86 138 0000 0031", None, None, None, None, None],
    ]))
    assert "新增居民 2 条" in response.content.decode()
    response = page_import(client, "residents", xlsx(former, [
        ["钱三", "A1-2", good[2], "(0571) 8888 6666", None, None, None, None, None]]))
    assert "新增居民 1 条" in response.content.decode()
    assert dict(Resident.objects.values_list("name", "phone")) == {
        "钱一": "05992345678", "钱二": "13800000031", "钱三": "057188886666"}
    response = page_import(client, "residents", xlsx(new, [["钱四", "A1-1", None, "2345678", None, None, None,
                                                            None, None]]))
    assert "请填写11位手机号，或带区号的固定电话" in response.content.decode()
    response = page_import(client, "workers", xlsx(WORKER_HEADERS, [
        ["孙一", "专职", "350724001001", "A1-1", None, "0599-2345678", None, None, None]]))
    assert "手机号须为11位大陆手机号码。" in response.content.decode()
    assert not GridWorker.objects.exists() and Resident.objects.count() == 3
