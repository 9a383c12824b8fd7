"""A score's explanation in the reader's language, on the hand-computed quarter of test_pages.py:
the arithmetic is stored as steps and put into words when read, a result stored before the steps
(its lines in Chinese) still reads — in English too when its recomputation says word for word what
it stored — and 得分率 shows one decimal.

alice, Q1: 镇街 95 → 95 ÷ 100 × 40% × 100 = 38; judges 90, 95, 100 → drop 90 and 100, mean 95 → 38;
peers 95, 95, 95 → 19; 38 + 38 + 19 = 95.
carol, Q1 v1 (before her appeal): 60 → 24; judges 60, 70, 50 → drop 50 and 70, mean 60 → 24; peers 60 → 12;
total 60.
"""

from __future__ import annotations

import copy
import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from jiceng.assessment import services
from jiceng.assessment.explanation import step_text
from jiceng.assessment.models import AssessmentResult
from tests.assessment.helpers import close_compute_publish, period, raters
from tests.assessment.test_pages import build_quarters

pytestmark = pytest.mark.django_db

ALICE_ZH = ["镇街党政正职评价：1 个评分，平均 95", "镇街党政正职评价：95 ÷ 100 × 40% × 100 = 38",
            "评委打分：3 个评分，去掉 90、100，平均 95", "评委打分：95 ÷ 100 × 40% × 100 = 38",
            "社区书记互评：3 个评分，平均 95", "社区书记互评：95 ÷ 100 × 20% × 100 = 19",
            "加权合计 = 95；加分 0；减分 0", "95 + 0 − 0 = 95", "总分 = 95.00"]
ALICE_EN = ["镇街党政正职评价: 1 score; mean 95", "镇街党政正职评价: 95 ÷ 100 × 40% × 100 = 38",
            "评委打分: 3 scores; dropped 90, 100; mean 95", "评委打分: 95 ÷ 100 × 40% × 100 = 38",
            "社区书记互评: 3 scores; mean 95", "社区书记互评: 95 ÷ 100 × 20% × 100 = 19",
            "Weighted sum = 95; bonus 0; deductions 0", "95 + 0 − 0 = 95", "Total score = 95.00"]
# What the Chinese-text explanation stored for carol's first version, before there were steps.
CAROL_V1_STORED = ["镇街党政正职评价：1 个评分，平均 60", "镇街党政正职评价：60 ÷ 100 × 40% × 100 = 24",
                   "评委打分：3 个评分，去掉 50、70，平均 60", "评委打分：60 ÷ 100 × 40% × 100 = 24",
                   "社区书记互评：3 个评分，平均 60", "社区书记互评：60 ÷ 100 × 20% × 100 = 12",
                   "加权合计 = 60；加分 0；减分 0", "60 + 0 − 0 = 60", "总分 = 60.00"]
CAROL_V1_EN = ["镇街党政正职评价: 1 score; mean 60", "镇街党政正职评价: 60 ÷ 100 × 40% × 100 = 24",
               "评委打分: 3 scores; dropped 50, 70; mean 60", "评委打分: 60 ÷ 100 × 40% × 100 = 24",
               "社区书记互评: 3 scores; mean 60", "社区书记互评: 60 ÷ 100 × 20% × 100 = 12",
               "Weighted sum = 60; bonus 0; deductions 0", "60 + 0 − 0 = 60", "Total score = 60.00"]
STEP_WORDS = re.compile(r"个评分|份问卷|平均|去掉|加权合计|加分|减分|总分|超过上限|自动值|年度折算|按公式|限制在")


# Every kind of step, in the Chinese the explanation has always been written in, and in English.
EVERY_STEP = [
    ({"kind": "auto", "name": "办结率", "value": "0.92", "target": "0.95", "points": "10", "result": "9.6842"},
     "办结率：自动值 0.92 ÷ 0.95（封顶 1）× 10 = 9.6842",
     "办结率: automatic value 0.92 ÷ 0.95 (at most 1) × 10 = 9.6842"),
    ({"kind": "cap", "name": "工作作风", "value": "13", "cap": "10"},
     "工作作风：13 超过上限 10，按 10 计", "工作作风: 13 is over the cap of 10, counted as 10"),
    ({"kind": "sum", "name": "量化考核", "parts": ["15", "20", "62"], "result": "97"},
     "量化考核：15 + 20 + 62 = 97", "量化考核: 15 + 20 + 62 = 97"),
    ({"kind": "no_indicators", "name": "量化考核"}, "量化考核：无指标 = 0", "量化考核: no indicators = 0"),
    ({"kind": "ballots", "name": "民主测评", "count": 3, "dropped": ["96", "100"], "mean": "100"},
     "民主测评：3 份问卷，去掉 96、100，平均 100", "民主测评: 3 questionnaires; dropped 96, 100; mean 100"),
    ({"kind": "ballots", "name": "民主测评", "count": 1, "dropped": [], "mean": "96"},
     "民主测评：1 份问卷，平均 96", "民主测评: 1 questionnaire; mean 96"),
    ({"kind": "scores", "name": "评委打分", "count": 1, "dropped": [], "mean": "68.1"},
     "评委打分：1 个评分，平均 68.1", "评委打分: 1 score; mean 68.1"),
    ({"kind": "weighted", "name": "评委打分", "raw": "65.6333", "max": "100", "weight": "40", "max_total": "100",
      "result": "26.2533"},
     "评委打分：65.6333 ÷ 100 × 40% × 100 = 26.2533", "评委打分: 65.6333 ÷ 100 × 40% × 100 = 26.2533"),
    ({"kind": "formula", "formula": "round(a * 0.5, 1)", "result": "46.3"},
     "按公式 round(a * 0.5, 1) = 46.3", "By the formula round(a * 0.5, 1) = 46.3"),
    ({"kind": "annual", "annual": "70", "annual_weight": "60", "routine": "85", "routine_weight": "40", "result": "76"},
     "年度折算：70 × 60% + 平时平均 85 × 40% = 76",
     "Annual with the routine results: 70 × 60% + routine average 85 × 40% = 76"),
    ({"kind": "clip", "max": "100", "value": "100.9", "result": "100"},
     "限制在 0 至 100：100.9 → 100", "Kept between 0 and 100: 100.9 → 100"),
]


@pytest.mark.parametrize(("step", "chinese", "english"), EVERY_STEP)
def test_every_kind_of_step_in_both_languages(step, chinese, english):
    with translation.override(None):
        assert step_text(step) == chinese
    with translation.override("en"):
        assert step_text(step) == english


@pytest.fixture
def world(county):
    return build_quarters(county)


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def shown_lines(html: str) -> list[str]:
    ol = re.search(r'<ol class="as-lines" id="as-lines">(.*?)</ol>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", li).strip() for li in re.findall(r"<li>(.*?)</li>", ol, re.S)]


def stored_before_steps(result: AssessmentResult, lines: list[str]) -> None:
    """Make ``result`` look as the code before steps stored it: its lines as Chinese text, no steps."""
    detail = copy.deepcopy(result.detail)
    del detail["numbers"]["steps"]
    detail["numbers"]["lines"] = lines
    AssessmentResult.objects.filter(pk=result.pk).update(detail=detail)


def test_the_result_stores_steps_not_words(world):
    numbers = world.results["alice"].detail["numbers"]
    assert "lines" not in numbers
    assert numbers["steps"][2] == {"kind": "scores", "name": "评委打分", "count": 3, "dropped": ["90", "100"],
                                   "mean": "95"}
    assert numbers["steps"][-1] == {"kind": "total", "total": "95.00"}


def test_the_steps_read_in_chinese_and_in_english(world, login):
    client = login(world.manager)
    url = f"/assessment/results/{world.results['alice'].pk}/"
    html = client.get(url).content.decode()
    assert shown_lines(html) == ALICE_ZH
    assert "street_leader：95" in html and "去掉：90、100" in html and "等次分档：A ≥ 90；B ≥ 75；C ≥ 0" in html
    html = english(client).get(url).content.decode()
    assert shown_lines(html) == ALICE_EN
    assert not STEP_WORDS.search("".join(shown_lines(html)))
    # the page's own words around the data are English too, with English punctuation
    assert "street_leader: 95" in html and "Dropped: 90, 100" in html
    assert "Grade bands: A ≥ 90; B ≥ 75; C ≥ 0" in html


def test_the_api_says_the_lines_in_the_callers_language_and_keeps_the_steps(world, login):
    client = english(login(world.manager))
    body = client.get(f"/api/assessment/results/{world.results['alice'].pk}/explain").json()
    assert body["lines"] == ALICE_EN and body["steps"][-1] == {"kind": "total", "total": "95.00"}
    assert body["total"] == "95.00" and body["verified"] is True


def test_a_result_stored_before_steps_reads_in_english(world, login):
    old = world.old_carol
    stored_before_steps(old, CAROL_V1_STORED)
    client = login(world.manager)
    url = f"/assessment/results/{old.pk}/"
    page = client.get(url)
    assert shown_lines(page.content.decode()) == CAROL_V1_STORED and page.context["e"]["total"] == "60.00"
    assert shown_lines(english(client).get(url).content.decode()) == CAROL_V1_EN
    old.refresh_from_db()
    assert old.detail["numbers"]["lines"] == CAROL_V1_STORED and "steps" not in old.detail["numbers"]
    assert old.total == Decimal("60.00")


def test_old_lines_the_recomputation_does_not_repeat_are_shown_as_stored(world, login):
    """An explanation worded otherwise (here, an older wording of the last line) is the record: it is
    shown as stored, in any language, rather than replaced by a recomputation's words."""
    old = world.old_carol
    stored = [*CAROL_V1_STORED[:-1], "总分：60.00"]
    stored_before_steps(old, stored)
    client = english(login(world.manager))
    assert shown_lines(client.get(f"/assessment/results/{old.pk}/").content.decode()) == stored
    body = client.get(f"/api/assessment/results/{old.pk}/explain").json()
    assert body["lines"] == stored and body["steps"] is None and body["verified"] is True


def test_the_excel_sheet_keeps_its_arithmetic_in_chinese(world, login):
    """The score sheet's Excel is written in Chinese (its headers and labels are), whoever makes it."""
    client = english(login(world.manager))
    response = client.get(f"/assessment/results/{world.results['alice'].pk}/export/", follow=True)
    rows = [tuple(r) for r in load_workbook(BytesIO(response.content)).worksheets[0].iter_rows(values_only=True)]
    assert [r[1] for r in rows if r[0] == "算式"] == ALICE_ZH


def rate_world(county):
    """One subject, two groups: 甲 (weight 60, out of 100) scored 61.3, 70.3 and 65.3 by three raters,
    mean 196.9 / 3 = 65.6333…; 乙 (weight 40, out of 30) scored 20: 20 / 30 = 66.6667%."""
    m = county.county_staff
    definition = {"groups": [{"code": "a", "name": "甲", "kind": "single", "weight": "60", "max_points": "100"},
                             {"code": "b", "name": "乙", "kind": "single", "weight": "40", "max_points": "30"}],
                  "indicators": []}
    scheme = services.scheme_create(actor=m, name="得分率", subject_type="community", period_type="month",
                                    region=county.county, definition=definition)
    p = period(m, scheme, "1月", date(2026, 1, 1), date(2026, 1, 31))
    s = services.period_subject_add(actor=m, period=p, obj=county.a)
    people = raters("r", 3, county.c)
    for r in people:
        services.assignment_create(actor=m, period=p, group="a", rater=r, subjects=[s])
    services.assignment_create(actor=m, period=p, group="b", rater=people[0], subjects=[s])
    services.period_open_scoring(actor=m, period=p)
    for r, score in zip(people, ("61.3", "70.3", "65.3"), strict=True):
        services.rating_save(actor=r, period=p, group="a", subject=s, score=Decimal(score), submit=True)
    services.rating_save(actor=people[0], period=p, group="b", subject=s, score=20, submit=True)
    return close_compute_publish(m, p).results.get()


def test_the_score_rate_shows_one_decimal(county, login):
    result = rate_world(county)
    html = login(county.county_staff).get(f"/assessment/results/{result.pk}/").content.decode()
    rates = re.findall(r'<td class="num as-rate"[^>]*>([^<]*)</td>', html)
    assert rates == ["65.6%", "66.7%"]
    # the API keeps the arithmetic's precision
    body = login(county.county_staff).get(f"/api/assessment/results/{result.pk}/explain").json()
    assert [g["normalised"] for g in body["groups"]] == ["65.6333", "66.6667"]

