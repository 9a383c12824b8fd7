"""The printable score sheet (and its Excel twin) on the 集贤 fixture (tests/assessment/test_template_jixian.py):
a deduction or a bonus reads as one — its kind, the points signed, against its cap — never as
"2 out of 5". carol: 工作作风 5 + 5 + 3 = 13, area cap 10 → −10; alice: 获上级表彰 +3 (cap 3), 加分项 +3 (cap 5)."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from openpyxl import load_workbook

from jiceng.assessment import selectors
from tests.assessment.helpers import close_compute_publish
from tests.assessment.test_template_jixian import jixian  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def results(j) -> dict:
    p = close_compute_publish(j["manager"], j["period"])
    return {r.subject.display_name: r for r in selectors.period_results(j["manager"], p)}


def row(html: str, code: str) -> list[str]:
    """The text of each cell of the indicator's row."""
    tr = re.search(rf'<tr data-indicator="{code}">(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]


def test_the_sheet_shows_a_deduction_signed_against_its_cap(jixian, login):  # noqa: F811
    carol = results(jixian)["carol"]
    page = login(jixian["manager"]).get(f"/assessment/results/{carol.pk}/sheet/")
    html = page.content.decode()
    assert page.status_code == 200 and "<th>类型</th>" in html
    assert row(html, "style") == ["工作作风", "减分项", "上限 10，每次最多 5", "−10"]
    assert row(html, "discipline") == ["组织纪律", "减分项", "上限 10，每次最多 5", "0"]  # nothing deducted
    assert row(html, "party") == ["党建工作", "人工评分", "20", "15"]  # a scored indicator: out of its points


def test_the_sheet_shows_a_bonus_with_a_plus(jixian, login):  # noqa: F811
    alice = results(jixian)["alice"]
    html = login(jixian["manager"]).get(f"/assessment/results/{alice.pk}/sheet/").content.decode()
    assert row(html, "honour") == ["获上级表彰", "加分项", "上限 3，每次最多 3", "+3"]
    assert row(html, "bonus_items") == ["加分项", "加分项", "上限 5", "+3"]


def test_the_explanation_page_reads_the_same(jixian, login):  # noqa: F811
    carol = results(jixian)["carol"]
    html = login(jixian["manager"]).get(f"/assessment/results/{carol.pk}/").content.decode()
    assert row(html, "style")[1:4] == ["减分项", "上限 10，每次最多 5", "−10"]


def test_the_sheet_links_the_sites_icon_and_says_its_language(jixian, login):  # noqa: F811
    """A standalone page without a <link rel="icon"> makes the browser ask for /favicon.ico, a 404."""
    carol = results(jixian)["carol"]
    client = login(jixian["manager"])
    html = client.get(f"/assessment/results/{carol.pk}/sheet/").content.decode()
    assert re.search(r'<link rel="icon" href="[^"]*/img/favicon\.svg"', html)
    client.cookies["django_language"] = "en"
    assert '<html lang="en">' in client.get(f"/assessment/results/{carol.pk}/sheet/").content.decode()


def test_the_excel_sheet_signs_deductions_and_bonuses(jixian, login):  # noqa: F811
    got = results(jixian)
    client = login(jixian["manager"])
    response = client.get(f"/assessment/results/{got['carol'].pk}/export/", follow=True)
    rows = [tuple(r) for r in load_workbook(BytesIO(response.content)).worksheets[0].iter_rows(values_only=True)]
    assert ("减分项", "工作作风（style）", -10, "上限 10，每次最多 5") in rows  # a number, negative
    assert ("指标", "党建工作（party）", 15, "满分 20") in rows
