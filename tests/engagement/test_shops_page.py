"""The staff 积分超市 page for a county (many shops) and for a community (one shop).

Named users: the county account (sees every community's shops: a compact table with a filter), alice
(甲社区's staff, one shop: sees it in full), bob (乙社区's staff: may not open 甲's shop).
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from jiceng.engagement import services
from jiceng.engagement.models import Redemption, ShopItem


class _Fields(HTMLParser):
    """The form fields of a page that a person fills in, and the ids that a <label for> names."""

    def __init__(self):
        super().__init__()
        self.fields: list[dict] = []
        self.label_for: set[str] = set()
        self.in_label = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            self.fields.append({**a, "_wrapped": bool(self.in_label)})

    def handle_endtag(self, tag):
        if tag == "label":
            self.in_label -= 1


def unlabelled(html: str) -> list[dict]:
    """Fields with no visible <label> (a placeholder or an aria-label is not enough for the QA)."""
    p = _Fields()
    p.feed(html)
    return [f for f in p.fields if not f["_wrapped"] and f.get("id") not in p.label_for]


def _points(eng, resident, n):
    for _ in range(n):
        services.points_award(actor=eng.county.alice, rule=eng.r_sort, resident=resident, evidence="photo/1.jpg")


@pytest.fixture
def shops(eng):
    """甲社区 and 乙社区 (东街道) each have a shop; 丙村 (西镇) has one; 甲's has two items."""
    c = eng.county
    a = services.shop_create(actor=c.alice, community=c.a, name="甲超市")
    soap = services.shop_item_create(actor=c.alice, shop=a, name="洗衣粉", price=5, stock=10)
    services.shop_item_create(actor=c.alice, shop=a, name="理发券", price=5, stock=10)
    b = services.shop_create(actor=c.bob, community=c.b, name="乙超市")
    oil = services.shop_item_create(actor=c.bob, shop=b, name="食用油", price=5, stock=10)
    cc = services.shop_create(actor=c.carol, community=c.c, name="丙超市")
    return {"a": a, "b": b, "c": cc, "soap": soap, "oil": oil}


def test_the_county_sees_one_row_per_shop_with_counts_and_a_link(eng, shops, login):
    _points(eng, eng.zhang, 2)
    services.redemption_create(actor=eng.zhang, account=eng.zhang.point_account, item=shops["soap"], quantity=1)
    page = login(eng.county.county_staff).get(reverse("engagement-staff-shops")).content.decode()
    rows = re.findall(r'<tr id="shop-(\d+)">(.*?)</tr>', page, re.S)
    assert [int(pk) for pk, _ in rows] == [shops["a"].pk, shops["b"].pk, shops["c"].pk]  # in tree order
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for _, row in rows]
    assert cells[0][0] == "甲社区" and "甲超市" in cells[0][1] and cells[0][2:4] == ["2", "1"]
    assert cells[1][2:4] == ["1", "0"] and cells[2][2:4] == ["0", "0"]
    assert reverse("engagement-staff-shop", args=[shops["b"].pk]) in cells[1][1]
    # the items are on each shop's own page, not on the county's list
    assert "理发券" not in page and "上架" not in page


def test_the_county_filters_the_shops_by_street_or_community(eng, shops, login):
    client = login(eng.county.county_staff)
    east = client.get(reverse("engagement-staff-shops"), {"region": eng.county.east.pk}).content.decode()
    assert re.findall(r'<tr id="shop-(\d+)">', east) == [str(shops["a"].pk), str(shops["b"].pk)]
    one = client.get(reverse("engagement-staff-shops"), {"region": eng.county.c.pk}).content.decode()
    assert re.findall(r'<tr id="shop-(\d+)">', one) == [str(shops["c"].pk)]
    # a region outside the filter's options is ignored (all shops), not an error
    grid = client.get(reverse("engagement-staff-shops"), {"region": eng.county.a1.pk}).content.decode()
    assert len(re.findall(r'<tr id="shop-(\d+)">', grid)) == 3


def test_open_a_shop_is_near_the_top_and_every_field_is_labelled(eng, shops, login):
    client = login(eng.county.county_staff)
    page = client.get(reverse("engagement-staff-shops")).content.decode()
    assert page.index("开设超市") < page.index("待领取的兑换") < page.index('id="shops"')
    assert unlabelled(page) == []
    shop_page = client.get(reverse("engagement-staff-shop", args=[shops["a"].pk])).content.decode()
    assert "洗衣粉" in shop_page and "上架" in shop_page
    assert unlabelled(shop_page) == []


def test_pending_redemptions_name_the_community_oldest_first(eng, shops, login):
    _points(eng, eng.zhang, 2)
    _points(eng, eng.zhao, 0)
    services.points_award(actor=eng.county.bob, rule=services.point_rule_create(
        actor=eng.county.bob, community=eng.county.b, code="b", name="乙规则", points=5), resident=eng.zhao)
    newer = services.redemption_create(actor=eng.zhang, account=eng.zhang.point_account, item=shops["soap"],
                                       quantity=1)
    older = services.redemption_create(actor=eng.zhao, account=eng.zhao.point_account, item=shops["oil"], quantity=1)
    Redemption.objects.filter(pk=older.pk).update(created_at=newer.created_at - timedelta(days=2))
    page = login(eng.county.county_staff).get(reverse("engagement-staff-shops")).content.decode()
    assert "<th>社区/村</th>" in page.split('id="redemption-')[0]
    assert page.index(f'id="redemption-{older.pk}"') < page.index(f'id="redemption-{newer.pk}"')
    row = page.split(f'id="redemption-{older.pk}"')[1].split("</tr>")[0]
    assert "乙社区" in row and "食用油" in row


def test_a_community_with_one_shop_sees_it_directly(eng, shops, login):
    page = login(eng.county.alice).get(reverse("engagement-staff-shops")).content.decode()
    assert "洗衣粉" in page and "理发券" in page and "上架" in page
    assert unlabelled(page) == []


def test_adding_an_item_returns_to_the_page_it_came_from_and_bob_may_not_open_alices_shop(eng, shops, login):
    client = login(eng.county.alice)
    shop_url = reverse("engagement-staff-shop", args=[shops["a"].pk])
    response = client.post(reverse("engagement-staff-item-create", args=[shops["a"].pk]),
                           {"name": "肥皂", "price": 3, "stock": 4, "next": shop_url})
    assert response.status_code == 302 and response.url == shop_url
    assert ShopItem.objects.filter(shop=shops["a"], name="肥皂", stock=4).exists()
    away = client.post(reverse("engagement-staff-item-restock", args=[shops["soap"].pk]),
                       {"quantity": 1, "next": "https://evil.example/"})
    assert away.url == shop_url
    assert login(eng.county.bob).get(shop_url).status_code == 404
