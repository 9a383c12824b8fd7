"""GeoJSON parsing and the spatial rules, without the database: each bad input is refused with the
``boundary`` field named and a message a county clerk can act on."""

import json

import pytest

from jiceng.core.errors import ApplicationError
from jiceng.regions import geo


def poly(*ring):
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


UNIT = poly((118, 27), (119, 27), (119, 28), (118, 28), (118, 27))


def refused(raw) -> str:
    with pytest.raises(ApplicationError) as caught:
        geo.parse_boundary(raw)
    assert caught.value.field == "boundary"
    return caught.value.message


def test_polygon_is_accepted_as_object_string_or_feature():
    assert geo.parse_boundary(UNIT).area == 1.0
    assert geo.parse_boundary(json.dumps(UNIT)).area == 1.0
    assert geo.parse_boundary({"type": "Feature", "properties": {}, "geometry": UNIT}).area == 1.0


def test_multipolygon_is_accepted():
    multi = {"type": "MultiPolygon", "coordinates": [UNIT["coordinates"],
                                                     [[[120, 27], [121, 27], [121, 28], [120, 28], [120, 27]]]]}
    assert geo.parse_boundary(multi).area == 2.0


def test_not_json_is_refused():
    assert refused("{oops").startswith("边界不是合法的 JSON")


def test_not_an_object_is_refused():
    assert refused([1, 2]) == "边界须为 GeoJSON 对象（Polygon 或 MultiPolygon）。"
    assert refused(42) == "边界须为 GeoJSON 对象（Polygon 或 MultiPolygon）。"


def test_other_geometry_types_are_refused():
    assert refused({"type": "Point", "coordinates": [118.5, 27.5]}) == \
        "边界类型须为 Polygon 或 MultiPolygon，而不是 'Point'。"
    assert "LineString" in refused({"type": "LineString", "coordinates": [[118, 27], [119, 28]]})
    assert refused({"type": "Feature", "geometry": None}) == "GeoJSON Feature 缺少 geometry。"


def test_missing_or_malformed_coordinates_are_refused():
    assert refused({"type": "Polygon"}) == "GeoJSON 缺少 coordinates。"
    assert refused({"type": "Polygon", "coordinates": []}) == "GeoJSON 缺少 coordinates。"
    assert refused({"type": "Polygon", "coordinates": [1, 2, 3]}).startswith("GeoJSON 坐标格式错误")
    assert refused(poly((118, 27), (119, 28))).startswith("GeoJSON 坐标格式错误")  # 2 points
    assert refused(poly(("a", "b"), (119, 27), (119, 28), ("a", "b"))).startswith("GeoJSON 坐标格式错误")


def test_bow_tie_is_refused_saying_where():
    message = refused(poly((118, 27), (119, 28), (119, 27), (118, 28), (118, 27)))
    assert message == "边界几何无效：Self-intersection[118.5 27.5]"


def test_zero_area_is_refused():
    assert refused(poly((118, 27), (118.5, 27.5), (119, 28), (118, 27))).startswith("边界几何无效")


def test_out_of_range_coordinates_are_refused():
    expected = "边界坐标超出经纬度范围（经度 -180～180，纬度 -90～90；顺序为[经度, 纬度]）。"
    assert refused(poly((27, 118), (28, 118), (28, 119), (27, 119), (27, 118))) == expected
    assert refused(poly((179, 0), (181, 0), (181, 1), (179, 1), (179, 0))) == expected


def test_nan_coordinates_are_refused():
    raw = '{"type": "Polygon", "coordinates": [[[NaN, 27], [119, 27], [119, 28], [118, 28], [NaN, 27]]]}'
    refused(raw)


def test_normalised_geojson_uses_plain_lists():
    stored = geo.normalise_geojson(geo.parse_boundary(UNIT))
    assert stored == {"type": "Polygon", "coordinates": [[[118.0, 27.0], [119.0, 27.0], [119.0, 28.0],
                                                           [118.0, 28.0], [118.0, 27.0]]]}


def test_touching_squares_do_not_overlap():
    right = geo.parse_boundary(poly((119, 27), (120, 27), (120, 28), (119, 28), (119, 27)))
    geo.check_no_overlap(geo.parse_boundary(UNIT), [("右", right)])


def test_rounding_along_a_shared_border_is_not_an_overlap():
    # A sliver 1e-11° wide along a 1° border is 1e-11 deg², under the 1e-10 deg² tolerance: rounding.
    # One 1e-6° wide (~10 cm × 111 km) is 1e-6 deg², above it: an overlap.
    nudged = geo.parse_boundary(poly((119 - 1e-11, 27), (120, 27), (120, 28), (119 - 1e-11, 28), (119 - 1e-11, 27)))
    geo.check_no_overlap(geo.parse_boundary(UNIT), [("右", nudged)])
    overlapping = geo.parse_boundary(poly((119 - 1e-6, 27), (120, 27), (120, 28), (119 - 1e-6, 28), (119 - 1e-6, 27)))
    with pytest.raises(ApplicationError) as caught:
        geo.check_no_overlap(geo.parse_boundary(UNIT), [("右", overlapping)])
    assert caught.value.message == "边界与同级区域重叠：右"


def test_a_child_may_touch_its_parents_border_but_not_cross_it():
    parent = geo.parse_boundary(UNIT)
    geo.check_within(geo.parse_boundary(poly((118, 27), (118.5, 27), (118.5, 28), (118, 28), (118, 27))),
                     parent, parent_name="甲")
    with pytest.raises(ApplicationError) as caught:
        geo.check_within(geo.parse_boundary(poly((118.5, 27), (119.5, 27), (119.5, 28), (118.5, 28), (118.5, 27))),
                         parent, parent_name="甲")
    assert caught.value.message == "边界超出上级区域“甲”的范围。"
