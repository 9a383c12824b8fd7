"""The engagement pages share the rest of the site's layout: the page's full width (no narrower column of
their own), every table in a card and a scrolling .table-wrap, and the date-time inputs styled like the
other inputs. alice (甲社区's staff) opens the staff pages, 张三 his own."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from jiceng.engagement import services
from jiceng.people.services import resident_account_create
from tests.factories import PASSWORD

STATIC = Path(__file__).resolve().parents[2] / "src" / "jiceng" / "static"
VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "wbr", "area", "base", "embed", "track"}


class _Tables(HTMLParser):
    """For each <table>, the classes of the elements it sits in (innermost last)."""

    def __init__(self):
        super().__init__()
        self.stack: list[set[str]] = []
        self.tables: list[list[set[str]]] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        if tag == "table":
            self.tables.append(list(self.stack))
        self.stack.append(set((dict(attrs).get("class") or "").split()))

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()


def _wrapped_tables(html: str) -> list[tuple[bool, bool]]:
    p = _Tables()
    p.feed(html)
    return [("table-wrap" in (outer[-1] if outer else set()), any("card" in c for c in outer)) for outer in p.tables]


@pytest.fixture
def data(eng):
    alice, now = eng.county.alice, timezone.now()
    activity = services.activity_create(actor=alice, community=eng.county.a, title="清扫楼道",
                                        starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=2),
                                        capacity=5)
    shop = services.shop_create(actor=alice, community=eng.county.a, name="振兴超市")
    services.shop_item_create(actor=alice, shop=shop, name="洗衣粉", price=10, stock=3)
    services.points_award(actor=alice, rule=eng.r_sort, resident=eng.zhang, evidence="photo/1.jpg")
    user = resident_account_create(actor=alice, resident=eng.zhang, username="zhang", password=PASSWORD)
    return {"activity": activity, "shop": shop, "account": eng.zhang.point_account, "zhang": user}


def test_every_table_is_in_a_card_and_a_table_wrap(eng, data, login):
    alice = login(eng.county.alice)
    urls = [reverse(n) for n in ("engagement-staff", "engagement-staff-wishes", "engagement-staff-accounts",
                                 "engagement-staff-shops", "engagement-staff-activities",
                                 "engagement-staff-rankings")]
    urls += [reverse("engagement-staff-activity", args=[data["activity"].pk]),
             reverse("engagement-staff-account", args=[data["account"].pk]),
             reverse("engagement-staff-shop", args=[data["shop"].pk])]
    seen = 0
    for url in urls:
        tables = _wrapped_tables(alice.get(url).content.decode())
        assert all(wrap and card for wrap, card in tables), (url, tables)
        seen += len(tables)
    assert seen >= len(urls)
    me = login(data["zhang"]).get(reverse("engagement-me-points")).content.decode()
    assert all(wrap and card for wrap, card in _wrapped_tables(me))


def test_the_pages_are_as_wide_as_the_others():
    css = re.sub(r"/\*.*?\*/", "", (STATIC / "engagement" / "engagement.css").read_text(), flags=re.S)
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", css)
    assert not [sel for sel, body in rules if "max-width" in body and re.search(r"(^|,)\s*\.eng\s*(,|$)", sel)]


def test_date_time_inputs_are_styled_like_the_other_inputs(eng, data, login):
    page = login(eng.county.alice).get(reverse("engagement-staff-activities")).content.decode()
    types = set(re.findall(r'<input type="([\w-]+)"', page)) - {"hidden", "submit", "checkbox", "radio"}
    assert "datetime-local" in types
    css = re.sub(r"/\*.*?\*/", "", (STATIC / "css" / "jiceng.css").read_text()
                 + (STATIC / "engagement" / "engagement.css").read_text(), flags=re.S)
    styled = {t for sel, body in re.findall(r"([^{}]+)\{([^}]*)\}", css) if "border" in body and "min-height" in body
              for t in re.findall(r'input\[type="([\w-]+)"\]', sel)}
    assert types <= styled, types - styled
