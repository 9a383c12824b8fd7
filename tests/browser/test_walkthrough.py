"""alice (社区 甲) logs in, looks at her community on the map, opens a grid, lists her grid workers
and reveals one worker's full information, as a user would."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from jiceng.core.models import AuditLog
from jiceng.people.models import Resident
from tests.factories import PASSWORD, small_county
from tests.people.test_pages import WANG_ID, people_in_county

pytestmark = [pytest.mark.browser]

GRID_NAMES = ("甲一网格", "甲一网格南片", "甲一网格北片")


def login(probe, base_url: str, username: str, shot: str | None = None) -> None:
    page = probe.page
    page.goto(f"{base_url}/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    expect(page.locator("h1")).to_have_text("登录基层治理平台")
    missing = [e for e in probe.errors if "/static/" in e]
    assert not missing, f"static files are not served (STATICFILES_DIRS in settings?): {missing}"
    if shot:
        probe.shot(shot)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('登录')")
    expect(page).to_have_url(f"{base_url}/")


def test_a_branch_opened_before_the_scripts_ran_still_loads(live_server, transactional_db, browser_page):
    """On a slow line the tree shows before htmx has run: a branch opened then fired its toggle with
    nobody listening and said 加载中… for ever. Hold htmx back, open the branch, then let it load."""
    small_county()
    probe, page, base = browser_page, browser_page.page, live_server.url
    login(probe, base, "alice")
    held = []
    page.route("**/htmx.min.js", lambda route: held.append(route))
    page.goto(f"{base}/", wait_until="commit")
    page.locator("summary", has_text="甲一网格").first.click()
    expect(page.locator(".tree-sub").first).to_contain_text("加载中")
    page.wait_for_timeout(300)  # the toggle event has fired, with htmx not there to hear it
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator(".tree-sub").first).to_contain_text("甲一网格南片")


def test_alice_sees_her_grids_on_the_map_and_her_workers(live_server, transactional_db, browser_page):
    county = small_county()
    people = people_in_county(county)
    probe, page, base = browser_page, browser_page.page, live_server.url

    login(probe, base, "alice", shot="00-login")
    expect(page.locator("header")).to_contain_text("社区/村工作人员")
    expect(page.locator("main h2").first).to_contain_text("我的工作")  # the work first, then the tree
    expect(page.locator("main h2").nth(1)).to_contain_text("甲社区")
    # the tree opens a level through HTMX
    page.locator("summary", has_text="甲一网格").first.click()
    expect(page.locator(".tree-sub")).to_contain_text("甲一网格南片")
    probe.shot("01-home")

    # 甲社区's page: the map draws the community (outline) and its three grids
    page.click(f"a[href='/regions/{county.a.pk}/']")
    expect(page.locator("h1")).to_contain_text("甲社区")
    expect(page.locator("#region-map.map-ready")).to_be_visible()
    polygons = page.locator("#region-map path.leaflet-interactive")
    assert polygons.count() >= len(GRID_NAMES)
    labels = page.locator("#region-map .leaflet-tooltip").all_inner_texts()
    assert {"甲一网格南片", "甲一网格北片"} <= set(labels)
    assert "乙一网格" not in page.content()
    expect(page.locator("#staffing")).to_contain_text("每万人配备数")
    probe.shot("02-region-community")

    # click the south grid on the map (its label sits over it and lets clicks through)
    box = page.locator("#region-map .leaflet-tooltip", has_text="甲一网格南片").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page).to_have_url(f"{base}/regions/{county.a1_1.pk}/")
    expect(page.locator("h1")).to_contain_text("甲一网格南片")

    # the worker list: alice's two workers, not bob's
    page.click("nav.mainnav >> text=网格员")
    expect(page.locator("h1")).to_have_text("网格员")
    table = page.locator("table.table")
    expect(table).to_contain_text(people.wang.name)
    expect(table).to_contain_text(people.sun.name)
    expect(table).not_to_contain_text(people.qian.name)
    expect(page.locator("p.total")).to_contain_text("共 2 人")
    assert WANG_ID not in page.content()
    probe.shot("03-worker-list")

    # reveal one worker's full information (HTMX POST with the CSRF token), audited
    page.click(f"a:has-text('{people.wang.name}')")
    expect(page.locator("#personal-info")).to_contain_text(WANG_ID[:4] + "*" * 10)
    page.click("button:has-text('查看完整信息')")
    expect(page.locator("#personal-info")).to_contain_text(WANG_ID)
    expect(page.locator("#personal-info")).to_contain_text("已记入审计日志")
    assert AuditLog.objects.filter(action="personal_info.reveal", object_id=str(people.wang.pk)).count() == 1
    probe.shot("04-worker-revealed")

    # the same region page on a phone
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/regions/{county.a.pk}/")
    expect(page.locator("#region-map.map-ready")).to_be_visible()
    probe.shot("05-region-phone")

    assert probe.external == [], f"requests left the server: {probe.external}"
    assert probe.errors == [], f"errors in the page: {probe.errors}"


def test_alice_registers_a_resident_through_the_form(live_server, transactional_db, browser_page):
    county = small_county()
    probe, page, base = browser_page, browser_page.page, live_server.url
    login(probe, base, "alice")

    page.click("nav.mainnav >> text=居民")
    page.click("a:has-text('登记居民')")
    page.fill("#id_name", "周九")
    page.select_option("#id_grid", label="\u3000\u3000\u3000甲一网格南片（二级网格）")
    page.fill("#id_id_number", WANG_ID[:17] + ("0" if WANG_ID[17] != "0" else "1"))
    page.fill("#id_phone", "13800000099")
    page.check("input[name=tags][value=独居老人]")
    page.click("button:has-text('保存')")
    expect(page.locator("#error-id_number")).to_have_text("身份证号校验位不正确。")
    expect(page.locator("#id_name")).to_have_value("周九")
    probe.shot("06-resident-form-error")

    page.fill("#id_id_number", WANG_ID)
    page.click("button:has-text('保存')")
    expect(page.locator(".msg.success")).to_contain_text("已登记居民“周九”")
    expect(page.locator("#personal-info")).to_contain_text("138****0099")
    expect(page.locator("#personal-info")).to_contain_text("1 项（已隐藏）")
    assert Resident.objects.get(name="周九").grid == county.a1_1

    page.click("nav.mainnav >> text=居民")
    expect(page.locator("table.table")).to_contain_text("周九")
    assert WANG_ID not in page.content()
    probe.shot("07-resident-list")

    # the export says it is being made while the server makes it (held here for a moment)
    def slow(route):
        import time
        time.sleep(1.5)
        route.continue_()

    page.route("**/transfer/export/residents/**", slow)
    export = page.locator("a[data-busy]:has-text('导出 Excel')")
    with page.expect_download() as download:
        export.click()
        expect(page.locator("a.is-busy")).to_have_text("正在生成 Excel，请稍候……")
    assert download.value.suggested_filename.endswith(".xlsx")
    # the file has arrived: the link is itself again
    expect(page.locator("a[data-busy]")).to_have_text("导出 Excel")
    expect(page.locator("a[data-busy]")).not_to_have_class(re.compile(r"\bis-busy\b"))
    assert probe.external == [] and probe.errors == [], (probe.external, probe.errors)


def test_county_staff_sees_the_county_map_and_staffing_flags(live_server, transactional_db, browser_page):
    from jiceng.people.services import resident_create
    from jiceng.regions.services import region_update

    county = small_county()
    people_in_county(county)
    # 乙社区: 1 full-time worker for 4 residents is 2500 per 10,000, below a (test) standard of 3000
    for i in range(3):
        resident_create(actor=county.bob, name=f"乙居民{i}", grid=county.b1)
    region_update(actor=county.sysadmin, region=county.b, staffing_standard=3000)
    probe, page, base = browser_page, browser_page.page, live_server.url
    login(probe, base, "county")

    page.click(f"a[href='/regions/{county.county.pk}/']")
    expect(page.locator("#region-map.map-ready")).to_be_visible()
    labels = set(page.locator("#region-map .leaflet-tooltip").all_inner_texts())
    assert {"东街道", "西镇"} <= labels
    rows = page.locator("#staffing tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="丙村")).to_contain_text("不适用")
    expect(rows.filter(has_text="乙社区").locator(".flag-red")).to_have_text("低于标准")
    expect(rows.filter(has_text="甲社区")).to_contain_text("达标")
    probe.shot("08-county")
    assert probe.external == [] and probe.errors == [], (probe.external, probe.errors)


def test_county_staff_register_a_worker_choosing_the_community_first(live_server, transactional_db, browser_page):
    """负责网格 follows 所属社区/村: HTMX reloads that field when the community changes."""
    from jiceng.people.models import GridWorker

    county = small_county()
    probe, page, base = browser_page, browser_page.page, live_server.url
    login(probe, base, "county")
    page.goto(f"{base}/people/workers/new/")
    expect(page.locator("#grid-choices input[type=checkbox]")).to_have_count(0)
    page.fill("#id_name", "吴十")
    page.select_option("#id_community", value=str(county.a.pk))
    expect(page.locator("#grid-choices input[type=checkbox]")).to_have_count(3)
    page.select_option("#id_community", value=str(county.b.pk))
    expect(page.locator("#grid-choices input[type=checkbox]")).to_have_count(1)
    expect(page.locator("#id_name")).to_have_value("吴十")  # only the grid field was swapped
    page.check("#grid-choices label:has-text('乙一网格') input")
    probe.shot("08-worker-form-grids")
    page.press("#id_name", "Enter")  # Enter saves (the form's first button), as clicking 保存 does
    expect(page.locator(".msg.success")).to_contain_text("已登记网格员“吴十”")
    assert list(GridWorker.objects.get(name="吴十").grids.all()) == [county.b1]
    assert probe.external == [] and probe.errors == [], (probe.external, probe.errors)


def test_alice_awards_points_finding_the_resident_by_name(live_server, transactional_db, browser_page):
    """评定积分: type a name, pick the masked match HTMX shows, record the points."""
    from jiceng.engagement import services as engagement
    from jiceng.engagement.models import PointEntry
    from jiceng.people.services import resident_create

    county = small_county()
    zhang = resident_create(actor=county.alice, name="张三", grid=county.a1_1, phone="13800000011")
    engagement.point_rule_create(actor=county.alice, community=county.a, code="help", name="助人为乐", points=5)
    probe, page, base = browser_page, browser_page.page, live_server.url
    login(probe, base, "alice")
    page.goto(f"{base}/engagement/points/award/")
    page.select_option("#id_rule", index=1)
    page.fill("#id_q", "张")
    expect(page.locator("#resident-choices input[type=radio]")).to_have_count(1)
    expect(page.locator("#resident-choices")).to_contain_text("138****0011")
    page.check("#resident-choices input[type=radio]")
    probe.shot("09-award-points")
    page.click("button:has-text('记分')")
    expect(page.locator(".msg.success")).to_contain_text("已为张三记+5分")
    assert PointEntry.objects.get().account.resident == zhang
    assert "13800000011" not in page.content()
    assert probe.external == [] and probe.errors == [], (probe.external, probe.errors)


def test_the_api_documentation_page_works_offline_under_the_strict_policy(live_server, transactional_db,
                                                                        browser_page):
    """/api/docs (linked from the README) draws Swagger UI from the product's own static files:
    nothing from a CDN, which an intranet cannot reach and the CSP refuses."""
    small_county()
    probe, page = browser_page, browser_page.page
    login(probe, live_server.url, "alice")
    page.goto(f"{live_server.url}/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Jiceng 基层 API")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    probe.shot("api-docs")
    assert probe.external == [] and probe.errors == []


def test_map_names_that_would_cover_each_other_show_one_at_a_time(live_server, transactional_db, browser_page):
    """Two grids' names drawn at nearly the same place: the first stays, the second is hidden until
    a zoom gives it room (and shows again then)."""
    county = small_county()
    probe, page, base = browser_page, browser_page.page, live_server.url
    login(probe, base, "alice")
    page.goto(f"{base}/regions/{county.a.pk}/")
    expect(page.locator("#region-map.map-ready")).to_be_visible()
    crowded = page.evaluate("""() => new Promise((done) => {
        const box = document.createElement("div");
        box.style.width = "400px"; box.style.height = "300px";
        document.querySelector("main").appendChild(box);
        const map = L.map(box).setView([27.5, 118.5], 10);
        const pass = window.jicengDeclutter(map);
        const names = [[27.5, 118.5], [27.5001, 118.5001], [27.9, 118.9]].map(([y, x], i) =>
            L.tooltip({permanent: true, direction: "center", className: "grid-label"})
             .setLatLng([y, x]).setContent("网格名称" + i).addTo(map));
        pass();
        const before = names.map((t) => t.getElement().classList.contains("label-crowded"));
        map.setZoom(22, {animate: false});
        pass();
        map.setView([27.50005, 118.50005], 22, {animate: false});
        pass();
        const after = names.slice(0, 2).map((t) => t.getElement().classList.contains("label-crowded"));
        done({before, after});
    })""")
    assert crowded["before"] == [False, True, False]  # the second covered the first
    assert crowded["after"] == [False, False]  # zoomed in, both have room
