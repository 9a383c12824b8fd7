"""Resident and grid-worker pages: scope, masking, audited reveal, filters, forms, CSRF."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from jiceng.core.models import AuditLog
from jiceng.people.models import GridWorker, Resident
from jiceng.people.services import grid_worker_create, resident_create
from tests.accounts.helpers import login_verified
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@dataclass
class People:
    zhang: Resident  # 甲, grid A1-1, tag 独居老人
    li: Resident  # 甲, grid A1-2, volunteer, floating
    zhao: Resident  # 乙, grid B1
    wang: GridWorker  # 甲, full-time, A1-1
    sun: GridWorker  # 甲, special (courier)
    qian: GridWorker  # 乙, full-time


ZHANG_ID = make_id_number(birth="19400305", seq=11)
LI_ID = make_id_number(birth="19900612", seq=12, male=False)
ZHAO_ID = make_id_number(birth="19850101", seq=13)
WANG_ID = make_id_number(birth="19880808", seq=21)


def people_in_county(county) -> People:
    """A few people in 甲 (made by alice) and 乙 (made by bob), through the real services."""
    alice, bob = county.alice, county.bob
    return People(
        zhang=resident_create(actor=alice, name="张三", grid=county.a1_1, id_number=ZHANG_ID, phone="13800000011",
                              address="测试县东街道幸福路8号3栋", tags=["独居老人"]),
        li=resident_create(actor=alice, name="李四", grid=county.a1_2, id_number=LI_ID, phone="13900000012",
                           is_volunteer=True, residence_type="floating"),
        zhao=resident_create(actor=bob, name="赵六", grid=county.b1, id_number=ZHAO_ID, phone="13700000013"),
        wang=grid_worker_create(actor=alice, name="王五", kind="full_time", community=county.a, grids=[county.a1_1],
                                id_number=WANG_ID, phone="13600000021"),
        sun=grid_worker_create(actor=alice, name="孙八", kind="special", community=county.a, grids=[county.a1_2],
                               occupation="快递员"),
        qian=grid_worker_create(actor=bob, name="钱七", kind="full_time", community=county.b, grids=[county.b1]),
    )


@pytest.fixture
def people(county):
    return people_in_county(county)


# --- lists -----------------------------------------------------------------------------------


def test_resident_list_shows_only_alices_community(login, county, people):
    html = login(county.alice).get(reverse("resident-list")).content.decode()
    assert "张三" in html and "李四" in html
    assert "赵六" not in html
    assert "共 2 人" in html


def test_resident_list_masks_id_numbers_phones_addresses_and_tags(login, county, people):
    html = login(county.alice).get(reverse("resident-list")).content.decode()
    assert ZHANG_ID not in html and "13800000011" not in html and "幸福路8号3栋" not in html
    assert ZHANG_ID[:4] + "*" * 10 + ZHANG_ID[-4:] in html
    assert "138****0011" in html
    assert "独居老人" not in html.split("<tbody>")[1]  # the tag itself is hidden, only the filter option names it
    assert "1 项（已隐藏）" in html


def test_resident_list_searches_by_exact_phone_id_number_or_name(login, county, people):
    client = login(county.alice)
    by_phone = client.get(reverse("resident-list"), {"q": "13900000012"}).content.decode()
    assert "李四" in by_phone and "张三" not in by_phone
    by_id = client.get(reverse("resident-list"), {"q": ZHANG_ID}).content.decode()
    assert "张三" in by_id and "李四" not in by_id
    by_name = client.get(reverse("resident-list"), {"q": "张"}).content.decode()
    assert "张三" in by_name and "李四" not in by_name
    # bob's resident cannot be found by alice even with the exact ID number
    assert "共 0 人" in client.get(reverse("resident-list"), {"q": ZHAO_ID}).content.decode()


def test_resident_list_filters_by_region_tag_type_and_volunteer(login, county, people):
    client = login(county.alice)

    def names(**params):
        response = client.get(reverse("resident-list"), params)
        return [p.name for p, _ in response.context["rows"]]

    assert names(region=county.a1_1.pk) == ["张三"]
    assert names(region=county.a.pk) == ["张三", "李四"]
    assert names(tag="独居老人") == ["张三"]
    assert names(residence_type="floating") == ["李四"]
    assert names(volunteer="1") == ["李四"]
    assert names(volunteer="0") == ["张三"]


def test_resident_list_region_outside_scope_is_an_error_with_no_rows(login, county, people):
    response = login(county.alice).get(reverse("resident-list"), {"region": county.b.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert "区域不存在，或不在您的范围内。" in html
    assert "赵六" not in html and "张三" not in html


def test_resident_list_paginates_and_keeps_filters_in_links(login, county, people, settings):
    settings.JICENG_PAGE_SIZE = 1
    client = login(county.alice)
    first = client.get(reverse("resident-list"), {"region": county.a.pk})
    assert [p.name for p, _ in first.context["rows"]] == ["张三"]
    assert first.context["total"] == 2
    html = first.content.decode()
    assert f"?region={county.a.pk}&amp;page=2" in html
    second = client.get(reverse("resident-list"), {"region": county.a.pk, "page": 2})
    assert [p.name for p, _ in second.context["rows"]] == ["李四"]


def test_list_export_links_carry_the_current_filters(login, county, people):
    client = login(county.alice)
    html = client.get(reverse("resident-list"), {"q": "张", "region": county.a.pk, "page": 1}).content.decode()
    assert f'href="/transfer/export/residents/?q=%E5%BC%A0&amp;region={county.a.pk}"' in html
    assert 'href="/transfer/import/?kind=residents"' in html
    html = client.get(reverse("worker-list"), {"kind": "full_time"}).content.decode()
    assert 'href="/transfer/export/workers/?kind=full_time"' in html


def test_worker_list_shows_only_alices_community_and_filters_by_kind(login, county, people):
    client = login(county.alice)
    html = client.get(reverse("worker-list")).content.decode()
    assert "王五" in html and "孙八" in html and "钱七" not in html
    assert WANG_ID not in html and "13600000021" not in html and "136****0021" in html
    response = client.get(reverse("worker-list"), {"kind": "special"})
    assert [w.name for w, _ in response.context["rows"]] == ["孙八"]
    response = client.get(reverse("worker-list"), {"region": county.a1_1.pk})
    assert [w.name for w, _ in response.context["rows"]] == ["王五"]


def test_county_staff_sees_both_communities(login, county, people):
    response = login(county.county_staff).get(reverse("resident-list"))
    assert response.context["total"] == 3
    response = login(county.county_staff).get(reverse("worker-list"))
    assert response.context["total"] == 3


def test_lists_require_login(client):
    response = client.get(reverse("resident-list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- details and reveal ------------------------------------------------------------------------


def test_resident_detail_is_masked(login, county, people):
    response = login(county.alice).get(reverse("resident-detail", args=[people.zhang.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert ZHANG_ID not in html and "13800000011" not in html and "幸福路8号3栋" not in html
    assert "查看完整信息" in html
    assert reverse("resident-reveal", args=[people.zhang.pk]) in html


def test_alice_gets_404_for_bobs_resident_and_worker(login, county, people):
    client = login(county.alice)
    assert client.get(reverse("resident-detail", args=[people.zhao.pk])).status_code == 404
    assert client.get(reverse("worker-detail", args=[people.qian.pk])).status_code == 404
    assert client.post(reverse("resident-reveal", args=[people.zhao.pk])).status_code == 404
    assert client.post(reverse("worker-reveal", args=[people.qian.pk])).status_code == 404
    assert not AuditLog.objects.filter(action="personal_info.reveal").exists()


def test_404_page_is_chinese_and_does_not_leak(login, county, people):
    html = login(county.alice).get(reverse("resident-detail", args=[people.zhao.pk])).content.decode()
    assert "未找到该页面或记录" in html
    assert "赵六" not in html and ZHAO_ID not in html


def test_reveal_shows_plain_values_and_is_audited(login, county, people):
    client = login(county.alice)
    response = client.post(reverse("resident-reveal", args=[people.zhang.pk]), **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert ZHANG_ID in html and "13800000011" in html and "幸福路8号3栋" in html and "独居老人" in html
    assert 'id="personal-info"' in html and "<html" not in html  # the partial HTMX swaps in
    assert "no-store" in response["Cache-Control"]
    entry = AuditLog.objects.get(action="personal_info.reveal")
    assert entry.actor_id == county.alice.pk
    assert entry.object_id == str(people.zhang.pk)
    assert entry.channel == "web"


def test_reveal_without_htmx_renders_the_whole_page(login, county, people):
    response = login(county.alice).post(reverse("worker-reveal", args=[people.wang.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html and WANG_ID in html
    assert AuditLog.objects.filter(action="personal_info.reveal", object_id=str(people.wang.pk)).count() == 1


def test_a_grid_worker_opens_a_colleagues_page_linking_only_what_he_may_open(login, county, people):
    # dave works A1-1 with 王五; 王五 also covers A1-2 (not dave's), and belongs to 甲社区 (above dave)
    from jiceng.people.choices import Role
    from jiceng.people.services import grid_worker_set_grids
    from tests.factories import make_user

    dave = make_user("dave", Role.GRID_WORKER)
    grid_worker_create(actor=county.alice, name="陈网格", kind="part_time", community=county.a, grids=[county.a1_1],
                       user=dave)
    grid_worker_set_grids(actor=county.alice, worker=people.wang, grids=[county.a1_1, county.a1_2])
    client = login(dave)
    assert [w.name for w in client.get(reverse("worker-list")).context["page"]] == ["王五", "陈网格"]
    response = client.get(reverse("worker-detail", args=[people.wang.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="{reverse("region-detail", args=[county.a1_1.pk])}">甲一网格南片</a>' in html
    for region in (county.a1_2, county.a):
        assert reverse("region-detail", args=[region.pk]) not in html
        assert region.name in html
    assert client.get(reverse("worker-detail", args=[people.sun.pk])).status_code == 404  # A1-2 only
    # he sees who the colleague is, masked; in full only residents and himself
    assert reverse("worker-reveal", args=[people.wang.pk]) not in html
    refused = client.post(reverse("worker-reveal", args=[people.wang.pk]), **HX)
    assert refused.status_code == 403 and WANG_ID not in refused.content.decode()
    assert not AuditLog.objects.filter(action="personal_info.reveal", object_id=str(people.wang.pk)).exists()
    own = GridWorker.objects.get(user=dave)
    assert reverse("worker-reveal", args=[own.pk]) in client.get(reverse("worker-detail", args=[own.pk])).content.decode()
    assert client.post(reverse("worker-reveal", args=[own.pk]), **HX).status_code == 200
    from jiceng.core.errors import PermissionDeniedError
    from jiceng.people.services import personal_info_reveal

    with pytest.raises(PermissionDeniedError):  # the API's way in, the same rule
        personal_info_reveal(actor=dave, person=people.wang)


@pytest.mark.parametrize("who", ["sysadmin", "auditor", "secadmin"])
def test_reveal_is_forbidden_for_roles_without_permission(client, county, people, who):
    # the admin roles pass their second factor first (they reach nothing else before it)
    response = login_verified(client, getattr(county, who)).post(reverse("resident-reveal", args=[people.zhang.pk]), **HX)
    assert response.status_code == 403
    assert "无权" in response.content.decode()
    assert not AuditLog.objects.filter(action="personal_info.reveal").exists()


def test_reveal_is_post_only(login, county, people):
    assert login(county.alice).get(reverse("resident-reveal", args=[people.zhang.pk])).status_code == 405


def test_admin_roles_see_no_residents(client, county, people):
    login_verified(client, county.sysadmin)
    assert client.get(reverse("resident-list")).context["total"] == 0
    assert client.get(reverse("resident-detail", args=[people.zhang.pk])).status_code == 404


def department_user(county):
    from jiceng.people.choices import Role
    from jiceng.people.models import Department
    from tests.factories import make_user

    dept = Department.objects.create(code="ZJ", name="住建局", kind="housing", region=county.county)
    return make_user("erin", Role.DEPARTMENT_STAFF, department=dept)


def test_department_staff_have_no_people_in_the_nav(login, county, people):
    nav = login(department_user(county)).get(reverse("home")).content.decode().split("</header>")[0]
    assert "首页" in nav and "事件" in nav
    assert reverse("resident-list") not in nav and reverse("worker-list") not in nav
    assert "居民" not in nav and ">网格员<" not in nav
    alices = login(county.alice).get(reverse("home")).content.decode().split("</header>")[0]
    assert reverse("resident-list") in alices and reverse("worker-list") in alices


@pytest.mark.parametrize("url", ["resident-list", "worker-list"])
@pytest.mark.parametrize("who", ["department", "sysadmin"])
def test_roles_without_people_get_no_list_export_or_import(login, county, people, url, who):
    user = department_user(county) if who == "department" else county.sysadmin
    response = login(user).get(reverse(url))
    html = response.content.decode()
    assert response.status_code == 200 and response.context["total"] == 0
    assert "没有可导出的数据" in html
    assert "/transfer/export/" not in html and "/transfer/import/" not in html
    assert "<table" not in html


def test_staff_who_see_people_get_their_export_and_import_buttons(login, county, people):
    html = login(county.alice).get(reverse("worker-list")).content.decode()
    assert 'href="/transfer/export/workers/"' in html and 'href="/transfer/import/?kind=workers"' in html
    assert "没有可导出的数据" not in html


# --- forms -----------------------------------------------------------------------------------


def test_resident_form_offers_only_grids_in_scope(login, county):
    response = login(county.alice).get(reverse("resident-create"))
    grids = set(response.context["form"].fields["grid"].queryset)
    assert grids == {county.a1, county.a1_1, county.a1_2}


def test_resident_create_saves_and_redirects(login, county):
    response = login(county.alice).post(reverse("resident-create"), {
        "name": "周九", "grid": county.a1_1.pk, "id_number": ZHANG_ID, "phone": "13800000099",
        "residence_type": "registered", "political_status": "masses", "tags": ["低保"],
    })
    resident = Resident.objects.get(name="周九")
    assert response.status_code == 302
    assert response["Location"] == reverse("resident-detail", args=[resident.pk])
    assert resident.grid == county.a1_1 and resident.tags == ["低保"]


def test_resident_create_shows_service_error_next_to_the_field_and_saves_nothing(login, county):
    bad_id = ZHANG_ID[:17] + ("0" if ZHANG_ID[17] != "0" else "1")
    response = login(county.alice).post(reverse("resident-create"), {
        "name": "周九", "grid": county.a1_1.pk, "id_number": bad_id,
        "residence_type": "registered", "political_status": "masses",
    })
    html = response.content.decode()
    assert response.status_code == 200
    assert '<p class="field-error" id="error-id_number">身份证号校验位不正确。</p>' in html
    assert not Resident.objects.exists()


def test_every_wrong_field_of_the_resident_form_shows_at_once(login, county):
    bad_id = ZHANG_ID[:17] + ("0" if ZHANG_ID[17] != "0" else "1")
    response = login(county.alice).post(reverse("resident-create"), {
        "name": "", "grid": county.a1_1.pk, "id_number": bad_id, "phone": "1380000",
        "residence_type": "registered", "political_status": "masses",
    })
    html = response.content.decode()
    assert 'id="error-id_number">身份证号校验位不正确。' in html
    assert 'id="error-phone">请填写11位手机号，或带区号的固定电话（如 0571-8888 6666）。' in html
    assert 'id="error-name">' in html
    assert 'value="1380000"' in html  # what was typed stays
    assert not Resident.objects.exists()


def test_resident_create_rejects_a_duplicate_id_number(login, county, people):
    response = login(county.alice).post(reverse("resident-create"), {
        "name": "周九", "grid": county.a1_1.pk, "id_number": ZHANG_ID,
        "residence_type": "registered", "political_status": "masses",
    })
    assert "该身份证号已登记为其他居民。" in response.content.decode()
    assert Resident.objects.count() == 3


def test_resident_create_refuses_a_grid_outside_scope(login, county):
    response = login(county.alice).post(reverse("resident-create"), {
        "name": "周九", "grid": county.b1.pk, "residence_type": "registered", "political_status": "masses",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["grid"]
    assert not Resident.objects.exists()


def test_resident_create_requires_a_name(login, county):
    response = login(county.alice).post(reverse("resident-create"), {"grid": county.a1_1.pk})
    assert response.context["form"].errors["name"]
    assert not Resident.objects.exists()


def test_worker_create_saves(login, county):
    response = login(county.alice).post(reverse("worker-create"), {
        "name": "吴十", "kind": "full_time", "community": county.a.pk, "grids": [county.a1_1.pk, county.a1_2.pk],
        "phone": "13500000031", "joined_on": "2024-03-01",
    })
    worker = GridWorker.objects.get(name="吴十")
    assert response.status_code == 302
    assert set(worker.grids.all()) == {county.a1_1, county.a1_2}


def test_worker_create_shows_grid_error_and_saves_nothing(login, county_staff_client, county):
    # county staff may pick 甲 and 乙's grids; a full-time worker of 甲 cannot work 乙's grid
    response = county_staff_client.post(reverse("worker-create"), {
        "name": "吴十", "kind": "full_time", "community": county.a.pk, "grids": [county.b1.pk],
    })
    html = response.content.decode()
    assert '<p class="field-error" id="error-grids">网格“乙一网格”不属于甲社区。</p>' in html
    assert not GridWorker.objects.exists()


def _grid_boxes(html: str) -> set[str]:
    """The 负责网格 checkboxes' values on the worker form."""
    import re

    block = html.split('id="grid-choices"')[1].split("</div>\n")[0]
    return set(re.findall(r'<input type="checkbox" name="grids" value="(\d+)"', block))


def test_worker_form_offers_no_grids_before_a_community_is_chosen(county_staff_client, county):
    html = county_staff_client.get(reverse("worker-create")).content.decode()
    assert _grid_boxes(html) == set()
    assert "请先选择所属社区/村" in html
    # the county's communities are there to choose from, and the change reloads the grid field
    assert f'<option value="{county.a.pk}"' in html and f'<option value="{county.c.pk}"' in html
    assert 'hx-target="#grid-choices"' in html and 'name="choose_community"' in html


def test_worker_form_offers_the_chosen_communitys_grids_only(county_staff_client, county):
    html = county_staff_client.get(reverse("worker-create"), {"community": county.a.pk}).content.decode()
    assert _grid_boxes(html) == {str(g.pk) for g in (county.a1, county.a1_1, county.a1_2)}
    # each box sits inside its own label, with the grid's name and no tree indent
    assert f'<label class="check" for="id_grids_1"><input type="checkbox" name="grids" value="{county.a1_1.pk}"' in html
    assert "甲一网格南片（二级网格）</label>" in html and "\u3000" not in html.split('id="grid-choices"')[1]


def test_choosing_a_community_without_javascript_keeps_what_was_typed(county_staff_client, county):
    response = county_staff_client.post(reverse("worker-create"), {
        "name": "吴十", "kind": "part_time", "community": county.b.pk, "phone": "13500000031",
        "grids": [county.a1_1.pk], "choose_community": "1",
    })
    html = response.content.decode()
    assert response.status_code == 200 and not GridWorker.objects.exists()
    assert _grid_boxes(html) == {str(county.b1.pk)}
    assert 'value="吴十"' in html and 'value="13500000031"' in html
    assert 'class="field-error"' not in html  # not validated yet


def test_a_grid_outside_the_chosen_community_is_a_field_error(county_staff_client, county):
    response = county_staff_client.post(reverse("worker-create"), {
        "name": "吴十", "kind": "full_time", "community": county.a.pk, "grids": [county.a1_1.pk, county.b1.pk],
    })
    html = response.content.decode()
    assert response.status_code == 200
    assert '<p class="field-error" id="error-grids">网格“乙一网格”不属于甲社区。</p>' in html
    assert _grid_boxes(html) == {str(g.pk) for g in (county.a1, county.a1_1, county.a1_2)}
    assert not GridWorker.objects.exists()


def test_a_special_worker_is_offered_and_given_the_grids_of_the_whole_street(county_staff_client, county):
    # a courier engaged by 东街道 covers grids in 甲 and 乙 (as the service and the API allow)
    chosen = county_staff_client.post(reverse("worker-create"), {
        "name": "骑手", "kind": "special", "community": county.a.pk, "choose_community": "1"})
    html = chosen.content.decode()
    assert _grid_boxes(html) == {str(g.pk) for g in (county.a1, county.a1_1, county.a1_2, county.b1)}
    assert "特聘网格员可负责东街道各社区/村的网格。" in html
    # one folding group per community, its own first and open, the others closed
    groups = re.findall(r'<details class="grid-group"( open)?><summary>([^<]+)</summary>(.*?)</details>', html, re.S)
    assert [(name, bool(opened)) for opened, name, _ in groups] == [("甲社区（3）", True), ("乙社区（1）", False)]
    assert f'value="{county.b1.pk}"' in groups[1][2]
    # shown again after an error, a community with a ticked grid is open
    again = county_staff_client.post(reverse("worker-create"), {
        "name": "", "kind": "special", "community": county.a.pk, "grids": [county.b1.pk]}).content.decode()
    assert re.search(r'<details class="grid-group" open><summary>乙社区（1）</summary>', again)
    assert str(county.c1.pk) not in _grid_boxes(html)  # 西街道's grid

    response = county_staff_client.post(reverse("worker-create"), {
        "name": "骑手", "kind": "special", "community": county.a.pk, "occupation": "外卖骑手",
        "grids": [county.a1_1.pk, county.b1.pk]})
    assert response.status_code == 302
    worker = GridWorker.objects.get()
    assert sorted(worker.grids.values_list("code", flat=True)) == ["A1-1", "B1"]


def test_a_special_workers_grid_outside_the_street_is_a_field_error(county_staff_client, county):
    response = county_staff_client.post(reverse("worker-create"), {
        "name": "骑手", "kind": "special", "community": county.a.pk, "grids": [county.a1_1.pk, county.c1.pk],
    })
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<p class="field-error" id="error-grids">网格“{county.c1.name}”不属于东街道。</p>' in html
    assert not GridWorker.objects.exists()


@pytest.fixture
def county_staff_client(login, county):
    return login(county.county_staff)


def test_create_forms_are_forbidden_for_admin_roles(client, county):
    login_verified(client, county.sysadmin)
    assert client.get(reverse("resident-create")).status_code == 403
    assert client.get(reverse("worker-create")).status_code == 403


def test_post_without_csrf_token_is_rejected(county):
    client = Client(enforce_csrf_checks=True)
    client.force_login(county.alice)
    response = client.post(reverse("resident-create"), {
        "name": "周九", "grid": county.a1_1.pk, "residence_type": "registered", "political_status": "masses",
    })
    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
    assert not Resident.objects.exists()


def test_reveal_without_csrf_token_is_rejected_and_not_audited(county, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(county.alice)
    assert client.post(reverse("resident-reveal", args=[people.zhang.pk]), **HX).status_code == 403
    assert not AuditLog.objects.filter(action="personal_info.reveal").exists()


def test_post_with_csrf_token_from_the_page_is_accepted(county, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(county.alice)
    client.get(reverse("resident-detail", args=[people.zhang.pk]))
    token = client.cookies["csrftoken"].value
    response = client.post(reverse("resident-reveal", args=[people.zhang.pk]), HTTP_X_CSRFTOKEN=token, **HX)
    assert response.status_code == 200 and ZHANG_ID in response.content.decode()


def test_lists_use_a_fixed_number_of_queries(login, county, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(county.alice)

    def queries(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = {url: queries(url) for url in (reverse("resident-list"), reverse("worker-list"))}
    for i in range(5):
        resident_create(actor=county.alice, name=f"加{i}", grid=county.a1_1, phone=f"1350000010{i}")
        grid_worker_create(actor=county.alice, name=f"员{i}", kind="part_time", community=county.a, grids=[county.a1_2])
    after = {url: queries(url) for url in before}
    assert after == before


def test_enter_in_the_worker_form_saves_and_a_dashed_phone_is_taken(county_staff_client, county):
    """A browser submits a form on Enter with its first submit button: that is 保存 (no name), not
    显示该社区/村的网格 (choose_community), which only reloads the grids."""
    import re

    html = county_staff_client.get(reverse("worker-create")).content.decode()
    form = html[html.index('<form method="post" novalidate>'):]
    first = re.search(r"<button[^>]*>", form).group(0)
    assert 'type="submit"' in first and "name=" not in first
    response = county_staff_client.post(reverse("worker-create"), {
        "name": "吴十", "kind": "full_time", "community": county.a.pk, "grids": [county.a1_1.pk],
        "phone": "138-0000-1111"})
    assert response.status_code == 302
    assert GridWorker.objects.get().phone == "13800001111"
