"""What 张三 (a resident of 甲社区, with a login) reads on his own pages: each ledger line names its kind
once, and an activity that is over says whether he came instead of still reading 已报名."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from jiceng.engagement import services
from jiceng.engagement.choices import RegistrationKind
from jiceng.engagement.models import PointEntry
from jiceng.people.services import resident_account_create
from tests.factories import PASSWORD


@pytest.fixture
def zhang_user(eng):
    return resident_account_create(actor=eng.county.alice, resident=eng.zhang, username="zhang", password=PASSWORD)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(("kind", "note", "shown"), [
    ("redeem", "兑换：理发券", "理发券"),          # as the demo writes it
    ("redeem", "兑换 洗衣粉 ×1", "洗衣粉 ×1"),      # as the shop service writes it
    ("cancel_redeem", "取消兑换", ""),
    ("award", "志愿服务：清扫楼道", "志愿服务：清扫楼道"),
])
def test_a_note_does_not_repeat_its_kind(kind, note, shown):
    entry = PointEntry(kind=kind, note=note)
    assert entry.note_shown == shown
    with translation.override("en"):
        assert entry.note_shown == shown


def test_the_home_ledger_says_redeem_once(eng, zhang_user, login):
    for _ in range(2):
        services.points_award(actor=eng.county.alice, rule=eng.r_sort, resident=eng.zhang, evidence="photo/1.jpg")
    shop = services.shop_create(actor=eng.county.alice, community=eng.county.a, name="振兴超市")
    item = services.shop_item_create(actor=eng.county.alice, shop=shop, name="理发券", price=10, stock=3)
    services.redemption_create(actor=eng.zhang, account=eng.zhang.point_account, item=item, quantity=1)
    client = login(zhang_user)
    home = _text(client.get(reverse("engagement-me")).content.decode())
    assert "-10 兑换 理发券 ×1" in home and "兑换 兑换" not in home
    points = _text(client.get(reverse("engagement-me-points")).content.decode())
    assert "兑换 兑换" not in points and "理发券 ×1" in points


def test_past_activities_say_whether_he_came(eng, zhang_user, login):
    alice, start = eng.county.alice, timezone.now() + timedelta(days=1)
    registration = services.registration_create(actor=alice, community=eng.county.a,
                                                kind=RegistrationKind.VOLUNTEER, resident=eng.zhang)
    came = services.activity_create(actor=alice, community=eng.county.a, title="清扫楼道", starts_at=start,
                                    ends_at=start + timedelta(hours=2), capacity=5)
    missed = services.activity_create(actor=alice, community=eng.county.a, title="敬老探访", starts_at=start,
                                      ends_at=start + timedelta(hours=2), capacity=5)
    coming = services.activity_create(actor=alice, community=eng.county.a, title="义诊", starts_at=start
                                      + timedelta(days=7), ends_at=start + timedelta(days=7, hours=2), capacity=5)
    signups = {a.title: services.signup_create(actor=eng.zhang, activity=a, registration=registration)
               for a in (came, missed, coming)}
    with time_machine.travel(start + timedelta(minutes=5)):
        services.signup_check_in(actor=alice, signup=signups["清扫楼道"])
    with time_machine.travel(start + timedelta(days=1)):
        client = login(zhang_user)
        for name in ("engagement-me", "engagement-me-activities"):
            page = _text(client.get(reverse(name)).content.decode())
            assert re.search(r"清扫楼道 [\d-]+( [\d:]+)? · 已参加（未签退）", page), name
            assert re.search(r"敬老探访 [\d-]+( [\d:]+)? · 已结束，未签到", page), name
            assert re.search(r"义诊 [\d-]+( [\d:]+)? · 已报名", page), name


def test_a_greyed_redeem_button_says_why(eng, zhang_user, login):
    services.points_award(actor=eng.county.alice, rule=eng.r_sort, resident=eng.zhang, evidence="photo/1.jpg")
    shop = services.shop_create(actor=eng.county.alice, community=eng.county.a, name="振兴超市")
    sold_out = services.shop_item_create(actor=eng.county.alice, shop=shop, name="毛巾", price=1, stock=0)
    dear = services.shop_item_create(actor=eng.county.alice, shop=shop, name="食用油", price=12, stock=2)
    cheap = services.shop_item_create(actor=eng.county.alice, shop=shop, name="肥皂", price=5, stock=2)
    page = login(zhang_user).get(reverse("engagement-me-shop")).content.decode()

    def card(item):
        return page.split(f'id="item-{item.pk}"')[1].split("</li>")[0]

    assert "disabled" in card(sold_out) and "库存不足" in _text(card(sold_out))
    assert "disabled" in card(dear) and "积分不足，还差 7 分" in _text(card(dear))  # 12 − a balance of 5
    assert "disabled" not in card(cheap) and "不足" not in card(cheap)


def test_a_residents_account_is_refused_the_staff_pages_and_shown_its_own(zhang_user, client, eng):
    """The console, people and region pages would show a resident only empty tiles and lists:
    they answer 403 with the way to the resident's own pages, which offer 反映问题 and 查询进度."""
    client.force_login(zhang_user)
    for url in ("/events/", "/events/mine/", "/events/patrol/", reverse("resident-list"), reverse("worker-list"),
                reverse("region-detail", args=[eng.county.a.pk])):
        response = client.get(url)
        assert response.status_code == 403, url
        page = response.content.decode()
        assert "这是工作人员使用的页面" in page and 'href="/events/report/"' in page, url
    home = client.get(reverse("engagement-me")).content.decode()
    assert 'id="me-cases"' in home and 'href="/events/report/"' in home and 'href="/events/follow/"' in home
    assert client.get("/events/report/").status_code == 200  # the public pages stay open to it
    # staff keep their pages
    client.force_login(eng.county.alice)
    assert client.get("/events/").status_code == 200 and client.get(reverse("resident-list")).status_code == 200


def test_each_points_line_leads_with_its_points(eng, zhang_user, login):
    """On a phone the ledger is a list whose lines start with the points (a four-column table pushed them
    off the screen); tests/browser/test_engagement_phone.py measures it at 390 px."""
    services.points_award(actor=eng.county.alice, rule=eng.r_sort, resident=eng.zhang, evidence="现场核实")
    services.points_award(actor=eng.county.alice, rule=eng.r_litter, resident=eng.zhang)
    html = login(zhang_user).get(reverse("engagement-me-points")).content.decode()
    ledger = html.split("积分明细</h2>")[1].split("</section>")[0]
    assert "<table" not in ledger
    lines = [_text(li).strip() for li in re.findall(r"<li>(.*?)</li>", ledger, re.S)]
    assert [line.split(" ")[:3] for line in lines] == [["-3", "扣减", "·"], ["+5", "奖励", "·"]]
    assert "乱扔垃圾" in lines[0] and "垃圾分类" in lines[1]
