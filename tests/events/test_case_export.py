"""Case lists export to Excel: the console's list under its filters or queue and a number's cases,
every page of them, row for row what the list shows (its order too), the reporter's name and phone
masked; audited, through the viewer's short-lived link; a list longer than the cap is refused with
its count; the same through the API."""

from __future__ import annotations

import html
import io
import re

import openpyxl
import pytest
from django.core.cache import cache

from jiceng.core.models import AuditLog, ExportFile
from jiceng.events import exports, services
from tests.events.factories import IN_A1_1, IN_A1_2, IN_B1, as_user, report

PENDING_GARBAGE = 33  # more than a console page (30)


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cases(world, clock):
    """甲社区: 33 pending 垃圾乱堆乱放 reports (A1-1 and A1-2), two of the same registered, one pending of
    another category; 乙社区: one pending 垃圾乱堆乱放 (not alice's)."""
    for i in range(PENDING_GARBAGE):
        clock.shift(60)
        report(world, where=IN_A1_1 if i % 3 else IN_A1_2, reporter_name="张三丰", description=f"垃圾{i}")
    for _ in range(2):
        clock.shift(60)
        services.event_register(actor=world.alice, event=report(world))
    clock.shift(60)
    report(world, category="SRHJ-ZDJY")
    clock.shift(60)
    report(world, where=IN_B1)


def sheet(answer) -> list[tuple]:
    assert answer.status_code == 200 and "filename*=UTF-8''" in answer["Content-Disposition"], answer
    book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
    return [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]


def listed_numbers(client, url: str) -> list[str]:
    """The case numbers a list shows, page after page."""
    found, page = [], 1
    while True:
        text = client.get(f"{url}&page={page}").content.decode()
        found += re.findall(r'<td><a href="/events/\d+/">(\d{15,})</a></td>', text)
        if f"page={page + 1}" not in text:
            return found
        page += 1


def test_the_console_exports_every_page_of_its_filtered_list(world, cases):
    alice = as_user(world.alice)
    query = "?category=SRHJ-LJDF&state=pending"
    page = alice.get(f"/events/{query}").content.decode()
    assert f"共 {PENDING_GARBAGE} 件" in page
    link = html.unescape(re.search(r'id="ev-export" href="([^"]+)"', page).group(1))
    assert link == f"/events/export/{query}"
    assert re.search(r'id="ev-export" href="[^"]+" data-busy="[^"]+"', page)
    rows = sheet(alice.get(link, follow=True))
    header, body = rows[0], rows[1:]
    assert header[:4] == ("案件编号", "标题", "事项分类", "状态") and header[-2:] == ("上报人", "联系电话")
    assert len(body) == PENDING_GARBAGE
    assert [r[0] for r in body] == listed_numbers(alice, f"/events/{query}")  # the same cases, in the same order
    first = dict(zip(header, body[0], strict=True))
    assert (first["状态"], first["事项分类"], first["社区/村"], first["街道/乡镇"]) == ("待受理", "垃圾乱堆乱放", "甲社区", "东街道")
    assert first["上报人"] == "张*丰" and first["联系电话"] == "138****8000"  # masked like every export
    entry = AuditLog.objects.get(action="export.event_cases")
    assert entry.changes["rows"] == PENDING_GARBAGE and entry.actor_id == world.alice.pk


def test_a_queue_exports_what_its_tile_counts(world, cases):
    alice = as_user(world.alice)
    page = alice.get("/events/?queue=accept").content.decode()
    # 待受理/待派遣: the 33 + 1 pending and the 2 registered of 甲 (乙's is not alice's)
    assert re.search(r'data-queue="accept" href="\?queue=accept"><strong>36</strong>', page)
    rows = sheet(alice.get("/events/export/?queue=accept", follow=True))
    assert len(rows) - 1 == 36
    assert {r[3] for r in rows[1:]} == {"待受理", "已立案"}


def test_another_community_exports_only_its_own(world, cases):
    rows = sheet(as_user(world.bob).get("/events/export/?category=SRHJ-LJDF", follow=True))
    assert len(rows) == 2 and rows[1][6:9] == ("东街道", "乙社区", "乙一网格")


def test_a_list_over_the_cap_is_refused_with_its_count(world, cases, monkeypatch):
    monkeypatch.setattr(exports, "CASES_EXPORT_MAX", 30)
    alice = as_user(world.alice)
    answer = alice.get("/events/export/?category=SRHJ-LJDF&state=pending", follow=True)
    text = answer.content.decode()
    assert answer.redirect_chain[-1][0] == "/events/?category=SRHJ-LJDF&state=pending"
    assert "共 33 件，超过单次导出上限 30 件" in text and not ExportFile.objects.exists()
    assert not AuditLog.objects.filter(action="export.event_cases").exists()
    # exactly at the cap it goes through
    monkeypatch.setattr(exports, "CASES_EXPORT_MAX", 33)
    assert len(sheet(alice.get("/events/export/?category=SRHJ-LJDF&state=pending", follow=True))) == 34


def test_a_numbers_cases_export_every_page_of_the_list(world, cases):
    alice = as_user(world.alice)
    question = "start=2025-03-01&end=2025-03-31"
    page = alice.get(f"/events/numbers/registered/cases/?{question}").content.decode()
    assert "共 2 件" in page  # 立案数: the two registered in March
    link = html.unescape(re.search(r'id="nb-cases-export" href="([^"]+)"', page).group(1))
    rows = sheet(alice.get(link, follow=True))
    assert [r[0] for r in rows[1:]] == listed_numbers(alice, f"/events/numbers/registered/cases/?{question}")
    assert len(rows) == 3 and {r[3] for r in rows[1:]} == {"已立案"}


def test_the_api_exports_the_same_lists(world, cases):
    alice = as_user(world.alice)
    made = alice.get("/api/events/cases/export?category=SRHJ-LJDF&state=pending")
    assert made.status_code == 200 and made.json()["rows"] == PENDING_GARBAGE
    assert len(sheet(alice.get(made.json()["url"]))) == PENDING_GARBAGE + 1
    numbers = alice.get("/api/events/numbers/registered/cases/export?start=2025-03-01&end=2025-04-01")
    assert numbers.status_code == 200 and numbers.json()["rows"] == 2
