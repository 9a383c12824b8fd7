"""张三 reads his points on a phone (390 px wide): every line's points are on the screen and the text
wraps, with no sideways scrolling (the four-column table used to push 分值 off the right edge)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from jiceng.engagement import services
from jiceng.people.services import resident_account_create, resident_create
from tests.browser.conftest import PageProbe, close_context, csp_context
from tests.factories import PASSWORD, small_county

pytestmark = [pytest.mark.browser]
WIDTH = 390


def test_the_points_page_fits_a_phone(live_server, transactional_db, chromium):
    county = small_county()
    alice = county.alice
    zhang = resident_create(actor=alice, name="张三", grid=county.a1_1)
    resident_account_create(actor=alice, resident=zhang, username="zhang", password=PASSWORD)
    good = services.point_rule_create(actor=alice, community=county.a, code="mediate", name="协助调解邻里纠纷",
                                      points=20, expires_after_days=365)
    bad = services.point_rule_create(actor=alice, community=county.a, code="pile", name="楼道乱堆乱放杂物", points=-5)
    services.points_award(actor=alice, rule=good, resident=zhang,
                          note="协助网格员调解三号楼与四号楼之间因停车位引起的邻里纠纷，双方达成书面协议")
    services.points_award(actor=alice, rule=bad, resident=zhang, note="一楼楼道堆放纸箱，经劝导已清理")
    base = live_server.url

    phone = csp_context(chromium, live_server, viewport={"width": WIDTH, "height": 844}, is_mobile=True,
                        has_touch=True)
    try:
        probe = PageProbe(phone.new_page(), base)
        page = probe.page
        page.goto(f"{base}/login/?next=/engagement/me/points/")
        page.fill("#id_username", "zhang")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]:has-text('登录')")
        expect(page).to_have_url(f"{base}/engagement/me/points/")
        ledger = page.locator("section.card", has=page.locator("h2", has_text="积分明细"))
        amounts = ledger.locator(".amount")
        expect(amounts).to_have_text(["-5", "+20"])
        for i in range(amounts.count()):
            box = amounts.nth(i).bounding_box()
            assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= WIDTH, box
        # nothing wider than the screen, not even inside a scrolling box: the long note wraps instead of being cut
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        assert ledger.evaluate("""card => [...card.querySelectorAll('*')]
            .every(el => el.getBoundingClientRect().right <= window.innerWidth && el.scrollWidth <= el.clientWidth + 1
                         || getComputedStyle(el).display === 'inline')""")
        expect(ledger).to_contain_text("双方达成书面协议")
        probe.shot("engagement-phone-points")
        assert not [e for e in probe.errors if "HTTP" not in e], probe.errors
    finally:
        close_context(phone)
