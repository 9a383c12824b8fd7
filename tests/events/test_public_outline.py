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
