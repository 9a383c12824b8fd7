"""The county's assessment manager opens a quarter's ranking table, clicks through to a published
score and reads the whole arithmetic; a judge rates from a phone-sized screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.assessment.test_pages import build_quarters
from tests.browser.test_walkthrough import login
from tests.factories import small_county

pytestmark = [pytest.mark.browser]


def test_ranking_to_explanation_to_printable_sheet(live_server, transactional_db, browser_page):
    world = build_quarters(small_county())
    probe, page, base = browser_page, browser_page.page, live_server.url
    login(probe, base, "county")
    page.click("nav.mainnav a:has-text('考核')")
    expect(page.locator("h1")).to_have_text("考核")
    page.click("a:has-text('2026Q1')")
    expect(page.locator("h1")).to_contain_text("2026Q1")
    table = page.locator("table.as-ranking tbody tr")
    expect(table).to_have_count(4)
    expect(page.locator(".as-tie")).to_have_count(2)
    expect(table.first).to_contain_text("优先入编")
    probe.shot("assessment-ranking")

    table.nth(3).locator("a:has-text('得分说明')").click()
    expect(page.locator("h1")).to_contain_text("carol")
    lines = page.locator("#as-lines li")
    expect(lines.first).to_contain_text("镇街党政正职评价")
    expect(page.locator("#as-lines")).to_contain_text("镇街党政正职评价：70 ÷ 100 × 40% × 100 = 28")
    expect(page.locator("#as-lines")).to_contain_text("总分 = 64.00")
    expect(page.locator("main")).to_contain_text("第 4 名（共 4 名）")
    expect(page.locator("main")).to_contain_text("已被取代")  # v1 before the appeal
    probe.shot("assessment-explanation")

    page.click("a:has-text('v1')")
    expect(page.locator(".notice")).to_contain_text("旧版本")
    expect(page.locator("#as-lines")).to_contain_text("总分 = 60.00")
    page.go_back()
    page.click("a:has-text('打印评分表')")
    expect(page.locator("h1")).to_contain_text("评分表")
    page.emulate_media(media="print")
    expect(page.locator(".no-print")).to_be_hidden()
    probe.shot("assessment-sheet-print")
    page.emulate_media(media="screen")

    # the scheme's cumulative ranking, from the period's page: Q1 alone is published
    page.goto(f"{base}/assessment/periods/{world.q1.pk}/")
    page.click("a:has-text('累计排名')")
    expect(page.locator("h1")).to_contain_text("累计排名")
    expect(page.locator("#as-cumulative tbody tr").first).to_contain_text("alice")
    expect(page.locator("#as-cumulative tbody tr").nth(3)).to_contain_text("64.00")
    probe.shot("assessment-cumulative")
    page.wait_for_load_state("networkidle")  # no request left in flight when the context closes
    assert not probe.errors, probe.errors
    assert not probe.external, probe.external
    assert world.q1.pk


def test_a_judge_rates_on_a_phone(live_server, transactional_db, browser_page):
    world = build_quarters(small_county())
    probe, page, base = browser_page, browser_page.page, live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    login(probe, base, "judge1")
    page.goto(f"{base}/assessment/mine/")
    expect(page.locator(".as-task")).to_have_count(8)
    page.locator(".as-task", has_text="2026Q2").first.locator("a").click()
    page.fill("input[name=score]", "86")
    page.click("button:has-text('保存草稿')")
    expect(page).to_have_url(re.compile(r"/assessment/mine/$"))
    expect(page.locator(".as-task", has_text="草稿")).to_have_count(1)
    probe.shot("assessment-mine-phone")
    page.locator(".as-task", has_text="草稿").locator("a").click()
    expect(page.locator("input[name=score]")).to_have_value("86")
    page.click("button:has-text('提交')")
    expect(page.locator(".as-task", has_text="已提交")).to_have_count(5)
    page.wait_for_load_state("networkidle")  # no request left in flight when the context closes
    assert not probe.errors, probe.errors
    assert world.q2.pk
