"""Writes to people: residents, grid workers, accounts. Bad input names the field; writes outside
the actor's scope are refused; personal values are revealed only to permitted roles in scope."""

from datetime import date

import pytest
import time_machine

from jiceng.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from jiceng.core.models import AuditLog
from jiceng.people.choices import Role, WorkerKind
from jiceng.people.models import GridWorker, Resident, User
from jiceng.people.selectors import resident_filter, resident_visible, worker_filter, worker_visible
from jiceng.people.services import (
    department_create,
    grid_worker_create,
    grid_worker_set_grids,
    grid_worker_update,
    masked,
    personal_info_reveal,
    resident_create,
    resident_update,
    user_create,
)
from jiceng.regions.services import building_create
from tests.factories import make_id_number, make_user

ID_NUMBER = make_id_number()  # 350724198001010012
PHONE = "13812345678"


@pytest.fixture
def nothing_saved(county):
    before = (Resident.objects.count(), GridWorker.objects.count(), User.objects.count(), AuditLog.objects.count())
    yield
    after = (Resident.objects.count(), GridWorker.objects.count(), User.objects.count(), AuditLog.objects.count())
    assert after == before


def refused_with(field: str, fn, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        fn(**kwargs)
    assert caught.value.field == field, caught.value.message
    return caught.value


# --- residents ---------------------------------------------------------------------------------


def test_resident_gets_birth_date_and_gender_from_the_id_number(county):
    resident = resident_create(actor=county.alice, name=" 张三 ", grid=county.a1_1, id_number=ID_NUMBER)
    resident.refresh_from_db()
    assert (resident.name, str(resident.birth_date), resident.gender) == ("张三", "1980-01-01", "M")


def test_resident_with_bad_id_number_is_refused(county, nothing_saved):
    error = refused_with("id_number", resident_create, actor=county.alice, name="张三", grid=county.a1_1,
                         id_number="350724198001010011")
    assert error.message == "身份证号校验位不正确。"
    refused_with("id_number", resident_create, actor=county.alice, name="张三", grid=county.a1_1,
                 id_number="35072419800101")


def test_resident_with_bad_phone_is_refused(county, nothing_saved):
    refused_with("phone", resident_create, actor=county.alice, name="张三", grid=county.a1_1, phone="1381234567")


def test_a_resident_may_have_a_fixed_line_but_a_grid_worker_needs_a_mobile(county):
    """Many older residents have only a fixed line (独居老人 are called on it): with its area code it is
    stored as its digits, found by the search box however typed, masked like a mobile."""
    old = resident_create(actor=county.alice, name="周奶奶", grid=county.a1_1, phone="0599-2345678")
    assert (old.phone, masked(old)["phone"]) == ("05992345678", "059****5678")
    visible = resident_visible(county.alice)
    for typed in ("0599-2345678", "(0599)2345678", "+86 599 2345678"):
        assert [r.name for r in resident_filter(visible, q=typed)] == ["周奶奶"], typed
    resident_update(actor=county.alice, resident=old, phone="010 8888 6666")
    assert Resident.objects.get(pk=old.pk).phone == "01088886666"
    refused_with("phone", resident_create, actor=county.alice, name="吴", grid=county.a1_1, phone="2345678")
    refused_with("phone", grid_worker_create, actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME,
                 community=county.a, grids=[county.a1_1], phone="0599-2345678")


def test_duplicate_id_number_is_refused(county):
    resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number="11010519491231002X")
    count = Resident.objects.count()
    # Lower-case x is the same number; so is the same number entered in another community.
    refused_with("id_number", resident_create, actor=county.alice, name="张三", grid=county.a1_2,
                 id_number="11010519491231002x")
    refused_with("id_number", resident_create, actor=county.bob, name="张三", grid=county.b1,
                 id_number="11010519491231002X")
    assert Resident.objects.count() == count


def test_changing_to_another_residents_id_number_is_refused(county):
    resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number=ID_NUMBER)
    li = resident_create(actor=county.alice, name="李四", grid=county.a1_1)
    refused_with("id_number", resident_update, actor=county.alice, resident=li, id_number=ID_NUMBER)
    li.refresh_from_db()
    assert li.id_number == ""


def test_unknown_tag_is_refused(county, nothing_saved):
    error = refused_with("tags", resident_create, actor=county.alice, name="张三", grid=county.a1_1,
                         tags=["低保", "富豪"])
    assert error.message == "未知标签：富豪"


def test_resident_in_a_region_that_is_not_a_grid_is_refused(county, nothing_saved):
    refused_with("grid", resident_create, actor=county.alice, name="张三", grid=county.a)
    refused_with("grid", resident_create, actor=county.county_staff, name="张三", grid=county.east)


def test_resident_without_a_name_is_refused(county, nothing_saved):
    refused_with("name", resident_create, actor=county.alice, name="  ", grid=county.a1_1)


def test_resident_with_unknown_residence_type_is_refused(county, nothing_saved):
    refused_with("residence_type", resident_create, actor=county.alice, name="张三", grid=county.a1_1,
                 residence_type="tourist")


def test_community_user_cannot_create_resident_in_other_community(county, nothing_saved):
    with pytest.raises(PermissionDeniedError):
        resident_create(actor=county.alice, name="张三", grid=county.b1)


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor"])
def test_admin_roles_cannot_create_residents(county, nothing_saved, who):
    with pytest.raises(PermissionDeniedError):
        resident_create(actor=getattr(county, who), name="张三", grid=county.a1_1)


def test_community_user_cannot_move_resident_to_other_community(county):
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1_1)
    with pytest.raises(PermissionDeniedError) as caught:
        resident_update(actor=county.alice, resident=resident, grid=county.b1)
    assert caught.value.field == "grid"
    resident.refresh_from_db()
    assert resident.grid == county.a1_1


def test_community_user_cannot_update_other_communitys_resident(county):
    wang = resident_create(actor=county.bob, name="王五", grid=county.b1)
    with pytest.raises(PermissionDeniedError):
        resident_update(actor=county.alice, resident=wang, name="王六")


def test_resident_house_must_be_in_the_residents_grid(county):
    building = building_create(actor=county.alice, grid=county.a1_2, code="BLD-A2", name="甲2栋", address="甲路2号",
                               units=["1单元"], rooms_per_unit=["101"])
    house = building.units.get().houses.get()
    refused_with("house", resident_create, actor=county.alice, name="张三", grid=county.a1_1, house=house)
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1_2, house=house)
    assert resident.house == house


def test_unknown_field_cannot_be_updated(county):
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1_1)
    refused_with("gender", resident_update, actor=county.alice, resident=resident, gender="F")


def test_tags_round_trip_and_filter_by_keyed_token(county):
    zhang = resident_create(actor=county.alice, name="张三", grid=county.a1_1, tags=["独居老人", "低保", "低保"])
    resident_create(actor=county.alice, name="李四", grid=county.a1_1, tags=["残疾人"])
    assert Resident.objects.get(pk=zhang.pk).tags == ["低保", "独居老人"]
    found = resident_filter(resident_visible(county.alice), tag="低保")
    assert [r.name for r in found] == ["张三"]


def test_resident_found_by_exact_id_number_or_phone(county):
    resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number="11010519491231002X", phone=PHONE)
    resident_create(actor=county.alice, name="李四", grid=county.a1_1)
    visible = resident_visible(county.alice)
    assert [r.name for r in resident_filter(visible, q="11010519491231002x")] == ["张三"]
    assert [r.name for r in resident_filter(visible, q=PHONE)] == ["张三"]
    dashed = f"{PHONE[:3]}-{PHONE[3:7]}-{PHONE[7:]}"
    for typed in (dashed, f"+86 {PHONE}", f"0086{PHONE}"):  # the search box takes a phone however typed
        assert [r.name for r in resident_filter(visible, q=typed)] == ["张三"], typed
    grid_worker_create(actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME, community=county.a,
                       grids=[county.a1_1], phone="13700001111")
    assert [w.name for w in worker_filter(worker_visible(county.alice), q="137 0000-1111")] == ["陈网格"]
    assert [r.name for r in resident_filter(visible, q="李")] == ["李四"]
    assert list(resident_filter(resident_visible(county.bob), q=PHONE)) == []  # out of bob's scope


def test_grid_worker_keeps_residents_of_own_grid_only(county):
    dave = make_user("dave", Role.GRID_WORKER)
    grid_worker_create(actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME, community=county.a,
                       grids=[county.a1_1], user=dave)
    resident = resident_create(actor=dave, name="张三", grid=county.a1_1)
    assert resident.grid == county.a1_1
    with pytest.raises(PermissionDeniedError):
        resident_create(actor=dave, name="李四", grid=county.a1_2)


# --- reveal ------------------------------------------------------------------------------------


def test_masked_values_hide_the_middle(county):
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number=ID_NUMBER, phone=PHONE,
                               address="福建省南平市松溪县松源街道1号", tags=["低保"])
    with time_machine.travel(date(2026, 1, 1), tick=False):  # born 1980-01-01: 46 that very day
        shown = masked(resident)
    assert shown == {"id_number": "3507**********0012", "phone": "138****5678",
                     "address": "福建省南平市****", "tags": "1 项（已隐藏）", "age": 46, "house": ""}


def test_reveal_by_staff_in_scope_returns_the_values(county):
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number=ID_NUMBER, phone=PHONE,
                               address="松源街道1号", tags=["低保"])
    assert personal_info_reveal(actor=county.alice, person=resident) == {
        "id_number": ID_NUMBER, "phone": PHONE, "address": "松源街道1号", "tags": ["低保"],
        "birth_date": date(1980, 1, 1), "house": ""}
    assert personal_info_reveal(actor=county.county_staff, person=resident, fields=["phone"]) == {"phone": PHONE}


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor", "erin"])
def test_reveal_by_a_role_without_permission_is_refused(county, who):
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number=ID_NUMBER)
    if who == "erin":
        dept = department_create(actor=county.sysadmin, code="ZJ", name="住建局", kind="housing",
                                 region=county.county)
        actor = make_user("erin", Role.DEPARTMENT_STAFF, department=dept)
    else:
        actor = getattr(county, who)
    count = AuditLog.objects.count()
    with pytest.raises(PermissionDeniedError):
        personal_info_reveal(actor=actor, person=resident)
    assert AuditLog.objects.count() == count


def test_reveal_of_other_communitys_resident_is_not_found(county):
    wang = resident_create(actor=county.bob, name="王五", grid=county.b1, id_number=ID_NUMBER)
    count = AuditLog.objects.count()
    with pytest.raises(NotFoundError):
        personal_info_reveal(actor=county.alice, person=wang)
    assert AuditLog.objects.count() == count


def test_reveal_of_a_field_that_is_not_personal_is_refused(county):
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1_1)
    refused_with("fields", personal_info_reveal, actor=county.alice, person=resident, fields=["name"])
    worker = grid_worker_create(actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME, community=county.a)
    refused_with("fields", personal_info_reveal, actor=county.alice, person=worker, fields=["address"])


# --- grid workers ------------------------------------------------------------------------------


def test_worker_must_belong_to_a_community(county, nothing_saved):
    refused_with("community", grid_worker_create, actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME,
                 community=county.a1)


def test_worker_of_unknown_kind_is_refused(county, nothing_saved):
    refused_with("kind", grid_worker_create, actor=county.alice, name="陈网格", kind="volunteer", community=county.a)


def test_full_time_worker_cannot_cover_another_communitys_grid(county, nothing_saved):
    refused_with("grids", grid_worker_create, actor=county.county_staff, name="陈网格", kind=WorkerKind.FULL_TIME,
                 community=county.a, grids=[county.b1])


def test_worker_grids_must_be_grids(county, nothing_saved):
    refused_with("grids", grid_worker_create, actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME,
                 community=county.a, grids=[county.a])


def test_duplicate_worker_id_number_is_refused(county):
    grid_worker_create(actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME, community=county.a,
                       id_number=ID_NUMBER)
    refused_with("id_number", grid_worker_create, actor=county.bob, name="陈网格", kind=WorkerKind.PART_TIME,
                 community=county.b, id_number=ID_NUMBER)


def test_special_worker_may_cover_grids_of_several_communities(county):
    # A courier engaged by the street covers grids in 甲 and 乙.
    east_staff = make_user("eve", Role.STREET_STAFF, county.east)
    worker = grid_worker_create(actor=east_staff, name="快递小哥", kind=WorkerKind.SPECIAL, community=county.a,
                                grids=[county.a1_1, county.b1], occupation="快递员")
    assert sorted(worker.grids.values_list("code", flat=True)) == ["A1-1", "B1"]


def test_community_user_cannot_assign_a_grid_outside_own_scope(county):
    # Even a special worker's grids must lie in the actor's scope: otherwise alice could give a
    # grid-worker account of hers the residents of 乙.
    dave = make_user("dave", Role.GRID_WORKER)
    resident_create(actor=county.bob, name="王五", grid=county.b1)
    with pytest.raises(PermissionDeniedError) as caught:
        grid_worker_create(actor=county.alice, name="快递小哥", kind=WorkerKind.SPECIAL, community=county.a,
                           grids=[county.b1], user=dave)
    assert caught.value.field == "grids"
    assert not GridWorker.objects.exists()
    assert [r.name for r in resident_visible(dave)] == []


def test_community_user_cannot_reassign_a_worker_outside_own_scope(county):
    dave = make_user("dave", Role.GRID_WORKER)
    worker = grid_worker_create(actor=county.alice, name="快递小哥", kind=WorkerKind.SPECIAL, community=county.a,
                                grids=[county.a1_1], user=dave)
    resident_create(actor=county.bob, name="王五", grid=county.b1)
    with pytest.raises(PermissionDeniedError):
        grid_worker_set_grids(actor=county.alice, worker=worker, grids=[county.a1_1, county.b1])
    assert list(worker.grids.values_list("code", flat=True)) == ["A1-1"]
    assert [r.name for r in resident_visible(dave)] == []


def test_special_worker_with_other_communities_grids_cannot_become_full_time(county):
    east_staff = make_user("eve", Role.STREET_STAFF, county.east)
    worker = grid_worker_create(actor=east_staff, name="快递小哥", kind=WorkerKind.SPECIAL, community=county.a,
                                grids=[county.a1_1, county.b1])
    refused_with("grids", grid_worker_update, actor=east_staff, worker=worker, kind=WorkerKind.FULL_TIME)
    grid_worker_set_grids(actor=east_staff, worker=worker, grids=[county.a1_1])
    assert grid_worker_update(actor=east_staff, worker=worker, kind=WorkerKind.FULL_TIME).kind == WorkerKind.FULL_TIME


def test_grid_worker_cannot_manage_workers(county):
    dave = make_user("dave", Role.GRID_WORKER)
    worker = grid_worker_create(actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME, community=county.a,
                                grids=[county.a1_1], user=dave)
    with pytest.raises(PermissionDeniedError):
        grid_worker_create(actor=dave, name="新人", kind=WorkerKind.PART_TIME, community=county.a)
    with pytest.raises(PermissionDeniedError):
        grid_worker_set_grids(actor=dave, worker=worker, grids=[county.a1_1, county.a1_2])
    with pytest.raises(PermissionDeniedError):
        grid_worker_update(actor=dave, worker=worker, kind=WorkerKind.SPECIAL)


def test_grid_worker_set_grids_replaces_the_assignments(county):
    worker = grid_worker_create(actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME, community=county.a,
                                grids=[county.a1_1])
    grid_worker_set_grids(actor=county.alice, worker=worker, grids=[county.a1_2])
    assert list(worker.assignments.values_list("grid__code", "is_primary")) == [("A1-2", True)]


# --- accounts ----------------------------------------------------------------------------------


def test_account_with_unknown_role_is_refused(county, nothing_saved):
    refused_with("role", user_create, actor=county.sysadmin, username="grace", password="Qx7-lantern-Moss",
                 role="mayor")


def test_region_staff_account_must_be_bound_to_the_right_level(county, nothing_saved):
    refused_with("region", user_create, actor=county.sysadmin, username="grace", password="Qx7-lantern-Moss",
                 role=Role.COMMUNITY_STAFF)
    error = refused_with("region", user_create, actor=county.sysadmin, username="grace", password="Qx7-lantern-Moss",
                         role=Role.COMMUNITY_STAFF, region=county.east)
    assert error.message == "该角色须绑定到社区/村。"


def test_department_staff_account_needs_a_department(county, nothing_saved):
    refused_with("department", user_create, actor=county.sysadmin, username="grace", password="Qx7-lantern-Moss",
                 role=Role.DEPARTMENT_STAFF)


def test_weak_password_is_refused(county, nothing_saved):
    refused_with("password", user_create, actor=county.sysadmin, username="grace", password="short1A",
                 role=Role.COMMUNITY_STAFF, region=county.a)
    refused_with("password", user_create, actor=county.sysadmin, username="grace", password="alllowercaseletters",
                 role=Role.COMMUNITY_STAFF, region=county.a)


def test_duplicate_username_is_refused(county, nothing_saved):
    refused_with("username", user_create, actor=county.sysadmin, username="alice", password="Qx7-lantern-Moss",
                 role=Role.COMMUNITY_STAFF, region=county.a)


def test_account_phone_is_checked_and_stored_trimmed(county):
    refused_with("phone", user_create, actor=county.sysadmin, username="grace", password="Qx7-lantern-Moss",
                 role=Role.COMMUNITY_STAFF, region=county.a, phone="12345")
    user = user_create(actor=county.sysadmin, username="henry", password="Qx7-lantern-Moss",
                       role=Role.COMMUNITY_STAFF, region=county.a, phone=" 13812345678 ")
    user.refresh_from_db()
    assert user.phone == "13812345678"


def test_community_staff_open_a_resident_account_that_sees_nothing_by_scope(county):
    from jiceng.people.selectors import resident_visible
    from jiceng.people.services import resident_account_create, resident_create

    resident = resident_create(actor=county.alice, name="居民甲", grid=county.a1_1)
    user = resident_account_create(actor=county.alice, resident=resident, username="jumin1",
                                   password="Resident-pass-1")
    assert user.role == "resident" and user.resident == resident
    assert user.check_password("Resident-pass-1")
    assert not resident_visible(user).exists()


def test_a_resident_account_is_opened_only_in_scope_and_once(county):
    from jiceng.core.errors import ApplicationError, PermissionDeniedError
    from jiceng.people.services import resident_account_create, resident_create

    resident = resident_create(actor=county.alice, name="居民甲", grid=county.a1_1)
    with pytest.raises(PermissionDeniedError):
        resident_account_create(actor=county.bob, resident=resident, username="x1", password="Resident-pass-1")
    resident_account_create(actor=county.alice, resident=resident, username="x1", password="Resident-pass-1")
    with pytest.raises(ApplicationError) as err:
        resident_account_create(actor=county.alice, resident=resident, username="x2", password="Resident-pass-1")
    assert err.value.field == "username"


def test_a_worker_cannot_have_joined_after_today(county):
    from datetime import timedelta

    from django.utils import timezone

    from jiceng.people.models import GridWorker
    from jiceng.people.services import grid_worker_update

    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ApplicationError) as err:
        grid_worker_create(actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME, community=county.a,
                           joined_on=tomorrow)
    assert err.value.field == "joined_on" and not GridWorker.objects.exists()
    worker = grid_worker_create(actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME, community=county.a,
                                joined_on=timezone.localdate())
    with pytest.raises(ApplicationError):
        grid_worker_update(actor=county.alice, worker=worker, joined_on=tomorrow)
    worker.refresh_from_db()
    assert worker.joined_on == timezone.localdate()


def test_an_id_number_registered_out_of_scope_is_refused_without_a_way_to_test_numbers(county, settings):
    """一人一档 refuses a second record for a number registered in another community, which tells that it
    is registered; an account gets a few such answers an hour, then none (no testing the register)."""
    from django.core.cache import cache

    from jiceng.core.errors import RateLimitedError
    from jiceng.people import services

    cache.clear()
    theirs = make_id_number(seq=7)
    resident_create(actor=county.carol, name="丙村居民", grid=county.c1, id_number=theirs)
    mine = make_id_number(seq=8)
    resident_create(actor=county.alice, name="甲社区居民", grid=county.a1, id_number=mine)
    with pytest.raises(ApplicationError) as err:  # in her own community: the usual word
        resident_create(actor=county.alice, name="重复", grid=county.a1, id_number=mine)
    assert err.value.message == "该身份证号已登记为其他居民。"
    for _ in range(services.ELSEWHERE_LIMIT):
        with pytest.raises(ApplicationError) as err:
            resident_create(actor=county.alice, name="重复", grid=county.a1, id_number=theirs)
        assert "管辖范围以外" in err.value.message and err.value.field == "id_number"
    with pytest.raises(RateLimitedError):
        resident_create(actor=county.alice, name="重复", grid=county.a1, id_number=theirs)
    assert Resident.objects.count() == 2
    cache.clear()


def test_one_grid_worker_record_per_person_on_create_and_on_a_changed_id_number(county):
    """A worker's ID number may not be another worker's — on create, and now on an edit too (before,
    an edit could give two workers one number). Out of the editor's scope the answer comes from the
    hourly allowance, as a resident's does."""
    from django.core.cache import cache

    from jiceng.core.errors import RateLimitedError
    from jiceng.people import services

    cache.clear()
    ours, theirs, free = make_id_number(seq=21), make_id_number(seq=23), make_id_number(seq=25)
    first = grid_worker_create(actor=county.alice, name="甲一", kind=WorkerKind.FULL_TIME, community=county.a,
                               id_number=ours)
    second = grid_worker_create(actor=county.alice, name="甲二", kind=WorkerKind.FULL_TIME, community=county.a,
                                id_number=free)
    grid_worker_create(actor=county.carol, name="丙一", kind=WorkerKind.FULL_TIME, community=county.c,
                       id_number=theirs)
    with pytest.raises(ApplicationError) as err:
        grid_worker_create(actor=county.alice, name="重复", kind=WorkerKind.FULL_TIME, community=county.a,
                           id_number=ours)
    assert (err.value.field, err.value.message) == ("id_number", "该身份证号已登记为网格员。")
    with pytest.raises(ApplicationError) as err:
        grid_worker_update(actor=county.alice, worker=second, id_number=ours)
    assert err.value.message == "该身份证号已登记为网格员。"
    for _ in range(services.ELSEWHERE_LIMIT):
        with pytest.raises(ApplicationError) as err:
            grid_worker_update(actor=county.alice, worker=second, id_number=theirs)
        assert "管辖范围以外" in err.value.message and err.value.field == "id_number"
    with pytest.raises(RateLimitedError):
        grid_worker_update(actor=county.alice, worker=second, id_number=theirs)
    second.refresh_from_db()
    assert second.id_number == free
    # its own number again is no clash
    assert grid_worker_update(actor=county.alice, worker=first, id_number=ours).id_number == ours
    cache.clear()


def test_the_audit_log_records_personal_fields_as_changed_never_their_values(county):
    """A new ID number changes the birth date and gender it encodes: the audit record says all three
    changed and shows none of them (the birth date is eight of the number's digits, the gender its
    parity); the name, which the list shows anyway, is recorded in clear."""
    from jiceng.people.services import resident_update

    old, new = make_id_number(seq=31, birth="19800101"), make_id_number(seq=32, birth="19950615", male=False)
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1, id_number=old, phone="13800001111",
                               address="幸福路1号")
    created = AuditLog.objects.get(action="resident.create", object_id=str(resident.pk))
    assert all(created.changes[f] == ["***", "***"] for f in ("id_number", "phone", "address", "birth_date", "gender"))
    resident_update(actor=county.alice, resident=resident, id_number=new, name="张叁")
    entry = AuditLog.objects.get(action="resident.update", object_id=str(resident.pk))
    assert entry.changes["birth_date"] == entry.changes["id_number"] == entry.changes["gender"] == ["***", "***"]
    assert entry.changes["name"] == ["张三", "张叁"]
    text = str(entry.changes)
    assert "1980" not in text and "1995" not in text and old not in text and new not in text
