"""Point → grid. small_county's deepest grids (A1 has child grids, so it is not one):

    A1-1 (0,0)-(1,1)   A1-2 (0,1)-(1,2)   B1 (1,0)-(2,2)   C1 (2,0)-(4,2)

offsets from (118.0, 27.0). A point on a shared border goes to the lowest code.
"""

import pytest
from django.core.cache import cache

from jiceng.regions.choices import RegionLevel
from jiceng.regions.locator import build_index, locate_grid
from jiceng.regions.services import region_create, region_update
from tests.factories import LAT0, LNG0, square


def located(x: float, y: float) -> str | None:
    grid = locate_grid(LNG0 + x, LAT0 + y)
    return grid.code if grid is not None else None


def test_only_the_deepest_grids_are_indexed(county):
    assert build_index().codes == ["A1-1", "A1-2", "B1", "C1"]


def test_point_inside_a_grid_finds_it(county):
    assert located(0.5, 0.5) == "A1-1"
    assert located(0.5, 1.5) == "A1-2"
    assert located(1.5, 1.0) == "B1"
    assert located(3.0, 1.0) == "C1"


def test_located_grid_comes_with_its_parent(county):
    grid = locate_grid(LNG0 + 0.5, LAT0 + 0.5)
    assert grid.parent.code == "A1"


def test_point_on_a_shared_border_goes_to_the_lower_code_every_time(county):
    # y = 27.0 + 1.0 is the border between A1-1 and A1-2.
    assert [located(0.5, 1.0) for _ in range(5)] == ["A1-1"] * 5
    assert build_index().locate_naive(LNG0 + 0.5, LAT0 + 1.0) == county.a1_1.pk


def test_point_on_the_border_between_communities_goes_to_the_lower_code(county):
    # x = 118.0 + 1.0 separates 甲 (A1-1 below y=1, A1-2 above) from 乙 (B1).
    assert located(1.0, 0.5) == "A1-1"
    assert located(1.0, 1.5) == "A1-2"
    assert located(1.0, 1.0) == "A1-1"  # the corner shared by A1-1, A1-2 and B1
    assert located(2.0, 1.0) == "B1"  # 乙/丙 border: "B1" < "C1"


def test_point_on_the_outer_edge_belongs_to_the_grid(county):
    assert located(0.0, 0.5) == "A1-1"
    assert located(4.0, 2.0) == "C1"


def test_point_outside_the_county_is_no_grid(county):
    assert located(-0.5, 0.5) is None
    assert located(4.5, 1.0) is None
    assert located(1.0, 2.01) is None


def test_strtree_and_plain_loop_agree(county):
    index = build_index()
    for x in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 4.5):
        for y in (-0.1, 0.0, 0.5, 1.0, 1.5, 2.0):
            assert index.locate(LNG0 + x, LAT0 + y) == index.locate_naive(LNG0 + x, LAT0 + y), (x, y)


def test_index_follows_a_boundary_change(county):
    assert located(0.5, 0.75) == "A1-1"
    region_update(actor=county.sysadmin, region=county.a1_1, boundary=square(0, 0, 1, 0.5))
    assert located(0.5, 0.75) is None  # between the shrunk A1-1 and A1-2 for now
    region_update(actor=county.sysadmin, region=county.a1_2, boundary=square(0, 0.5, 1, 2))
    assert located(0.5, 0.75) == "A1-2"
    assert located(0.5, 0.5) == "A1-1"  # the new shared border


def test_index_follows_a_code_change(county):
    region_update(actor=county.sysadmin, region=county.b1, code="0B1")
    assert located(1.0, 0.5) == "0B1"  # now the lowest code on the 甲/乙 border


def test_index_follows_new_child_grids(county):
    assert located(1.5, 0.5) == "B1"
    region_create(actor=county.sysadmin, code="B1-1", name="乙一网格南片", level=RegionLevel.GRID2,
                  parent=county.b1, boundary=square(1, 0, 2, 1))
    region_create(actor=county.sysadmin, code="B1-2", name="乙一网格北片", level=RegionLevel.GRID2,
                  parent=county.b1, boundary=square(1, 1, 2, 2))
    assert build_index().codes == ["A1-1", "A1-2", "B1-1", "B1-2", "C1"]
    assert located(1.5, 0.5) == "B1-1"
    assert located(1.5, 1.5) == "B1-2"


@pytest.mark.parametrize("warm", [True, False])
def test_a_child_grid_without_a_boundary_does_not_hide_its_parent(county, warm):
    # The answer must not depend on whether this process had built its index before the write.
    if warm:
        assert located(1.5, 0.5) == "B1"
    region_create(actor=county.sysadmin, code="B1-1", name="乙一网格（未划界）", level=RegionLevel.GRID2,
                  parent=county.b1)
    assert located(1.5, 0.5) == "B1"
    assert build_index().codes == ["A1-1", "A1-2", "B1", "C1"]


def test_a_lost_version_counter_never_brings_back_a_stale_index(county):
    # The shared counter can vanish (cache restart, file-cache culling). Restarting it at 1 would
    # match an index this process built at 1 and keep answering from the old boundaries.
    cache.clear()
    assert located(0.5, 0.75) == "A1-1"  # index built at the counter's first value
    region_update(actor=county.sysadmin, region=county.a1_1, boundary=square(0, 0, 1, 0.5))
    cache.clear()  # the bump is lost with the counter
    assert located(0.5, 0.75) is None
