"""A score's explanation as it is read: every rater's raw input visible on an office screen (1366 px)
and on a phone — wrapped, never cut off at the edge of its card — and, in English, Latin text drawn
with a Latin font (an apostrophe as narrow as in any English text, not a CJK font's full-width one)."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from jiceng.assessment import services
from tests.assessment.helpers import close_compute_publish, period, raters
from tests.browser.test_walkthrough import login
from tests.factories import small_county

pytestmark = [pytest.mark.browser]

# Six judges with the long names and notes of a real round (the demo's 评委1（部门负责人）…).
SCORES = ["70.3", "61.3", "61.8", "67.5", "65.2", "69.9"]


def judged_result(county):
    m = county.county_staff
    definition = {"groups": [{"code": "judges", "name": "评委打分", "kind": "single", "weight": "100",
                              "max_points": "100", "drop_extremes": 1}], "indicators": []}
    scheme = services.scheme_create(actor=m, name="评委打分", subject_type="community", period_type="month",
                                    region=county.county, definition=definition)
    p = period(m, scheme, "1月", date(2026, 1, 1), date(2026, 1, 31))
    s = services.period_subject_add(actor=m, period=p, obj=county.a)
    judges = raters("judge", len(SCORES), county.c)
    for i, judge in enumerate(judges, start=1):
        judge.full_name = f"评委{i}（县委组织部部门负责人）"
        judge.save(update_fields=["full_name"])
        services.assignment_create(actor=m, period=p, group="judges", rater=judge, subjects=[s])
    services.period_open_scoring(actor=m, period=p)
    for judge, score in zip(judges, SCORES, strict=True):
        services.rating_save(actor=judge, period=p, group="judges", subject=s, score=score,
                             note="按年度述职和实地察看打分", submit=True)
    return close_compute_publish(m, p).results.get()


INPUTS_SHOWN = """() => {
  const wrap = document.querySelector('#as-groups').closest('.table-wrap').getBoundingClientRect();
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('#as-groups .as-input')].map(e => {
    const box = e.getBoundingClientRect();
    return {text: e.textContent, inside: box.left >= wrap.left - 0.5 && box.right <= wrap.right + 0.5
            && box.right <= width + 0.5};
  });
}"""

APOSTROPHE = """() => {
  const hint = [...document.querySelectorAll('#as-appeal .hint')].find(e => e.textContent.includes('\u2019'));
  const node = [...hint.childNodes].find(n => n.nodeType === 3 && n.textContent.includes('\u2019'));
  const at = node.textContent.indexOf('\u2019');
  const range = document.createRange();
  range.setStart(node, at);
  range.setEnd(node, at + 1);
  return [range.getBoundingClientRect().width, parseFloat(getComputedStyle(hint).fontSize)];
}"""


def test_every_raw_input_shows_on_a_desktop_and_on_a_phone(live_server, transactional_db, browser_page):
    result = judged_result(small_county())
    probe, page, base = browser_page, browser_page.page, live_server.url
    page.set_viewport_size({"width": 1366, "height": 900})
    login(probe, base, "county")
    page.goto(f"{base}/assessment/results/{result.pk}/")
    expect(page.locator("#as-groups .as-input")).to_have_count(len(SCORES))
    shown = page.evaluate(INPUTS_SHOWN)
    assert [s["text"].split("：")[1].split("（")[0] for s in shown] == SCORES
    assert [s for s in shown if not s["inside"]] == []
    probe.shot("assessment-explanation-inputs-1366")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert [s for s in page.evaluate(INPUTS_SHOWN) if not s["inside"]] == []
    expect(page.locator("#as-groups td.as-rate")).to_be_visible()  # the figures stay, each with its label
    probe.shot("assessment-explanation-inputs-phone")
    page.wait_for_load_state("networkidle")
    assert not probe.errors, probe.errors


def test_an_english_apostrophe_is_narrow(live_server, transactional_db, browser_page):
    result = judged_result(small_county())
    probe, page, base = browser_page, browser_page.page, live_server.url
    login(probe, base, "county")
    page.goto(f"{base}/assessment/results/{result.pk}/")
    page.click("form.lang button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#as-appeal")).to_contain_text("appellant\u2019s")
    width, font_size = page.evaluate(APOSTROPHE)
    assert width < 0.5 * font_size, (width, font_size)  # a CJK font's ’ is a full em wide
    probe.shot("assessment-explanation-en")
    page.wait_for_load_state("networkidle")
    assert not probe.errors, probe.errors
