"""The demo county's plan: the region tree with names, codes, boundaries and head counts, and who
works which grid. Pure computation (no database), deterministic for a seed, so tests can check
the full-scale figures without inserting anything.

At scale 1.0 the county is shaped like 松溪 in the reports: 2 街道 and 6 乡镇; 10 urban
communities with 10 一级网格, 76 二级网格 and 701 三级网格; 60 villages with one grid each (761
deepest grids); 879 grid workers (76 专职, 760 兼职, 43 特聘); 50,000 residents. Smaller scales
shrink every count, keeping at least two children per parent so tiling is still exercised.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from shapely.geometry.base import BaseGeometry

from jiceng.people.choices import WorkerKind
from jiceng.regions.choices import RegionKind, RegionLevel

from . import geometry, names

DEFAULT_SEED = 14580
STAFFING_STANDARD = 18  # 专职 workers per 10,000 urban residents (settings.JICENG_STAFFING_STANDARD)

FULL_SCALE = {
    "subdistricts": 2, "towns": 6, "communities": 10, "villages": 60, "grid2": 76, "grid3": 701,
    "residents": 50_000, "part_time_urban": 640, "part_time_per_village": 2, "special": 43,
}
URBAN_SHARE = 0.64  # of residents living in the urban communities
COUNTY_CENTRE = (118.70, 27.50)
COUNTY_RADII = (0.30, 0.25)  # a county about 0.6° × 0.5°
CORE_RADII = (0.036, 0.030)  # the county seat's built-up area
_URBAN_HOUSEHOLDS = {1: 0.17, 2: 0.30, 3: 0.28, 4: 0.15, 5: 0.07, 6: 0.03}
_VILLAGE_HOUSEHOLDS = {1: 0.15, 2: 0.25, 3: 0.22, 4: 0.18, 5: 0.12, 6: 0.08}
SPECIAL_OCCUPATIONS = [("快递员", 0.4), ("外卖骑手", 0.4), ("网约车司机", 0.2)]


@dataclass(eq=False)
class Node:
    """One region of the plan. Leaves (三级网格 in towns, the village's only grid) carry the
    household sizes of the residents who live there."""

    id: int
    code: str
    name: str
    level: int
    kind: str
    parent: Node | None
    children: list[Node] = field(default_factory=list)
    geom: BaseGeometry | None = None
    household_sizes: list[int] = field(default_factory=list)
    place: str = ""  # 三级网格: the housing estate or street section it is named after
    is_estate: bool = False

    @property
    def population(self) -> int:
        if self.children:
            return sum(c.population for c in self.children)
        return sum(self.household_sizes)

    @property
    def households(self) -> int:
        if self.children:
            return sum(c.households for c in self.children)
        return len(self.household_sizes)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def ancestor(self, level: int) -> Node | None:
        node: Node | None = self
        while node is not None and node.level != level:
            node = node.parent
        return node

    def address_prefix(self) -> str:
        """County + street + community, as written on an address: 松川县城关街道城东社区."""
        parts = [n.name for n in (self.ancestor(RegionLevel.COUNTY), self.ancestor(RegionLevel.STREET),
                                  self.ancestor(RegionLevel.COMMUNITY)) if n is not None]
        return "".join(parts)

    def leaves(self) -> list[Node]:
        if not self.children:
            return [self]
        return [leaf for c in self.children for leaf in c.leaves()]


@dataclass(frozen=True)
class WorkerPlan:
    kind: str
    community: Node
    grids: tuple[Node, ...]
    occupation: str = ""


@dataclass
class CountyPlan:
    seed: int
    scale: float
    nodes: list[Node]  # parents before children
    workers: list[WorkerPlan]

    @property
    def county(self) -> Node:
        return self.nodes[0]

    def at_level(self, level: int, kind: str | None = None) -> list[Node]:
        return [n for n in self.nodes if n.level == level and (kind is None or n.kind == kind)]

    def deepest_grids(self) -> list[Node]:
        return [n for n in self.nodes if n.is_leaf and n.level >= RegionLevel.GRID1]

    def staffing(self) -> dict[str, float]:
        """专职 workers per 10,000 residents for each urban community (the standard's unit)."""
        full_time: dict[str, int] = {}
        for worker in self.workers:
            if worker.kind == WorkerKind.FULL_TIME:
                full_time[worker.community.code] = full_time.get(worker.community.code, 0) + 1
        return {
            c.code: round(full_time.get(c.code, 0) * 10_000 / c.population, 1) if c.population else 0.0
            for c in self.at_level(RegionLevel.COMMUNITY, RegionKind.COMMUNITY)
        }

    def counts(self) -> dict[str, int]:
        by_kind = {k: sum(1 for w in self.workers if w.kind == k) for k in WorkerKind.values}
        return {
            "streets": len(self.at_level(RegionLevel.STREET)),
            "subdistricts": len(self.at_level(RegionLevel.STREET, RegionKind.SUBDISTRICT)),
            "towns": len(self.at_level(RegionLevel.STREET, RegionKind.TOWN)),
            "communities": len(self.at_level(RegionLevel.COMMUNITY, RegionKind.COMMUNITY)),
            "villages": len(self.at_level(RegionLevel.COMMUNITY, RegionKind.VILLAGE)),
            "grid1": len(self.at_level(RegionLevel.GRID1)),
            "grid2": len(self.at_level(RegionLevel.GRID2)),
            "grid3": len(self.at_level(RegionLevel.GRID3)),
            "deepest_grids": len(self.deepest_grids()),
            "regions": len(self.nodes),
            "residents": self.county.population,
            "households": self.county.households,
            "workers": len(self.workers),
            "workers_full_time": by_kind[WorkerKind.FULL_TIME],
            "workers_part_time": by_kind[WorkerKind.PART_TIME],
            "workers_special": by_kind[WorkerKind.SPECIAL],
        }


def scaled_counts(scale: float) -> dict[str, int]:
    """The tree's size at ``scale``: every level shrinks with it, two children per parent at least."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    f = FULL_SCALE
    subdistricts = f["subdistricts"]
    towns = max(2, round(f["towns"] * scale))
    communities = max(2 * subdistricts, round(f["communities"] * scale))
    villages = max(2 * towns, round(f["villages"] * scale))
    grid2 = max(2 * communities, round(f["grid2"] * scale))
    grid3 = max(2 * grid2, round(f["grid3"] * scale))
    return {
        "subdistricts": subdistricts, "towns": towns, "communities": communities, "villages": villages,
        "grid2": grid2, "grid3": grid3, "residents": max(50, round(f["residents"] * scale)),
        "part_time_urban": min(grid3, round(f["part_time_urban"] * grid3 / f["grid3"])),
        "part_time_per_village": f["part_time_per_village"],
        "special": max(1, round(f["special"] * scale)),
    }


def spread(rng: random.Random, total: int, k: int, *, minimum: int = 0, jitter: float = 0.3,
           weights: list[float] | None = None) -> list[int]:
    """Split ``total`` into ``k`` whole parts (each at least ``minimum``) around the given or
    random weights, by largest remainder. Deterministic for the generator's state."""
    if k <= 0:
        return []
    weights = weights or [rng.uniform(1 - jitter, 1 + jitter) for _ in range(k)]
    free = total - minimum * k
    if free < 0:
        raise ValueError(f"cannot split {total} into {k} parts of at least {minimum}")
    wsum = sum(weights)
    raw = [free * w / wsum for w in weights]
    parts = [math.floor(r) for r in raw]
    order = sorted(range(k), key=lambda i: (raw[i] - parts[i], -i), reverse=True)
    for i in order[: free - sum(parts)]:
        parts[i] += 1
    return [p + minimum for p in parts]


def _household_sizes(rng: random.Random, people: int, table: dict[int, float]) -> list[int]:
    sizes, left = [], people
    options, probs = list(table), list(table.values())
    while left > 0:
        size = min(left, rng.choices(options, probs)[0])
        sizes.append(size)
        left -= size
    return sizes


class _Builder:
    def __init__(self, seed: int, scale: float):
        self.seed, self.scale = seed, scale
        self.rng = random.Random(f"jiceng-demo:{seed}:tree")
        self.geo_rng = random.Random(f"jiceng-demo:{seed}:geometry")
        self.places = names.PlaceNames(random.Random(f"jiceng-demo:{seed}:places"))
        self.nodes: list[Node] = []
        self.sketch: dict[int, BaseGeometry] = {}

    def add(self, *, code: str, name: str, level: int, kind: str = "", parent: Node | None,
            sketch: BaseGeometry) -> Node:
        node = Node(id=len(self.nodes), code=code, name=name, level=level, kind=kind, parent=parent)
        self.nodes.append(node)
        if parent is not None:
            parent.children.append(node)
        self.sketch[node.id] = sketch
        return node

    def split(self, parent_sketch: BaseGeometry, n: int) -> list[BaseGeometry]:
        cells = geometry.voronoi_split(self.geo_rng, parent_sketch, n)
        return [cells[i] for i in geometry.reading_order(cells)]

    def build(self) -> CountyPlan:
        counts = scaled_counts(self.scale)
        rng, geo_rng = self.rng, self.geo_rng
        cx, cy = COUNTY_CENTRE
        outline = geometry.blob(geo_rng, cx, cy, *COUNTY_RADII, vertices=120, roughness=0.16)
        seat = (cx + geo_rng.uniform(0.01, 0.04), cy + geo_rng.uniform(0.0, 0.03))
        core = geometry.blob(geo_rng, *seat, *CORE_RADII, vertices=72, roughness=0.1)
        county = self.add(code=names.COUNTY_CODE, name=names.COUNTY_NAME, level=RegionLevel.COUNTY,
                          parent=None, sketch=outline)

        sub_names = names.pick_names(rng, names.SUBDISTRICT_NAMES, counts["subdistricts"], "第{i}街道",
                                     shuffle=False)
        subdistricts = [
            self.add(code=f"{county.code}{i + 1:03d}", name=sub_names[i], level=RegionLevel.STREET,
                     kind=RegionKind.SUBDISTRICT, parent=county, sketch=cell)
            for i, cell in enumerate(self.split(core, counts["subdistricts"]))
        ]
        town_cells = [w.intersection(outline).difference(core) for w in
                      geometry.wedges(geo_rng, *seat, counts["towns"])]
        town_names = names.pick_names(rng, names.TOWN_NAMES, counts["towns"], "第{i}镇")
        towns, numbers = [], {"镇": 100, "乡": 200}  # 行政区划: 镇 1xx, 乡 2xx
        for i, cell in enumerate(town_cells):
            kind_char = "乡" if town_names[i].endswith("乡") else "镇"
            numbers[kind_char] += 1
            code = f"{county.code}{numbers[kind_char]:03d}"
            towns.append(self.add(code=code, name=town_names[i], level=RegionLevel.STREET, kind=RegionKind.TOWN,
                                  parent=county, sketch=cell))

        community_names = iter(names.pick_names(rng, names.COMMUNITY_NAMES, counts["communities"], "第{i}社区"))
        per_sub = spread(rng, counts["communities"], len(subdistricts), minimum=2, jitter=0.1)
        communities = []
        for sub, n in zip(subdistricts, per_sub, strict=True):
            for j, cell in enumerate(self.split(self.sketch[sub.id], n)):
                communities.append(self.add(code=f"{sub.code}{j + 1:03d}", name=next(community_names),
                                            level=RegionLevel.COMMUNITY, kind=RegionKind.COMMUNITY,
                                            parent=sub, sketch=cell))
        grid2_per = spread(rng, counts["grid2"], len(communities), minimum=2, jitter=0.15)
        for community, n2 in zip(communities, grid2_per, strict=True):
            self._urban_grids(community, n2)
        grid2s = [n for n in self.nodes if n.level == RegionLevel.GRID2]
        grid3_per = spread(rng, counts["grid3"], len(grid2s), minimum=2, jitter=0.3)
        for grid2, n3 in zip(grid2s, grid3_per, strict=True):
            self._grid3s(grid2, n3)

        per_town = spread(rng, counts["villages"], len(towns), minimum=2, jitter=0.25)
        for town, n in zip(towns, per_town, strict=True):
            for j, cell in enumerate(self.split(self.sketch[town.id], n)):
                village = self.add(code=f"{town.code}{200 + j + 1:03d}", name=self.places.village(),
                                   level=RegionLevel.COMMUNITY, kind=RegionKind.VILLAGE, parent=town, sketch=cell)
                self.add(code=f"{village.code}-G1", name=f"{village.name}网格", level=RegionLevel.GRID1,
                         parent=village, sketch=cell)

        self._exact_boundaries()
        self._people(counts, communities)
        workers = self._workers(counts, communities)
        # Children in code order, as the database will list them.
        self.nodes.sort(key=lambda n: (n.level, n.code))
        for node in self.nodes:
            node.children.sort(key=lambda n: n.code)
        return CountyPlan(seed=self.seed, scale=self.scale, nodes=self.nodes, workers=workers)

    def _urban_grids(self, community: Node, n2: int) -> None:
        grid1 = self.add(code=f"{community.code}-G1", name=f"{community.name}网格", level=RegionLevel.GRID1,
                         parent=community, sketch=self.sketch[community.id])
        for k, cell in enumerate(self.split(self.sketch[community.id], n2)):
            self.add(code=f"{grid1.code}-{k + 1:02d}", name=f"{community.name}第{names.chinese_number(k + 1)}网格",
                     level=RegionLevel.GRID2, parent=grid1, sketch=cell)

    def _grid3s(self, grid2: Node, n3: int) -> None:
        for m, cell in enumerate(self.split(self.sketch[grid2.id], n3)):
            section = self.places.street_section() if self.rng.random() < 0.22 else None
            place, is_estate = (section, False) if section else (self.places.estate(), True)
            node = self.add(code=f"{grid2.code}-{m + 1:02d}", name=f"{place}网格", level=RegionLevel.GRID3,
                            parent=grid2, sketch=cell)
            node.place, node.is_estate = place, is_estate

    def _exact_boundaries(self) -> None:
        parent_of = {n.id: (n.parent.id if n.parent else None) for n in self.nodes}
        leaves = {n.id: self.sketch[n.id] for n in self.nodes if n.is_leaf}
        tiling = geometry.Tiling(leaves, parent_of)
        tiling.make_connected([n.id for n in sorted(self.nodes, key=lambda n: n.level)])
        for node in self.nodes:
            node.geom = tiling.geometry(node.id)
        geoms = {n.id: n.geom for n in self.nodes}
        problems = geometry.check_tiling(geoms, lambda i: [c.id for c in self.nodes[i].children], 0)
        if problems:
            raise RuntimeError(f"demo boundaries do not tile for seed {self.seed}: " + "; ".join(problems[:5]))

    def _people(self, counts: dict[str, int], communities: list[Node]) -> None:
        """Residents per leaf. A few urban communities get more residents than their 专职 workers
        (one per 二级网格) can serve at the standard of 18 per 10,000; the rest are well inside."""
        rng = self.rng
        total = counts["residents"]
        urban_total = round(total * URBAN_SHARE)
        grid2_counts = [len(c.children[0].children) for c in communities]
        order = list(range(len(communities)))
        rng.shuffle(order)
        below = sorted(order[: round(len(communities) * 0.3)])
        people = {i: round(grid2_counts[i] * 10_000 / rng.uniform(14.0, 16.5)) for i in below}
        if sum(people.values()) > 0.6 * urban_total:  # small scales: too few people to fall short
            people = {}
        above = [i for i in range(len(communities)) if i not in people]
        rest = spread(rng, urban_total - sum(people.values()), len(above),
                      weights=[grid2_counts[i] * rng.uniform(0.75, 1.25) for i in above])
        people |= dict(zip(above, rest, strict=True))
        for i, community in enumerate(communities):
            leaves = community.leaves()
            for leaf, n in zip(leaves, spread(rng, people[i], len(leaves), jitter=0.5), strict=True):
                leaf.household_sizes = _household_sizes(rng, n, _URBAN_HOUSEHOLDS)
        villages = [n for n in self.nodes if n.kind == RegionKind.VILLAGE]
        for village, n in zip(villages, spread(rng, total - urban_total, len(villages), jitter=0.45), strict=True):
            village.children[0].household_sizes = _household_sizes(rng, n, _VILLAGE_HOUSEHOLDS)

    def _workers(self, counts: dict[str, int], communities: list[Node]) -> list[WorkerPlan]:
        rng = self.rng
        workers = []
        urban_leaves = []
        for community in communities:
            for grid2 in community.children[0].children:
                workers.append(WorkerPlan(WorkerKind.FULL_TIME, community, tuple(grid2.children)))
                urban_leaves.extend(grid2.children)
        staffed = sorted(rng.sample(range(len(urban_leaves)), counts["part_time_urban"]))
        for i in staffed:
            leaf = urban_leaves[i]
            workers.append(WorkerPlan(WorkerKind.PART_TIME, leaf.ancestor(RegionLevel.COMMUNITY), (leaf,)))
        for village in (n for n in self.nodes if n.kind == RegionKind.VILLAGE):
            for _ in range(counts["part_time_per_village"]):
                workers.append(WorkerPlan(WorkerKind.PART_TIME, village, (village.children[0],)))
        jobs, weights = zip(*SPECIAL_OCCUPATIONS, strict=True)
        for _ in range(counts["special"]):
            home = rng.choice(communities)
            pool = home.parent.leaves()
            grids = tuple(sorted(rng.sample(pool, min(len(pool), rng.randint(3, 6))), key=lambda n: n.code))
            workers.append(WorkerPlan(WorkerKind.SPECIAL, home, grids, rng.choices(jobs, weights)[0]))
        return workers


def plan_county(*, seed: int = DEFAULT_SEED, scale: float = 1.0) -> CountyPlan:
    """The whole demo county for ``seed`` at ``scale`` (same inputs, same plan)."""
    return _Builder(seed, scale).build()
