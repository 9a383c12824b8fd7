"""A resident's personal information masked alike on the page and in the API until an audited
reveal: the birth date as the age (周岁) only — with the masked ID number's first and last four
digits it would leave two digits to guess — and the house down to its building (the room hidden,
as the address is).

The cast: 张三 of grid A1-1 (甲社区), born 1940-03-05, lives in 幸福苑3栋2单元501; dave is the grid
worker of A1-1; alice keeps 甲. The clock stands at 2026-03-04, the day before his 86th birthday.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from jiceng.core.api_tokens import api_token_create
from jiceng.core.masking import age_on, mask_house
from jiceng.core.models import AuditLog
from jiceng.people.choices import Role
from jiceng.people.services import grid_worker_create, resident_create
from jiceng.regions.models import House
from jiceng.regions.services import building_create
from tests.factories import make_id_number, make_user

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
ZHANG_ID = make_id_number(birth="19400305", seq=11)  # 350724194003050116
TODAY = date(2026, 3, 4)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def zhang(county):
    building = building_create(actor=county.alice, grid=county.a1_1, code="XFY-3", name="幸福苑3栋",
                               address="幸福路8号", floors=6, units=["1单元", "2单元"], rooms_per_unit=["501", "502"])
    house = House.objects.get(unit__building=building, unit__name="2单元", room="501")
    return resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number=ZHANG_ID,
                           phone="13800000011", address="测试县东街道幸福路8号幸福苑3栋2单元501室", house=house)


@pytest.fixture
def dave(county):
    dave = make_user("dave", Role.GRID_WORKER)
    grid_worker_create(actor=county.alice, name="陈网格", kind="full_time", community=county.a, grids=[county.a1_1],
                       user=dave)
    return dave


def _fields(html: str) -> dict[str, str]:
    """{data-field: shown text} of the personal-information card."""
    return {k: v.strip() for k, v in re.findall(r'<dd[^>]*data-field="(\w+)">([^<]*)</dd>', html)}


def _api(user) -> Client:
    _, token = api_token_create(actor=None, user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_age_counts_completed_years_and_the_house_keeps_its_building():
    assert age_on(date(1940, 3, 5), date(2026, 3, 4)) == 85
    assert age_on(date(1940, 3, 5), date(2026, 3, 5)) == 86
    assert age_on(date(2000, 2, 29), date(2001, 2, 28)) == 0
    assert age_on(None, date(2026, 3, 4)) is None
    assert mask_house("幸福苑3栋") == "幸福苑3栋****"
    assert mask_house("") == ""


def test_the_detail_page_shows_the_age_and_the_building_not_the_birth_date_and_room(login, dave, zhang):
    html = login(dave).get(reverse("resident-detail", args=[zhang.pk])).content.decode()
    assert _fields(html) == {"id_number": "3507**********0116", "phone": "138****0011", "birth_date": "85",
                             "house": "幸福苑3栋****", "address": "测试县东街道****", "tags": "—"}
    assert "年龄（周岁）" in html
    for hidden in ("1940-03-05", "1940年", "19400305", "2单元501", "2单元"):
        assert hidden not in html


def test_revealing_shows_the_birth_date_and_the_room_and_audits_both(login, dave, zhang):
    response = login(dave).post(reverse("resident-reveal", args=[zhang.pk]), **HX)
    shown = _fields(response.content.decode())
    assert (shown["id_number"], shown["birth_date"], shown["house"]) == (ZHANG_ID, "1940-03-05", "幸福苑3栋2单元501")
    entry = AuditLog.objects.get(action="personal_info.reveal")
    assert (entry.actor_id, entry.object_id) == (dave.pk, str(zhang.pk))
    assert entry.changes == {"fields": ["id_number", "phone", "address", "tags", "birth_date", "house"]}


def test_the_page_and_the_api_mask_alike(login, county, dave, zhang):
    page = _fields(login(dave).get(reverse("resident-detail", args=[zhang.pk])).content.decode())
    for client in (_api(dave), _api(county.alice)):
        one = client.get(f"/api/people/residents/{zhang.pk}").json()
        listed = client.get("/api/people/residents").json()["items"]
        assert listed == [one]
        assert (one["id_number"], one["phone"], one["address"], str(one["age"]), one["house"]) == (
            page["id_number"], page["phone"], page["address"], page["birth_date"], page["house"])
        assert "1940-03-05" not in str(one) and "2单元" not in str(one)


def test_the_api_reveals_the_birth_date_and_house_on_request_audited(county, zhang):
    response = _api(county.alice).post(f"/api/people/residents/{zhang.pk}/reveal", {"fields": ["birth_date", "house"]},
                                       content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"id_number": None, "phone": None, "address": None, "tags": None,
                               "birth_date": "1940-03-05", "house": "幸福苑3栋2单元501"}
    entry = AuditLog.objects.get(action="personal_info.reveal")
    assert (entry.actor_id, entry.changes, entry.channel) == (county.alice.pk, {"fields": ["birth_date", "house"]}, "api")


def test_a_resident_without_a_house_or_birth_date_shows_dashes(login, county):
    nobody = resident_create(actor=county.alice, name="无名", grid=county.a1_1)
    shown = _fields(login(county.alice).get(reverse("resident-detail", args=[nobody.pk])).content.decode())
    assert (shown["birth_date"], shown["house"]) == ("—", "—")
