"""Staffing ratio (社区工作者配备): active full-time workers ÷ registered residents × 10,000 per
community, flagged below the standard (18 unless a community or an ancestor sets its own);
villages are shown but never flagged.

The numbers, by hand:
    甲社区  2 专职 (+1 兼职, +1 专职 left the job), 1000 + 250 = 1250 residents → 2 × 10000 / 1250 = 16.0
    乙社区  1 专职, 400 residents  → 1 × 10000 / 400  = 25.0
    丙村    0 专职 (1 兼职), 100 residents → 0 × 10000 / 100 = 0.0 (a village: not flagged)
"""

import pytest
from django.test import override_settings

from jiceng.people.choices import WorkerKind
from jiceng.people.models import Resident
from jiceng.people.selectors import staffing_ratios
from jiceng.people.services import grid_worker_create, grid_worker_update
from jiceng.regions.services import region_update


def bulk_residents(grid, n: int) -> None:
    """Many residents at once; their own rules are tested through the services elsewhere."""
    Resident.objects.bulk_create([Resident(name=f"居民{i}", grid=grid) for i in range(n)])


@pytest.fixture
def staffed(county):
    for name in ("甲一", "甲二"):
        grid_worker_create(actor=county.alice, name=name, kind=WorkerKind.FULL_TIME, community=county.a)
    grid_worker_create(actor=county.alice, name="甲兼", kind=WorkerKind.PART_TIME, community=county.a)
    left = grid_worker_create(actor=county.alice, name="甲离", kind=WorkerKind.FULL_TIME, community=county.a)
    grid_worker_update(actor=county.alice, worker=left, active=False)
    grid_worker_create(actor=county.bob, name="乙一", kind=WorkerKind.FULL_TIME, community=county.b)
    grid_worker_create(actor=county.carol, name="丙兼", kind=WorkerKind.PART_TIME, community=county.c)
    bulk_residents(county.a1_1, 1000)
    bulk_residents(county.a1_2, 250)
    bulk_residents(county.b1, 400)
    bulk_residents(county.c1, 100)
    return county


def table(actor, region):
    return [(r.community.name, r.full_time_workers, r.residents, r.per_10k, r.standard, r.applies, r.below_standard)
            for r in staffing_ratios(actor=actor, region=region)]


def test_ratio_per_community_against_the_default_standard(staffed):
    assert table(staffed.county_staff, staffed.county) == [
        ("甲社区", 2, 1250, 16.0, 18, True, True),
        ("乙社区", 1, 400, 25.0, 18, True, False),
        ("丙村", 0, 100, 0.0, 18, False, False),
    ]


def test_part_time_and_departed_workers_do_not_count(staffed):
    [row] = staffing_ratios(actor=staffed.county_staff, region=staffed.a)
    assert row.full_time_workers == 2


def test_village_is_shown_but_never_flagged(staffed):
    [row] = staffing_ratios(actor=staffed.county_staff, region=staffed.c)
    assert (row.per_10k, row.standard, row.applies, row.below_standard) == (0.0, 18, False, False)


def test_community_standard_overrides_the_default(staffed):
    region_update(actor=staffed.sysadmin, region=staffed.b, staffing_standard=30)
    assert table(staffed.county_staff, staffed.b) == [("乙社区", 1, 400, 25.0, 30, True, True)]


def test_county_standard_is_inherited_by_its_communities(staffed):
    region_update(actor=staffed.sysadmin, region=staffed.county, staffing_standard=15)
    assert table(staffed.county_staff, staffed.county) == [
        ("甲社区", 2, 1250, 16.0, 15, True, False),
        ("乙社区", 1, 400, 25.0, 15, True, False),
        ("丙村", 0, 100, 0.0, 15, False, False),
    ]


def test_the_nearest_ancestor_standard_wins_and_the_community_own_beats_both(staffed):
    region_update(actor=staffed.sysadmin, region=staffed.county, staffing_standard=15)
    region_update(actor=staffed.sysadmin, region=staffed.east, staffing_standard=25)
    region_update(actor=staffed.sysadmin, region=staffed.a, staffing_standard=16)
    assert table(staffed.county_staff, staffed.county) == [
        ("甲社区", 2, 1250, 16.0, 16, True, False),  # its own 16; 16.0 is not below 16
        ("乙社区", 1, 400, 25.0, 25, True, False),  # the street's 25; equal is not below
        ("丙村", 0, 100, 0.0, 15, False, False),  # 西镇 sets none: the county's 15
    ]


@override_settings(JICENG_STAFFING_STANDARD=21)
def test_the_system_default_comes_from_settings(staffed):
    assert [row.standard for row in staffing_ratios(actor=staffed.county_staff, region=staffed.county)] == [21, 21, 21]
    assert [row.below_standard for row in staffing_ratios(actor=staffed.county_staff, region=staffed.east)] == [
        True, False]  # 16.0 < 21; 25.0 is not


def test_community_without_residents_has_no_ratio(county):
    grid_worker_create(actor=county.alice, name="甲一", kind=WorkerKind.FULL_TIME, community=county.a)
    [row] = staffing_ratios(actor=county.alice, region=county.a)
    assert (row.full_time_workers, row.residents, row.per_10k, row.below_standard) == (1, 0, None, False)


def test_ratios_follow_the_viewers_scope(staffed):
    assert table(staffed.alice, staffed.county) == [("甲社区", 2, 1250, 16.0, 18, True, True)]
    assert table(staffed.bob, staffed.east) == [("乙社区", 1, 400, 25.0, 18, True, False)]


def test_system_admin_sees_communities_but_no_people_counts(staffed):
    rows = table(staffed.sysadmin, staffed.county)
    assert [(name, workers, residents, ratio) for name, workers, residents, ratio, *_ in rows] == [
        ("甲社区", 0, 0, None), ("乙社区", 0, 0, None), ("丙村", 0, 0, None)]
