"""GeoJSON boundaries: parsing with clear errors, and the spatial rules between grids."""

from __future__ import annotations

from typing import Any

import shapely
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from jiceng.core.errors import ApplicationError

# Areas are in square degrees (WGS84). 1e-10 deg² is about 1 m² at these latitudes: an overlap
# smaller than that is rounding along a shared border, not an overlap.
AREA_TOLERANCE = 1e-10
COVER_TOLERANCE = 1e-7  # ~1 cm: a child may touch its parent's border


def parse_boundary(raw: Any, *, field: str = "boundary") -> BaseGeometry:
    """Accept a GeoJSON Polygon/MultiPolygon geometry, or a Feature holding one."""
    if isinstance(raw, str):
        import json

        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise ApplicationError(_("边界不是合法的 JSON：%(error)s") % {"error": exc}, field=field) from exc
    if not isinstance(raw, dict):
        raise ApplicationError(_("边界须为 GeoJSON 对象（Polygon 或 MultiPolygon）。"), field=field)
    if raw.get("type") == "Feature":
        raw = raw.get("geometry")
        if not isinstance(raw, dict):
            raise ApplicationError(_("GeoJSON Feature 缺少 geometry。"), field=field)
    gtype = raw.get("type")
    if gtype not in ("Polygon", "MultiPolygon"):
        raise ApplicationError(_("边界类型须为 Polygon 或 MultiPolygon，而不是 %(type)s。") % {
            "type": repr(gtype)}, field=field)
    coords = raw.get("coordinates")
    if not isinstance(coords, list) or not coords:
        raise ApplicationError(_("GeoJSON 缺少 coordinates。"), field=field)
    try:
        geom = shape(raw)
    except (ValueError, TypeError, IndexError, AttributeError, OverflowError, shapely.errors.GEOSException) as exc:
        raise ApplicationError(_("GeoJSON 坐标格式错误：%(error)s") % {"error": exc}, field=field) from exc
    if geom.is_empty:
        raise ApplicationError(_("边界为空。"), field=field)
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ApplicationError(_("边界坐标超出经纬度范围（经度 -180～180，纬度 -90～90；顺序为[经度, 纬度]）。"),
                               field=field)
    if not geom.is_valid:
        raise ApplicationError(_("边界几何无效：%(reason)s") % {"reason": explain_validity(geom)}, field=field)
    if geom.area <= 0:
        raise ApplicationError(_("边界面积为零。"), field=field)
    return geom


def to_geojson(geom: BaseGeometry) -> dict:
    return mapping(geom) | {}


def normalise_geojson(geom: BaseGeometry) -> dict:
    """Store coordinates as plain lists (mapping() yields tuples)."""
    import json

    return json.loads(shapely.to_geojson(geom))


def check_within(child: BaseGeometry, parent: BaseGeometry, *, parent_name: str, field: str = "boundary") -> None:
    if not parent.buffer(COVER_TOLERANCE).covers(child):
        raise ApplicationError(_("边界超出上级区域“%(parent)s”的范围。") % {"parent": parent_name}, field=field)


def overlap_area(a: BaseGeometry, b: BaseGeometry) -> float:
    if not a.intersects(b):
        return 0.0
    return a.intersection(b).area


def check_no_overlap(geom: BaseGeometry, siblings: list[tuple[str, BaseGeometry]], *, field: str = "boundary") -> None:
    clashes = [name for name, other in siblings if overlap_area(geom, other) > AREA_TOLERANCE]
    if clashes:
        raise ApplicationError(_("边界与同级区域重叠：%(names)s") % {
            "names": pgettext("list separator", "、").join(clashes[:10])},
                               field=field)
