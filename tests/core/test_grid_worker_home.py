"""A grid worker's home, read on a phone: the work first — 巡查上报, 我的待办 and 待我核查 with
counts equal to the lists they open — then one line per grid (residents, workers on duty, each the
count of the list it links to); no region tree and no empty 下级区域 blocks.

The cast (tests/events/factories.py): wang works grid A1-1 (甲社区), li A1-2; gina is a 特聘
worker engaged by 东街道 for A1-1 (a 二级网格) and B1 (乙社区's 一级网格).
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from jiceng.people.choices import Role, WorkerKind
from jiceng.people.services import grid_worker_create, resident_create
from jiceng.regions.choices import RegionKind, RegionLevel
from jiceng.regions.services import region_create
from tests.events.factories import IN_A1_1, IN_A1_2, as_user, build_world, report, to_dispatched, to_verify
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    with time_machine.travel(datetime(2025, 3, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield build_world()


def _counts(html: str) -> dict[str, tuple[str, int]]:
    """{data-count: (href, number)} of the work tiles."""
    found = re.findall(r'<a class="stat stat-link" data-count="(\w+)" href="([^"]+)"><span class="num">(\d+)</span>', html)
    return {key: (href, int(n)) for key, href, n in found}


def _grid_rows(html: str) -> list[list[str]]:
    """Each grid line: its name, then each number with the list it links to."""
    rows = []
    for row in re.findall(r'<tr data-grid="\d+">(.*?)</tr>', html, re.S):
        cells = re.findall(r'<a href="([^"]+)">([^<]+)</a>', row)
        rows.append([cells[0][1], *(f"{text} {href.replace('&amp;', '&')}" for href, text in cells[1:])])
    return rows


def test_the_work_comes_first_with_counts_equal_to_the_lists(world):
    w = world
    # A1-1: one case handled by alice waiting for wang's check, one sent to 甲社区 (wang's unit) to
    # sign, one just reported (甲's command centre registers it, not wang); A1-2: one waiting for
    # li's check and one sent to 甲 — not in wang's grid
    checked = to_verify(w, report(w))
    sent = to_dispatched(w, report(w))
    report(w, where=IN_A1_1)
    to_verify(w, report(w, where=IN_A1_2))
    to_dispatched(w, report(w, where=IN_A1_2))

    client = as_user(w.wang)
    html = client.get(reverse("home")).content.decode()
    assert _counts(html) == {"queue": ("/events/mine/", 2), "to_verify": ("/events/patrol/#to-verify", 1)}
    assert 'id="to-verify"' in client.get("/events/patrol/").content.decode()  # the link lands on the list
    assert html.index('id="my-work"') < html.index('id="my-grids"')
    assert '<a class="btn btn-primary btn-block" href="/events/patrol/">巡查上报</a>' in html

    mine = client.get("/events/mine/").content.decode()
    assert sorted(re.findall(r'<a href="/events/(\d+)/">', mine)) == sorted([str(checked.pk), str(sent.pk)])
    patrol = client.get("/events/patrol/").context["to_verify"]
    assert [row[0].pk for row in patrol] == [checked.pk]


def test_each_grid_in_one_line_whatever_its_level_with_the_numbers_of_its_lists(world):
    w = world
    east = make_user("eve", Role.STREET_STAFF, w.c.east)
    gina = make_user("gina", Role.GRID_WORKER)
    grid_worker_create(actor=east, name="吉娜", kind=WorkerKind.SPECIAL, community=w.c.a, grids=[w.c.a1_1, w.c.b1],
                       user=gina, occupation="快递员")
    for name, grid in (("张三", w.c.a1_1), ("李四", w.c.a1_1), ("赵六", w.c.b1), ("钱七", w.c.a1_2)):
        resident_create(actor=w.county, name=name, grid=grid)

    client = as_user(gina)
    html = client.get(reverse("home")).content.decode()
    a, b = w.c.a1_1.pk, w.c.b1.pk
    # A1-1: 张三, 李四; workers wang and gina. B1: 赵六; workers zhao and gina. (A1-2 is li's, not hers.)
    assert _grid_rows(html) == [
        ["甲一网格南片", f"2 /people/residents/?region={a}", f"2 /people/workers/?region={a}&active=1"],
        ["乙一网格", f"1 /people/residents/?region={b}", f"2 /people/workers/?region={b}&active=1"],
    ]
    for href, total in ((f"/people/residents/?region={a}", 2), (f"/people/workers/?region={a}&active=1", 2),
                        (f"/people/residents/?region={b}", 1), (f"/people/workers/?region={b}&active=1", 2)):
        assert client.get(href).context["total"] == total, href
    assert "下级区域" not in html and "没有下级区域" not in html and "区域树" not in html


def test_a_grid_worker_without_grids_is_told_so(world):
    ghost = make_user("ghost", Role.GRID_WORKER)
    html = as_user(ghost).get(reverse("home")).content.decode()
    assert "您还没有负责的网格，请联系社区工作人员分配。" in html
    assert _counts(html) == {"queue": ("/events/mine/", 0), "to_verify": ("/events/patrol/#to-verify", 0)}


def test_other_roles_keep_the_tree_without_an_empty_tree_card(world):
    html = as_user(world.alice).get(reverse("home")).content.decode()
    assert "区域树" in html and 'id="my-work"' in html  # the tree, after the work (no patrol button)
    assert 'href="/events/patrol/"' not in html.split('id="my-work"')[1].split("</section>")[0]
    # a village with no grid yet shows its numbers, not a tree card saying it has nothing below
    ding = region_create(actor=world.c.sysadmin, code="350724002002", name="丁村", level=RegionLevel.COMMUNITY,
                         parent=world.c.west, kind=RegionKind.VILLAGE)
    html = as_user(make_user("dora", Role.COMMUNITY_STAFF, ding)).get(reverse("home")).content.decode()
    assert "丁村" in html and "区域树" not in html and "没有下级区域" not in html
