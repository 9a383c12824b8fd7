"""The console's map of open cases, for a county and for a province.

Up to ``limit`` open cases in view come as points (the overdue first, then the latest reported).
Beyond that the map would be a smear of dots that hides what a command centre needs to read, and
a province holds hundreds of thousands of open cases: the cases in view are counted per
community (per grid when the view holds very few communities; per street, county … when it holds
too many to read), each group a bubble at the mean position of its cases with its count, its
overdue count and the box its cases span (a click zooms there; the map asks again for what is in
the new view). Every figure is counted from the case rows in the same request. "Overdue" is
overdue now (``overdue_now``, 超期未办结), as on the console's tile and the list it opens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Avg, BooleanField, Count, ExpressionWrapper, F, Max, Min, Q, QuerySet
from django.utils.translation import gettext as _

from jiceng.core.errors import ApplicationError
from jiceng.regions.models import Region

from ..choices import OPEN_STATES
from ..models import Event
from .cases import overdue_now

MAP_POINTS = 2000  # points drawn one by one; more are drawn as bubbles
MAP_BUBBLES = 400  # bubbles readable at once: more groups are summed into their parents
FEW_COMMUNITIES = 2  # a view this close that still holds too many points is split by grid
POINT_FIELDS = ("id", "lng", "lat", "title", "state", "overdue_at", "reported_at")


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, text: str | None) -> BBox | None:
        """``west,south,east,north`` in degrees (WGS 84), as Leaflet's ``toBBoxString`` writes it."""
        if not text:
            return None
        try:
            west, south, east, north = (float(p) for p in text.split(","))
        except ValueError:
            raise ApplicationError(_("地图范围应为“西,南,东,北”四个经纬度。"), field="bbox") from None
        if not all(math.isfinite(v) for v in (west, south, east, north)) or not (
                -180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ApplicationError(_("地图范围应为“西,南,东,北”四个经纬度，且西小于东、南小于北。"), field="bbox")
        return cls(west, south, east, north)

    def q(self) -> Q:
        return Q(lng__gte=self.west, lng__lte=self.east, lat__gte=self.south, lat__lte=self.north)


def map_bubbles(text: str | None) -> int | None:
    """How many bubbles a map has room for (the page asks by its size in pixels), 1 to MAP_BUBBLES;
    none asked: None (MAP_BUBBLES)."""
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAP_BUBBLES:
        raise ApplicationError(_("bubbles 应为 1 到 %(max)s 之间的整数。") % {"max": MAP_BUBBLES}, field="bubbles")
    return int(text)


def _point(e: Event) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [e.lng, e.lat]},
            "properties": {"kind": "case", "id": e.pk, "number": e.number, "title": e.title, "state": e.state,
                           "state_label": e.get_state_display(), "overdue": e.late}}


# The levels a bubble can stand for, finest first: a community, then its street, county, city —
# each read in SQL through the community's parents.
LEVELS = ("community_id", "community__parent_id", "community__parent__parent_id",
          "community__parent__parent__parent_id")


@dataclass
class _Group:
    """Open cases of one region in view: how many, how many overdue, the sums for their mean
    position and the box they span."""

    region_id: int
    n: int
    overdue: int
    sum_lng: float
    sum_lat: float
    west: float
    south: float
    east: float
    north: float


def _groups(cases: QuerySet[Event], field: str) -> list[_Group]:
    rows = (cases.order_by().values(field)
            .annotate(n=Count("id"), n_overdue=Count("id", filter=overdue_now()),
                      mean_lng=Avg("lng"), mean_lat=Avg("lat"), west=Min("lng"), south=Min("lat"),
                      east=Max("lng"), north=Max("lat")))
    return [_Group(r[field], r["n"], r["n_overdue"], r["mean_lng"] * r["n"], r["mean_lat"] * r["n"], r["west"],
                   r["south"], r["east"], r["north"]) for r in rows if r[field] is not None]


def _bubbles(cases: QuerySet[Event], *, bubbles: int) -> list[_Group]:
    """Bubbles at the finest level with at most ``bubbles`` of them (counted in SQL first, so a
    province's 20,000 communities never come back as rows), a grid each for a view of one or two
    communities."""
    chosen = LEVELS[-1]
    for level in LEVELS:
        count = cases.order_by().aggregate(n=Count(level, distinct=True))["n"]
        if level == LEVELS[0] and count <= FEW_COMMUNITIES:
            by_grid = _groups(cases, "grid_id")
            if len(by_grid) <= bubbles:
                return by_grid
        if count <= bubbles:
            chosen = level
            break
    return _groups(cases, chosen)


def _bubble(g: _Group, regions: dict[int, Region]) -> dict:
    region = regions.get(g.region_id)
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [g.sum_lng / g.n, g.sum_lat / g.n]},
            "properties": {"kind": "group", "region": g.region_id, "name": region.name if region else "",
                           "level": region.level if region else None, "count": g.n, "overdue": g.overdue,
                           "bounds": [g.west, g.south, g.east, g.north]}}


def open_case_map(cases: QuerySet[Event], *, bbox: BBox | None = None, points: int | None = None,
                  bubbles: int | None = None) -> dict:
    """A GeoJSON FeatureCollection of the open cases with a place among ``cases`` (already narrowed
    to the viewer and the console's filters), within ``bbox`` when given: points when there are at
    most ``points``, else bubbles per region. ``total`` is every open case in view, ``mode`` says
    which it is."""
    points = MAP_POINTS if points is None else points
    bubbles = MAP_BUBBLES if bubbles is None else bubbles
    open_cases = cases.filter(state__in=list(OPEN_STATES), lng__isnull=False, lat__isnull=False)
    if bbox is not None:
        open_cases = open_cases.filter(bbox.q())
    if len(open_cases.order_by().values_list("pk", flat=True)[:points + 1]) <= points:  # a bounded count
        found = list(open_cases.select_related(None).only(*POINT_FIELDS)
                     .annotate(late=ExpressionWrapper(overdue_now(), output_field=BooleanField()))
                     .order_by(F("late").desc(), "-reported_at", "-id"))
        return {"type": "FeatureCollection", "mode": "points", "features": [_point(e) for e in found],
                "total": len(found), "limit": points}
    groups = _bubbles(open_cases, bubbles=bubbles)
    regions = Region.objects.only("pk", "name", "level").in_bulk([g.region_id for g in groups])
    groups.sort(key=lambda g: (-g.n, g.region_id))
    return {"type": "FeatureCollection", "mode": "groups", "features": [_bubble(g, regions) for g in groups],
            "total": sum(g.n for g in groups), "limit": points}

