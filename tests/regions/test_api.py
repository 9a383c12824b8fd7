"""The regions API through HTTP, as named users of the small county (see tests/factories.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from jiceng.core.api_tokens import api_token_create
from jiceng.core.models import AuditLog
from jiceng.regions.models import Building, Organisation, Region
from tests.factories import LAT0, LNG0, make_id_number, square

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as():
    """A client that calls the API as ``user`` with a bearer token (no session, no second factor)."""

    def _as(user) -> Client:
        _, token = api_token_create(actor=None, user=user, name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    return _as

URL = "/api/regions/"


def get(client, url, **params):
    return client.get(url, params)


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def patch(client, url, body):
    return client.patch(url, body, content_type="application/json")


# --- reading the tree -------------------------------------------------------------------------


def test_list_holds_only_the_callers_subtree_in_items_and_count(county, api_as):
    body = get(api_as(county.alice), URL).json()
    assert body["count"] == 4  # 甲社区, A1, A1-1, A1-2
    assert {r["code"] for r in body["items"]} == {"350724001001", "A1", "A1-1", "A1-2"}


def test_system_admin_sees_the_whole_tree(county, api_as):
    assert get(api_as(county.sysadmin), URL).json()["count"] == 11


def test_list_filters_by_parent_level_and_name(county, api_as):
    client = api_as(county.sysadmin)
    assert {r["code"] for r in get(client, URL, parent=county.east.pk).json()["items"]} == {
        "350724001001", "350724001002"}
    assert {r["code"] for r in get(client, URL, level=5).json()["items"]} == {"A1", "B1", "C1"}
    assert get(client, URL, q="甲").json()["count"] == 4
    assert get(client, URL, q="乙", level=5).json()["count"] == 1


def test_list_pages_with_limit_and_offset(county, api_as):
    client = api_as(county.sysadmin)
    first = get(client, URL, limit=4).json()
    second = get(client, URL, limit=4, offset=4).json()
    assert first["count"] == second["count"] == 11
    assert len(first["items"]) == 4 and len(second["items"]) == 4
    assert not {r["id"] for r in first["items"]} & {r["id"] for r in second["items"]}


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"offset": -1}, {"level": 8}, {"q": "x" * 101}])
def test_out_of_range_parameters_are_400_with_the_field(county, api_as, params):
    response = get(api_as(county.sysadmin), URL, **params)
    assert response.status_code == 400
    assert response.json()["field"] == next(iter(params))


def test_detail_of_a_region_outside_the_scope_is_404(county, api_as):
    client = api_as(county.alice)
    assert get(client, f"{URL}{county.a1.pk}").status_code == 200
    response = get(client, f"{URL}{county.b1.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_children_are_the_direct_subordinates(county, api_as):
    body = get(api_as(county.alice), f"{URL}{county.a1.pk}/children").json()
    assert [r["code"] for r in body["items"]] == ["A1-1", "A1-2"]


def test_boundaries_are_a_geojson_feature_collection(county, api_as):
    body = get(api_as(county.alice), f"{URL}{county.a.pk}/boundaries").json()
    assert body["type"] == "FeatureCollection"
    codes = {f["properties"]["code"]: f for f in body["features"]}
    assert set(codes) == {"350724001001", "A1", "A1-1", "A1-2"}
    assert codes["350724001001"]["properties"]["self"] is True
    assert codes["A1-1"]["geometry"]["type"] == "Polygon"


# --- locate -----------------------------------------------------------------------------------


def test_locate_inside_returns_the_deepest_grid_with_its_community_and_street(county, api_as):
    response = get(api_as(county.alice), f"{URL}locate", lng=LNG0 + 0.5, lat=LAT0 + 0.5)
    assert response.status_code == 200
    body = response.json()
    assert body["grid"]["code"] == "A1-1"
    assert body["community"]["name"] == "甲社区"
    assert body["street"]["name"] == "东街道"


def test_locate_outside_every_grid_is_404_no_grid_in_chinese(county, api_as):
    response = get(api_as(county.alice), f"{URL}locate", lng=100.0, lat=20.0)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "no_grid"
    assert "不在任何网格内" in body["message"]


def test_locate_in_a_grid_outside_the_scope_is_no_grid_too(county, api_as):
    response = get(api_as(county.alice), f"{URL}locate", lng=LNG0 + 1.5, lat=LAT0 + 0.5)  # 乙一网格
    assert response.status_code == 404
    assert response.json()["code"] == "no_grid"


def test_locate_refuses_coordinates_out_of_range(county, api_as):
    response = get(api_as(county.alice), f"{URL}locate", lng=200, lat=27)
    assert response.status_code == 400
    assert response.json()["field"] == "lng"


# --- writing the tree ---------------------------------------------------------------------------


def test_system_admin_creates_a_grid_and_it_is_audited(county, api_as):
    response = post(api_as(county.sysadmin), URL, {
        "code": "C2", "name": "丙二网格", "level": 5, "parent": county.c.pk, "population": 800})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["path"] == "/350724/350724002/350724002001/C2/"
    assert AuditLog.objects.filter(action="region.create", object_id=str(body["id"])).exists()


def test_county_staff_create_grids_in_their_county(county, api_as):
    response = post(api_as(county.county_staff), URL, {"code": "C2", "name": "丙二网格", "level": 5,
                                                      "parent": county.c.pk})
    assert response.status_code == 201


def test_community_staff_may_not_create_regions(county, api_as):
    response = post(api_as(county.alice), URL, {"code": "A2", "name": "甲二网格", "level": 5, "parent": county.a.pk})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_duplicate_code_is_400_on_code(county, api_as):
    response = post(api_as(county.sysadmin), URL, {"code": "B1", "name": "又一个", "level": 5, "parent": county.c.pk})
    assert response.status_code == 400
    assert response.json()["field"] == "code"


def test_grid_without_parent_is_400_on_parent(county, api_as):
    response = post(api_as(county.sysadmin), URL, {"code": "X1", "name": "孤网格", "level": 5})
    assert response.status_code == 400
    assert response.json()["field"] == "parent"


def test_wrong_level_under_parent_is_400_on_level(county, api_as):
    response = post(api_as(county.sysadmin), URL, {"code": "X1", "name": "跳级", "level": 6, "parent": county.c.pk})
    assert response.status_code == 400
    assert response.json()["field"] == "level"


@pytest.mark.parametrize("boundary", [
    {"type": "Point", "coordinates": [118.1, 27.1]},
    {"type": "Polygon", "coordinates": "oops"},
    {"type": "Polygon", "coordinates": [[[118.1, 27.1], [118.2, 27.1]]]},
    {"type": "Polygon", "coordinates": [[[10 ** 30, 1], [2, 2], [3, 1], [10 ** 30, 1]]]},
])
def test_malformed_geojson_is_400_on_boundary(county, api_as, boundary):
    response = post(api_as(county.sysadmin), URL, {"code": "C2", "name": "丙二网格", "level": 5,
                                                  "parent": county.c.pk, "boundary": boundary})
    assert response.status_code == 400, response.json()
    assert response.json()["field"] == "boundary"
    assert not Region.objects.filter(code="C2").exists()


def test_overlapping_boundary_is_400_naming_the_sibling(county, api_as):
    response = post(api_as(county.sysadmin), URL, {"code": "C2", "name": "丙二网格", "level": 5, "parent": county.c.pk,
                                                  "boundary": square(2.5, 0.5, 3, 1)})
    assert response.status_code == 400
    assert response.json()["field"] == "boundary"
    assert "丙一网格" in response.json()["message"]


def test_json_booleans_are_not_integers(county, api_as):
    response = post(api_as(county.sysadmin), URL, {"code": "C2", "name": "丙二网格", "level": 5,
                                                  "parent": county.c.pk, "population": True})
    assert response.status_code == 400
    assert response.json()["field"] == "population"


def test_nul_characters_are_refused_before_the_database(county, api_as):
    response = post(api_as(county.sysadmin), URL, {"code": "C2", "name": "丙\x00", "level": 5, "parent": county.c.pk})
    assert response.status_code == 400
    assert response.json()["field"] == "name"


def test_patch_changes_only_the_given_fields(county, api_as):
    client = api_as(county.sysadmin)
    response = patch(client, f"{URL}{county.b1.pk}", {"name": "乙一网格（新）", "population": 1200})
    assert response.status_code == 200, response.json()
    b1 = Region.objects.get(pk=county.b1.pk)
    assert (b1.name, b1.population, b1.code) == ("乙一网格（新）", 1200, "B1")
    assert patch(client, f"{URL}{county.b1.pk}", {"name": None}).json()["field"] == "name"


def test_patch_out_of_scope_is_404(county, api_as):
    assert patch(api_as(county.alice), f"{URL}{county.b1.pk}", {"name": "x"}).status_code == 404


# --- staffing -----------------------------------------------------------------------------------


def test_staffing_gives_numerator_denominator_standard_and_flag(county, api_as):
    from jiceng.people.services import grid_worker_create, resident_create

    grid_worker_create(actor=county.alice, name="专一", kind="full_time", community=county.a, grids=[county.a1_1])
    for i in range(3):
        resident_create(actor=county.alice, name=f"居民{i}", grid=county.a1_1,
                        id_number=make_id_number(seq=2 * i + 1))
    body = get(api_as(county.alice), f"{URL}{county.a.pk}/staffing").json()
    assert body == [{
        "community": {"id": county.a.pk, "code": "350724001001", "name": "甲社区", "level": 4,
                      "level_label": "社区/村"},
        "numerator": 1, "denominator": 3, "per_10k": 3333.3, "standard": 18, "applies": True, "flag": False,
    }]


# --- buildings and organisations --------------------------------------------------------------


def test_buildings_are_created_in_scope_and_listed_to_their_scope_only(county, api_as):
    alice = api_as(county.alice)
    response = post(alice, f"{URL}buildings", {"grid": county.a1_1.pk, "code": "A-001", "name": "1号楼",
                                               "address": "测试县甲社区1号", "units": ["1单元"],
                                               "rooms_per_unit": ["101", "102"]})
    assert response.status_code == 201, response.json()
    assert Building.objects.get(code="A-001").units.get().houses.count() == 2
    assert get(alice, f"{URL}buildings").json()["count"] == 1
    assert get(api_as(county.bob), f"{URL}buildings").json()["count"] == 0


def test_building_in_a_grid_outside_the_scope_is_404_on_grid(county, api_as):
    response = post(api_as(county.alice), f"{URL}buildings", {"grid": county.b1.pk, "code": "B-001",
                                                             "name": "1号楼", "address": "乙社区1号"})
    assert response.status_code == 404
    assert response.json()["field"] == "grid"


def test_organisation_phone_is_masked_and_bad_uscc_is_400(county, api_as):
    alice = api_as(county.alice)
    response = post(alice, f"{URL}organisations", {"grid": county.a1_1.pk, "name": "便民超市", "kind": "shop",
                                                   "contact_phone": "13800001111"})
    assert response.status_code == 201, response.json()
    assert response.json()["contact_phone"] == "138****1111"
    assert Organisation.objects.get().contact_phone == "13800001111"
    bad = post(alice, f"{URL}organisations", {"grid": county.a1_1.pk, "name": "某公司", "kind": "enterprise",
                                              "uscc": "91350724MA2XXXXXX0"})
    assert bad.status_code == 400
    assert bad.json()["field"] == "uscc"
    listed = get(alice, f"{URL}organisations", kind="shop").json()
    assert listed["count"] == 1 and listed["items"][0]["contact_phone"] == "138****1111"
