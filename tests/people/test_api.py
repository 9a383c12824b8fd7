"""The people API through HTTP: scope, masking, encryption at rest, audited reveals."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from jiceng.core.api_tokens import api_token_create
from jiceng.core.models import AuditLog
from jiceng.people.models import GridWorker, Resident
from jiceng.people.services import department_create, grid_worker_create, resident_create
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as():
    """A client that calls the API as ``user`` with a bearer token (no session, no second factor)."""

    def _as(user) -> Client:
        _, token = api_token_create(actor=None, user=user, name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    return _as

RES = "/api/people/residents"
WRK = "/api/people/workers"

ALICE_ID = make_id_number(seq=11)
BOB_ID = make_id_number(seq=21)


@pytest.fixture
def people(county):
    """Two residents of 甲 (alice's), one of 乙 (bob's), a worker in each community."""
    zhang = resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number=ALICE_ID,
                            phone="13800001111", address="测试县东街道甲社区幸福路1号", tags=["独居老人"],
                            is_volunteer=True)
    li = resident_create(actor=county.alice, name="李四", grid=county.a1_2, residence_type="floating")
    wang = resident_create(actor=county.bob, name="王五", grid=county.b1, id_number=BOB_ID)
    w_a = grid_worker_create(actor=county.alice, name="甲网格员", kind="full_time", community=county.a,
                             grids=[county.a1_1], id_number=make_id_number(seq=31), phone="13900002222")
    w_b = grid_worker_create(actor=county.bob, name="乙网格员", kind="part_time", community=county.b,
                             grids=[county.b1])
    return {"zhang": zhang, "li": li, "wang": wang, "w_a": w_a, "w_b": w_b}


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


# --- residents: scope -------------------------------------------------------------------------


def test_list_and_total_hold_only_residents_in_scope(county, people, api_as):
    body = api_as(county.alice).get(RES).json()
    assert body["count"] == 2
    assert {r["name"] for r in body["items"]} == {"张三", "李四"}
    assert api_as(county.bob).get(RES).json()["count"] == 1
    assert api_as(county.county_staff).get(RES).json()["count"] == 3


def test_a_resident_outside_the_scope_is_404_by_id(county, people, api_as):
    alice = api_as(county.alice)
    assert alice.get(f"{RES}/{people['zhang'].pk}").status_code == 200
    response = alice.get(f"{RES}/{people['wang'].pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert post(alice, f"{RES}/{people['wang'].pk}/reveal", {}).status_code == 404
    assert alice.patch(f"{RES}/{people['wang'].pk}", {"name": "x"}, content_type="application/json"
                       ).status_code == 404


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
def test_admin_roles_cannot_read_residents(county, people, api_as, role):
    client = api_as(getattr(county, role))
    assert client.get(RES).json() == {"count": 0, "limit": 50, "offset": 0, "items": []}
    assert client.get(f"{RES}/{people['zhang'].pk}").status_code == 404
    assert client.get(WRK).json()["count"] == 0
    assert post(client, f"{RES}/{people['zhang'].pk}/reveal", {}).status_code == 404


def test_filters_are_the_pages_filters(county, people, api_as):
    client = api_as(county.county_staff)

    def names(**params):
        return {r["name"] for r in client.get(RES, params).json()["items"]}

    assert names(q="张") == {"张三"}
    assert names(q=ALICE_ID) == {"张三"}  # exact ID number through the keyed hash
    assert names(q="13800001111") == {"张三"}
    assert names(tag="独居老人") == {"张三"}
    assert names(residence_type="floating") == {"李四"}
    assert names(is_volunteer="true") == {"张三"}
    assert names(region=county.b.pk) == {"王五"}
    assert names(region=county.a1_2.pk) == {"李四"}


def test_unknown_filter_values_are_400_and_a_region_outside_the_scope_404(county, people, api_as):
    client = api_as(county.alice)
    assert client.get(RES, {"tag": "未知"}).json()["field"] == "tag"
    response = client.get(RES, {"region": county.b.pk})  # a region outside the scope
    assert response.status_code == 404 and response.json()["field"] == "region"


# --- residents: masking and encryption ---------------------------------------------------------


def test_responses_carry_masked_values_only(county, people, api_as):
    body = api_as(county.alice).get(f"{RES}/{people['zhang'].pk}").json()
    assert body["id_number"] == ALICE_ID[:4] + "*" * 10 + ALICE_ID[-4:]
    assert body["phone"] == "138****1111"
    assert body["address"] == "测试县东街道****"
    assert body["tags"] == "1 项（已隐藏）"
    raw = api_as(county.alice).get(RES).content.decode()
    for secret in (ALICE_ID, "13800001111", "幸福路", "独居老人"):
        assert secret not in raw


def test_the_database_holds_ciphertext_not_the_id_number(county, people):
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone, address, tags FROM people_resident WHERE id = %s",
                    [people["zhang"].pk])
        row = cur.fetchone()
    assert all(value.startswith("enc:v1:") for value in row)
    assert ALICE_ID not in " ".join(row) and "13800001111" not in " ".join(row)


def test_reveal_returns_full_values_and_is_audited(county, people, api_as):
    response = post(api_as(county.alice), f"{RES}/{people['zhang'].pk}/reveal", {"fields": ["id_number", "tags"]})
    assert response.status_code == 200
    assert response.json() == {"id_number": ALICE_ID, "phone": None, "address": None, "tags": ["独居老人"],
                               "birth_date": None, "house": None}
    entry = AuditLog.objects.filter(action="personal_info.reveal").get()
    assert (entry.actor_id, entry.object_id, entry.changes) == (
        county.alice.pk, str(people["zhang"].pk), {"fields": ["id_number", "tags"]})
    assert entry.channel == "api"


def test_reveal_without_body_reveals_all_fields(county, people, api_as):
    response = api_as(county.alice).post(f"{RES}/{people['zhang'].pk}/reveal", "", content_type="application/json")
    assert response.status_code == 200
    assert response.json()["phone"] == "13800001111"


# --- residents: writes --------------------------------------------------------------------------


def test_create_resident_returns_masked_and_audits(county, api_as):
    new_id = make_id_number(seq=41)
    response = post(api_as(county.alice), RES, {"name": "赵六", "grid": county.a1_1.pk, "id_number": new_id,
                                               "phone": "13700003333", "tags": ["低保", "残疾人"]})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id_number"] != new_id and body["phone"] == "137****3333" and body["tags"] == "2 项（已隐藏）"
    resident = Resident.objects.get(pk=body["id"])
    assert resident.id_number == new_id and resident.gender == "M"
    assert AuditLog.objects.filter(action="resident.create", object_id=str(resident.pk)).exists()


def test_bad_id_check_digit_is_400_on_id_number(county, api_as):
    good = make_id_number(seq=41)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = post(api_as(county.alice), RES, {"name": "赵六", "grid": county.a1_1.pk, "id_number": bad})
    assert response.status_code == 400
    assert response.json()["field"] == "id_number"
    assert "校验位" in response.json()["message"]
    assert not Resident.objects.exists()


def test_unknown_tag_is_400_on_tags(county, api_as):
    response = post(api_as(county.alice), RES, {"name": "赵六", "grid": county.a1_1.pk, "tags": ["富豪"]})
    assert response.status_code == 400
    assert response.json()["field"].startswith("tags")


def test_duplicate_id_number_is_400(county, people, api_as):
    response = post(api_as(county.alice), RES, {"name": "张三二", "grid": county.a1_2.pk, "id_number": ALICE_ID})
    assert response.status_code == 400
    assert response.json()["field"] == "id_number"


def test_creating_in_a_grid_outside_the_scope_is_404_on_grid(county, api_as):
    response = post(api_as(county.alice), RES, {"name": "赵六", "grid": county.b1.pk})
    assert response.status_code == 404
    assert response.json()["field"] == "grid"


def test_system_admin_may_not_register_residents(county, api_as):
    response = post(api_as(county.sysadmin), RES, {"name": "赵六", "grid": county.a1_1.pk})
    assert response.status_code == 403


def test_patch_updates_and_masks(county, people, api_as):
    response = api_as(county.alice).patch(f"{RES}/{people['li'].pk}", {"phone": "13600004444", "grid": county.a1_1.pk},
                                         content_type="application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["phone"] == "136****4444"
    assert response.json()["grid"]["code"] == "A1-1"
    assert Resident.objects.get(pk=people["li"].pk).phone == "13600004444"


def test_patch_into_a_grid_outside_the_scope_is_refused(county, people, api_as):
    response = api_as(county.alice).patch(f"{RES}/{people['li'].pk}", {"grid": county.b1.pk},
                                         content_type="application/json")
    assert response.status_code == 404
    assert response.json()["field"] == "grid"


# --- grid workers -------------------------------------------------------------------------------


def test_workers_list_is_scoped_and_masked(county, people, api_as):
    body = api_as(county.alice).get(WRK).json()
    assert body["count"] == 1
    worker = body["items"][0]
    assert worker["name"] == "甲网格员" and worker["phone"] == "139****2222"
    assert worker["grids"] == [{"id": county.a1_1.pk, "code": "A1-1", "name": "甲一网格南片", "level": 6,
                                "level_label": "二级网格"}]
    assert api_as(county.alice).get(f"{WRK}/{people['w_b'].pk}").status_code == 404


def test_workers_filter_by_kind_and_region(county, people, api_as):
    client = api_as(county.county_staff)
    assert [w["name"] for w in client.get(WRK, {"kind": "part_time"}).json()["items"]] == ["乙网格员"]
    assert [w["name"] for w in client.get(WRK, {"region": county.a1_1.pk}).json()["items"]] == ["甲网格员"]


def test_create_worker_set_grids_and_reveal(county, api_as):
    alice = api_as(county.alice)
    response = post(alice, WRK, {"name": "新网格员", "kind": "full_time", "community": county.a.pk,
                                 "grids": [county.a1_1.pk], "phone": "13500005555", "joined_on": "2025-03-01"})
    assert response.status_code == 201, response.json()
    wid = response.json()["id"]
    response = alice.put(f"{WRK}/{wid}/grids", {"grids": [county.a1_2.pk, county.a1_1.pk]},
                         content_type="application/json")
    assert response.status_code == 200
    assert [g["code"] for g in response.json()["grids"]] == ["A1-2", "A1-1"]
    assert post(alice, f"{WRK}/{wid}/reveal", {"fields": ["phone"]}).json()["phone"] == "13500005555"
    assert AuditLog.objects.filter(action="personal_info.reveal", object_id=str(wid)).count() == 1
    assert AuditLog.objects.filter(action="grid_worker.set_grids", object_id=str(wid)).count() == 1


def test_a_worker_mobile_may_be_typed_with_prefix_and_separators(county, people, api_as):
    """The API takes a mobile as people type it (as the forms and the Excel import do) and stores its 11
    digits; a fixed line is still refused for a grid worker, at its field, with nothing changed."""
    alice = api_as(county.alice)
    response = post(alice, WRK, {"name": "新网格员", "kind": "full_time", "community": county.a.pk,
                                 "grids": [county.a1_1.pk], "phone": "+86 135-0000-5555"})
    assert response.status_code == 201, response.json()
    wid = response.json()["id"]
    assert GridWorker.objects.get(pk=wid).phone == "13500005555"
    response = alice.patch(f"{WRK}/{wid}", {"phone": "0599-2345678"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "phone"
    assert GridWorker.objects.get(pk=wid).phone == "13500005555"
    response = alice.patch(f"{WRK}/{wid}", {"phone": "138 1234 5678"}, content_type="application/json")
    assert response.status_code == 200, response.json()
    assert GridWorker.objects.get(pk=wid).phone == "13812345678"


def test_worker_grids_outside_the_community_are_refused(county, api_as):
    response = post(api_as(county.county_staff), WRK, {"name": "越界", "kind": "full_time",
                                                      "community": county.a.pk, "grids": [county.b1.pk]})
    assert response.status_code == 400
    assert response.json()["field"] == "grids"
    assert not GridWorker.objects.exists()


def test_worker_patch(county, people, api_as):
    response = api_as(county.alice).patch(f"{WRK}/{people['w_a'].pk}", {"active": False, "occupation": "退休"},
                                         content_type="application/json")
    assert response.status_code == 200
    assert response.json()["active"] is False


def test_reading_revealing_a_worker_reveals_no_address_field(county, people, api_as):
    response = post(api_as(county.alice), f"{WRK}/{people['w_a'].pk}/reveal", {"fields": ["address"]})
    assert response.status_code == 400
    assert response.json()["field"] == "fields"


# --- departments ------------------------------------------------------------------------------


def test_departments_include_those_of_the_county_above(county, api_as):
    department_create(actor=county.sysadmin, code="D-CIVIL", name="县民政局", kind="civil", region=county.county)
    body = api_as(county.alice).get("/api/people/departments").json()
    assert [d["name"] for d in body["items"]] == ["县民政局"]
    assert api_as(county.auditor).get("/api/people/departments").json()["count"] == 0


def test_lists_take_a_fixed_number_of_queries(county, people, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_as(county.county_staff)
    client.get(RES)  # the token's first use also notes last_used_at

    def queries(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = (queries(RES), queries(WRK))
    for i in range(4):
        resident_create(actor=county.alice, name=f"新居民{i}", grid=county.a1_1)
        grid_worker_create(actor=county.alice, name=f"新网格员{i}", kind="part_time", community=county.a,
                           grids=[county.a1_1, county.a1_2])
    assert (queries(RES), queries(WRK)) == before


def test_the_api_refuses_a_patch_from_an_older_version_with_409(county, api_as):
    from tests.people.test_pages import people_in_county

    people = people_in_county(county)
    alice = api_as(county.alice)
    url = f"/api/people/residents/{people.zhang.pk}"
    read = alice.get(url).json()["updated_at"]
    assert alice.patch(url, {"address": "幸福路10号", "expected_updated_at": read},
                       content_type="application/json").status_code == 200
    refused = alice.patch(url, {"address": "幸福路11号", "expected_updated_at": read}, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["code"] == "stale_edit"
    assert "（住址）" in refused.json()["message"]
    assert Resident.objects.get(pk=people.zhang.pk).address == "幸福路10号"
    assert alice.patch(url, {"address": "幸福路11号"}, content_type="application/json").status_code == 200  # no check
    worker_url = f"/api/people/workers/{people.wang.pk}"
    version = alice.get(worker_url).json()["updated_at"]
    assert alice.patch(worker_url, {"occupation": "退休教师", "expected_updated_at": version},
                       content_type="application/json").status_code == 200
    assert alice.patch(worker_url, {"occupation": "教师", "expected_updated_at": version},
                       content_type="application/json").status_code == 409
