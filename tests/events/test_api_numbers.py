"""The command centre's numbers through the API: the breakdowns, the department, the cases behind a
numerator and a denominator, and 吹哨报到 per department — on the hand-counted March fixture
(tests/events/march.py), whose docstring holds the expected figures used here:

    March cohort (all in 甲社区, registered Mon 3 Mar): 立案 6 — E1–E5 in grid A1-1 (甲一网格南片, 生活环境),
    E6 in grid A1-2 (甲一网格北片, 邻里纠纷); E0 registered Fri 28 Feb. 评价 4 (E1, E2, E3, E6), 满意 3.
    Every case is handled by 甲 (属地处置); E6 was returned by 城管 before 甲 took it.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from jiceng.events import services
from jiceng.events.units import Unit
from tests.events.conftest import at
from tests.events.factories import as_user, report, urban_in_time_housing_late

pytestmark = pytest.mark.usefixtures("fresh_limits")

API = "/api/events"
MARCH = "start=2025-03-01&end=2025-04-01"


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def by_key(numbers: list[dict]) -> dict[str, dict]:
    return {n["key"]: n for n in numbers}


def ids(client, url) -> set[int]:
    page = get(client, url)
    assert page["count"] == len(page["items"])
    return {c["id"] for c in page["items"]}


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# --- the breakdowns -------------------------------------------------------------------------------


def test_by_region_each_child_row_links_to_its_own_cases(world, march):
    alice, c = as_user(world.alice), world.c
    rows = get(alice, f"{API}/numbers/breakdown?by=region&region={c.a1.pk}&{MARCH}")
    assert [(r["key"], r["label"], by_key(r["numbers"])["registered"]["numerator"]) for r in rows] == [
        (str(c.a1_1.pk), "甲一网格南片", 5), (str(c.a1_2.pk), "甲一网格北片", 1)]
    south, north = (by_key(r["numbers"]) for r in rows)
    assert query(south["registered"]["cases"]) == {"start": "2025-03-01", "end": "2025-04-01", "region": str(c.a1_1.pk)}
    e = march
    assert ids(alice, south["registered"]["cases"]) == {e[k].pk for k in ("E1", "E2", "E3", "E4", "E5")}
    assert ids(alice, north["registered"]["cases"]) == {e["E6"].pk}
    # 满意率 of the north: E6 is its one rating (不满意): 0 of 1
    assert (north["satisfaction_rate"]["numerator"], north["satisfaction_rate"]["denominator"]) == (0, 1)
    assert ids(alice, north["satisfaction_rate"]["base"]) == {e["E6"].pk}
    assert ids(alice, north["satisfaction_rate"]["cases"]) == set()


def test_by_category_and_a_choice_of_numbers(world, march):
    alice = as_user(world.alice)
    rows = get(alice, f"{API}/numbers/breakdown?by=category&keys=registered,close_rate&{MARCH}")
    registered = {r["key"]: r["numbers"][0]["numerator"] for r in rows}
    assert registered["SRHJ"] == 5 and registered["MDJF"] == 1 and sum(registered.values()) == 6
    assert all([n["key"] for n in r["numbers"]] == ["registered", "close_rate"] for r in rows)
    mdjf = next(r for r in rows if r["key"] == "MDJF")
    assert query(mdjf["numbers"][0]["cases"])["category"] == "MDJF"
    assert ids(alice, mdjf["numbers"][0]["cases"]) == {march["E6"].pk}
    # 结案率 of 生活环境: E1–E4 closed of E1–E5
    srhj = by_key(next(r for r in rows if r["key"] == "SRHJ")["numbers"])
    assert (srhj["close_rate"]["numerator"], srhj["close_rate"]["denominator"]) == (4, 5)
    assert len(ids(alice, srhj["close_rate"]["base"])) == 5


def test_by_month_and_by_day_link_to_their_own_period(world, march):
    alice = as_user(world.alice)
    rows = get(alice, f"{API}/numbers/breakdown?by=month&start=2025-01-01&end=2026-01-01&keys=registered")
    assert [(r["key"], r["label"], r["numbers"][0]["numerator"]) for r in rows] == [
        ("2025-02", "2025-02", 1), ("2025-03", "2025-03", 6)]
    feb = rows[0]["numbers"][0]["cases"]
    assert query(feb) == {"start": "2025-02-01", "end": "2025-03-01"}
    assert ids(alice, feb) == {march["E0"].pk}
    assert len(ids(alice, rows[1]["numbers"][0]["cases"])) == 6

    days = get(alice, f"{API}/numbers/breakdown?by=day&start=2025-03-01&end=2025-03-08&keys=registered,closed_flow")
    day = {r["key"]: by_key(r["numbers"]) for r in days}
    assert day["2025-03-03"]["registered"]["numerator"] == 6
    assert query(day["2025-03-03"]["registered"]["cases"]) == {"start": "2025-03-03", "end": "2025-03-04"}
    assert day["2025-03-06"]["closed_flow"]["numerator"] == 2  # E2 and E4 closed on Thursday
    assert ids(alice, day["2025-03-06"]["closed_flow"]["cases"]) == {march["E2"].pk, march["E4"].pk}


def test_every_rows_links_count_what_the_row_says(world, march):
    alice, keys = as_user(world.alice), "registered,closed,close_rate,on_time_rate,satisfaction_rate,return_rate,due"
    for ask in (f"by=region&region={world.c.a.pk}", "by=category", "by=department", "by=month"):
        for row in get(alice, f"{API}/numbers/breakdown?{ask}&keys={keys}&{MARCH}"):
            for n in row["numbers"]:
                assert get(alice, n["cases"])["count"] == n["numerator"], (ask, row["label"], n["key"])
                if n["base"] is not None:
                    assert get(alice, n["base"])["count"] == n["denominator"], (ask, row["label"], n["key"])


# --- the department, the denominator ---------------------------------------------------------------


@pytest.fixture
def urban_case(world, march, clock):
    """A seventh March case (Thu 6 Mar), handled by 城管."""
    w = world
    clock.move_to(at(2025, 3, 6, 11, 0))
    ev = report(w)
    services.event_register(actor=w.alice, event=ev, dispatch=True, unit=Unit.of_department(w.d_urban))
    return ev


def test_numbers_of_one_department_or_of_the_regions_own_handling(world, urban_case):
    alice, urban = as_user(world.alice), world.d_urban
    mine = by_key(get(alice, f"{API}/numbers?{MARCH}&department={urban.pk}"))
    assert mine["registered"]["numerator"] == 1
    assert query(mine["registered"]["cases"])["department"] == str(urban.pk)
    assert ids(alice, mine["registered"]["cases"]) == {urban_case.pk}
    local = by_key(get(alice, f"{API}/numbers?{MARCH}&department=0"))
    assert local["registered"]["numerator"] == 6 and len(ids(alice, local["registered"]["cases"])) == 6
    assert by_key(get(alice, f"{API}/numbers?{MARCH}"))["registered"]["numerator"] == 7

    rows = get(alice, f"{API}/numbers/breakdown?by=department&keys=registered&{MARCH}")
    assert [(r["key"], r["label"], r["numbers"][0]["numerator"]) for r in rows] == [
        ("", "属地处置", 6), (str(urban.pk), "测试县城管局", 1)]
    assert query(rows[0]["numbers"][0]["cases"])["department"] == "0"
    assert len(ids(alice, rows[0]["numbers"][0]["cases"])) == 6
    assert ids(alice, rows[1]["numbers"][0]["cases"]) == {urban_case.pk}
    # the question's own department narrows a breakdown too
    rows = get(alice, f"{API}/numbers/breakdown?by=region&region={world.c.a1.pk}&department={urban.pk}"
                      f"&keys=registered&{MARCH}")
    assert [r["numbers"][0]["numerator"] for r in rows] == [1, 0]
    assert query(rows[0]["numbers"][0]["cases"])["department"] == str(urban.pk)


def test_the_cases_of_a_denominator(world, march):
    alice, e = as_user(world.alice), march
    numbers = by_key(get(alice, f"{API}/numbers?{MARCH}"))
    satisfaction = numbers["satisfaction_rate"]
    assert (satisfaction["numerator"], satisfaction["denominator"]) == (3, 4)
    assert query(satisfaction["base"]) == {"start": "2025-03-01", "end": "2025-04-01", "of": "denominator"}
    assert ids(alice, satisfaction["base"]) == {e["E1"].pk, e["E2"].pk, e["E3"].pk, e["E6"].pk}
    assert ids(alice, satisfaction["cases"]) == {e["E1"].pk, e["E2"].pk, e["E3"].pk}
    assert numbers["registered"]["base"] is None and numbers["due"]["base"] is None
    refused = alice.get(f"{API}/numbers/registered/cases?{MARCH}&of=denominator")
    assert refused.status_code == 400 and refused.json()["field"] == "of"


# --- refusals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ask", "status", "field"), [
    ("/breakdown?by=day&start=2025-01-01&end=2026-01-03", 400, "end"),  # 367 days
    ("/breakdown?by=month&start=2025-03-01&end=2025-03-01", 400, "end"),
    (f"/breakdown?by=week&{MARCH}", 400, "by"),
    (f"/breakdown?by=month&keys=registered,nope&{MARCH}", 400, "keys"),
    (f"/breakdown?by=region&region=987654&{MARCH}", 404, "region"),
    (f"/breakdown?by=month&{MARCH}&department=987654", 404, "department"),
    (f"?{MARCH}&department=987654", 404, "department"),
    (f"/registered/cases?{MARCH}&department=987654", 404, "department"),
    (f"/registered/cases?{MARCH}&of=everything", 400, "of"),
])
def test_bad_questions_are_refused(world, ask, status, field):
    response = as_user(world.alice).get(f"{API}/numbers{ask}")
    assert response.status_code == status, response.content
    assert response.json()["field"] == field


def test_by_region_without_a_region_is_by_ones_own_region(world, march):
    rows = get(as_user(world.alice), f"{API}/numbers/breakdown?by=region&keys=registered&{MARCH}")
    assert [(r["key"], r["label"], r["numbers"][0]["numerator"]) for r in rows] == [(str(world.c.a.pk), "甲社区", 6)]
    refused = as_user(world.urban).get(f"{API}/numbers/breakdown?by=region&{MARCH}")  # a department has no region
    assert refused.status_code == 400 and refused.json()["field"] == "region"


def test_residents_do_not_read_the_numbers(world):
    from jiceng.people.choices import Role
    from tests.factories import make_user

    resident = as_user(make_user("resident-li", Role.RESIDENT))
    for ask in (f"?{MARCH}", f"/breakdown?by=month&{MARCH}", f"/registered/cases?{MARCH}", f"/export?by=month&{MARCH}"):
        assert resident.get(f"{API}/numbers{ask}").status_code == 403, ask
    assert resident.get(f"{API}/whistles/stats?{MARCH}").status_code == 403
    assert resident.get(f"{API}/whistles?{MARCH}&department=1").status_code == 403


def test_a_year_of_days_is_the_most_and_a_region_out_of_scope_is_not_found(world, march):
    rows = get(as_user(world.alice), f"{API}/numbers/breakdown?by=day&start=2024-01-01&end=2025-01-01")
    assert rows == []  # 366 days (a leap year), none with a case
    bob = as_user(world.bob)
    assert bob.get(f"{API}/numbers/breakdown?by=region&region={world.c.a1.pk}&{MARCH}").status_code == 404
    # a department's staff may name any department: the numbers stay their own department's
    other = by_key(get(as_user(world.urban), f"{API}/numbers?{MARCH}&department={world.d_housing.pk}"))
    assert other["registered"]["numerator"] == 0


# --- 吹哨报到 -------------------------------------------------------------------------------------------


def test_whistle_stats_per_department(world, clock):
    w = world
    urban_in_time_housing_late(w, clock)  # two working hours after the whistle: 住建 has not reported

    url = f"{API}/whistles/stats?{MARCH}"
    housing = {"department_id": w.d_housing.pk, "department": "测试县住建局", "called": 1, "reported_in_time": 0,
               "reported_late": 0, "unanswered_late": 1, "waiting": 0, "late": 1, "in_time_rate": 0.0}
    urban = {"department_id": w.d_urban.pk, "department": "测试县城管局", "called": 1, "reported_in_time": 1,
             "reported_late": 0, "unanswered_late": 0, "waiting": 0, "late": 0, "in_time_rate": 1.0}
    assert get(as_user(w.county), url) == [housing, urban]  # the late first
    assert get(as_user(w.alice), f"{url}&region={w.c.a.pk}") == [housing, urban]
    assert get(as_user(w.county), f"{url}&region={w.c.b.pk}") == []
    assert get(as_user(w.urban), url) == [urban]
    assert get(as_user(w.bob), url) == []  # 乙社区: not its case
    assert get(as_user(w.county), f"{API}/whistles/stats?start=2025-04-01&end=2025-05-01") == []
    refused = as_user(w.county).get(f"{API}/whistles/stats?start=2025-03-01&end=2025-03-01")
    assert refused.status_code == 400 and refused.json()["field"] == "end"
    assert as_user(w.bob).get(f"{url}&region={w.c.a.pk}").status_code == 404


def test_whistle_list_gives_the_whistles_behind_each_figure(world, clock):
    w = world
    ev, _urban_call, housing_call = urban_in_time_housing_late(w, clock)
    county = as_user(w.county)
    url = f"{API}/whistles?{MARCH}&department={w.d_housing.pk}"
    late = get(county, f"{url}&kind=unanswered_late")
    assert late["count"] == 1 and [i["id"] for i in late["items"]] == [housing_call.pk]
    item = late["items"][0]
    assert (item["event_id"], item["event_number"], item["blower"], item["late"], item["reported_at"]) == (
        ev.pk, ev.number, "东街道", True, None)
    for kind, count in {"called": 1, "reported_in_time": 0, "reported_late": 0, "waiting": 0, "late": 1}.items():
        assert get(county, f"{url}&kind={kind}")["count"] == count, kind
    assert get(county, f"{API}/whistles?{MARCH}&department={w.d_urban.pk}&kind=reported_in_time")["count"] == 1
    assert get(as_user(w.urban), f"{API}/whistles?{MARCH}&department={w.d_urban.pk}")["count"] == 1
    other = as_user(w.urban).get(url)
    assert other.status_code == 404 and other.json()["field"] == "department"
    assert get(as_user(w.bob), url)["count"] == 0
    bad = county.get(f"{url}&kind=nonsense")
    assert bad.status_code == 400
    assert county.get(f"{API}/whistles?{MARCH}&department=999999").status_code == 404


# --- the Excel export -----------------------------------------------------------------------------


def test_the_breakdown_exports_to_excel_through_the_api(world, march):
    import io

    import openpyxl

    client = as_user(world.county)
    made = get(client, f"{API}/numbers/export?{MARCH}&by=category&department=0")
    assert made["rows"] == 9  # the eight top categories (empty ones too) and the total
    content = client.get(made["url"]).content
    rows = [list(r) for r in openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
            .iter_rows(values_only=True)]
    header, by_name = rows[0], {r[0]: dict(zip(rows[0], r, strict=False)) for r in rows[1:]}
    assert header[:4] == ["事项分类", "立案数", "应结案数", "结案数"]
    assert (by_name["合计"]["立案数"], by_name["合计"]["结案率（%）"], by_name["合计"]["满意率（%）"]) == (6, 83.3, 75.0)
    assert by_name["市容环境"]["立案数"] == 5 and by_name["矛盾纠纷"]["立案数"] == 1
    own = get(client, f"{API}/numbers/export?{MARCH}&by=region")  # no region: one's own (the county), and the total
    assert own["rows"] == 2
    assert as_user(world.urban).get(f"{API}/numbers/export?{MARCH}&by=region").status_code == 400  # no region of its own
    assert client.get(f"{API}/numbers/export?{MARCH}&by=day").status_code in (400, 422)
    assert as_user(world.bob).get(f"{API}/numbers/export?{MARCH}&by=region&region={world.c.a.pk}").status_code == 404
