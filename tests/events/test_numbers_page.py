"""The numbers page (指标统计) on the hand-counted March fixture (tests/events/march.py): every number
with its numerator and denominator, each linking to exactly the cases it counts; the same figures
as the API for the same question; a breakdown that drills down; 吹哨报到 per department; scope and
bad input."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jiceng.events import selectors, services
from jiceng.people.choices import Role
from tests.events.conftest import at
from tests.events.factories import as_user, report, to_handling, urban_in_time_housing_late
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("fresh_limits")

MARCH = "start=2025-03-01&end=2025-03-31"  # the page's end is included


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def metric(page: str, key: str) -> str:
    """The text of one metric's card."""
    found = re.search(rf'<div class="stat nb-metric" data-metric="{key}"[^>]*>(.*?)</div>\s*(?=<div class="stat|</div>\s*</section>)',
                      page, re.S)
    assert found, key
    return text(found.group(1))


def links(page: str, key: str) -> list[str]:
    found = re.search(rf'data-metric="{key}"[^>]*>(.*?)</div>\s*(?=<div class="stat|</div>\s*</section>)', page, re.S)
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', found.group(1))]


def test_march_on_the_page_by_hand(world, march):
    page = as_user(world.county).get(f"/events/numbers/?{MARCH}").content.decode()
    # 立案 6; 结案 5 → 5/6; 按期 4/5; 满意 3/4; 退单 1/6; 超期 2; 应结案 7; 期内结案 6; 平均办结 49.1 h over 5
    assert metric(page, "registered") == "立案数 6"
    assert metric(page, "close_rate") == "结案率（办结率） 83.3% 5 / 6"
    assert metric(page, "on_time_rate") == "按期结案率 80.0% 4 / 5"
    assert metric(page, "satisfaction_rate") == "满意率 75.0% 3 / 4"
    assert metric(page, "return_rate") == "退单率 16.7% 1 / 6"
    assert metric(page, "overdue") == "超期数 2"
    assert metric(page, "due") == "应结案数 7"
    assert metric(page, "closed_flow") == "期内结案数 6"
    assert metric(page, "avg_total_hours") == "平均办结时长（小时） 49.1 5 件的平均"
    # definitions on screen, and the API question that gives the same figures
    assert "结案数 ÷ 立案数。" in page and "/api/events/numbers?start=2025-03-01&amp;end=2025-04-01" in page


def test_every_figure_links_to_exactly_the_cases_it_counts(world, march):
    client = as_user(world.county)
    page = client.get(f"/events/numbers/?{MARCH}").content.decode()
    expected = {"close_rate": (5, 6), "on_time_rate": (4, 5), "satisfaction_rate": (3, 4), "return_rate": (1, 6)}
    for key, (num, den) in expected.items():
        numerator, denominator = links(page, key)
        assert "of=denominator" in denominator
        for url, count in ((numerator, num), (denominator, den)):
            listed = client.get(url).content.decode()
            assert f"共 {count} 件" in text(listed), (key, url)
            assert listed.count('<tr class="row-warn">') + listed.count("<tr><td><a href=\"/events/") == count
    cases = client.get(links(page, "overdue")[0]).content.decode()
    assert march["E2"].number in cases and march["E5"].number in cases and march["E1"].number not in cases
    assert client.get(f"/events/numbers/nonsense/cases/?{MARCH}").status_code == 404
    assert client.get(f"/events/numbers/registered/cases/?{MARCH}&of=denominator").status_code == 404


def test_every_lists_count_is_its_figure_and_the_records_agree(world, march):
    """A number's list takes its count from the figure instead of counting its cases again: on the March
    fixture every side of every number lists exactly as many cases as its figure says."""
    numbers = selectors.event_numbers(actor=world.county, start=date(2025, 3, 1), end=date(2025, 4, 1))
    for key, number in numbers.items():
        for side in ("numerator", "denominator") if number.denominator is not None else ("numerator",):
            cases, count = number.listed(side)
            assert cases.count() == count, (key, side)
    # by hand: 结案 5 of 立案 6; 平均办结时长 is averaged over the 5 closed cases
    assert (numbers["close_rate"].listed()[1], numbers["close_rate"].listed("denominator")[1]) == (5, 6)
    assert numbers["avg_total_hours"].listed()[1] == 5
    # an average's list says what it is averaged over, not the sum of seconds behind it
    client = as_user(world.county)
    listed = text(client.get(f"/events/numbers/avg_total_hours/cases/?{MARCH}").content.decode())
    assert "共 5 件 · 平均办结时长（小时） 49.1（5 件的平均）" in listed


def test_a_numbers_list_does_not_count_its_cases_again(world, march):
    with CaptureQueriesContext(connection) as ctx:
        page = as_user(world.county).get(f"/events/numbers/closed/cases/?{MARCH}").content.decode()
    assert "共 5 件" in text(page)
    assert [q["sql"] for q in ctx.captured_queries if "count(" in q["sql"].lower() and "events_event" in q["sql"]] == []


def test_the_page_and_the_api_give_the_same_numbers(world, march):
    client = as_user(world.county)
    region = world.c.a.pk
    page = client.get(f"/events/numbers/?{MARCH}&region={region}").content.decode()
    api = client.get(f"/api/events/numbers?start=2025-03-01&end=2025-04-01&region={region}").json()
    assert len(api) >= 20
    for row in api:
        shown = metric(page, row["key"])
        assert shown.startswith(row["label"]) and row["display"] in shown, row["key"]
        if row["kind"] == "ratio":
            assert f"{row['numerator']} / {row['denominator']}" in shown, row["key"]


def test_the_breakdown_drills_down_from_the_county_to_the_grids(world, march):
    client = as_user(world.county)
    page = client.get(f"/events/numbers/?{MARCH}").content.decode()
    assert "按下级区域" in page  # the county's default: by street
    rows = dict(re.findall(r'<th scope="row"><a href="\?([^"]+)">([^<]+)</a></th>', page)[i][::-1]
                for i in range(len(re.findall(r'<th scope="row">', page))))
    assert set(rows) >= {"东街道"}
    street = client.get("/events/numbers/?" + html.unescape(rows["东街道"])).content.decode()
    assert metric(street, "registered") == "立案数 6"
    grids = client.get(f"/events/numbers/?{MARCH}&region={world.c.a1.pk}").content.decode()
    table = text(grids[grids.index('id="nb-breakdown"'):grids.index('id="nb-whistles"')])
    assert "甲一网格南片 5 " in table and "甲一网格北片 1 " in table
    # the breadcrumb asks the same question a level up, naming the region once
    crumbs = grids[grids.index('aria-label="统计范围"'):grids.index("</nav>", grids.index('aria-label="统计范围"'))]
    up = dict((name, html.unescape(link)) for link, name in re.findall(r'<a href="\?([^"]+)">([^<]+)</a>', crumbs))
    assert up["甲社区"].count("region=") == 1 and f"region={world.c.a.pk}" in up["甲社区"]
    assert metric(client.get("/events/numbers/?" + up["东街道"]).content.decode(), "registered") == "立案数 6"
    by_category = client.get(f"/events/numbers/?{MARCH}&by=category").content.decode()
    table = text(by_category[by_category.index('id="nb-breakdown"'):by_category.index('id="nb-whistles"')])
    assert re.search(r"市容环境 5 \d+ ", table) and re.search(r"矛盾纠纷 1 ", table)
    leaf = client.get(f"/events/numbers/?{MARCH}&category=MDJF-LLJF").content.decode()
    assert metric(leaf, "registered") == "立案数 1" and metric(leaf, "return_rate") == "退单率 100.0% 1 / 1"
    by_month = client.get("/events/numbers/?start=2025-01-01&end=2025-12-31&by=month").content.decode()
    table = text(by_month[by_month.index('id="nb-breakdown"'):by_month.index('id="nb-whistles"')])
    assert "2025-02 1 " in table and "2025-03 6 " in table


def test_scope_and_who_may_look(world, march):
    assert as_user(world.bob).get(f"/events/numbers/?{MARCH}&region={world.c.a.pk}").status_code == 404
    bob = as_user(world.bob).get(f"/events/numbers/?{MARCH}").content.decode()
    assert metric(bob, "registered") == "立案数 0"
    wang = as_user(world.wang).get(f"/events/numbers/?{MARCH}").content.decode()
    assert metric(wang, "registered") == "立案数 5"  # his grid 甲一网格南片
    urban = as_user(world.urban).get(f"/events/numbers/?{MARCH}").content.decode()
    assert metric(urban, "registered") == "立案数 0"  # his department handled none of them in the end
    resident = make_user("resident-zhang", Role.RESIDENT)
    assert as_user(resident).get(f"/events/numbers/?{MARCH}").status_code == 403
    assert as_user(resident).get(f"/events/numbers/registered/cases/?{MARCH}").status_code == 403
    assert Client().get("/events/numbers/").status_code == 302  # to the login


def test_bad_input_is_a_form_error_and_the_year_still_shows(world, march):
    client = as_user(world.county)
    answer = client.get("/events/numbers/?start=2025-03-31&end=2025-03-01")
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "结束日期不能早于开始日期" in page and 'data-metric="registered"' in page
    assert "请同时填写开始和结束日期" in client.get("/events/numbers/?start=2025-03-01").content.decode()
    assert "输入一个有效的日期" in client.get("/events/numbers/?start=2025-13-01&end=2025-03-01").content.decode() \
        or "Enter a valid date" in client.get("/events/numbers/?start=2025-13-01&end=2025-03-01").content.decode()
    assert client.get("/events/numbers/registered/cases/?start=x&end=y").status_code == 400


def test_whistles_per_department_one_late(world, clock):
    w = world
    urban_in_time_housing_late(w, clock)
    page = as_user(w.county).get(f"/events/numbers/?{MARCH}").content.decode()
    table = page[page.index('id="nb-whistles"'):page.index('id="nb-definitions"')]
    rows = {int(d): text(r) for d, r in re.findall(r'data-department="(\d+)">(.*?)</tr>', table, re.S)}
    assert rows[w.d_housing.pk] == f"{w.d_housing.name} 1 0 0 1 0 0.0% 0/1"
    assert rows[w.d_urban.pk] == f"{w.d_urban.name} 1 1 0 0 0 100.0% 1/1"
    assert f'class="row-warn" data-department="{w.d_housing.pk}"' in table
    bob = as_user(w.bob).get(f"/events/numbers/?{MARCH}").content.decode()
    assert "期内没有吹哨" in bob


def test_every_whistle_figure_links_to_the_whistles_it_counts(world, clock):
    w = world
    second = to_handling(w, report(w))
    first, urban_call, housing_call = urban_in_time_housing_late(w, clock)  # 住建 late on the first case
    clock.move_to(at(2025, 3, 3, 11, 30))
    (housing_waiting,) = services.whistle_blow(actor=w.east, event=second, departments=[w.d_housing], reason="再次吹哨")
    county = as_user(w.county)
    page = county.get(f"/events/numbers/?{MARCH}").content.decode()
    table = page[page.index('id="nb-whistles"'):page.index('id="nb-definitions"')]
    row = re.search(rf'data-department="{w.d_housing.pk}">(.*?)</tr>', table, re.S).group(1)
    assert text(row) == f"{w.d_housing.name} 2 0 0 1 1 0.0% 0/2"
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', row)]
    assert [h.split("kind=")[1].split("&")[0] for h in hrefs] == [
        "called", "reported_in_time", "reported_late", "unanswered_late", "waiting"]
    expected = {"called": [housing_waiting, housing_call], "reported_in_time": [], "reported_late": [],
                "unanswered_late": [housing_call], "waiting": [housing_waiting]}
    for href in hrefs:
        kind = href.split("kind=")[1].split("&")[0]
        listed = county.get(href)
        assert listed.status_code == 200, href
        body = listed.content.decode()
        shown = [int(pk) for pk in re.findall(r'data-whistle="(\d+)"', body)]
        assert shown == [x.pk for x in expected[kind]], kind  # newest first, as many as the figure
        assert text(re.search(r'id="wl-count">(.*?)</p>', body, re.S).group(1)) == f"共 {len(shown)} 次"
    late = county.get(hrefs[3]).content.decode()
    assert f'href="/events/{first.pk}/#ev-whistles">{first.number}</a>' in late and "逾期未报到" in late
    # a department's staff see their own department's whistles, not another's; a wrong figure is 404
    urban = as_user(w.urban)
    own = urban.get(f"/events/numbers/whistles/?called={w.d_urban.pk}&kind=reported_in_time&{MARCH}")
    assert re.findall(r'data-whistle="(\d+)"', own.content.decode()) == [str(urban_call.pk)]
    assert urban.get(f"/events/numbers/whistles/?called={w.d_housing.pk}&{MARCH}").status_code == 404
    assert county.get(f"/events/numbers/whistles/?called={w.d_housing.pk}&kind=nonsense&{MARCH}").status_code == 404
    assert county.get(f"/events/numbers/whistles/?called=x&{MARCH}").status_code == 404
    bad = county.get(f"/events/numbers/whistles/?called={w.d_housing.pk}&start=2025-03-31&end=2025-03-01")
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.content.decode()
    # 乙社区's secretary sees none of 甲's whistles
    bob = as_user(w.bob).get(f"/events/numbers/whistles/?called={w.d_housing.pk}&{MARCH}").content.decode()
    assert "data-whistle=" not in bob and "共 0 次" in text(bob)


def test_a_department_filter_narrows_the_numbers_and_the_breakdown(world, march):
    client = as_user(world.county)
    # all six March cases ended up handled by 甲社区 (E6 came back from 城管): 属地处置
    local = client.get(f"/events/numbers/?{MARCH}&department=0&by=category").content.decode()
    assert metric(local, "registered") == "立案数 6"
    table = text(local[local.index('id="nb-breakdown"'):local.index('id="nb-whistles"')])
    assert re.search(r"市容环境 5 ", table) and re.search(r"矛盾纠纷 1 ", table)
    urban = client.get(f"/events/numbers/?{MARCH}&department={world.d_urban.pk}&by=category").content.decode()
    assert metric(urban, "registered") == "立案数 0"
    table = text(urban[urban.index('id="nb-breakdown"'):urban.index('id="nb-whistles"')])
    assert "市容环境" not in table and "该范围没有可分组的数据" in table  # categories with no case are left out


def test_the_console_shows_this_months_numbers_as_the_numbers_page_does(world, march, clock):
    clock.move_to(at(2025, 3, 20, 9, 0))  # "this month" is March 2025
    console = as_user(world.county).get("/events/").content.decode()
    assert text(re.search(r'id="month-close_rate".*?</a>', console, re.S).group(0)).endswith("83.3% 本月结案率（办结率） 5/6")
    assert "本月满意率 3/4" in text(re.search(r'id="month-satisfaction_rate".*?</a>', console, re.S).group(0))
    numbers = as_user(world.county).get("/events/numbers/?period=month").content.decode()
    assert metric(numbers, "close_rate") == "结案率（办结率） 83.3% 5 / 6"


def test_the_console_keeps_its_filters_from_page_to_page(world, clock):
    for _ in range(31):
        report(world)
    page = as_user(world.county).get("/events/?state=pending").content.decode()
    assert 'href="?state=pending&amp;page=2"' in page


def test_the_breakdown_exports_to_excel_with_a_total_and_is_audited(world, march):
    import io

    import openpyxl

    from jiceng.core.models import AuditLog

    client = as_user(world.county)
    page = client.get(f"/events/numbers/?{MARCH}&region={world.c.a1.pk}").content.decode()
    link = html.unescape(re.search(r'id="nb-export" href="([^"]+)"', page).group(1))
    answer = client.get(link, follow=True)
    assert answer.status_code == 200 and "filename*=UTF-8''" in answer["Content-Disposition"]
    rows = [tuple(r) for r in openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True).worksheets[0]
            .iter_rows(values_only=True)]
    header = rows[0]
    assert header[:5] == ("下级区域", "立案数", "应结案数", "结案数", "结案率（%）")
    by_name = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert list(by_name) == ["甲一网格南片", "甲一网格北片", "合计"]
    total = by_name["合计"]  # the March example: 6 registered, 5 closed, 4 on time, 3 of 4 satisfied
    assert (total["立案数"], total["结案数"], total["结案率（%）"], total["按期结案率（%）"]) == (6, 5, 83.3, 80.0)
    assert (total["评价数"], total["满意及基本满意数"], total["满意率（%）"], total["退单率（%）"]) == (4, 3, 75.0, 16.7)
    assert total["平均办结时长（小时）"] == 49.1
    assert by_name["甲一网格南片"]["立案数"] == 5 and by_name["甲一网格北片"]["立案数"] == 1
    entry = AuditLog.objects.get(action="export.event_numbers")
    assert entry.changes["rows"] == 3 and entry.actor_id == world.county.pk
    # another community's account cannot export 甲's numbers
    assert as_user(world.bob).get(f"/events/numbers/export/?{MARCH}&region={world.c.a1.pk}").status_code == 404


def test_the_api_address_on_the_page_asks_the_same_question(world, march):
    client = as_user(world.county)
    page = client.get(f"/events/numbers/?{MARCH}&department=0&category=SRHJ").content.decode()
    address = html.unescape(re.search(r"<code>(/api/events/numbers\?[^<]+)</code>", page).group(1))
    assert "department=0" in address and "category=SRHJ" in address and "end=2025-04-01" in address
    for row in client.get(address).json():
        if row["kind"] == "ratio":
            assert f"{row['numerator']} / {row['denominator']}" in metric(page, row["key"])


def test_the_numbers_and_their_definitions_in_english(world, march):
    client = as_user(world.county)
    client.post("/i18n/setlang/", {"language": "en", "next": "/events/numbers/"})
    page = client.get(f"/events/numbers/?{MARCH}").content.decode()
    assert metric(page, "close_rate") == "Closure rate 83.3% 5 / 6"
    assert "Closed ÷ registered." in page and "结案数 ÷ 立案数" not in page
    assert all(f"<h2>{group}</h2>" in page for group in ("Handling", "Rating", "Routing and supervision", "Average times"))
    english = client.get("/api/events/numbers?start=2025-03-01&end=2025-04-01").json()
    assert {n["key"]: n["label"] for n in english}["close_rate"] == "Closure rate"
    chinese = as_user(world.county).get("/api/events/numbers?start=2025-03-01&end=2025-04-01").json()  # the default
    assert {n["key"]: n["label"] for n in chinese}["close_rate"] == "结案率（办结率）"


def test_a_grid_worker_with_two_grids_sees_a_row_for_each(world, march):
    from jiceng.people.models import GridAssignment

    worker = GridAssignment.objects.filter(worker__user=world.wang).first().worker
    GridAssignment.objects.create(worker=worker, grid=world.c.a1_2)  # wang now also serves 甲一网格北片
    page = as_user(world.wang).get(f"/events/numbers/?{MARCH}").content.decode()
    assert metric(page, "registered") == "立案数 6"  # E1–E5 in his first grid, E6 in the second
    table = text(page[page.index('id="nb-breakdown"'):page.index('id="nb-whistles"')])
    assert "甲一网格南片 5 " in table and "甲一网格北片 1 " in table
    link = html.unescape(re.search(r'id="nb-export" href="([^"]+)"', page).group(1))
    assert "by=region" in link
    answer = as_user(world.wang).get(link, follow=True)
    import io

    import openpyxl

    rows = [r[:2] for r in openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True).worksheets[0]
            .iter_rows(values_only=True)]
    assert rows == [("下级区域", "立案数"), ("甲一网格南片", 5), ("甲一网格北片", 1), ("合计", 6)]


def test_every_whistle_figure_has_a_label_and_every_label_a_figure():
    from jiceng.events.selectors import WHISTLE_KINDS
    from jiceng.events.views import WHISTLE_KIND_LABELS

    assert list(WHISTLE_KIND_LABELS) == list(WHISTLE_KINDS)
