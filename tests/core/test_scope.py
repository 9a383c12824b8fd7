"""Data scope: every list, count and lookup is narrowed to what the actor may see.

The cast (tests/factories.py small_county): alice keeps community 甲 (grids A1-1, A1-2), bob keeps
乙 (grid B1), county staff the whole county; dave is a grid worker of A1-1 only; erin is staff of
a county department; frank is 甲 staff whose account is disabled.
"""

from dataclasses import dataclass

import pytest

from jiceng.core.errors import NotFoundError
from jiceng.core.scope import get_scoped_or_404, in_scope, restrict
from jiceng.people.choices import Role, WorkerKind
from jiceng.people.models import GridWorker, Resident, User
from jiceng.people.selectors import region_people_counts, resident_get, resident_visible, worker_visible
from jiceng.people.services import (
    department_create,
    grid_worker_create,
    grid_worker_set_grids,
    resident_create,
)
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Building
from jiceng.regions.selectors import region_get, region_roots, region_visible
from jiceng.regions.services import building_create, region_create
from tests.factories import make_user


@dataclass
class People:
    zhang: Resident  # A1-1, entered by alice
    li: Resident  # A1-2, entered by alice
    wang: Resident  # B1, entered by bob
    worker_a: GridWorker  # 甲, grid A1-1, login dave
    worker_b: GridWorker  # 乙, grid B1
    dave: User
    erin: User
    frank: User


@pytest.fixture
def people(county):
    dave = make_user("dave", Role.GRID_WORKER)
    dept = department_create(actor=county.sysadmin, code="ZJ", name="住建局", kind="housing", region=county.county)
    erin = make_user("erin", Role.DEPARTMENT_STAFF, department=dept)
    frank = make_user("frank", Role.COMMUNITY_STAFF, county.a)
    frank.is_active = False
    frank.save()
    return People(
        zhang=resident_create(actor=county.alice, name="张三", grid=county.a1_1),
        li=resident_create(actor=county.alice, name="李四", grid=county.a1_2),
        wang=resident_create(actor=county.bob, name="王五", grid=county.b1),
        worker_a=grid_worker_create(actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME,
                                    community=county.a, grids=[county.a1_1], user=dave),
        worker_b=grid_worker_create(actor=county.bob, name="林网格", kind=WorkerKind.FULL_TIME,
                                    community=county.b, grids=[county.b1]),
        dave=dave, erin=erin, frank=frank,
    )


def names(qs) -> set[str]:
    return {obj.name for obj in qs}


def test_community_user_sees_own_community_residents_only(county, people):
    assert names(resident_visible(county.alice)) == {"张三", "李四"}
    assert resident_visible(county.alice).count() == 2


def test_community_user_cannot_see_other_community_resident(county, people):
    assert not resident_visible(county.alice).filter(pk=people.wang.pk).exists()
    with pytest.raises(NotFoundError):
        get_scoped_or_404(Resident.objects.all(), county.alice, pk=people.wang.pk)
    with pytest.raises(NotFoundError):
        resident_get(actor=county.alice, pk=people.wang.pk)
    assert not in_scope(people.wang, county.alice)


def test_out_of_scope_record_looks_like_a_missing_one(county, people):
    with pytest.raises(NotFoundError) as out_of_scope:
        resident_get(actor=county.alice, pk=people.wang.pk)
    with pytest.raises(NotFoundError) as missing:
        resident_get(actor=county.alice, pk=people.wang.pk + 1000)
    assert out_of_scope.value.message == missing.value.message


def test_community_user_sees_own_community_workers_only(county, people):
    assert names(worker_visible(county.alice)) == {"陈网格"}
    assert names(worker_visible(county.bob)) == {"林网格"}


def test_counts_follow_the_scope(county, people):
    # alice asked about the whole county still counts only 甲: 2 residents, 1 full-time worker.
    assert region_people_counts(actor=county.alice, region=county.county) == {
        "residents": 2, "workers": 1, "workers_full_time": 1, "workers_part_time": 0, "workers_special": 0,
    }
    assert region_people_counts(actor=county.county_staff, region=county.county)["residents"] == 3


def test_county_staff_see_every_community(county, people):
    assert names(resident_visible(county.county_staff)) == {"张三", "李四", "王五"}
    assert names(worker_visible(county.county_staff)) == {"陈网格", "林网格"}
    assert resident_get(actor=county.county_staff, pk=people.wang.pk) == people.wang


def test_grid_worker_sees_residents_of_own_grids_only(county, people):
    assert names(resident_visible(people.dave)) == {"张三"}  # A1-1, not A1-2 next door
    with pytest.raises(NotFoundError):
        resident_get(actor=people.dave, pk=people.li.pk)


def test_grid_worker_scope_follows_the_assignment(county, people):
    from jiceng.people.services import grid_worker_set_grids, grid_worker_update

    def next_request():  # each request loads its account afresh (the auth middleware)
        return User.objects.get(pk=people.dave.pk)

    grid_worker_set_grids(actor=county.alice, worker=people.worker_a, grids=[county.a1_1, county.a1_2])
    assert names(resident_visible(next_request())) == {"张三", "李四"}
    grid_worker_update(actor=county.alice, worker=people.worker_a, active=False)
    assert names(resident_visible(next_request())) == set()
    dave = next_request()
    dave.scope_paths(personal=True)
    grid_worker_update(actor=county.alice, worker=people.worker_a, active=True)
    dave.refresh_from_db()  # reloading the account reads its grids again
    assert names(resident_visible(dave)) == {"张三", "李四"}


def test_grid_worker_grids_are_read_once_per_loaded_account(county, people, django_assert_num_queries):
    dave = User.objects.get(pk=people.dave.pk)
    with django_assert_num_queries(1):
        first = dave.scope_paths(personal=True)
        assert dave.scope_paths(personal=False) == first == [county.a1_1.path]
    first.append("/elsewhere/")  # a caller changing its copy changes nothing
    assert dave.scope_paths(personal=True) == [county.a1_1.path]


def test_grid_worker_sees_the_workers_who_share_a_grid_and_no_more_residents(county, people):
    # A1-1: dave's 陈网格 and 甲's 周网格; 乙's courier 郑骑手 covers A1-1 and B1; 甲's 吴网格 works A1-2
    east_staff = make_user("eve", Role.STREET_STAFF, county.east)
    grid_worker_create(actor=county.alice, name="周网格", kind=WorkerKind.PART_TIME, community=county.a,
                       grids=[county.a1_1])
    grid_worker_create(actor=east_staff, name="郑骑手", kind=WorkerKind.SPECIAL, community=county.b,
                       grids=[county.a1_1, county.b1])
    wu = grid_worker_create(actor=county.alice, name="吴网格", kind=WorkerKind.FULL_TIME, community=county.a,
                            grids=[county.a1_2])
    assert sorted(worker_visible(people.dave).values_list("name", flat=True)) == ["周网格", "郑骑手", "陈网格"]
    assert get_scoped_or_404(GridWorker.objects.all(), people.dave, pk=people.worker_a.pk) == people.worker_a
    assert not in_scope(wu, people.dave) and not in_scope(people.worker_b, people.dave)
    assert names(resident_visible(people.dave)) == {"张三"}  # 乙's courier opens no resident of B1
    assert region_people_counts(actor=people.dave, region=county.a1_1) == {
        "residents": 1, "workers": 3, "workers_full_time": 1, "workers_part_time": 1, "workers_special": 1}
    # alice keeps 甲's own workers only, as before: not 乙's courier
    assert names(worker_visible(county.alice)) == {"陈网格", "周网格", "吴网格"}


def test_a_colleague_sharing_two_of_the_grids_is_listed_once(county, people):
    from jiceng.people.services import grid_worker_set_grids

    grid_worker_set_grids(actor=county.alice, worker=people.worker_a, grids=[county.a1_1, county.a1_2])
    grid_worker_create(actor=county.alice, name="周网格", kind=WorkerKind.PART_TIME, community=county.a,
                       grids=[county.a1_1, county.a1_2])
    dave = User.objects.get(pk=people.dave.pk)
    assert sorted(worker_visible(dave).values_list("name", flat=True)) == ["周网格", "陈网格"]
    assert region_people_counts(actor=dave, region=county.a1)["workers"] == 2


def test_grid_worker_account_without_worker_record_sees_nothing(county, people):
    ghost = make_user("ghost", Role.GRID_WORKER)
    assert names(resident_visible(ghost)) == set()
    assert names(region_visible(ghost)) == set()


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor"])
def test_admin_roles_see_no_residents_or_workers(county, people, who):
    admin = getattr(county, who)
    assert resident_visible(admin).count() == 0
    assert worker_visible(admin).count() == 0
    with pytest.raises(NotFoundError):
        resident_get(actor=admin, pk=people.zhang.pk)


def test_system_admin_sees_the_whole_region_tree_but_other_admins_none(county, people):
    assert region_visible(county.sysadmin).count() == 11
    assert region_visible(county.secadmin).count() == 0
    assert region_visible(county.auditor).count() == 0


def test_department_staff_see_no_residents_or_workers(county, people):
    assert resident_visible(people.erin).count() == 0
    assert worker_visible(people.erin).count() == 0
    assert region_visible(people.erin).count() == 11  # the department serves the whole county


def test_inactive_user_sees_nothing(county, people):
    assert resident_visible(people.frank).count() == 0
    assert worker_visible(people.frank).count() == 0
    assert region_visible(people.frank).count() == 0


def test_disabling_an_account_closes_its_scope_at_once(county, people):
    county.alice.is_active = False
    assert resident_visible(county.alice).count() == 0


def test_anonymous_sees_nothing(county, people):
    from django.contrib.auth.models import AnonymousUser

    assert resident_visible(AnonymousUser()).count() == 0
    assert resident_visible(None).count() == 0


def test_community_user_sees_own_subtree_of_regions_only(county, people):
    codes = set(region_visible(county.alice).values_list("code", flat=True))
    assert codes == {"350724001001", "A1", "A1-1", "A1-2"}
    assert [r.code for r in region_roots(actor=county.alice)] == ["350724001001"]
    with pytest.raises(NotFoundError):
        region_get(actor=county.alice, code="B1")
    with pytest.raises(NotFoundError):
        region_get(actor=county.alice, code="350724")  # not even its own ancestors


def test_the_roots_of_a_special_worker_are_each_of_their_grids_at_whatever_level(county, people):
    from django.contrib.auth.models import AnonymousUser

    gina, street = make_user("gina-roots", Role.GRID_WORKER), make_user("eve-roots", Role.STREET_STAFF, county.east)
    worker = grid_worker_create(actor=street, name="特聘老周", kind=WorkerKind.SPECIAL, community=county.a,
                                grids=[county.a1_1, county.b1, county.a1], user=gina)  # A1-1 lies inside A1
    assert [r.code for r in region_roots(actor=gina)] == ["A1", "B1"]  # a level-1 grid each
    grid_worker_set_grids(actor=street, worker=worker, grids=[county.a1_1, county.b1])
    gina = User.objects.get(pk=gina.pk)
    assert [r.code for r in region_roots(actor=gina)] == ["A1-1", "B1"]  # level 2 and level 1: both
    assert [r.code for r in region_roots(actor=people.dave)] == ["A1-1"]
    assert [r.code for r in region_roots(actor=county.sysadmin)] == ["350724"]
    assert [r.code for r in region_roots(actor=people.erin)] == ["350724"]  # the department's county
    assert region_roots(actor=AnonymousUser()) == [] and region_roots(actor=people.frank) == []


def test_street_staff_see_their_street_only(county, people):
    east_staff = make_user("eve", Role.STREET_STAFF, county.east)
    codes = set(region_visible(east_staff).values_list("code", flat=True))
    assert codes == {"350724001", "350724001001", "350724001002", "A1", "A1-1", "A1-2", "B1"}
    assert names(resident_visible(east_staff)) == {"张三", "李四", "王五"}


def test_buildings_are_scoped_by_their_grid(county, people):
    building_create(actor=county.alice, grid=county.a1_1, code="BLD-A", name="甲1栋", address="甲路1号")
    building_create(actor=county.bob, grid=county.b1, code="BLD-B", name="乙1栋", address="乙路1号")
    assert names(restrict(Building.objects.all(), county.alice)) == {"甲1栋"}
    assert names(restrict(Building.objects.all(), county.sysadmin)) == {"甲1栋", "乙1栋"}


def test_a_model_without_a_scope_declaration_cannot_be_restricted(county):
    from jiceng.core.models import AuditLog

    with pytest.raises(TypeError):
        restrict(AuditLog.objects.all(), county.alice)


def test_scope_prefix_does_not_leak_into_a_sibling_whose_code_extends_it(county, people):
    # "A1" is a prefix of "A10": paths end with "/" so /…/A1/ never matches /…/A10/.
    a10 = region_create(actor=county.sysadmin, code="A10", name="甲十网格", level=RegionLevel.GRID1, parent=county.a)
    worker_a1 = make_user("gina", Role.GRID_WORKER)
    grid_worker_create(actor=county.alice, name="吴网格", kind=WorkerKind.FULL_TIME, community=county.a,
                       grids=[county.a1], user=worker_a1)
    resident_create(actor=county.alice, name="赵六", grid=a10)
    assert names(resident_visible(worker_a1)) == {"张三", "李四"}
