"""Point → grid: an STRtree over the deepest grids, cached per process and rebuilt when any
boundary changes (a version number in the shared cache, bumped by the region services)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.core.cache import cache
from shapely import STRtree
from shapely.geometry import Point, shape

from jiceng.core import rows

from .choices import GRID_LEVELS
from .models import Region

VERSION_KEY = "jiceng:regions:boundary-version"
_lock = threading.Lock()
_index: GridIndex | None = None


@dataclass(frozen=True)
class GridIndex:
    version: int
    ids: list[int]
    codes: list[str]
    geoms: list
    tree: STRtree

    def locate(self, lng: float, lat: float) -> int | None:
        """Id of the grid holding the point, using the STRtree."""
        point = Point(lng, lat)
        return self._choose(point, [int(i) for i in self.tree.query(point, predicate="intersects")])

    def locate_naive(self, lng: float, lat: float) -> int | None:
        """The same answer from a plain loop over every polygon (the benchmark's baseline)."""
        point = Point(lng, lat)
        return self._choose(point, [i for i, geom in enumerate(self.geoms) if geom.intersects(point)])

    def _choose(self, point: Point, hits: list[int]) -> int | None:
        """On a border shared by several grids, a grid whose interior holds the point wins; a point
        exactly on a border goes to the grid with the lowest code, so the answer is deterministic."""
        if not hits:
            return None
        if len(hits) == 1:
            return self.ids[hits[0]]
        inside = [i for i in hits if self.geoms[i].contains(point)]
        return self.ids[min(inside or hits, key=lambda i: self.codes[i])]


def _fresh_version() -> int:
    """Where a lost counter (cache restart, culling) starts again: from the clock, so never at a
    number an index already built in some process may carry."""
    return time.time_ns() // 1000


def current_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _fresh_version(), timeout=None)
        version = cache.get(VERSION_KEY) or _fresh_version()
    return int(version)


def bump_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, _fresh_version(), timeout=None)


def deepest_grids():
    """Grids with a boundary and no child grid with a boundary: the cells that tile the area.

    A child grid not yet drawn does not hide its parent (creating one bumps no index version, so
    counting it would also make the answer depend on when a process last rebuilt its index)."""
    grids = Region.objects.filter(level__in=GRID_LEVELS, boundary__isnull=False)
    parents_with_grid_children = Region.objects.filter(
        level__in=GRID_LEVELS, children__level__in=GRID_LEVELS, children__boundary__isnull=False
    ).values("id")
    return grids.exclude(id__in=parents_with_grid_children).order_by("code")


def build_index(version: int = 0) -> GridIndex:
    ids, codes, geoms = [], [], []
    for rid, code, boundary in deepest_grids().values_list("id", "code", "boundary").iterator(chunk_size=2000):
        ids.append(rid)
        codes.append(code)
        geoms.append(shape(boundary))
    return GridIndex(version=version, ids=ids, codes=codes, geoms=geoms, tree=STRtree(geoms))


def get_index() -> GridIndex:
    global _index
    version = current_version()
    index = _index
    if index is not None and index.version == version:
        return index
    with _lock:
        if _index is None or _index.version != version:
            _index = build_index(version)
        return _index


def locate_grid(lng: float, lat: float) -> Region | None:
    """The deepest grid holding the point, or None ('no grid')."""
    grid_id = get_index().locate(lng, lat)
    if grid_id is None:
        return None
    return rows.row(Region, pk=grid_id)  # every intake with a point reads it: see core.rows
