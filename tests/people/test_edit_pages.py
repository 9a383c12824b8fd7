"""Resident and grid-worker edit pages: prefilled but the ID number and phone kept back, a blank
number kept, the services' rules at their fields, scope, the roles that may not edit, audit."""

from __future__ import annotations

import html as html_module
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from jiceng.core.models import AuditLog
from jiceng.people.choices import Role
from jiceng.people.models import GridWorker, Resident
from jiceng.people.services import grid_worker_create, grid_worker_set_grids
from jiceng.regions.services import building_create
from tests.factories import make_id_number, make_user
from tests.people.test_pages import HX, LI_ID, WANG_ID, ZHANG_ID, people_in_county

pytestmark = pytest.mark.django_db

NEW_ID = make_id_number(birth="19520720", seq=31, male=False)
BAD_ID = ZHANG_ID[:17] + ("0" if ZHANG_ID[17] != "0" else "1")  # a wrong check digit


@pytest.fixture
def people(county):
    return people_in_county(county)


@pytest.fixture
def dave(county, people):
    """A grid worker of A1-1, 王五's colleague (王五 works A1-1 too)."""
    dave = make_user("dave", Role.GRID_WORKER)
    grid_worker_create(actor=county.alice, name="陈网格", kind="part_time", community=county.a, grids=[county.a1_1],
                       user=dave)
    return dave


def resident_post(resident: Resident, **changes) -> dict:
    """The edit form as a browser posts it untouched (ID number and phone blank), with ``changes``."""
    data = {"name": resident.name, "grid": resident.grid_id, "house": resident.house_id or "",
            "id_number": "", "phone": "", "address": resident.address, "residence_type": resident.residence_type,
            "political_status": resident.political_status, "tags": resident.tags}
    if resident.is_volunteer:
        data["is_volunteer"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def worker_post(worker: GridWorker, **changes) -> dict:
    data = {"name": worker.name, "kind": worker.kind, "grids": [g.pk for g in worker.grids.all()],
            "id_number": "", "phone": "", "occupation": worker.occupation,
            "joined_on": worker.joined_on.isoformat() if worker.joined_on else ""}
    if worker.is_party_member:
        data["is_party_member"] = "on"
    if worker.active:
        data["active"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def field_value(html: str, name: str) -> str | None:
    """The ``value`` of the text input called ``name`` (None when it has none)."""
    tag = re.search(rf'<input type="text" name="{name}"[^>]*>', html).group(0)
    found = re.search(r'value="([^"]*)"', tag)
    return found.group(1) if found else None


def checked_boxes(html: str, name: str) -> set[str]:
    return set(re.findall(rf'<input type="checkbox" name="{name}" value="([^"]+)"[^>]*checked', html))


# --- the 编辑 button ----------------------------------------------------------------------------


def test_the_detail_pages_offer_edit_to_their_community_staff(login, county, people):
    client = login(county.alice)
    html = client.get(reverse("resident-detail", args=[people.zhang.pk])).content.decode()
    assert f'href="{reverse("resident-edit", args=[people.zhang.pk])}">编辑</a>' in html
    html = client.get(reverse("worker-detail", args=[people.wang.pk])).content.decode()
    assert f'href="{reverse("worker-edit", args=[people.wang.pk])}">编辑</a>' in html


def test_the_button_is_also_there_after_a_reveal_without_javascript(login, county, people):
    html = login(county.alice).post(reverse("resident-reveal", args=[people.zhang.pk])).content.decode()
    assert reverse("resident-edit", args=[people.zhang.pk]) in html


# --- residents ---------------------------------------------------------------------------------


def test_resident_form_is_prefilled_but_the_id_number_and_phone_are_not(login, county, people):
    response = login(county.alice).get(reverse("resident-edit", args=[people.zhang.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert ZHANG_ID not in html and "13800000011" not in html
    assert field_value(html, "id_number") is None and field_value(html, "phone") is None
    # the masked values say what is stored
    assert f'placeholder="{ZHANG_ID[:4]}**********{ZHANG_ID[-4:]}"' in html
    assert 'placeholder="138****0011"' in html and "当前为 138****0011；留空则不修改，填写则替换。" in html
    # the rest as stored
    assert field_value(html, "name") == "张三"
    assert field_value(html, "address") == "测试县东街道幸福路8号3栋"
    assert f'<option value="{county.a1_1.pk}" selected>' in html
    assert checked_boxes(html, "tags") == {"独居老人"}
    assert '<option value="registered" selected>' in html


def test_opening_the_resident_form_is_an_audited_reveal_of_what_it_shows(login, county, people):
    login(county.alice).get(reverse("resident-edit", args=[people.zhang.pk]))
    entry = AuditLog.objects.get(action="personal_info.reveal")
    assert (entry.actor_id, entry.object_id) == (county.alice.pk, str(people.zhang.pk))
    assert entry.changes == {"fields": ["address", "tags", "house"]}


def test_blank_id_number_and_phone_keep_the_stored_ones(login, county, people):
    response = login(county.alice).post(reverse("resident-edit", args=[people.zhang.pk]),
                                        resident_post(people.zhang, address="测试县东街道幸福路9号", tags=["独居老人", "低保"]),
                                        follow=True)
    assert response.redirect_chain == [(reverse("resident-detail", args=[people.zhang.pk]), 302)]
    assert "已保存居民“张三”的信息。" in response.content.decode()
    zhang = Resident.objects.get(pk=people.zhang.pk)
    assert (zhang.id_number, zhang.phone) == (ZHANG_ID, "13800000011")
    assert zhang.address == "测试县东街道幸福路9号" and zhang.tags == ["低保", "独居老人"]
    entry = AuditLog.objects.get(action="resident.update")
    assert entry.actor_id == county.alice.pk and entry.channel == "web"
    assert entry.changes == {"address": ["***", "***"], "tags": ["***", "***"]}  # changed, never shown


def test_saving_the_form_untouched_changes_nothing_and_audits_nothing(login, county, people):
    response = login(county.alice).post(reverse("resident-edit", args=[people.li.pk]), resident_post(people.li))
    assert response.status_code == 302
    li = Resident.objects.get(pk=people.li.pk)
    assert (li.id_number, li.phone, li.is_volunteer, li.residence_type) == (LI_ID, "13900000012", True, "floating")
    assert not AuditLog.objects.filter(action="resident.update").exists()


def test_a_new_phone_replaces_the_old_one(login, county, people):
    client = login(county.alice)
    client.post(reverse("resident-edit", args=[people.zhang.pk]), resident_post(people.zhang, phone="139-0000-0099"))
    zhang = Resident.objects.get(pk=people.zhang.pk)
    assert zhang.phone == "13900000099" and zhang.id_number == ZHANG_ID
    assert AuditLog.objects.get(action="resident.update").changes == {"phone": ["***", "***"]}
    # found by the new number (its keyed hash), no longer by the old
    assert [p.name for p, _ in client.get(reverse("resident-list"), {"q": "13900000099"}).context["rows"]] == ["张三"]
    assert client.get(reverse("resident-list"), {"q": "13800000011"}).context["total"] == 0


def test_a_new_id_number_replaces_it_with_the_gender_and_birth_date(login, county, people):
    login(county.alice).post(reverse("resident-edit", args=[people.zhang.pk]), resident_post(people.zhang, id_number=NEW_ID))
    zhang = Resident.objects.get(pk=people.zhang.pk)
    assert zhang.id_number == NEW_ID and zhang.phone == "13800000011"
    assert (zhang.gender, zhang.birth_date.isoformat()) == ("F", "1952-07-20")


def test_an_invalid_value_is_a_field_error_keeps_what_was_typed_and_changes_nothing(login, county, people):
    response = login(county.alice).post(reverse("resident-edit", args=[people.zhang.pk]),
                                        resident_post(people.zhang, name="张三丰", id_number=BAD_ID, phone="1380000"))
    html = response.content.decode()
    assert response.status_code == 200
    # the create form's own checks, every one at once
    assert '<p class="field-error" id="error-id_number">身份证号校验位不正确。</p>' in html
    assert '<p class="field-error" id="error-phone">请填写11位手机号，或带区号的固定电话（如 0571-8888 6666）。</p>' in html
    assert field_value(html, "name") == "张三丰" and field_value(html, "phone") == "1380000"
    zhang = Resident.objects.get(pk=people.zhang.pk)
    assert (zhang.name, zhang.id_number, zhang.phone) == ("张三", ZHANG_ID, "13800000011")
    assert not AuditLog.objects.filter(action="resident.update").exists()


def test_a_service_refusal_shows_at_its_field_and_changes_nothing(login, county, people):
    response = login(county.alice).post(reverse("resident-edit", args=[people.zhang.pk]),
                                        resident_post(people.zhang, name="张三丰", id_number=LI_ID))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<p class="field-error" id="error-id_number">该身份证号已登记为其他居民。</p>' in html
    assert field_value(html, "name") == "张三丰" and LI_ID in html  # as typed (it is the user's own input)
    assert Resident.objects.get(pk=people.zhang.pk).name == "张三"
    assert not AuditLog.objects.filter(action="resident.update").exists()


def test_a_resident_moves_to_another_grid_in_scope_but_not_out_of_it(login, county, people):
    client = login(county.alice)
    refused = client.post(reverse("resident-edit", args=[people.zhang.pk]), resident_post(people.zhang, grid=county.b1.pk))
    assert refused.status_code == 200 and refused.context["form"].errors["grid"]
    assert Resident.objects.get(pk=people.zhang.pk).grid == county.a1_1
    moved = client.post(reverse("resident-edit", args=[people.zhang.pk]), resident_post(people.zhang, grid=county.a1_2.pk))
    assert moved.status_code == 302
    assert Resident.objects.get(pk=people.zhang.pk).grid == county.a1_2
    assert AuditLog.objects.get(action="resident.update").changes == {"grid_id": [county.a1_1.pk, county.a1_2.pk]}


def test_the_house_is_chosen_from_the_grids_buildings(login, county, people):
    south = building_create(actor=county.alice, grid=county.a1_1, code="BLD-S", name="南苑1栋", address="南路1号",
                            units=["1单元"], rooms_per_unit=["101", "102"])
    north = building_create(actor=county.alice, grid=county.a1_2, code="BLD-N", name="北苑1栋", address="北路1号",
                            units=["1单元"], rooms_per_unit=["201"])
    room_101 = south.units.get().houses.get(room="101")
    room_201 = north.units.get().houses.get(room="201")
    client = login(county.alice)
    html = client.get(reverse("resident-edit", args=[people.zhang.pk])).content.decode()
    block = html.split('id="house-choices"')[1].split("</select>")[0]
    assert "南苑1栋1单元101" in block and "南苑1栋1单元102" in block and "北苑1栋" not in block
    assert 'hx-target="#house-choices"' in html  # a change of grid reloads them

    saved = client.post(reverse("resident-edit", args=[people.zhang.pk]), resident_post(people.zhang, house=room_101.pk))
    assert saved.status_code == 302 and Resident.objects.get(pk=people.zhang.pk).house == room_101
    # a house of another grid: the service's message at the field, nothing saved
    refused = client.post(reverse("resident-edit", args=[people.zhang.pk]),
                          resident_post(people.zhang, house=room_201.pk, address="新地址"))
    assert '<p class="field-error" id="error-house">所选房屋不在该网格内。</p>' in refused.content.decode()
    zhang = Resident.objects.get(pk=people.zhang.pk)
    assert zhang.house == room_101 and zhang.address == "测试县东街道幸福路8号3栋"
    # choosing another grid offers its houses, keeps what was typed, validates nothing yet
    chosen = client.post(reverse("resident-edit", args=[people.zhang.pk]),
                         resident_post(people.zhang, grid=county.a1_2.pk, phone="1380000", choose_grid="1"))
    html = chosen.content.decode()
    block = html.split('id="house-choices"')[1].split("</select>")[0]
    assert "北苑1栋1单元201" in block and "南苑" not in block
    assert field_value(html, "phone") == "1380000" and 'class="field-error"' not in html
    assert Resident.objects.get(pk=people.zhang.pk).grid == county.a1_1


def test_enter_in_the_resident_form_saves(login, county, people):
    html = login(county.alice).get(reverse("resident-edit", args=[people.zhang.pk])).content.decode()
    form = html[html.index('<form method="post" novalidate>'):]
    first = re.search(r"<button[^>]*>", form).group(0)
    assert 'type="submit"' in first and "name=" not in first


def test_staff_of_another_community_get_404_and_learn_nothing(login, county, people):
    client = login(county.bob)
    for url in (reverse("resident-edit", args=[people.zhang.pk]), reverse("worker-edit", args=[people.wang.pk])):
        response = client.get(url)
        assert response.status_code == 404
        assert "张三" not in response.content.decode() and "王五" not in response.content.decode()
    missing = Resident.objects.order_by("-pk").first().pk + 100
    assert client.get(reverse("resident-edit", args=[missing])).status_code == 404  # the same answer
    assert client.post(reverse("resident-edit", args=[people.zhang.pk]),
                       resident_post(people.zhang, name="改名")).status_code == 404
    assert client.post(reverse("worker-edit", args=[people.wang.pk]), worker_post(people.wang, name="改名")).status_code == 404
    assert Resident.objects.get(pk=people.zhang.pk).name == "张三"
    assert GridWorker.objects.get(pk=people.wang.pk).name == "王五"
    assert not AuditLog.objects.filter(action__in=["personal_info.reveal", "resident.update",
                                                   "grid_worker.update"]).exists()


@pytest.mark.parametrize("who", ["sysadmin", "department"])
def test_roles_without_people_get_404(login, county, people, who):
    from tests.people.test_pages import department_user

    user = county.sysadmin if who == "sysadmin" else department_user(county)
    client = login(user)
    assert client.get(reverse("resident-edit", args=[people.zhang.pk])).status_code == 404
    assert client.get(reverse("worker-edit", args=[people.wang.pk])).status_code == 404


def test_a_grid_worker_edits_the_residents_of_his_grid_only(login, county, people, dave):
    client = login(dave)
    html = client.get(reverse("resident-detail", args=[people.zhang.pk])).content.decode()
    assert reverse("resident-edit", args=[people.zhang.pk]) in html
    form = client.get(reverse("resident-edit", args=[people.zhang.pk])).context["form"]
    assert set(form.fields["grid"].queryset) == {county.a1_1}
    response = client.post(reverse("resident-edit", args=[people.zhang.pk]), resident_post(people.zhang, phone="13900000077"))
    assert response.status_code == 302
    assert Resident.objects.get(pk=people.zhang.pk).phone == "13900000077"
    assert AuditLog.objects.get(action="resident.update").actor_id == dave.pk
    assert client.get(reverse("resident-edit", args=[people.li.pk])).status_code == 404  # A1-2, not his


def test_a_grid_worker_may_not_edit_grid_workers(login, county, people, dave):
    client = login(dave)
    own = GridWorker.objects.get(user=dave)
    for worker in (people.wang, own):  # a colleague of his grid, himself
        html = client.get(reverse("worker-detail", args=[worker.pk])).content.decode()
        assert reverse("worker-edit", args=[worker.pk]) not in html
        refused = client.get(reverse("worker-edit", args=[worker.pk]))
        assert refused.status_code == 403
        # the page says why, not that an administrator could grant it
        assert '<p id="denied-reason">网格员的档案由其所在社区/村及以上的工作人员维护：网格员不能修改自己或同事的档案' in refused.content.decode()
        assert "联系安全管理员" not in refused.content.decode()
        assert client.post(reverse("worker-edit", args=[worker.pk]), worker_post(worker, phone="13900000088")).status_code == 403
    assert GridWorker.objects.get(pk=people.wang.pk).phone == "13600000021"
    assert not AuditLog.objects.filter(action__in=["grid_worker.update", "grid_worker.set_grids"]).exists()


# --- grid workers ------------------------------------------------------------------------------


def test_worker_form_is_prefilled_but_the_id_number_and_phone_are_not(login, county, people):
    response = login(county.alice).get(reverse("worker-edit", args=[people.wang.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert WANG_ID not in html and "13600000021" not in html
    assert field_value(html, "id_number") is None and field_value(html, "phone") is None
    assert f'placeholder="{WANG_ID[:4]}**********{WANG_ID[-4:]}"' in html and 'placeholder="136****0021"' in html
    assert field_value(html, "name") == "王五"
    assert '<option value="full_time" selected>' in html
    assert 'name="active"' in html and re.search(r'<input type="checkbox" name="active"[^>]*checked', html)
    assert 'name="community"' not in html and "所属社区/村：甲社区" in html
    assert checked_boxes(html, "grids") == {str(county.a1_1.pk)}
    offered = set(re.findall(r'<input type="checkbox" name="grids" value="(\d+)"', html))
    assert offered == {str(g.pk) for g in (county.a1, county.a1_1, county.a1_2)}
    assert not AuditLog.objects.filter(action="personal_info.reveal").exists()  # a worker's form shows no secret


def test_worker_fields_change_and_the_grids_only_when_they_changed(login, county, people):
    client = login(county.alice)
    response = client.post(reverse("worker-edit", args=[people.wang.pk]),
                           worker_post(people.wang, kind="part_time", phone="13600000099", active=None), follow=True)
    assert response.redirect_chain == [(reverse("worker-detail", args=[people.wang.pk]), 302)]
    assert "已保存网格员“王五”的信息。" in response.content.decode()
    wang = GridWorker.objects.get(pk=people.wang.pk)
    assert (wang.kind, wang.phone, wang.id_number, wang.active) == ("part_time", "13600000099", WANG_ID, False)
    update = AuditLog.objects.get(action="grid_worker.update")
    assert update.changes == {"kind": ["full_time", "part_time"], "phone": ["***", "***"], "active": [True, False]}
    assert not AuditLog.objects.filter(action="grid_worker.set_grids").exists()  # the grids were not touched

    client.post(reverse("worker-edit", args=[people.wang.pk]),
                worker_post(wang, grids=[county.a1_2.pk, county.a1_1.pk]))
    assignments = GridWorker.objects.get(pk=people.wang.pk).assignments.order_by("-is_primary", "grid__path")
    assert [(a.grid.code, a.is_primary) for a in assignments] == [("A1-1", True), ("A1-2", False)]  # primary stays
    entry = AuditLog.objects.get(action="grid_worker.set_grids")
    assert entry.changes == {"grids": [["A1-1"], ["A1-1", "A1-2"]]}
    assert AuditLog.objects.filter(action="grid_worker.update").count() == 1  # nothing else changed


def test_a_new_worker_id_number_replaces_it_and_the_gender_follows(login, county, people):
    login(county.alice).post(reverse("worker-edit", args=[people.wang.pk]), worker_post(people.wang, id_number=NEW_ID))
    wang = GridWorker.objects.get(pk=people.wang.pk)
    assert (wang.id_number, wang.phone, wang.gender) == (NEW_ID, "13600000021", "F")


def test_an_invalid_worker_value_is_a_field_error_and_changes_nothing(login, county, people):
    response = login(county.alice).post(reverse("worker-edit", args=[people.wang.pk]),
                                        worker_post(people.wang, name="王五五", phone="12345", grids=[county.a1_2.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<p class="field-error" id="error-phone">手机号须为11位大陆手机号码。</p>' in html
    assert field_value(html, "name") == "王五五" and checked_boxes(html, "grids") == {str(county.a1_2.pk)}
    wang = GridWorker.objects.get(pk=people.wang.pk)
    assert wang.name == "王五" and list(wang.grids.all()) == [county.a1_1]
    assert not AuditLog.objects.filter(action__in=["grid_worker.update", "grid_worker.set_grids"]).exists()


def test_a_service_refusal_rolls_back_the_grids_too(login, county, people):
    client = login(county.county_staff)
    grid_worker_set_grids(actor=county.county_staff, worker=people.sun, grids=[county.a1_2, county.b1])
    # 孙八 becomes 专职 keeping 乙's grid: the service refuses it at 负责网格, and his grids stay
    response = client.post(reverse("worker-edit", args=[people.sun.pk]),
                           worker_post(people.sun, kind="full_time", grids=[county.a1_1.pk, county.b1.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<p class="field-error" id="error-grids">网格“乙一网格”不属于甲社区。</p>' in html
    assert html.count("尚未登记；留空则不修改。") == 2  # the hints of the ID number and phone he has not
    sun = GridWorker.objects.get(pk=people.sun.pk)
    assert sun.kind == "special" and sorted(sun.grids.values_list("code", flat=True)) == ["A1-2", "B1"]
    assert AuditLog.objects.filter(action="grid_worker.set_grids").count() == 1  # the one above only
    # giving 乙's grid up in the same save is taken
    response = client.post(reverse("worker-edit", args=[people.sun.pk]),
                           worker_post(people.sun, kind="full_time", grids=[county.a1_2.pk]))
    assert response.status_code == 302
    sun = GridWorker.objects.get(pk=people.sun.pk)
    assert sun.kind == "full_time" and list(sun.grids.values_list("code", flat=True)) == ["A1-2"]


def test_a_worker_becoming_special_is_offered_and_given_the_streets_grids(login, county, people):
    client = login(county.county_staff)
    chosen = client.post(reverse("worker-edit", args=[people.wang.pk]),
                         worker_post(people.wang, kind="special", choose_kind="1"))
    html = chosen.content.decode()
    assert chosen.status_code == 200 and 'class="field-error"' not in html
    assert str(county.b1.pk) in set(re.findall(r'<input type="checkbox" name="grids" value="(\d+)"', html))
    assert "特聘网格员可负责东街道各社区/村的网格。" in html
    response = client.post(reverse("worker-edit", args=[people.wang.pk]),
                           worker_post(people.wang, kind="special", occupation="快递员",
                                       grids=[county.a1_1.pk, county.b1.pk]))
    assert response.status_code == 302
    wang = GridWorker.objects.get(pk=people.wang.pk)
    assert wang.kind == "special" and sorted(wang.grids.values_list("code", flat=True)) == ["A1-1", "B1"]


def test_grids_outside_the_editors_scope_are_kept(login, county, people):
    # the street's staff gave 孙八 (特聘, of 甲) a grid of 乙 too; 甲's staff cannot see it
    grid_worker_set_grids(actor=county.county_staff, worker=people.sun, grids=[county.a1_2, county.b1])
    client = login(county.alice)
    html = client.get(reverse("worker-edit", args=[people.sun.pk])).content.decode()
    assert "另负责您范围以外的网格：乙一网格（保持不变）。" in html
    assert str(county.b1.pk) not in set(re.findall(r'<input type="checkbox" name="grids" value="(\d+)"', html))
    post = worker_post(people.sun, phone="13500000055", grids=[county.a1_2.pk])
    assert client.post(reverse("worker-edit", args=[people.sun.pk]), post).status_code == 302
    sun = GridWorker.objects.get(pk=people.sun.pk)
    assert sun.phone == "13500000055" and sorted(sun.grids.values_list("code", flat=True)) == ["A1-2", "B1"]
    assert AuditLog.objects.filter(action="grid_worker.set_grids").count() == 1  # the county's, not this save


def test_reloading_the_grids_of_the_edit_form_with_htmx_swaps_only_them(login, county, people):
    response = login(county.county_staff).post(reverse("worker-edit", args=[people.wang.pk]),
                                                 worker_post(people.wang, kind="special", choose_kind="1"), **HX)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="grid-choices"' in html
    assert f'hx-post="{reverse("worker-edit", args=[people.wang.pk])}"' in html
    assert WANG_ID not in html and "13600000021" not in html


# --- two editors at once ------------------------------------------------------------------------


def hidden(html: str, name: str) -> str:
    return html_module.unescape(re.search(rf'<input type="hidden" name="{name}" value="([^"]+)"', html).group(1))


def opened_form(client, url) -> dict:
    """The two hidden fields an edit form carries: the record's version and the digests of its values."""
    html = client.get(url).content.decode()
    return {"version": hidden(html, "version"), "opened": hidden(html, "opened")}


def test_a_save_over_someone_elses_newer_save_is_refused_and_takes_in_what_they_changed(login, county, people):
    """alice opens 张三's record; the county staff save a new address meanwhile. alice's save (a new
    care tag) is refused — nothing of it written — and she is told who changed what and when; the
    form comes back with the county's address (she had not touched it) and her tags, at the new
    version, so saving it again keeps both changes: nobody's work is undone unawares."""
    from django.test import Client

    alice = login(county.alice)
    url = reverse("resident-edit", args=[people.zhang.pk])
    opened = opened_form(alice, url)
    county_client = Client()
    county_client.force_login(county.county_staff)
    assert opened_form(county_client, url) == opened  # the same record, the same version and values
    assert county_client.post(url, resident_post(people.zhang, address="幸福路10号", **opened)).status_code == 302

    response = alice.post(url, resident_post(people.zhang, tags=["独居老人", "低保"], **opened))
    html = response.content.decode()
    assert response.status_code == 200
    zhang = Resident.objects.get(pk=people.zhang.pk)
    assert (zhang.address, zhang.tags) == ("幸福路10号", ["独居老人"])  # nothing of alice's written
    at = AuditLog.objects.get(action="resident.update").at
    assert (f"居民“张三”的信息已在您打开之后被county于 {timezone.localtime(at):%Y-%m-%d %H:%M} 修改（住址），"
            "本次修改未保存。您没有改动的住址已换成对方保存的内容。再次保存将以下面的内容为准。") in html
    assert field_value(html, "address") == "幸福路10号"  # theirs: alice had left it alone
    assert checked_boxes(html, "tags") == {"独居老人", "低保"}  # hers
    assert hidden(html, "version") == zhang.updated_at.isoformat() != opened["version"]

    again = {"version": hidden(html, "version"), "opened": hidden(html, "opened")}
    response = alice.post(url, resident_post(zhang, tags=["独居老人", "低保"], **again))
    assert response.status_code == 302
    zhang = Resident.objects.get(pk=people.zhang.pk)
    assert (zhang.address, zhang.tags) == ("幸福路10号", ["低保", "独居老人"])  # both changes kept
    assert [e.actor_id for e in AuditLog.objects.filter(action="resident.update").order_by("id")] == [
        county.county_staff.pk, county.alice.pk]


def test_a_field_both_changed_keeps_the_editors_value_to_check(login, county, people):
    from django.test import Client

    alice = login(county.alice)
    url = reverse("resident-edit", args=[people.zhang.pk])
    opened = opened_form(alice, url)
    county_client = Client()
    county_client.force_login(county.county_staff)
    county_client.post(url, resident_post(people.zhang, address="幸福路10号", name="张叁", **opened))
    html = alice.post(url, resident_post(people.zhang, address="幸福路12号", **opened)).content.decode()
    assert "您没有改动的姓名已换成对方保存的内容。住址对方也改了，下面是您填写的，请核对。" in html
    assert (field_value(html, "name"), field_value(html, "address")) == ("张叁", "幸福路12号")
    assert Resident.objects.get(pk=people.zhang.pk).address == "幸福路10号"


def test_a_worker_edit_is_refused_after_someone_changed_the_grids(login, county, people):
    client = login(county.alice)
    url = reverse("worker-edit", args=[people.wang.pk])
    opened = opened_form(client, url)
    grid_worker_set_grids(actor=county.county_staff, worker=people.wang, grids=[county.a1_1, county.a1_2])
    response = client.post(url, worker_post(people.wang, name="王五五", grids=[county.a1_1.pk], **opened))  # as she saw them
    html = response.content.decode()
    assert response.status_code == 200
    assert "网格员“王五”的信息已在您打开之后被county于" in html and "您没有改动的负责网格已换成对方保存的内容。" in html
    assert checked_boxes(html, "grids") == {str(county.a1_1.pk), str(county.a1_2.pk)}
    assert field_value(html, "name") == "王五五"
    assert GridWorker.objects.get(pk=people.wang.pk).name == "王五"
    assert not AuditLog.objects.filter(action="grid_worker.update").exists()
