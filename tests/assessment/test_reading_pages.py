"""What the pages say to their readers: the result page reads with names, not the scheme's internal codes
(a muted code beside a name for the managers only); a rater's tasks name their scheme, and a sheet that can
no longer be saved is shown read-only; period pages' crumbs name the scheme; counted sentences use plural
forms.

集贤 fixture (test_template_jixian.py): alice's bonuses are 获上级表彰 (honour) +3 within the section 加分项
(bonus_items) = honour + innovation."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation.template import templatize

from jiceng.assessment import selectors, services
from jiceng.assessment.explanation import readable_formula
from jiceng.assessment.models import Rating
from jiceng.assessment.templates import zhangjiakou_secretary_scheme_create
from tests.assessment.helpers import close_compute_publish, period, raters
from tests.assessment.test_api import as_user
from tests.assessment.test_template_jixian import jixian  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db
TEMPLATES = "src/jiceng/templates/assessment"


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def cell(html: str, code: str) -> str:
    """The visible text of the name cell of an indicator's row."""
    tr = re.search(rf'<tr data-indicator="{code}">(.*?)</tr>', html, re.S).group(1)
    return re.sub(r"<[^>]+>", "", re.search(r"<td[^>]*>(.*?)</td>", tr, re.S).group(1)).strip()


# --- 得分说明 with names -------------------------------------------------------------------------------


def test_the_person_assessed_reads_names_not_codes(jixian):  # noqa: F811
    p = close_compute_publish(jixian["manager"], jixian["period"])
    alice = p.results.get(subject=jixian["subjects"]["alice"])
    html = browser(jixian["people"]["alice"]).get(f"/assessment/results/{alice.pk}/").content.decode()
    assert cell(html, "party") == "党建工作" and cell(html, "bonus_items") == "加分项"
    shown = re.sub(r"台账-\w+", "", text(html))  # the fixture's evidence references (台账-party) are data
    assert "合计：获上级表彰 + 创新工作" in shown
    for code in ("party", "bonus_items", "honour", "innovation", "quant", "democratic"):
        assert re.search(rf"\b{code}\b", shown) is None, code


def test_the_manager_sees_a_muted_code_beside_each_name(jixian):  # noqa: F811
    p = close_compute_publish(jixian["manager"], jixian["period"])
    alice = p.results.get(subject=jixian["subjects"]["alice"])
    html = browser(jixian["manager"]).get(f"/assessment/results/{alice.pk}/").content.decode()
    assert '<td class="as-name">加分项 <span class="muted mono">bonus_items</span></td>' in html
    assert "合计：获上级表彰 + 创新工作" in html  # the sum reads with names for everyone
    explained = selectors.result_explain(jixian["manager"], alice)
    assert explained["indicators"]["bonus_items"]["children"] == ["honour", "innovation"]  # the API keeps both
    assert explained["indicators"]["bonus_items"]["children_names"] == ["获上级表彰", "创新工作"]


def test_a_formula_reads_with_names_in_the_readers_language():
    names = {"quant": "量化考核", "party": "党建工作"}
    formula = "round(quant * 0.7 + safe_div(party, 20, 0) * 10 + bonus - deduction, 1) / 2"
    with translation.override(None):
        assert readable_formula(formula, names) == (
            "round(量化考核 × 0.7 + safe_div(党建工作, 20, 0) × 10 + 加分 − 减分, 1) ÷ 2")
    with translation.override("en"):  # the scheme's names as entered, the built-in ones in English
        assert readable_formula("quant + bonus - deduction", names) == "量化考核 + bonus − deduction"


# --- 我的评分任务 and the rating form ----------------------------------------------------------------


@pytest.fixture
def two_schemes(county):
    """Two schemes with a 2026年第四季度 each; judge1 rates alice in both."""
    m = county.county_staff
    (judge,) = raters("judge", 1, county.c)
    made = {}
    for name in ("社区书记季度考核排名", "社区书记述职评议"):
        scheme = zhangjiakou_secretary_scheme_create(actor=m, region=county.county, name=name)
        p = period(m, scheme, "2026年第四季度", date(2026, 10, 1), date(2026, 12, 31))
        s = services.period_subject_add(actor=m, period=p, obj=county.alice)
        (a,) = services.assignment_create(actor=m, period=p, group="judges", rater=judge, subjects=[s])
        services.period_open_scoring(actor=m, period=p)
        made[name] = a
    return m, judge, made


def test_a_raters_tasks_name_their_scheme(two_schemes):
    _m, judge, made = two_schemes
    html = browser(judge).get("/assessment/mine/").content.decode()
    assert "社区书记季度考核排名 · 2026年第四季度 · 评委打分" in html
    assert "社区书记述职评议 · 2026年第四季度 · 评委打分" in html
    items = as_user(judge).get("/api/assessment/assignments").json()["items"]
    assert sorted((i["scheme_name"], i["period"]) for i in items) == [
        ("社区书记季度考核排名", "2026年第四季度"), ("社区书记述职评议", "2026年第四季度")]
    page = browser(judge).get(f"/assessment/assignments/{made['社区书记述职评议'].pk}/").content.decode()
    assert "社区书记述职评议 · 2026年第四季度 · 评委打分 · 评分中" in page


def test_a_submitted_or_closed_sheet_is_read_only(two_schemes):
    m, judge, made = two_schemes
    client = browser(judge)
    submitted, drafted = made["社区书记季度考核排名"], made["社区书记述职评议"]
    url = f"/assessment/assignments/{submitted.pk}/"
    assert client.post(url, {"score": "86", "submit": "1"}).status_code == 302
    html = client.get(url).content.decode()
    assert re.search(r'<input type="number" name="score" value="86"[^>]* disabled', html)
    assert re.search(r'<textarea name="note"[^>]* disabled', html)
    assert "保存草稿" not in html and 'name="submit"' not in html
    assert '<p class="notice" id="as-locked">评分已提交，不能修改。</p>' in html

    draft_url = f"/assessment/assignments/{drafted.pk}/"
    assert client.post(draft_url, {"score": "70", "submit": "0"}).status_code == 302
    services.period_close_scoring(actor=m, period=drafted.period)
    html = client.get(draft_url).content.decode()
    assert re.search(r'<input type="number" name="score" value="70"[^>]* disabled', html)
    assert '<p class="notice" id="as-locked">考核期为“评分结束”，不能评分。</p>' in html and "保存草稿" not in html
    client.post(draft_url, {"score": "99", "submit": "1"})  # posted anyway: refused, nothing changes
    rating = Rating.objects.get(assignment=drafted)
    assert (rating.score, rating.state) == (70, "draft")

    # while scoring, an unsubmitted sheet stays editable
    (other,) = services.assignment_create(actor=m, period=submitted.period, group="leaders", rater=judge,
                                          subjects=[submitted.subject])
    html = client.get(f"/assessment/assignments/{other.pk}/").content.decode()
    assert "disabled" not in html.split('class="card as-rate"')[1] and "保存草稿" in html


def test_period_pages_name_the_scheme_in_their_crumbs(two_schemes):
    m, _judge, made = two_schemes
    p = made["社区书记述职评议"].period
    crumbs = ('<nav class="breadcrumb"><a href="/assessment/">考核</a><span class="sep">/</span>社区书记述职评议'
              f'<span class="sep">/</span><a href="/assessment/periods/{p.pk}/">2026年第四季度</a>')
    client = browser(m)
    for page in ("subjects/", "raters/", "adjustments/", "close/", "next/", "delete/"):
        assert crumbs in client.get(f"/assessment/periods/{p.pk}/{page}").content.decode(), page
    ranking = client.get(f"/assessment/periods/{p.pk}/").content.decode()
    assert ('<nav class="breadcrumb"><a href="/assessment/">考核</a><span class="sep">/</span>社区书记述职评议'
            '<span class="sep">/</span>2026年第四季度</nav>') in ranking


# --- plural forms ------------------------------------------------------------------------------


def test_the_close_pages_counts_are_plural_messages():
    """结束评分's counts go through ngettext, so a translation can say "1 is" and "2 are"."""
    source = templatize(open(f"{TEMPLATES}/period_close.html", encoding="utf-8").read())
    assert "ngettext(u'其中 %(drafts)s 份只保存了草稿。', u'其中 %(drafts)s 份只保存了草稿。', count)" in source
    assert "ngettext(u'本期共 %(n)s 份评分表（评分人 × 考核对象），还有 %(missing)s 份未提交。'" in source
    assert "gettext(u'其中 %(drafts)s" not in source.replace("ngettext(u'其中", "")


def test_the_close_page_counts_a_draft(two_schemes):
    m, judge, made = two_schemes
    a = made["社区书记述职评议"]
    browser(judge).post(f"/assessment/assignments/{a.pk}/", {"score": "70", "submit": "0"})
    html = browser(m).get(f"/assessment/periods/{a.period_id}/close/").content.decode()
    assert "本期共 1 份评分表（评分人 × 考核对象），还有 1 份未提交。" in html and "其中 1 份只保存了草稿。" in html
