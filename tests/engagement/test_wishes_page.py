"""The staff's wish list: newest first with the date it was submitted (the list's order), and the
estimated value in 元 — "—" where the resident gave none (a wish for a service, or no idea of the price)."""

from __future__ import annotations

import re

from django.urls import reverse

from jiceng.engagement import services
from jiceng.engagement.choices import WishCategory

from .conftest import at


def _rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [re.findall(r"<td[^>]*>([^<]*)", row) for row in re.findall(r'<tr id="wish-\d+">(.*?)</tr>', body, re.S)]


def test_the_list_shows_the_date_and_the_estimate_in_yuan(eng, login):
    post = services.wish_post
    post(actor=eng.county.alice, resident=eng.zhang, category=WishCategory.HEALTH, description="一台血压计",
         estimated_cost=200, now=at(3, 10, 5))
    post(actor=eng.county.alice, resident=eng.wang, category=WishCategory.STUDY, description="一本新华字典",
         now=at(5, 16, 30))
    post(actor=eng.county.alice, resident=eng.li, category=WishCategory.LIVING, description="一袋大米和一桶油",
         estimated_cost="149.5", now=at(4, 9, 0))
    html = login(eng.county.alice).get(reverse("engagement-staff-wishes")).content.decode()
    head = html.split("<thead>")[1].split("</thead>")[0]
    assert re.findall(r"<th[^>]*>([^<]*)</th>", head)[:6] == ["提交时间", "社区/村", "许愿人", "类别", "心愿", "预估金额"]
    # (date, wish, estimate), newest first
    assert [(r[0], r[4], r[5]) for r in _rows(html)] == [
        ("2026-11-05 16:30", "一本新华字典", "—"),
        ("2026-11-04 09:00", "一袋大米和一桶油", "149.50 元"),
        ("2026-11-03 10:05", "一台血压计", "200 元"),
    ]


def test_the_demo_gives_a_wish_for_a_thing_an_estimate():
    """一台血压计, 一本新华字典, 一袋大米和一桶油 are things with a price; a service has none to estimate."""
    from jiceng.engagement.demo import WISH_COSTS, WISHES

    things = {"一台血压计", "一本新华字典", "一袋大米和一桶油", "一盏护眼台灯", "冬天的棉被"}
    assert all(WISH_COSTS[t] > 0 for t in things)
    assert all(d in {w for ws in WISHES.values() for w in ws} for d in WISH_COSTS)
    assert "上门理发" not in WISH_COSTS and "有人陪我聊聊天" not in WISH_COSTS
