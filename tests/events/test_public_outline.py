"""The report page's map background: without tiles (offline) the location picker draws the
communities' outlines and names, public, simplified, cached until a boundary changes."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from shapely.geometry import shape

from jiceng.regions.choices import RegionLevel
from jiceng.regions.locator import bump_version
from jiceng.regions.models import Region
from jiceng.regions.selectors import public_outline
from jiceng.regions.services import region_update

pytestmark = pytest.mark.django_db
URL = "/events/report/outline.geojson"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _bounds(feature) -> tuple[float, float, float, float]:
    ring = feature["geometry"]["coordinates"][0]
    xs, ys = [x for x, _ in ring], [y for _, y in ring]
    return min(xs), min(ys), max(xs), max(ys)


def test_a_resident_gets_the_communities_outlines_without_a_login(world):
    answer = Client().get(URL)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/geo+json"
    assert "public" in answer["Cache-Control"]
    data = answer.json()
    assert sorted(f["properties"]["name"] for f in data["features"]) == ["丙村", "乙社区", "甲社区"]
    assert all(set(f["properties"]) == {"name"} for f in data["features"])  # names only
    a = next(f for f in data["features"] if f["properties"]["name"] == "甲社区")
    assert _bounds(a) == pytest.approx(shape(world.c.a.boundary).bounds)
    assert 'data-outline-url="/events/report/outline.geojson"' in Client().get("/events/report/").content.decode()


def test_without_community_boundaries_the_grids_stand_in_and_a_redrawn_one_shows_at_once(world):
    Region.objects.filter(level=RegionLevel.COMMUNITY).update(boundary=None)
    bump_version()
    names = sorted(f["properties"]["name"] for f in public_outline()["features"])
    assert names == sorted(Region.objects.filter(code__in=["A1-1", "A1-2", "B1", "C1"]).values_list("name", flat=True))
    minx, miny, maxx, maxy = shape(world.c.a1_1.boundary).bounds
    narrower = {"type": "Polygon", "coordinates": [[[minx, miny], [maxx - 0.5, miny], [maxx - 0.5, maxy],
                                                    [minx, maxy], [minx, miny]]]}
    region_update(actor=world.c.sysadmin, region=world.c.a1_1, boundary=narrower)
    redrawn = next(f for f in public_outline()["features"] if f["properties"]["name"] == world.c.a1_1.name)
    assert _bounds(redrawn) == pytest.approx((minx, miny, maxx - 0.5, maxy))


def test_the_outline_is_rate_limited_like_every_public_endpoint(world, settings):
    settings.JICENG_PUBLIC_RATE_PER_IP = 2
    client = Client()
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 429]


LOCATE = "/events/report/locate/"


def test_a_point_is_named_by_its_street_community_and_grid_without_a_login(world):
    from tests.events.factories import IN_A1_1, IN_B1, IN_C1

    found = Client().get(LOCATE, IN_A1_1)
    assert found.status_code == 200
    assert found.json() == {"inside": True, "names": ["东街道", "甲社区", "甲一网格南片"],
                            "text": "位置：东街道 甲社区 甲一网格南片"}
    assert Client().get(LOCATE, IN_B1).json()["text"] == "位置：东街道 乙社区 乙一网格"
    assert Client().get(LOCATE, IN_C1).json()["text"] == "位置：西镇 丙村 丙一网格"


def test_a_point_outside_the_county_says_so(world):
    from tests.events.factories import OUTSIDE

    answer = Client().get(LOCATE, OUTSIDE)
    assert answer.status_code == 200 and answer.json() == {"inside": False, "text": "不在本县范围内"}


@pytest.mark.parametrize("query", [{}, {"lng": "east", "lat": "1"}, {"lng": "200", "lat": "1"}])
def test_a_bad_point_is_a_400(world, query):
    assert Client().get(LOCATE, query).status_code == 400


def test_locating_is_rate_limited_like_the_other_public_pages(world, settings):
    from tests.events.factories import IN_A1_1

    settings.JICENG_PUBLIC_RATE_PER_IP = 2
    assert [Client().get(LOCATE, IN_A1_1).status_code for _ in range(3)] == [200, 200, 429]


def test_the_picker_asks_where_its_point_falls(world):
    from tests.events.factories import as_user

    for page in (Client().get("/events/report/"), as_user(world.wang).get("/events/patrol/")):
        html = page.content.decode()
        assert f'data-locate-url="{LOCATE}"' in html and 'id="pick-where"' in html
