"""Buildings (楼栋 → 单元 → 户), organisations (实有单位) and departments of the demo county."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from jiceng.core.validators import uscc_check_char
from jiceng.people.choices import DepartmentKind
from jiceng.regions.choices import HouseUsage, OrganisationKind, RegionKind, RegionLevel

from . import geometry, names
from .people import PersonMaker
from .plan import CountyPlan, Node

OCCUPANCY = 0.85  # share of dwellings with a household living in them
DEPARTMENTS = [
    ("ZJ", DepartmentKind.HOUSING, "住房和城乡建设局"),
    ("MZ", DepartmentKind.CIVIL, "民政局"),
    ("GA", DepartmentKind.POLICE, "公安局"),
    ("CG", DepartmentKind.URBAN, "城市管理局"),
    ("SJ", DepartmentKind.MARKET, "市场监督管理局"),
    ("WJ", DepartmentKind.HEALTH, "卫生健康局"),
    ("YJ", DepartmentKind.EMERGENCY, "应急管理局"),
    ("RS", DepartmentKind.HR, "人力资源和社会保障局"),
    ("HB", DepartmentKind.ECOLOGY, "生态环境局"),
    ("ZZ", DepartmentKind.ORG, "组织部"),
]


def departments(county: Node) -> list[dict]:
    out = []
    for suffix, kind, title in DEPARTMENTS:
        name = f"中共{county.name}委{title}" if kind == DepartmentKind.ORG else f"{county.name}{title}"
        out.append({"code": f"{county.code}-{suffix}", "name": name, "kind": kind})
    return out


@dataclass
class Dwelling:
    """One 户 of a building; ``household`` is the index of the household living there, if any."""

    unit: int
    room: str
    area: Decimal
    household: int | None = None
    usage: str = HouseUsage.VACANT


@dataclass
class BuildingSpec:
    code: str
    name: str
    address: str
    lng: float
    lat: float
    floors: int
    units: list[str]
    dwellings: list[Dwelling] = field(default_factory=list)


def buildings_for(rng: random.Random, leaf: Node) -> list[BuildingSpec]:
    """Enough buildings in an urban 三级网格 to house its households at about 85% occupancy;
    older walk-ups mostly, a few towers; streets (街巷) get low self-built houses."""
    households = len(leaf.household_sizes)
    needed = max(4, math.ceil(households / OCCUPANCY))
    specs: list[BuildingSpec] = []
    prefix = leaf.address_prefix()
    total = 0
    points = geometry.random_points(rng, leaf.geom, 12, digits=6)
    while total < needed or not specs:
        n = len(specs) + 1
        left = needed - total
        if not leaf.is_estate:
            floors, units = rng.randint(2, 5), 1
        elif left > 60 and rng.random() < 0.3:
            floors, units = rng.choice([11, 18, 18, 26]), rng.choice([1, 2])
        else:
            floors, units = rng.choice([4, 5, 6, 6, 7]), rng.choice([1, 2, 2, 3])
        name = f"{leaf.place}{n}栋" if leaf.is_estate else f"{leaf.place}{rng.randint(1, 60) * 2 - (n % 2)}号"
        point = points[(n - 1) % len(points)]
        spec = BuildingSpec(code=f"{leaf.code}-B{n:02d}", name=name, address=f"{prefix}{name}",
                            lng=point.x, lat=point.y, floors=floors,
                            units=[f"{u}单元" for u in range(1, units + 1)])
        per_floor = 2 if leaf.is_estate else 1
        for u in range(units):
            for floor in range(1, floors + 1):
                for k in range(1, per_floor + 1):
                    area = Decimal(rng.randint(55, 140)) + Decimal(rng.randint(0, 99)) / 100
                    spec.dwellings.append(Dwelling(unit=u, room=f"{floor}{k:02d}", area=area))
        total += len(spec.dwellings)
        specs.append(spec)
    _move_in(rng, specs, households)
    return specs


def _move_in(rng: random.Random, specs: list[BuildingSpec], households: int) -> None:
    """Households 0..n-1 take random dwellings (one each); the rest are let, used for business
    or stand empty."""
    dwellings = [d for s in specs for d in s.dwellings]
    order = list(range(len(dwellings)))
    rng.shuffle(order)
    for household, index in enumerate(order[:households]):
        dwelling = dwellings[index]
        dwelling.household = household
        dwelling.usage = HouseUsage.RENTED if rng.random() < 0.22 else HouseUsage.OWNER
    for index in order[households:]:
        r = rng.random()
        dwellings[index].usage = (HouseUsage.VACANT if r < 0.85 else HouseUsage.BUSINESS if r < 0.93
                                  else HouseUsage.OTHER)


# --- organisations ----------------------------------------------------------------------------

_ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
# Registration authority and kind (first two characters of the code, GB 32100).
_REGISTRATION = {
    OrganisationKind.SHOP: "92",  # 个体工商户
    OrganisationKind.ENTERPRISE: "91",
    OrganisationKind.PROPERTY: "91",
    OrganisationKind.SCHOOL: "12",  # 事业单位
    OrganisationKind.MEDICAL: "12",
    OrganisationKind.SOCIAL: "51",  # 社会团体
    OrganisationKind.PUBLIC: "11",  # 机关
}


def org_code_check(body8: str) -> str:
    """Check character of the 9-character organisation code inside a USCC (GB 11714)."""
    c = 11 - sum(int(d) * w for d, w in zip(body8, _ORG_CODE_WEIGHTS, strict=True)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


class UsccMaker:
    def __init__(self, rng: random.Random, region6: str):
        self.rng, self.region6, self._used = rng, region6, set()

    def make(self, kind: str) -> str:
        while True:
            body8 = f"{self.rng.randrange(10 ** 8):08d}"
            first17 = _REGISTRATION[kind] + self.region6 + body8 + org_code_check(body8)
            code = first17 + uscc_check_char(first17)
            if code not in self._used:
                self._used.add(code)
                return code


@dataclass
class OrganisationSpec:
    name: str
    kind: str
    uscc: str
    address: str
    grid: Node
    contact_name: str
    contact_phone: str


def organisations(rng: random.Random, plan: CountyPlan, people: PersonMaker) -> list[OrganisationSpec]:
    county = plan.county
    scale = plan.scale
    uscc = UsccMaker(rng, county.code)
    leaves = plan.deepest_grids()
    urban = [leaf for leaf in leaves if leaf.level == RegionLevel.GRID3]
    estates = [leaf for leaf in urban if leaf.is_estate] or urban
    villages = [leaf for leaf in leaves if leaf.level == RegionLevel.GRID1]
    communities = plan.at_level(RegionLevel.COMMUNITY, RegionKind.COMMUNITY)
    towns = plan.at_level(RegionLevel.STREET, RegionKind.TOWN)
    streets = plan.at_level(RegionLevel.STREET)
    used_names: set[str] = set()
    out: list[OrganisationSpec] = []

    def add(name: str, kind: str, grid: Node, street_address: str = "") -> None:
        if name in used_names:
            return
        used_names.add(name)
        address = grid.address_prefix() + (street_address or f"{names.ROADS[rng.randrange(len(names.ROADS))]}"
                                           f"{rng.randint(1, 300)}号")
        contact = people.person(age=rng.randint(28, 60), male=rng.random() < 0.6)
        out.append(OrganisationSpec(name=name, kind=kind, uscc=uscc.make(kind), address=address, grid=grid,
                                    contact_name=contact.name, contact_phone=people.phone()))

    def first_grid(region: Node) -> Node:
        return region.leaves()[0]

    def in_town(town: Node) -> Node:
        return rng.choice(town.leaves())

    seat = rng.choice(urban)
    for title in ["医院", "中医院", "妇幼保健院"][: max(1, round(3 * scale))]:
        add(f"{county.name}{title}", OrganisationKind.MEDICAL, rng.choice(urban))
    for title in ["实验小学", "第一中学", "第二中学", "城关中心幼儿园", "职业中专学校"][: max(1, round(5 * scale))]:
        add(f"{county.name}{title}", OrganisationKind.SCHOOL, rng.choice(urban))
    for community in communities:
        add(f"{community.name}卫生服务站", OrganisationKind.MEDICAL, rng.choice(community.leaves()))
    for i, town in enumerate(towns):
        add(f"{town.name}卫生院", OrganisationKind.MEDICAL, in_town(town))
        add(f"{town.name}中心小学", OrganisationKind.SCHOOL, in_town(town))
        if i % 2 == 0:
            add(f"{town.name}中学", OrganisationKind.SCHOOL, in_town(town))
    for street in streets:
        office = f"{street.name}办事处" if street.kind == RegionKind.SUBDISTRICT else f"{street.name}人民政府"
        add(office, OrganisationKind.PUBLIC, first_grid(street))
    for title in ["志愿者协会", "慈善总会", "老年人协会", "义工联合会", "个体劳动者协会", "茶产业协会"][
            : max(1, round(6 * scale))]:
        add(f"{county.name}{title}", OrganisationKind.SOCIAL, seat)
    trades = list(names.TRADE_NAMES)
    rng.shuffle(trades)
    for trade in trades[: max(1, round(20 * scale))]:
        add(f"{county.name}{trade}物业服务有限公司", OrganisationKind.PROPERTY, rng.choice(estates))
    for _ in range(round(110 * scale)):
        name = f"{county.name}{rng.choice(names.TRADE_NAMES)}{rng.choice(names.INDUSTRIES)}"
        add(name, OrganisationKind.ENTERPRISE, rng.choice(villages) if rng.random() < 0.55 else rng.choice(urban))
    for _ in range(round(360 * scale)):
        grid = rng.choice(urban) if rng.random() < 0.8 else rng.choice(villages)
        shop = rng.choice(names.SHOP_KINDS)
        if grid.level == RegionLevel.GRID3 and grid.is_estate and rng.random() < 0.5:
            name = f"{grid.place}{shop}"
        else:
            name = f"{people.names.surname()}记{shop}" if rng.random() < 0.5 else f"{rng.choice(names.TRADE_NAMES)}{shop}"
        street = grid.ancestor(RegionLevel.STREET).name
        short = street[:-2] if street.endswith("街道") else street[:-1]
        add(f"{county.name}{short}{name}", OrganisationKind.SHOP, grid)  # how 个体工商户 are registered
    return out
