"""Writes to the region tree: every rule refuses bad input with the offending field named, and a
refused write leaves nothing behind (no region, no audit record)."""

import pytest

from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.models import AuditLog
from jiceng.people.choices import Role, WorkerKind
from jiceng.people.selectors import resident_visible
from jiceng.people.services import grid_worker_create, resident_create
from jiceng.regions.choices import RegionKind, RegionLevel
from jiceng.regions.models import Building, Organisation, Region
from jiceng.regions.services import building_create, organisation_create, region_create, region_update
from tests.factories import LAT0, LNG0, make_user, square


@pytest.fixture
def unchanged(county):
    """Assert after the test body that no region and no audit record was added."""
    before = (Region.objects.count(), AuditLog.objects.count())
    yield
    assert (Region.objects.count(), AuditLog.objects.count()) == before


def refused(field: str, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        region_create(**kwargs)
    assert caught.value.field == field, caught.value.message
    return caught.value


def grid_under_b1(county, boundary, code="B1-1", name="乙一网格南片"):
    return dict(actor=county.sysadmin, code=code, name=name, level=RegionLevel.GRID2, parent=county.b1,
                boundary=boundary)


def pt(x, y):
    return [LNG0 + x, LAT0 + y]


# --- boundaries --------------------------------------------------------------------------------


def test_boundary_that_is_not_json_is_refused(county, unchanged):
    error = refused("boundary", **grid_under_b1(county, '{"type": "Polygon", "coordinates": [[[118'))
    assert error.message.startswith("边界不是合法的 JSON")


def test_boundary_of_the_wrong_shape_is_refused(county, unchanged):
    refused("boundary", **grid_under_b1(county, [pt(1, 0), pt(2, 0)]))
    refused("boundary", **grid_under_b1(county, {"type": "Polygon"}))
    refused("boundary", **grid_under_b1(county, {"type": "Polygon", "coordinates": [1, 2, 3]}))
    refused("boundary", **grid_under_b1(county, {"type": "Polygon", "coordinates": [[pt(1, 0), pt(2, 1)]]}))
    refused("boundary", **grid_under_b1(county, {"type": "Feature", "properties": {}}))


def test_point_boundary_is_refused(county, unchanged):
    error = refused("boundary", **grid_under_b1(county, {"type": "Point", "coordinates": pt(1.5, 0.5)}))
    assert error.message == "边界类型须为 Polygon 或 MultiPolygon，而不是 'Point'。"


def test_self_intersecting_bow_tie_is_refused(county, unchanged):
    bow_tie = {"type": "Polygon", "coordinates": [[pt(1, 0), pt(2, 1), pt(2, 0), pt(1, 1), pt(1, 0)]]}
    error = refused("boundary", **grid_under_b1(county, bow_tie))
    assert error.message.startswith("边界几何无效：Self-intersection")


def test_coordinates_out_of_range_are_refused(county, unchanged):
    # Latitude and longitude swapped: 118 is no latitude.
    swapped = {"type": "Polygon", "coordinates": [[[27, 118], [28, 118], [28, 119], [27, 119], [27, 118]]]}
    error = refused("boundary", **grid_under_b1(county, swapped))
    assert "超出经纬度范围" in error.message
    far_east = {"type": "Polygon", "coordinates": [[[179, 0], [181, 0], [181, 1], [179, 1], [179, 0]]]}
    refused("boundary", **grid_under_b1(county, far_east))


def test_overlapping_sibling_grid_is_refused_naming_the_sibling(county, unchanged):
    # A1-3 would cover the southern half of A1-1 "甲一网格南片".
    error = refused("boundary", actor=county.sysadmin, code="A1-3", name="甲一网格新片", level=RegionLevel.GRID2,
                    parent=county.a1, boundary=square(0, 0, 1, 0.5))
    assert error.message == "边界与同级区域重叠：甲一网格南片"


def test_overlap_with_two_siblings_names_both(county, unchanged):
    error = refused("boundary", actor=county.sysadmin, code="A1-3", name="甲一网格新片", level=RegionLevel.GRID2,
                    parent=county.a1, boundary=square(0, 0.5, 1, 1.5))
    assert error.message == "边界与同级区域重叠：甲一网格南片、甲一网格北片"


def test_siblings_sharing_a_border_are_accepted(county):
    region_create(**grid_under_b1(county, square(1, 0, 2, 1)))
    north = region_create(**grid_under_b1(county, square(1, 1, 2, 2), code="B1-2", name="乙一网格北片"))
    assert north.path == "/350724/350724001/350724001002/B1/B1-2/"


def test_child_outside_its_parent_is_refused(county, unchanged):
    # Half of it lies in 丙村: x from 1.5 to 2.5.
    error = refused("boundary", **grid_under_b1(county, square(1.5, 0, 2.5, 1)))
    assert error.message == "边界超出上级区域“乙一网格”的范围。"


def test_boundary_is_stored_as_plain_geojson_with_a_centre(county):
    grid = region_create(**grid_under_b1(county, square(1, 0, 2, 1)))
    grid.refresh_from_db()
    assert grid.boundary["type"] == "Polygon"
    assert grid.boundary["coordinates"][0][0] == [119.0, 27.0]
    assert (grid.center_lng, grid.center_lat) == (119.5, 27.5)


# --- the tree ----------------------------------------------------------------------------------


def test_grid_without_parent_is_refused(county, unchanged):
    error = refused("parent", actor=county.sysadmin, code="G1", name="孤立网格", level=RegionLevel.GRID1)
    assert error.message == "网格必须有上级区域。"


def test_street_without_parent_is_refused(county, unchanged):
    refused("parent", actor=county.sysadmin, code="350799001", name="孤立街道", level=RegionLevel.STREET)


def test_duplicate_code_is_refused(county, unchanged):
    error = refused("code", actor=county.sysadmin, code="A1", name="重复网格", level=RegionLevel.GRID1,
                    parent=county.b)
    assert error.message == "编码 A1 已被使用。"


def test_code_differing_only_in_letter_case_is_refused(county, unchanged):
    # On SQLite, LIKE (and so every scope filter) ignores case: /…/A1/a1-1/ would fall inside the
    # scope of whoever covers /…/A1/A1-1/. Codes must therefore differ in more than case.
    refused("code", actor=county.sysadmin, code="a1-1", name="小写网格", level=RegionLevel.GRID2, parent=county.a1)
    refused("code", actor=county.sysadmin, code="b1", name="小写网格", level=RegionLevel.GRID1, parent=county.b)


def test_bad_code_characters_are_refused(county, unchanged):
    refused("code", actor=county.sysadmin, code="B 1/2", name="坏编码", level=RegionLevel.GRID2, parent=county.b1)
    refused("code", actor=county.sysadmin, code="", name="无编码", level=RegionLevel.GRID2, parent=county.b1)


def test_wrong_level_chain_is_refused(county, unchanged):
    error = refused("level", actor=county.sysadmin, code="B1-X", name="跳级网格", level=RegionLevel.GRID2,
                    parent=county.b)
    assert error.message == "“乙社区”（社区/村）的下级应为一级网格，而不是二级网格。"
    refused("level", actor=county.sysadmin, code="350724003001", name="跳级社区", level=RegionLevel.COMMUNITY,
            parent=county.county)
    refused("level", actor=county.sysadmin, code="X9", name="未知层级", level=9, parent=county.b)


def test_nothing_below_a_third_level_grid(county):
    a1_1_1 = region_create(actor=county.sysadmin, code="A1-1-1", name="三级网格", level=RegionLevel.GRID3,
                           parent=county.a1_1)
    before = (Region.objects.count(), AuditLog.objects.count())
    with pytest.raises(ApplicationError) as caught:
        region_create(actor=county.sysadmin, code="A1-1-1-1", name="四级", level=8, parent=a1_1_1)
    assert (caught.value.field, caught.value.message) == ("level", "未知的层级 8。")
    assert (Region.objects.count(), AuditLog.objects.count()) == before


def test_empty_name_and_unknown_kind_are_refused(county, unchanged):
    refused("name", actor=county.sysadmin, code="B1-1", name="  ", level=RegionLevel.GRID2, parent=county.b1)
    refused("kind", actor=county.sysadmin, code="350724001003", name="丁社区", level=RegionLevel.COMMUNITY,
            parent=county.east, kind="hamlet")


def test_community_staff_cannot_create_regions(county, unchanged):
    with pytest.raises(PermissionDeniedError):
        region_create(actor=county.alice, code="A1-3", name="甲新片", level=RegionLevel.GRID2, parent=county.a1)


def test_county_staff_create_grids_inside_their_county_only(county):
    grid = region_create(actor=county.county_staff, code="B1-1", name="乙一网格南片", level=RegionLevel.GRID2,
                         parent=county.b1, boundary=square(1, 0, 2, 1))
    assert grid.parent == county.b1
    with pytest.raises(PermissionDeniedError):
        region_create(actor=county.county_staff, code="350725", name="邻县", level=RegionLevel.COUNTY)


def test_street_staff_cannot_touch_another_street(county):
    east_staff = make_user("eve", Role.STREET_STAFF, county.east)
    with pytest.raises(PermissionDeniedError):
        region_create(actor=east_staff, code="C1-1", name="丙一网格东片", level=RegionLevel.GRID2, parent=county.c1)


# --- region_update -----------------------------------------------------------------------------


def test_code_change_rewrites_the_whole_subtree(county):
    region_update(actor=county.sysadmin, region=county.a1, code="A9")
    paths = dict(Region.objects.values_list("code", "path"))
    assert paths["A9"] == "/350724/350724001/350724001001/A9/"
    assert paths["A1-1"] == "/350724/350724001/350724001001/A9/A1-1/"
    assert paths["A1-2"] == "/350724/350724001/350724001001/A9/A1-2/"
    assert paths["B1"] == "/350724/350724001/350724001002/B1/"
    assert paths["350724001001"] == "/350724/350724001/350724001001/"


def test_code_change_of_a_community_keeps_scopes_working(county):
    resident_create(actor=county.alice, name="张三", grid=county.a1_2)
    dave = make_user("dave", Role.GRID_WORKER)
    grid_worker_create(actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME, community=county.a,
                       grids=[county.a1_2], user=dave)
    region_update(actor=county.sysadmin, region=county.a, code="350724001009")
    county.alice.refresh_from_db()
    assert Region.objects.get(code="A1-2").path == "/350724/350724001/350724001009/A1/A1-2/"
    assert [r.name for r in resident_visible(county.alice)] == ["张三"]
    assert [r.name for r in resident_visible(dave)] == ["张三"]


def test_code_change_to_a_used_code_is_refused(county, unchanged):
    with pytest.raises(ApplicationError) as caught:
        region_update(actor=county.sysadmin, region=county.a1, code="B1")
    assert caught.value.field == "code"
    with pytest.raises(ApplicationError) as caught:
        region_update(actor=county.sysadmin, region=county.a1, code="b1")
    assert caught.value.field == "code"
    assert Region.objects.get(pk=county.a1.pk).path == "/350724/350724001/350724001001/A1/"


def test_code_change_of_case_only_on_the_same_region_is_allowed(county):
    grid = region_update(actor=county.sysadmin, region=county.b1, code="b1")
    assert grid.path == "/350724/350724001/350724001002/b1/"


def test_boundary_change_must_still_hold_the_children(county, unchanged):
    # Shrinking A1 to its southern half leaves A1-2 (甲一网格北片) outside.
    with pytest.raises(ApplicationError) as caught:
        region_update(actor=county.sysadmin, region=county.a1, boundary=square(0, 0, 1, 1))
    assert caught.value.field == "boundary"
    assert caught.value.message == "新边界未包含下级区域“甲一网格北片”。"
    assert Region.objects.get(pk=county.a1.pk).boundary["coordinates"][0][2] == [119.0, 29.0]


def test_boundary_change_must_not_overlap_a_sibling(county, unchanged):
    with pytest.raises(ApplicationError) as caught:
        region_update(actor=county.sysadmin, region=county.a1_1, boundary=square(0, 0, 1, 1.5))
    assert (caught.value.field, caught.value.message) == ("boundary", "边界与同级区域重叠：甲一网格北片")


def test_boundary_change_must_stay_inside_the_parent(county, unchanged):
    with pytest.raises(ApplicationError) as caught:
        region_update(actor=county.sysadmin, region=county.b1, boundary=square(1, 0, 2.5, 2))
    assert (caught.value.field, caught.value.message) == ("boundary", "边界超出上级区域“乙社区”的范围。")


def test_bad_boundary_on_update_is_refused(county, unchanged):
    with pytest.raises(ApplicationError) as caught:
        region_update(actor=county.sysadmin, region=county.b1, boundary={"type": "Point", "coordinates": pt(1, 1)})
    assert caught.value.field == "boundary"


def test_fields_that_cannot_change_are_refused(county, unchanged):
    with pytest.raises(ApplicationError) as caught:
        region_update(actor=county.sysadmin, region=county.b1, parent=county.a)
    assert caught.value.field == "parent"
    with pytest.raises(ApplicationError) as caught:
        region_update(actor=county.sysadmin, region=county.b1, population=-5)
    assert caught.value.field == "population"


def test_staffing_standard_and_kind_can_change(county):
    region = region_update(actor=county.sysadmin, region=county.c, kind=RegionKind.COMMUNITY, staffing_standard=20)
    region.refresh_from_db()
    assert (region.kind, region.staffing_standard) == (RegionKind.COMMUNITY, 20)


# --- buildings and organisations ---------------------------------------------------------------


def test_building_outside_a_grid_is_refused(county):
    with pytest.raises(ApplicationError) as caught:
        building_create(actor=county.alice, grid=county.a, code="BLD-A", name="甲1栋", address="甲路1号")
    assert caught.value.field == "grid"
    assert not Building.objects.exists()


def test_building_in_another_community_is_refused(county):
    with pytest.raises(PermissionDeniedError):
        building_create(actor=county.alice, grid=county.b1, code="BLD-B", name="乙1栋", address="乙路1号")


def test_building_creates_its_units_and_houses(county):
    building = building_create(actor=county.alice, grid=county.a1_1, code="BLD-A", name="甲1栋", address="甲路1号",
                               units=["1单元", "2单元"], rooms_per_unit=["101", "102", "201"])
    assert building.units.count() == 2
    assert sorted(building.units.get(name="2单元").houses.values_list("room", flat=True)) == ["101", "102", "201"]


def test_organisation_with_bad_or_duplicate_uscc_is_refused(county):
    with pytest.raises(ApplicationError) as caught:
        organisation_create(actor=county.alice, grid=county.a1_1, name="坏码公司", kind="enterprise",
                            uscc="91350100M000100Y44")
    assert caught.value.field == "uscc"
    organisation_create(actor=county.alice, grid=county.a1_1, name="松溪超市", kind="shop", uscc="91350100m000100y43")
    with pytest.raises(ApplicationError) as caught:
        organisation_create(actor=county.alice, grid=county.a1_1, name="又一家", kind="shop", uscc="91350100M000100Y43")
    assert caught.value.field == "uscc"
    assert list(Organisation.objects.values_list("uscc", flat=True)) == ["91350100M000100Y43"]


def test_organisation_of_unknown_kind_is_refused(county):
    with pytest.raises(ApplicationError) as caught:
        organisation_create(actor=county.alice, grid=county.a1_1, name="某单位", kind="bank")
    assert caught.value.field == "kind"
