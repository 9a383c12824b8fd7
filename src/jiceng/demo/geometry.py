"""Boundaries for the demo county that tile exactly at every level.

Drawing each level by clipping Voronoi cells to the parent in floating point leaves borders that
differ in the last digits between neighbours and between a parent and its children. So the shapes
are drawn in two passes:

1. *Sketch* (floating point): the county outline, a compact urban core around the county seat cut
   into 街道, the rest cut into 乡镇 as wedges around the seat, then Voronoi cells (relaxed once or
   twice, Lloyd style) for communities, villages and grids, each clipped to its parent.
2. *Exact*: the sketch's leaf borders are noded together on a 1e-6° grid (about 10 cm) and
   polygonised into faces; every face goes to one leaf, and every region is the union of its
   leaves' faces. Neighbours then share the very same vertices, and children partition their
   parent with no gap and no overlap. A region that came out in several pieces hands its smaller
   pieces to the neighbouring sibling that shares the longest border, so each is one Polygon.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

import shapely
from shapely import STRtree
from shapely.geometry import MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry

GRID_SIZE = 1e-6


def blob(rng: random.Random, cx: float, cy: float, rx: float, ry: float, *, vertices: int = 96,
         roughness: float = 0.12) -> Polygon:
    """An irregular star-shaped outline: a radius that wobbles with a few random harmonics."""
    harmonics = [(k, rng.uniform(0.3, 1.0) * roughness / k ** 0.6, rng.uniform(0, 2 * math.pi))
                 for k in range(2, 8)]
    coords = []
    for i in range(vertices):
        theta = 2 * math.pi * i / vertices
        r = 1 + sum(a * math.sin(k * theta + phase) for k, a, phase in harmonics)
        r *= 1 + rng.uniform(-0.015, 0.015)
        coords.append((cx + rx * r * math.cos(theta), cy + ry * r * math.sin(theta)))
    return shapely.make_valid(Polygon(coords)).buffer(0)


def wedges(rng: random.Random, cx: float, cy: float, n: int, *, reach: float = 2.0) -> list[Polygon]:
    """``n`` wedges around (cx, cy) with wavy edges, covering the disc of radius ``reach``."""
    start = rng.uniform(0, 2 * math.pi)
    step = 2 * math.pi / n
    angles = [start + i * step + rng.uniform(-0.2, 0.2) * step for i in range(n)]
    rays = []
    for angle in angles:
        ray, drift = [(cx, cy)], 0.0
        for j in range(1, 41):
            drift = max(-0.12 * step, min(0.12 * step, drift + rng.uniform(-0.04, 0.04)))
            t = reach * (j / 40) ** 1.6
            ray.append((cx + t * math.cos(angle + drift), cy + t * math.sin(angle + drift)))
        rays.append(ray)
    out = []
    for i in range(n):
        a0, a1 = angles[i], angles[(i + 1) % n] + (2 * math.pi if i == n - 1 else 0)
        arc = [(cx + 1.5 * reach * math.cos(a0 + (a1 - a0) * s / 16), cy + 1.5 * reach * math.sin(a0 + (a1 - a0) * s / 16))
               for s in range(17)]
        ring = rays[i] + arc + list(reversed(rays[(i + 1) % n]))
        out.append(shapely.make_valid(Polygon(ring)).buffer(0))
    return out


def random_points(rng: random.Random, geom: BaseGeometry, n: int, *, digits: int | None = None) -> list[Point]:
    """``n`` points strictly inside ``geom`` (rejection sampling in its bounding box), still inside
    once rounded to ``digits`` decimals when given."""
    shapely.prepare(geom)
    minx, miny, maxx, maxy = geom.bounds
    points: list[Point] = []
    tries = 0
    while len(points) < n:
        tries += 1
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if digits is not None:
            x, y = round(x, digits), round(y, digits)
        if shapely.contains_xy(geom, x, y):
            points.append(Point(x, y))
        elif tries > 10_000 + 1000 * n:
            points.append(geom.representative_point())
    return points


def voronoi_split(rng: random.Random, parent: BaseGeometry, n: int, *, relax: int = 2) -> list[BaseGeometry]:
    """``n`` cells covering ``parent``: Voronoi cells of random seeds, relaxed toward their
    centroids ``relax`` times, clipped to the parent (floating point: a sketch)."""
    if n <= 1:
        return [parent]
    seeds = random_points(rng, parent, n)
    minx, miny, maxx, maxy = parent.bounds
    frame = shapely.box(minx, miny, maxx, maxy).buffer(max(maxx - minx, maxy - miny))
    cells: list[BaseGeometry] = []
    for round_ in range(relax + 1):
        diagram = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=frame, ordered=True)
        cells = [cell.intersection(parent) for cell in diagram.geoms]
        if round_ == relax:
            break
        seeds = [
            cell.centroid if not cell.is_empty and parent.contains(cell.centroid)
            else (cell.representative_point() if not cell.is_empty else seed)
            for cell, seed in zip(cells, seeds, strict=True)
        ]
    return cells


def reading_order(cells: Sequence[BaseGeometry]) -> list[int]:
    """Indices of ``cells`` from north-west to south-east, in bands: how people number things."""
    centres = [c.representative_point() for c in cells]
    if not centres:
        return []
    ys = [p.y for p in centres]
    band = (max(ys) - min(ys)) / max(1, round(math.sqrt(len(cells)))) or 1.0
    return sorted(range(len(cells)), key=lambda i: (-math.floor((centres[i].y - min(ys)) / band), centres[i].x))


class Tiling:
    """The exact pass: faces from the noded leaf borders, each owned by one leaf.

    ``parent_of`` maps every node id to its parent id (None for the root); ``sketch`` holds the
    floating-point geometry of each leaf. Regions are then unions of faces.
    """

    def __init__(self, sketch: dict[int, BaseGeometry], parent_of: dict[int, int | None]):
        self.parent_of = parent_of
        self.children: dict[int | None, list[int]] = {}
        for node, parent in parent_of.items():
            self.children.setdefault(parent, []).append(node)
        leaf_ids = list(sketch)
        borders = shapely.union_all([shapely.boundary(sketch[i]) for i in leaf_ids], grid_size=GRID_SIZE)
        self.faces: list[Polygon] = [f for f in shapely.get_parts(shapely.polygonize(shapely.get_parts(borders)))
                                     if f.area > 0]
        tree = STRtree([sketch[i] for i in leaf_ids])
        self.owner: list[int] = []
        for face in self.faces:
            point = face.representative_point()
            hits = tree.query(point, predicate="intersects")
            if len(hits) == 1:
                self.owner.append(leaf_ids[int(hits[0])])
                continue
            candidates = hits if len(hits) else tree.query(face, predicate="intersects")
            if len(candidates):
                best = max(candidates, key=lambda h: sketch[leaf_ids[int(h)]].intersection(face).area)
            else:
                best = tree.nearest(point)
            self.owner.append(leaf_ids[int(best)])
        self.leaf_faces: dict[int, set[int]] = {i: set() for i in leaf_ids}
        for face_index, leaf in enumerate(self.owner):
            self.leaf_faces[leaf].add(face_index)
        self._geom: dict[int, BaseGeometry] = {}

    def leaves_under(self, node: int) -> list[int]:
        kids = self.children.get(node)
        if not kids:
            return [node]
        return [leaf for kid in kids for leaf in self.leaves_under(kid)]

    def geometry(self, node: int) -> BaseGeometry:
        if node not in self._geom:
            kids = self.children.get(node)
            if kids:
                parts = [self.geometry(k) for k in kids]
            else:
                parts = [self.faces[i] for i in sorted(self.leaf_faces[node])]
            parts = [p for p in parts if not p.is_empty]
            self._geom[node] = shapely.union_all(parts, grid_size=GRID_SIZE) if parts else Polygon()
        return self._geom[node]

    def _forget(self, leaf: int) -> None:
        node: int | None = leaf
        while node is not None:
            self._geom.pop(node, None)
            node = self.parent_of[node]

    def _move_face(self, face_index: int, to_leaf: int) -> None:
        old = self.owner[face_index]
        self.leaf_faces[old].discard(face_index)
        self.leaf_faces[to_leaf].add(face_index)
        self.owner[face_index] = to_leaf
        self._forget(old)
        self._forget(to_leaf)

    def make_connected(self, order: list[int]) -> None:
        """Top-down (``order``: parents before children): give each stray piece of a region to the
        sibling sharing the longest border with it, down to that sibling's bordering leaf."""
        for node in order:
            for _ in range(20):
                geom = self.geometry(node)
                if geom.geom_type == "Polygon" or geom.is_empty:
                    break
                parent = self.parent_of[node]
                siblings = [s for s in self.children.get(parent, []) if s != node]
                parts = sorted(shapely.get_parts(geom), key=lambda p: p.area, reverse=True)
                for piece in parts[1:]:
                    self._hand_over(node, piece, siblings)

    def _hand_over(self, node: int, piece: BaseGeometry, siblings: list[int]) -> None:
        def shared(target: BaseGeometry) -> float:
            return piece.boundary.intersection(target.boundary).length

        best_sibling = max(siblings, key=lambda s: shared(self.geometry(s)), default=None)
        if best_sibling is None or shared(self.geometry(best_sibling)) == 0:
            return
        target_leaf = max(self.leaves_under(best_sibling), key=lambda lf: shared(self.geometry(lf)))
        faces = [i for lf in self.leaves_under(node) for i in sorted(self.leaf_faces[lf])
                 if piece.covers(self.faces[i].representative_point())]
        for face_index in faces:
            self._move_face(face_index, target_leaf)


def check_tiling(geoms: dict[int, BaseGeometry], children: Callable[[int], list[int]], root: int) -> list[str]:
    """Problems with a finished tiling (empty when every level partitions its parent exactly)."""
    problems = []
    stack = [root]
    while stack:
        node = stack.pop()
        geom = geoms[node]
        if geom.geom_type != "Polygon" or not geom.is_valid or geom.area <= 0:
            problems.append(f"{node}: {geom.geom_type} valid={geom.is_valid} area={geom.area}")
        kids = children(node)
        if kids:
            total = sum(geoms[k].area for k in kids)
            if abs(total - geom.area) > 1e-9:
                problems.append(f"{node}: children cover {total} of {geom.area}")
            stack.extend(kids)
    return problems
