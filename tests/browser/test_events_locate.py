"""The report page's location picker says where its point falls: typed coordinates and a tap zoom
the map to the point and name its street, community and grid, or say it lies outside the county
(a tap meant for one address must not be filed silently in the next grid)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.browser.conftest import PageProbe, close_context, csp_context
from tests.events.factories import IN_A1_1, IN_B1, OUTSIDE, build_world

pytestmark = [pytest.mark.browser]


def test_typed_coordinates_and_a_tap_zoom_to_the_point_and_name_its_place(live_server, transactional_db, chromium):
    cache.clear()
    build_world()
    context = csp_context(chromium, live_server, viewport={"width": 390, "height": 844})
    probe = PageProbe(context.new_page(), live_server.url)
    page = probe.page
    page.goto(f"{live_server.url}/events/report/")
    expect(page.locator("#pick-map.map-ready")).to_be_visible()
    zoom = "() => document.querySelector('#pick-map .leaflet-proxy') && window.L"  # Leaflet is up
    page.wait_for_function(zoom)
    county_zoom = page.evaluate("() => document.querySelector('#pick-map').classList.contains('ev-labels-off')")
    assert county_zoom  # the county view: names hidden until zoomed in
    where = page.locator("#pick-where")
    expect(where).to_be_hidden()  # empty until a point is chosen

    page.fill("#id_lng", str(IN_A1_1["lng"]))
    page.fill("#id_lat", str(IN_A1_1["lat"]))
    expect(where).to_have_text("位置：东街道 甲社区 甲一网格南片")
    # zoomed in to the point: the names are shown (zoom ≥ 13), the marker in the middle of the map
    expect(page.locator("#pick-map")).not_to_have_class("ev-labels-off")
    box = page.locator("#pick-map").bounding_box()
    marker = page.locator("#pick-map .leaflet-marker-icon").bounding_box()
    assert abs(marker["x"] + marker["width"] / 2 - (box["x"] + box["width"] / 2)) < 3

    # a tap elsewhere on the zoomed map: still 甲一网格南片 (the map shows only a few hundred metres)
    page.locator("#pick-map").click(position={"x": box["width"] / 2 + 40, "y": box["height"] / 2 + 30})
    expect(where).to_have_text("位置：东街道 甲社区 甲一网格南片")

    page.fill("#id_lng", str(IN_B1["lng"]))
    page.fill("#id_lat", str(IN_B1["lat"]))
    expect(where).to_have_text("位置：东街道 乙社区 乙一网格")

    page.fill("#id_lng", str(OUTSIDE["lng"]))
    page.fill("#id_lat", str(OUTSIDE["lat"]))
    expect(where).to_have_text("不在本县范围内")
    expect(where).to_have_class("ev-where ev-where-out")
    probe.shot("events-locate-outside")
    assert probe.errors == [] and probe.external == []
    close_context(context)
