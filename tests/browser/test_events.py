"""A resident reports a pile of rubbish with a photo (no login); 甲社区's command centre (alice)
registers it and it is dispatched to 甲社区; alice handles it with a photo; the grid worker (wang)
verifies it on his phone and it is closed; the resident rates it through the link. The case page
shows every step."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from PIL import Image
from playwright.sync_api import expect

from jiceng.events.models import Event
from tests.browser.conftest import PageProbe, close_context, csp_context
from tests.events.factories import IN_A1_1, PHONE, build_world
from tests.factories import LAT0, LNG0, PASSWORD

pytestmark = [pytest.mark.browser]


def _context(chromium, live_server, **kwargs):
    return csp_context(chromium, live_server, pass_posts=True, **kwargs)


def _login(page, base: str, username: str, next_url: str) -> None:
    page.goto(f"{base}/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('登录')")
    expect(page).to_have_url(f"{base}{next_url}")


def _photo(tmp_path, name: str, colour) -> str:
    path = tmp_path / name
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return str(path)


def _act(page, action: str, note: str = "", photo: str | None = None) -> None:
    """Take a step through its own form (case page) or a queue's form of a case (one note, a button a step)."""
    form = page.locator(f"form.ev-action[data-action={action}], form.ev-queue-form:has(button[data-action={action}])").first
    if note:
        form.locator("textarea[name=note]").fill(note)
    if photo:
        form.locator("input[name=photo]").set_input_files(photo)
    button = form.locator(f"button[data-action={action}]")
    (button if button.count() else form.locator("button[type=submit]")).click()
    page.wait_for_load_state()


def test_a_report_goes_from_the_resident_to_the_rating(live_server, transactional_db, chromium, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    world = build_world()
    base = live_server.url

    # 1. the resident, on a phone, without a login
    phone = _context(chromium, live_server, viewport={"width": 390, "height": 844})
    resident = PageProbe(phone.new_page(), base)
    resident.page.goto(f"{base}/events/report/")
    # The picker opens on the county's communities (no tiles offline) and a tap sets the point.
    expect(resident.page.locator("#pick-map.map-ready")).to_be_visible()
    assert resident.page.locator("#pick-map svg path").count() == 3  # 甲, 乙, 丙
    resident.page.locator("#pick-map").click()
    assert LNG0 < float(resident.page.input_value("#id_lng")) < LNG0 + 4
    assert LAT0 < float(resident.page.input_value("#id_lat")) < LAT0 + 2
    resident.page.select_option("#id_category", "SRHJ-LJDF")
    resident.page.fill("#id_description", "3 号楼下垃圾堆了三天没人清理，味道很大")
    resident.page.fill("#id_lng", str(IN_A1_1["lng"]))
    resident.page.fill("#id_lat", str(IN_A1_1["lat"]))
    resident.page.fill("#id_address", "甲社区 3 号楼")
    resident.page.fill("#id_reporter_name", "张三")
    resident.page.fill("#id_reporter_phone", PHONE)
    resident.page.set_input_files("#id_photo", _photo(tmp_path, "before.jpg", (120, 90, 40)))
    resident.shot("events-1-report")
    resident.page.click("button[type=submit]:has-text('提交')")
    expect(resident.page.locator("#ev-new")).to_be_visible()
    resident.shot("events-2-follow")
    event = Event.objects.get()
    assert event.number in resident.page.content()
    track_link = resident.page.locator("#ev-track-link").inner_text()
    assert track_link.startswith(f"{base}/events/track/?t=")

    # 1b. a neighbour starts reporting the same thing: the page offers "me too" instead
    neighbour = PageProbe(phone.new_page(), base)
    neighbour.page.goto(f"{base}/events/report/")
    neighbour.page.select_option("#id_category", "SRHJ-LJDF")
    # as a click on the map picker does: both inputs set by script, one change event
    neighbour.page.evaluate("""([lng, lat]) => {
        document.querySelector("#id_lng").value = lng;
        document.querySelector("#id_lat").value = lat;
        document.querySelector("#id_lat").dispatchEvent(new Event("change", { bubbles: true }));
    }""", [str(IN_A1_1["lng"]), str(IN_A1_1["lat"])])
    expect(neighbour.page.locator("#ev-nearby-list")).to_contain_text("正在办理")
    neighbour.page.wait_for_load_state("networkidle")
    neighbour.page.check(f"#ev-nearby-list input[value='{event.number}']")
    neighbour.page.fill("#ev-nearby-list input[name=phone]", "13900139000")
    neighbour.shot("events-1b-me-too")
    neighbour.page.click("#ev-join")
    expect(neighbour.page.locator("#ev-joined")).to_be_visible()
    assert event.supporters.count() == 1

    # 2. the command centre registers it: dispatched to 甲社区 by the category's rule
    pc = _context(chromium, live_server, viewport={"width": 1280, "height": 900})
    alice = PageProbe(pc.new_page(), base)
    _login(alice.page, base, world.alice.username, "/events/")
    expect(alice.page.locator("table.table")).to_contain_text(event.number)
    alice.page.wait_for_selector("#events-map .leaflet-interactive")
    alice.shot("events-3-console")
    alice.page.goto(f"{base}/events/{event.pk}/")
    register = alice.page.locator("form.ev-action[data-action=register]")
    register.locator("button.ev-tpl:has-text('受理立案')").click()  # 常用语 fills the note
    expect(register.locator("textarea[name=note]")).to_have_value("您反映的问题已受理立案，我们将按规定时限安排处置，请保持电话畅通。")
    _act(alice.page, "register", "情况属实，派社区处置")
    event.refresh_from_db()
    assert event.state == "dispatched" and event.handler_region_id == world.c.a.pk

    # 3. 甲社区 handles it
    _act(alice.page, "sign")
    _act(alice.page, "start", "已安排保洁员")
    _act(alice.page, "submit", "已清理完毕", photo=_photo(tmp_path, "after.jpg", (40, 160, 60)))
    event.refresh_from_db()
    assert event.state == "to_verify"

    # 4. the grid worker verifies on his phone: closed
    worker_ctx = _context(chromium, live_server, viewport={"width": 390, "height": 844})
    wang = PageProbe(worker_ctx.new_page(), base)
    _login(wang.page, base, world.wang.username, "/events/patrol/")
    expect(wang.page.locator(".ev-queue-item")).to_contain_text(event.number)
    wang.shot("events-4-patrol")
    _act(wang.page, "verify", "现场已清理干净")
    event.refresh_from_db()
    assert event.state == "closed"

    # 5. the resident opens the tracking link kept from step 1 and rates from there
    resident.page.goto(track_link)
    expect(resident.page.locator("#ev-status")).to_contain_text("已结案")
    resident.page.click("#ev-rate-link")
    resident.page.check("input[name=rating][value=satisfied]")
    resident.page.fill("#id_comment", "处理很快")
    resident.page.click("button[type=submit]:has-text('提交评价')")
    expect(resident.page.locator("#ev-rated")).to_be_visible()
    resident.shot("events-5-rated")
    event.refresh_from_db()
    assert event.state == "rated"

    # 6. the case page shows each step, with the photos
    alice.page.goto(f"{base}/events/{event.pk}/")
    steps = alice.page.locator(".ev-timeline li")
    assert [steps.nth(i).get_attribute("data-action") for i in range(steps.count())] == [
        "report", "join", "register", "dispatch", "sign", "start", "submit", "verify", "rate"]
    expect(alice.page.locator(".ev-photos img")).to_have_count(2)
    # where it was reported: a dot in its grid's outline, on the map of the case page
    alice.page.wait_for_selector("#case-map.map-ready")
    expect(alice.page.locator("#case-map path.leaflet-interactive")).to_have_count(1)  # the dot
    expect(alice.page.locator("#case-map path")).not_to_have_count(1)  # and the grid's outline
    alice.shot("events-6-case")

    # 7. 指标统计 counts it: registered, closed, rated satisfied — and the figure opens the case
    alice.page.click("nav.actions >> text=指标统计")
    expect(alice.page.locator("h1")).to_have_text("事件指标统计")
    expect(alice.page.locator(".nb-metric[data-metric=registered] .num")).to_have_text("1")
    expect(alice.page.locator(".nb-metric[data-metric=close_rate]")).to_contain_text("100.0%")
    expect(alice.page.locator(".nb-metric[data-metric=satisfaction_rate] .nb-frac")).to_have_text("1 / 1")
    alice.shot("events-7-numbers")
    alice.page.click(".nb-metric[data-metric=close_rate] a.nb-num")
    expect(alice.page.locator("#nb-count")).to_contain_text("共 1 件")
    expect(alice.page.locator("table.table")).to_contain_text(event.number)

    for probe in (resident, neighbour, alice, wang):
        assert probe.external == []
        assert [e for e in probe.errors if "favicon" not in e] == []
    for ctx in (phone, pc, worker_ctx):
        close_context(ctx)


def test_the_console_map_groups_cases_beyond_its_limit_and_opens_them(live_server, transactional_db, chromium,
                                                                      monkeypatch):
    """Over the limit the county's map draws a bubble per community; a click zooms there, where the
    map asks again and draws the cases themselves, and offers the list of that community."""
    from jiceng.events.selectors import map as event_map
    from tests.events.factories import IN_A1_2, IN_B1, IN_C1, report

    cache.clear()
    world = build_world()
    base = live_server.url
    cases = [report(world, where=w) for w in (IN_A1_1, IN_A1_1, IN_A1_2, IN_B1, IN_C1)]
    monkeypatch.setattr(event_map, "MAP_POINTS", 2)
    ctx = _context(chromium, live_server, viewport={"width": 1280, "height": 900})
    county = PageProbe(ctx.new_page(), base)
    _login(county.page, base, world.county.username, "/events/")
    county.page.wait_for_selector("#events-map.map-ready")
    expect(county.page.locator("#events-map")).to_have_attribute("data-mode", "groups")
    expect(county.page.locator("#events-map-note")).to_contain_text("共 5 件未办结")
    bubble = county.page.locator(".ev-bubble[title='乙社区']")
    expect(bubble).to_have_text("1")
    county.shot("events-8-map-groups")
    bubble.click()
    # zoomed to 乙社区's one case: the map asks for its view and gets points
    expect(county.page.locator("#events-map")).to_have_attribute("data-mode", "points")
    county.page.click(".leaflet-popup-content a:has-text('在列表中查看')")
    expect(county.page.locator("p.total")).to_contain_text("共 1 件")
    expect(county.page.locator("table.table")).to_contain_text(cases[3].number)
    assert county.external == []
    assert [e for e in county.errors if "favicon" not in e] == []
    close_context(ctx)


@pytest.mark.parametrize("width", [1366, 1920])
def test_every_column_of_the_console_list_is_in_view(live_server, transactional_db, chromium, width):
    """At an office PC's 1366 px the list had about 540 px beside the map for its 900: 网格, 处置单位
    and 上报时间 were cut off. Every column header now lies inside the list's visible box."""
    from tests.events.factories import report

    cache.clear()
    world = build_world()
    base = live_server.url
    report(world, description="小区门口垃圾桶满溢，气味很大，已经两天没有清运了")
    ctx = _context(chromium, live_server, viewport={"width": width, "height": 900})
    county = PageProbe(ctx.new_page(), base)
    _login(county.page, base, world.county.username, "/events/")
    county.page.wait_for_selector("#events-map.map-ready")
    wrap = county.page.locator(".ev-console .table-wrap").bounding_box()
    for header in county.page.locator(".ev-console table.table thead th").all():
        box = header.bounding_box()
        assert box["x"] >= wrap["x"] - 1 and box["x"] + box["width"] <= wrap["x"] + wrap["width"] + 1, \
            header.inner_text()
    county.shot(f"events-console-{width}")
    close_context(ctx)


def test_on_a_phone_each_case_of_the_list_is_a_card_that_fits(live_server, transactional_db, chromium):
    """A grid worker's phone (390 px): the list's six columns ran off the screen; each case is now a
    card — number and state, the title, then 网格, 处置单位 and 上报时间 as labelled lines — inside it."""
    from tests.events.factories import report

    cache.clear()
    world = build_world()
    base = live_server.url
    ev = report(world, description="小区门口垃圾桶满溢，气味很大，已经两天没有清运了")
    ctx = _context(chromium, live_server, viewport={"width": 390, "height": 844})
    wang = PageProbe(ctx.new_page(), base)
    _login(wang.page, base, world.wang.username, "/events/")
    wang.page.wait_for_selector("#events-map.map-ready")  # (its requests done before the test ends)
    row = wang.page.locator("table.ev-cases tbody tr").first
    expect(row).to_contain_text(ev.number)
    assert not wang.page.locator("table.ev-cases thead").is_visible()
    for cell in row.locator("td").all():
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, cell.inner_text()
    label = row.locator("td[data-label]").first.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"网格："'  # the line says what it is
    wang.shot("events-console-phone")
    close_context(ctx)
