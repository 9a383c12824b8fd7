"""Reads of the region tree, already narrowed to what the actor may see."""

from __future__ import annotations

import json

from django.db.models import Count, QuerySet

from jiceng.core.scope import get_scoped_or_404, is_active_account, restrict

from .choices import GRID_LEVELS, RegionLevel
from .models import Region


def region_visible(actor) -> QuerySet[Region]:
    return restrict(Region.objects.all(), actor)


def region_get(*, actor, pk: int | None = None, code: str | None = None) -> Region:
    lookup = {"pk": pk} if pk is not None else {"code": code}
    return get_scoped_or_404(Region.objects.select_related("parent"), actor, **lookup)


def region_roots(*, actor) -> list[Region]:
    """The top nodes of what the actor sees: its bound node; a grid worker's grids, each at whatever
    level, less any lying inside another of them; the tree's roots for the admins."""
    paths = actor.scope_paths(personal=False) if is_active_account(actor) else []
    if not paths:
        return []
    if "/" in paths:
        return list(Region.objects.filter(parent__isnull=True).order_by("code"))
    tops = [p for p in set(paths) if not any(p != q and p.startswith(q) for q in paths)]
    return list(Region.objects.filter(path__in=tops).order_by("code"))


def region_children(*, actor, region: Region) -> QuerySet[Region]:
    return region_visible(actor).filter(parent=region).order_by("code")


def region_ancestors(region: Region) -> list[Region]:
    """Breadcrumb: the chain above a node the actor may already see."""
    return list(Region.objects.filter(path__in=region.ancestor_paths()).order_by("depth"))


def region_subtree(region: Region) -> QuerySet[Region]:
    return Region.objects.filter(path__startswith=region.path)


def region_level_counts(*, actor, region: Region) -> dict[int, int]:
    """How many nodes of each level lie below ``region`` (the node itself excluded)."""
    rows = (region_visible(actor).filter(path__startswith=region.path).exclude(pk=region.pk)
            .values("level").annotate(n=Count("id")))
    return {row["level"]: row["n"] for row in rows}


def grid_boundaries(*, actor, region: Region, max_features: int = 5000) -> dict:
    """GeoJSON FeatureCollection of the region and the nodes one level and the deepest grids below it."""
    visible = region_visible(actor).filter(path__startswith=region.path, boundary__isnull=False)
    child_level = region.level + 1
    levels = {region.level, child_level}
    if region.level >= RegionLevel.COMMUNITY:
        levels |= set(GRID_LEVELS)
    rows = visible.filter(level__in=levels).values("id", "code", "name", "level", "boundary")[:max_features]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": row["id"],
                "geometry": row["boundary"],
                "properties": {"id": row["id"], "code": row["code"], "name": row["name"], "level": row["level"],
                               "level_label": str(RegionLevel(row["level"]).label), "self": row["id"] == region.pk},
            }
            for row in rows
        ],
    }


def region_children_counted(*, actor, region: Region) -> QuerySet[Region]:
    """Children annotated with how many children each has, so a tree knows which nodes expand."""
    return region_children(actor=actor, region=region).annotate(n_children=Count("children"))


def region_breadcrumb(*, actor, region: Region) -> list[tuple[Region, bool]]:
    """The ancestors of ``region`` with whether the actor may open each (nodes above the actor's
    own node are named but not linked)."""
    ancestors = region_ancestors(region)
    visible = set(region_visible(actor).filter(pk__in=[a.pk for a in ancestors]).values_list("pk", flat=True))
    return [(a, a.pk in visible) for a in ancestors]


def region_options(*, actor, levels=None) -> QuerySet[Region]:
    """Visible nodes in tree order, for drop-downs (filters, form choices)."""
    qs = region_visible(actor)
    if levels is not None:
        qs = qs.filter(level__in=list(levels))
    return qs.order_by("path")


def own_regions(actor) -> QuerySet[Region]:
    """The nodes an account is bound to (a grid worker's grids — each of them, at whatever level —,
    a community), in tree order; none for an account that sees the whole tree."""
    paths = [p for p in actor.scope_paths(personal=True) if p != "/"] if getattr(actor, "is_authenticated", False) else []
    return Region.objects.filter(path__in=paths).order_by("path") if paths else Region.objects.none()


def _own_nodes(actor) -> QuerySet[Region]:
    """The drawn nodes an account is bound to."""
    return own_regions(actor).filter(boundary__isnull=False)


def own_bounds(actor) -> tuple[float, float, float, float] | None:
    """[west, south, east, north] of the nodes an account is bound to (a grid worker's grids, a
    community's boundary), for a map to open on its holder's own ground; None when they have no
    drawn boundary or the account sees the whole tree."""
    from shapely.geometry import shape

    boxes = [shape(b).bounds for b in _own_nodes(actor).values_list("boundary", flat=True)]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


OUTLINE_TOLERANCE = 0.0003  # degrees (~30 m): enough to find one's street on a phone
OWN_TOLERANCE = 0.00003  # degrees (~3 m): one's own grids, drawn at street level


def _outline_feature(name: str, boundary: dict, tolerance: float, **extra) -> dict:
    """A named boundary simplified for drawing (``tolerance`` in degrees), as a GeoJSON feature."""
    from shapely import set_precision, simplify, to_geojson
    from shapely.geometry import shape

    geom = set_precision(simplify(shape(boundary), tolerance, preserve_topology=True), tolerance / 30)
    return {"type": "Feature", **extra, "properties": {"name": name},
            "geometry": json.loads(to_geojson(geom, indent=None))}


def own_outline(actor, *, max_features: int = 200) -> dict:
    """The nodes an account is bound to, outlined with their names: what a grid worker's patrol map
    draws over the communities' outlines so that it can be read at street level."""
    rows = _own_nodes(actor).order_by("path").values_list("pk", "name", "boundary")[:max_features]
    return {"type": "FeatureCollection",
            "features": [_outline_feature(name, boundary, OWN_TOLERANCE, id=pk) for pk, name, boundary in rows]}


def public_outline(*, max_features: int = 3000) -> dict:
    """What a resident's location picker draws to find the place on a map with no tiles (the product
    runs offline): the communities' boundaries (or, where none is drawn, the deepest grids') with
    their names, simplified. Public information (names and administrative boundaries, nothing
    about people); cached per boundary version, so a redrawn boundary shows on the next request (a
    renamed community within five minutes)."""
    from django.core.cache import cache

    from .locator import current_version, deepest_grids

    key = f"jiceng:regions:public-outline:{current_version()}:{max_features}"
    found = cache.get(key)
    if found is not None:
        return found
    rows = Region.objects.filter(level=RegionLevel.COMMUNITY, boundary__isnull=False).order_by("code")
    if not rows.exists():
        rows = deepest_grids()
    found = {"type": "FeatureCollection",
             "features": [_outline_feature(name, boundary, OUTLINE_TOLERANCE)
                          for name, boundary in rows.values_list("name", "boundary")[:max_features]]}
    cache.set(key, found, timeout=300)
    return found
