"""The console's map: every open case in view as a point up to the limit, else bubbles per region
(community; grid when the view holds a community or so; street and up when it holds too many), with
counts worked out by hand on the small county; the view's box; a bad box is a 400."""

from __future__ import annotations

import pytest

from jiceng.events.models import Event, Timer
from jiceng.events.selectors import event_visible
from jiceng.events.selectors import map as event_map
from jiceng.events.selectors.map import BBox, open_case_map
from tests.events.conftest import at
from tests.events.factories import IN_A1_1, IN_A1_2, IN_B1, IN_C1, as_user, pt, report
from tests.factories import LAT0, LNG0

pytestmark = pytest.mark.usefixtures("fresh_limits")


@pytest.fixture
def five(world, clock):
    """Open cases: two in grid A1-1 (the first overdue now) and one in A1-2 (甲社区, 东街道), one in B1 (乙社区,
    东街道), one in C1 (丙村, 西镇); and a closed-out one in B1 that no map shows."""
    cases = {}
    places = (("a1", IN_A1_1), ("a2", IN_A1_1), ("a3", IN_A1_2), ("b", IN_B1), ("c", IN_C1), ("void", IN_B1))
    for minute, (name, where) in enumerate(places):
        clock.move_to(at(2025, 3, 3, 9, minute))
        cases[name] = report(world, where=where)
    # a1 is overdue now (its acceptance timer has fired and still runs); a2 was late once (its
    # overdue_at stays) but is not now — the map, like the console's tile, counts a1 only
    Event.objects.filter(pk__in=[cases["a1"].pk, cases["a2"].pk]).update(overdue_at=at(2025, 3, 3, 9, 30))
    Timer.objects.filter(event_id=cases["a1"].pk, stopped_at__isnull=True).update(fired_at=at(2025, 3, 3, 9, 30))
    Event.objects.filter(pk=cases["void"].pk).update(state="void")
    return cases


def groups(data: dict) -> list[tuple[str, int, int]]:
    return [(f["properties"]["name"], f["properties"]["count"], f["properties"]["overdue"]) for f in data["features"]]


def test_up_to_the_limit_every_open_case_is_a_point_the_overdue_first(world, five):
    data = as_user(world.county).get("/events/map.geojson").json()
    assert (data["mode"], data["total"]) == ("points", 5)
    numbers = [f["properties"]["number"] for f in data["features"]]
    assert numbers[0] == five["a1"].number  # overdue before any
    assert numbers[1:] == [five[k].number for k in ("c", "b", "a3", "a2")]  # then the latest reported
    assert [f["properties"]["overdue"] for f in data["features"]] == [True, False, False, False, False]
    late_list = as_user(world.county).get("/events/?queue=late").content.decode()
    assert five["a1"].number in late_list and five["a2"].number not in late_list
    assert data["features"][0]["properties"]["url"] == f"/events/{five['a1'].pk}/"


def test_beyond_the_limit_the_cases_are_counted_per_community(world, five, monkeypatch):
    monkeypatch.setattr(event_map, "MAP_POINTS", 4)
    data = as_user(world.county).get("/events/map.geojson").json()
    assert (data["mode"], data["total"], data["limit"]) == ("groups", 5, 4)
    assert groups(data) == [("甲社区", 3, 1), ("乙社区", 1, 0), ("丙村", 1, 0)]
    jia = data["features"][0]
    # the mean of its three cases' positions, and the box they span
    assert jia["geometry"]["coordinates"] == pytest.approx([LNG0 + 0.5, LAT0 + (0.5 + 0.5 + 1.5) / 3])
    assert jia["properties"]["bounds"] == pytest.approx([LNG0 + 0.5, LAT0 + 0.5, LNG0 + 0.5, LAT0 + 1.5])
    assert jia["properties"]["region"] == world.c.a.pk and "url" not in jia["properties"]


def test_too_many_bubbles_are_summed_into_streets(world, five):
    data = open_case_map(event_visible(world.county), points=4, bubbles=2)
    assert groups(data) == [("东街道", 4, 1), ("西镇", 1, 0)] and data["total"] == 5


def test_a_view_of_one_community_over_the_limit_is_split_by_grid(world, five):
    west_half = f"{LNG0},{LAT0},{LNG0 + 1},{LAT0 + 2}"  # 甲社区 only
    data = as_user(world.county).get(f"/events/map.geojson?bbox={west_half}").json()
    assert (data["mode"], data["total"]) == ("points", 3)
    data = open_case_map(event_visible(world.county), points=2, bbox=BBox.parse(west_half))
    assert groups(data) == [("甲一网格南片", 2, 1), ("甲一网格北片", 1, 0)]
    # a community's staff see their own cases only, whatever the box
    data = open_case_map(event_visible(world.alice), points=1)
    assert groups(data) == [("甲一网格南片", 2, 1), ("甲一网格北片", 1, 0)]
    assert as_user(world.bob).get("/events/map.geojson").json()["total"] == 1


def test_the_view_box_narrows_the_map_and_a_bad_box_is_a_400(world, five):
    county = as_user(world.county)
    box = f"{LNG0 + 1},{LAT0},{LNG0 + 4},{LAT0 + 2}"
    data = county.get(f"/events/map.geojson?bbox={box}").json()
    assert sorted(f["properties"]["number"] for f in data["features"]) == sorted([five["b"].number, five["c"].number])
    for bad in ("1,2,3", "a,b,c,d", f"{LNG0 + 4},{LAT0},{LNG0},{LAT0 + 2}", "0,0,200,1", "nan,0,1,1"):
        answer = county.get(f"/events/map.geojson?bbox={bad}")
        assert answer.status_code == 400 and answer.json()["field"] == "bbox", bad


def test_a_bubbles_region_filters_the_list_even_where_the_filter_does_not_offer_it(world, five):
    # the county's filter offers streets and communities; a grid from the map's bubble is accepted too
    page = as_user(world.county).get(f"/events/?region={world.c.a1_1.pk}").content.decode()
    assert "field-error" not in page and "共 2 件" in page
    assert five["a1"].number in page and five["a3"].number not in page
    # but never one outside the viewer's scope
    page = as_user(world.bob).get(f"/events/?region={world.c.a1_1.pk}").content.decode()
    assert "field-error" in page and five["a1"].number not in page


def test_a_small_box_around_a_point_shows_only_the_cases_there(world, five):
    inside = pt(0.5, 0.5)
    box = f"{inside['lng'] - 0.01},{inside['lat'] - 0.01},{inside['lng'] + 0.01},{inside['lat'] + 0.01}"
    data = as_user(world.county).get(f"/events/map.geojson?bbox={box}").json()
    assert sorted(f["properties"]["number"] for f in data["features"]) == sorted([five["a1"].number, five["a2"].number])


def test_the_page_asks_for_as_many_bubbles_as_its_map_has_room_for(world, five, monkeypatch):
    monkeypatch.setattr(event_map, "MAP_POINTS", 4)
    county = as_user(world.county)
    assert groups(county.get("/events/map.geojson?bubbles=2").json()) == [("东街道", 4, 1), ("西镇", 1, 0)]
    assert len(county.get("/events/map.geojson?bubbles=3").json()["features"]) == 3
    for bad in ("0", "-1", "x", "401"):
        answer = county.get(f"/events/map.geojson?bubbles={bad}")
        assert answer.status_code == 400 and answer.json()["field"] == "bubbles", bad
