"""Region pages: scope (404 outside), breadcrumb, counts, children, map data, staffing ratios."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from tests.accounts.helpers import login_verified
from tests.people.test_pages import people_in_county

pytestmark = pytest.mark.django_db


def test_alice_sees_her_community_page(login, county):
    response = login(county.alice).get(reverse("region-detail", args=[county.a.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "甲社区" in html and "350724001001" in html
    # children with links
    assert f'href="{reverse("region-detail", args=[county.a1.pk])}"' in html
    # map container points at the GeoJSON endpoint; Leaflet is served locally
    assert f'data-geojson-url="{reverse("region-boundaries", args=[county.a.pk])}"' in html
    assert "/static/vendor/leaflet-1.9.4/leaflet.js" in html


def test_breadcrumb_names_ancestors_but_links_only_those_in_scope(login, county):
    html = login(county.alice).get(reverse("region-detail", args=[county.a1_1.pk])).content.decode()
    crumb = html.split('class="breadcrumb"')[1].split("</nav>")[0]
    assert "测试县" in crumb and "东街道" in crumb and "甲社区" in crumb and "甲一网格" in crumb
    assert f'href="{reverse("region-detail", args=[county.east.pk])}"' not in crumb
    assert f'href="{reverse("region-detail", args=[county.a.pk])}"' in crumb


@pytest.mark.parametrize("name", ["region-detail", "region-boundaries", "region-children"])
def test_alice_gets_404_for_bobs_community(login, county, name):
    client = login(county.alice)
    assert client.get(reverse(name, args=[county.b.pk])).status_code == 404
    assert client.get(reverse(name, args=[county.east.pk])).status_code == 404


def test_region_page_counts_come_from_the_selectors(login, county):
    people_in_county(county)
    response = login(county.alice).get(reverse("region-detail", args=[county.a.pk]))
    # 甲社区: one 一级网格 and two 二级网格 below; 2 residents; workers 王五 (专职) and 孙八 (特聘)
    assert response.context["level_counts"] == [("一级网格", 1), ("二级网格", 2)]
    assert response.context["people"] == {"residents": 2, "workers": 2, "workers_full_time": 1,
                                          "workers_part_time": 0, "workers_special": 1}
    html = response.content.decode()
    assert f'href="/people/residents/?region={county.a.pk}"><span class="num">2</span>' in html


def test_county_page_counts_and_staffing_ratios(login, county):
    people_in_county(county)
    response = login(county.county_staff).get(reverse("region-detail", args=[county.county.pk]))
    assert response.context["level_counts"] == [("街道/乡镇", 2), ("社区/村", 3), ("一级网格", 3), ("二级网格", 2)]
    assert response.context["people"]["residents"] == 3
    assert response.context["people"]["workers_full_time"] == 2
    rows = {r.community.name: r for r in response.context["staffing"]}
    # 甲: 1 full-time ÷ 2 residents × 10000 = 5000; 乙: 1 ÷ 1 × 10000 = 10000; 丙村: a village
    assert rows["甲社区"].per_10k == 5000.0 and not rows["甲社区"].below_standard
    assert rows["乙社区"].per_10k == 10000.0
    assert not rows["丙村"].applies
    html = response.content.decode()
    assert "每万人配备数 = 在岗专职网格员数 ÷ 登记居民数 × 10000" in html
    assert "每万城镇常住人口不少于 18 名" in html
    assert "不适用" in html


def test_staffing_ratio_below_standard_is_flagged_red(login, county):
    from jiceng.people.services import resident_create

    # 3 residents and no full-time worker in 乙社区: 0 per 10,000, below the standard of 18
    for i in range(3):
        resident_create(actor=county.bob, name=f"居民{i}", grid=county.b1)
    html = login(county.county_staff).get(reverse("region-detail", args=[county.east.pk])).content.decode()
    row = html.split(f'href="{reverse("region-detail", args=[county.b.pk])}"')[2].split("</tr>")[0]
    assert '<span class="flag flag-red">低于标准</span>' in row


def test_village_page_shows_not_applicable(login, county):
    html = login(county.carol).get(reverse("region-detail", args=[county.c.pk])).content.decode()
    table = html.split('id="staffing"')[1].split("<tbody>")[1].split("</table>")[0]
    assert "丙村" in table and "不适用" in table and "低于标准" not in table


def test_grid_page_has_no_staffing_table_but_lists_workers(login, county):
    people = people_in_county(county)
    response = login(county.alice).get(reverse("region-detail", args=[county.a1_1.pk]))
    assert response.context["staffing"] is None
    assert [w.name for w in response.context["workers"]] == [people.wang.name]
    html = response.content.decode()
    assert f'href="/people/workers/?region={county.a1_1.pk}"' in html


def test_region_page_lists_the_regions_workers_with_a_link_to_the_filtered_list(login, county):
    people_in_county(county)
    response = login(county.alice).get(reverse("region-detail", args=[county.a.pk]))
    assert sorted(w.name for w in response.context["workers"]) == ["孙八", "王五"]
    html = response.content.decode()
    assert "钱七" not in html
    assert f'href="/people/workers/?region={county.a.pk}"' in html


def test_admin_roles_see_region_facts_but_no_people(client, county):
    response = login_verified(client, county.sysadmin).get(reverse("region-detail", args=[county.a.pk]))
    assert response.status_code == 200
    assert response.context["people"] is None and response.context["staffing"] is None
    assert "您的角色不查看居民和网格员信息。" in response.content.decode()


def test_boundaries_for_alices_community(login, county):
    response = login(county.alice).get(reverse("region-boundaries", args=[county.a.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    ids = {f["id"] for f in data["features"]}
    assert ids == {county.a.pk, county.a1.pk, county.a1_1.pk, county.a1_2.pk}
    names = {f["properties"]["name"] for f in data["features"]}
    assert "乙一网格" not in names and "乙社区" not in names
    by_id = {f["id"]: f for f in data["features"]}
    assert by_id[county.a.pk]["properties"]["self"] is True
    assert by_id[county.a1_1.pk]["properties"]["url"] == reverse("region-detail", args=[county.a1_1.pk])


def test_boundaries_for_county_staff_on_the_street_include_both_communities(login, county):
    data = json.loads(login(county.county_staff).get(reverse("region-boundaries", args=[county.east.pk])).content)
    assert {f["properties"]["name"] for f in data["features"]} == {"东街道", "甲社区", "乙社区"}


def test_tree_children_partial(login, county):
    response = login(county.county_staff).get(reverse("region-children", args=[county.east.pk]),
                                              HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert "甲社区" in html and "乙社区" in html and "丙村" not in html
    assert f'hx-get="{reverse("region-children", args=[county.a.pk])}"' in html


def test_region_pages_require_login(client, county):
    response = client.get(reverse("region-detail", args=[county.a.pk]))
    assert response.status_code == 302
    assert client.get(reverse("region-boundaries", args=[county.a.pk])).status_code == 302


# --- the worker numbers agree with the lists they link to -------------------------------------------


def _tile_numbers(html: str) -> dict[str, int]:
    """{href of a worker tile: its number}, from the counts block of a region page."""
    import re

    found = re.findall(r'<a class="stat stat-link[^"]*" href="(/people/workers/[^"]+)"><span class="num">([\d,]+)</span>',
                       html)
    return {href.replace("&amp;", "&"): int(n.replace(",", "")) for href, n in found}


def _more_people(county, people):
    """Two more workers of the same kinds under 甲一网格 (so a count split by name shows), and a
    特聘 worker of 乙社区 covering 甲's grid A1-2 (made by the county, who keeps both)."""
    from jiceng.people.services import grid_worker_create

    grid_worker_create(actor=county.alice, name="周九", kind="full_time", community=county.a, grids=[county.a1_2])
    grid_worker_create(actor=county.alice, name="吴十", kind="special", community=county.a, grids=[county.a1_1])
    grid_worker_create(actor=county.county_staff, name="骑手郑", kind="special", community=county.b,
                       grids=[county.b1, county.a1_2])


def test_a_grid_tile_counts_the_workers_of_its_sub_grids(login, county):
    _more_people(county, people_in_county(county))
    response = login(county.county_staff).get(reverse("region-detail", args=[county.a1.pk]))
    # 甲一网格 (A1) has no worker of its own; below it: A1-1 王五 (专职), 吴十 (特聘);
    # A1-2 孙八 (特聘), 周九 (专职), 骑手郑 (特聘, of 乙社区)
    assert response.context["people"] == {"residents": 2, "workers": 5, "workers_full_time": 2,
                                          "workers_part_time": 0, "workers_special": 3}
    assert sorted(w.name for w in response.context["workers"]) == ["吴十", "周九", "孙八", "王五", "骑手郑"]


@pytest.mark.parametrize(("who", "where", "expected"), [
    # the county sees 乙's 特聘 worker covering A1-2; alice's scope (甲's own workers) does not hold him
    ("county_staff", "a", 5), ("county_staff", "a1", 5), ("county_staff", "a1_2", 3), ("county_staff", "b", 2),
    ("alice", "a", 4), ("alice", "a1", 4), ("alice", "a1_2", 2),
])
def test_every_worker_number_matches_the_list_it_links_to(login, county, who, where, expected):
    _more_people(county, people_in_county(county))
    client = login(getattr(county, who))
    html = client.get(reverse("region-detail", args=[getattr(county, where).pk])).content.decode()
    tiles = _tile_numbers(html)
    assert len(tiles) == 4  # 在岗, 专职, 兼职, 特聘
    for href, number in tiles.items():
        listed = client.get(href).context["total"]
        assert number == listed, href
    assert max(tiles.values()) == expected


def test_a_grid_workers_tiles_count_the_colleagues_of_the_grid_as_the_list_does(login, county):
    # A1-1: 王五 (专职), 吴十 (特聘) and dave's own 陈网格 (兼职); A1-2's workers are not his
    from jiceng.people.choices import Role
    from jiceng.people.services import grid_worker_create
    from tests.factories import make_user

    _more_people(county, people_in_county(county))
    dave = make_user("dave", Role.GRID_WORKER)
    grid_worker_create(actor=county.alice, name="陈网格", kind="part_time", community=county.a, grids=[county.a1_1],
                       user=dave)
    client = login(dave)
    response = client.get(reverse("region-detail", args=[county.a1_1.pk]))
    assert response.context["people"] == {"residents": 1, "workers": 3, "workers_full_time": 1,
                                          "workers_part_time": 1, "workers_special": 1}
    tiles = _tile_numbers(response.content.decode())
    assert len(tiles) == 4
    for href, number in tiles.items():
        assert client.get(href).context["total"] == number, href


@pytest.mark.parametrize(("who", "where", "badge"), [
    ("alice", "a", "社区"), ("carol", "c", "村"), ("county_staff", "east", "街道"), ("alice", "a1", "一级网格"),
])
def test_the_title_names_what_the_region_is_once(login, county, who, where, badge):
    """A community's title said 社区/村 (its level) and 社区 (its kind) side by side: one badge, the
    finer kind where there is one, the level where there is none (a grid)."""
    html = login(getattr(county, who)).get(reverse("region-detail", args=[getattr(county, where).pk])).content.decode()
    title = html.split("<h1>")[1].split("</h1>")[0]
    assert re.findall(r'<span class="badge[^"]*">([^<]*)</span>', title) == [badge]
