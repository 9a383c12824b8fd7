"""A resident (张三, on a phone) signs up for an activity; alice (甲社区's staff, on a PC) shows the QR code,
checks him in and out; he receives the points and redeems them in the community's shop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jiceng.engagement import services
from jiceng.engagement.choices import RuleSource
from jiceng.engagement.models import Redemption, Signup
from jiceng.engagement.selectors import points_ledger_mismatches
from jiceng.people.services import resident_account_create, resident_create
from tests.browser.conftest import PageProbe, close_context, csp_context
from tests.factories import PASSWORD, small_county

pytestmark = [pytest.mark.browser]


def _context(chromium, live_server, **kwargs):
    return csp_context(chromium, live_server, pass_posts=False, **kwargs)


def _login(page, base: str, username: str, next_url: str) -> None:
    page.goto(f"{base}/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('登录')")
    expect(page).to_have_url(f"{base}{next_url}")


def test_a_resident_volunteers_earns_points_and_redeems(live_server, transactional_db, chromium):
    county = small_county()
    alice = county.alice
    zhang = resident_create(actor=alice, name="张三", grid=county.a1_1)
    resident_account_create(actor=alice, resident=zhang, username="zhang", password=PASSWORD)
    services.point_rule_create(actor=alice, community=county.a, code="vol", name="志愿服务签退", points=10,
                               source=RuleSource.VOLUNTEER_CHECKIN)
    shop = services.shop_create(actor=alice, community=county.a, name="甲社区积分超市")
    services.shop_item_create(actor=alice, shop=shop, name="洗衣粉", price=10, stock=5)
    services.shop_item_create(actor=alice, shop=shop, name="食用油（5L）", price=120, stock=2)
    now = timezone.now()
    activity = services.activity_create(actor=alice, community=county.a, title="清扫楼道", place="甲一网格各楼栋",
                                        starts_at=now - timedelta(minutes=20), ends_at=now + timedelta(hours=2),
                                        capacity=10)
    li = resident_create(actor=alice, name="李小明", grid=county.a1_2)
    wish = services.wish_post(actor=alice, resident=li, category="study", description="给孩子一盏护眼台灯",
                              estimated_cost=80)
    services.wish_review(actor=alice, wish=wish, approve=True)
    services.wish_post(actor=alice, resident=li, category="living", description="冬天的棉被")
    base = live_server.url

    phone = _context(chromium, live_server, viewport={"width": 390, "height": 844}, is_mobile=True,
                     has_touch=True)
    desk = _context(chromium, live_server, viewport={"width": 1280, "height": 900})
    public = _context(chromium, live_server, viewport={"width": 1280, "height": 900})
    try:
        resident = PageProbe(phone.new_page(), base)
        staff = PageProbe(desk.new_page(), base)

        # the resident registers as a volunteer and signs up
        _login(resident.page, base, "zhang", "/engagement/me/activities/")
        resident.page.click("button:has-text('报到为志愿者')")
        expect(resident.page.locator(".messages")).to_contain_text("已报到为志愿者")
        resident.page.locator(f"#activity-{activity.pk} button:has-text('报名')").click()
        expect(resident.page.locator(f"#activity-{activity.pk}")).to_contain_text("已报名")
        resident.shot("engagement-1-resident-signed-up")

        # alice shows the QR code and checks him in
        _login(staff.page, base, "alice", f"/engagement/activities/{activity.pk}/")
        staff.page.click("a:has-text('出示签到码')")
        expect(staff.page.locator("img.qr")).to_be_visible()
        assert staff.page.locator("img.qr").evaluate("img => img.naturalWidth") > 0
        staff.shot("engagement-2-staff-qr")
        staff.page.click("a:has-text('返回名单')")
        signup = Signup.objects.get()
        staff.page.locator(f"#signup-{signup.pk} button:has-text('签到')").click()
        expect(staff.page.locator(".messages")).to_contain_text("已签到")
        # an hour of service later (the clock is not ours to move in a live server)
        Signup.objects.filter(pk=signup.pk).update(checked_in_at=now - timedelta(minutes=15))
        staff.page.reload()
        staff.page.locator(f"#signup-{signup.pk} button:has-text('签退')").click()
        expect(staff.page.locator(".messages")).to_contain_text("已签退")
        expect(staff.page.locator(f"#signup-{signup.pk}")).to_contain_text("+10")
        staff.shot("engagement-3-staff-checked-out")

        # the resident sees the points and redeems
        resident.page.goto(f"{base}/engagement/me/")
        expect(resident.page.locator("#balance")).to_have_text("10")
        resident.shot("engagement-4-resident-points")
        resident.page.goto(f"{base}/engagement/me/shop/")
        oil = resident.page.locator(".item", has_text="食用油")
        expect(oil.locator("button")).to_be_disabled()
        resident.page.locator(".item", has_text="洗衣粉").locator("button:has-text('兑换')").click()
        expect(resident.page.locator(".messages")).to_contain_text("已兑换“洗衣粉”")
        expect(resident.page.locator("#balance")).to_have_text("0")
        resident.shot("engagement-5-resident-redeemed")

        # the public wall needs no login
        anonymous = PageProbe(public.new_page(), base)
        anonymous.page.goto(f"{base}/engagement/wall/{county.a.pk}/")
        expect(anonymous.page.locator("h1")).to_contain_text("微心愿墙")
        expect(anonymous.page.locator(".wall")).to_contain_text("李*明")
        assert "李小明" not in anonymous.page.content() and "冬天的棉被" not in anonymous.page.content()
        anonymous.shot("engagement-6-public-wall")

        # alice reviews the other wish and sees the reserved redemption to hand over
        staff.page.goto(f"{base}/engagement/wishes/?status=submitted")
        expect(staff.page.locator("table")).to_contain_text("冬天的棉被")
        staff.shot("engagement-7-staff-wishes")
        staff.page.goto(f"{base}/engagement/shops/")
        expect(staff.page.locator("table").first).to_contain_text("张三")
        staff.shot("engagement-8-staff-shops")

        redemption = Redemption.objects.get()
        assert redemption.points == 10 and redemption.status == "reserved"
        assert points_ledger_mismatches() == []
        for probe in (resident, staff, anonymous):
            assert not [e for e in probe.errors if "HTTP" not in e], probe.errors
            assert not probe.external, probe.external
    finally:
        close_context(phone)
        close_context(desk)
        close_context(public)
