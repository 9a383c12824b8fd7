"""Excel exports of a ranking table and a score sheet: Chinese headers, the rows shown on the page,
and one audit record each with the row count."""

from __future__ import annotations

import io

import openpyxl
import pytest

from jiceng.core.models import AuditLog
from jiceng.people.choices import Role
from tests.assessment.test_pages import build_quarters
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county):
    return build_quarters(county)


def sheet(response) -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return [tuple(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def test_the_ranking_export_has_chinese_headers_and_is_audited(world, login):
    response = login(world.manager).get(f"/assessment/periods/{world.q1.pk}/export/", follow=True)
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    rows = sheet(response)
    assert rows[0][:5] == ("名次", "考核对象", "排名组", "总分", "等次")
    assert [(r[0], r[1], r[4], r[6]) for r in rows[1:]] == [
        (1, "alice", "A", None), (2, "bob", "B", "是"), (2, "dave", "B", "是"), (4, "carol", "C", None)]
    assert rows[1][7] == "优先入编"
    entry = AuditLog.objects.get(action="export.assessment_ranking")
    assert entry.changes["rows"] == 4 and entry.actor_id == world.manager.pk


def test_a_ranking_export_holds_only_what_the_viewer_may_see(world, login):
    response = login(world.secretaries["bob"]).get(f"/assessment/periods/{world.q1.pk}/export/", follow=True)
    assert [r[1] for r in sheet(response)[1:]] == ["bob"]
    assert AuditLog.objects.get(action="export.assessment_ranking").changes["rows"] == 1


def test_the_score_sheet_export_lists_the_arithmetic(world, login):
    alice = world.results["alice"]
    response = login(world.manager).get(f"/assessment/results/{alice.pk}/export/", follow=True)
    rows = sheet(response)
    assert rows[0] == ("项目", "内容", "数值", "说明")
    assert ("总分", None, 95, None) in rows
    assert any(r[0] == "算式" and r[1] == "总分 = 95.00" for r in rows)
    entry = AuditLog.objects.get(action="export.assessment_score_sheet")
    assert entry.changes["rows"] == len(rows) - 1


def test_out_of_scope_exports_are_404_and_not_audited(world, county, login):
    client = login(make_user("erin", Role.STREET_STAFF, county.west))
    assert client.get(f"/assessment/periods/{world.q1.pk}/export/").status_code == 404
    assert client.get(f"/assessment/results/{world.results['alice'].pk}/export/").status_code == 404
    assert not AuditLog.objects.filter(action__startswith="export.assessment").exists()


def test_the_score_sheet_writes_its_numbers_as_numbers(world, login):
    """数值 can be summed in Excel: alice's groups 38 + 38 + 19 = 95 (加权合计), numbers, not text."""
    alice = world.results["alice"]
    rows = sheet(login(world.manager).get(f"/assessment/results/{alice.pk}/export/", follow=True))
    groups = [r[2] for r in rows if r[0] == "评分组"]
    assert groups == [38, 38, 19] and all(isinstance(v, int | float) for v in groups)
    values = {r[0]: r[2] for r in rows if r[0] in ("加权合计", "加分", "减分", "总分")}
    assert values == {"加权合计": 95, "加分": 0, "减分": 0, "总分": 95}
    assert all(isinstance(v, int | float) for v in values.values())
    assert sum(groups) == values["加权合计"]


def test_scores_show_two_decimals_in_excel(world, login):
    """A score of 95 reads 95.00 in Excel, as on the page (the cell's format, the value still a number);
    text cells are left alone."""
    manager = login(world.manager)
    alice = world.results["alice"]
    for url, column in ((f"/assessment/results/{alice.pk}/export/", 3), (f"/assessment/periods/{world.q1.pk}/export/", 4)):
        ws = openpyxl.load_workbook(io.BytesIO(manager.get(url, follow=True).content)).worksheets[0]
        rows = [row for row in ws.iter_rows(min_row=2) if len(row) >= column]
        numbers = [row[column - 1] for row in rows if isinstance(row[column - 1].value, int | float)]
        assert numbers and all(c.number_format == "0.00" for c in numbers)
        texts = [row[1] for row in rows if isinstance(row[1].value, str)]  # 内容 / 考核对象
        assert texts and all(c.number_format != "0.00" for c in texts)
