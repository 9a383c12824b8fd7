"""The simulated case and the county it happens in (loaded once)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

import shapely
from django.conf import settings
from django.db import connection

from jiceng.people.choices import DepartmentKind, Role
from jiceng.people.models import Department, GridAssignment, User
from jiceng.regions.choices import RegionLevel
from jiceng.regions.locator import deepest_grids
from jiceng.regions.models import Region

from ..choices import (
    Channel,
    EventState,
    Stage,
)
from ..models import EventCategory
from ..worktime import WorkCalendar

S = EventState
CHUNK = 5000
BATCH = 10_000  # cases simulated before their rows are written

# Share of cases per top-level category (民生服务 and 市容环境 lead, as on a county's platform).
GROUP_WEIGHTS = {"SRHJ": 30, "MSFW": 20, "AQYH": 14, "MDJF": 12, "WYGL": 9, "SHZA": 6, "QYSQ": 5, "JNHJ": 4}
CHANNEL_WEIGHTS = [(Channel.PATROL, 46), (Channel.RESIDENT, 30), (Channel.HOTLINE, 19), (Channel.IOT, 5)]
IOT_CATEGORIES = {"AQYH-RQAQ", "AQYH-XFTD", "AQYH-ZRZH", "WYGL-ECGS", "SRHJ-ZSYY"}
PHRASES = {
    "SRHJ-ZDJY": ["路口流动摊贩占道经营", "早市摊点占用人行道", "店外经营堵塞通道"],
    "SRHJ-LJDF": ["小区门口垃圾桶满溢", "楼道堆放杂物", "空地建筑垃圾无人清运"],
    "SRHJ-XGG": ["单元门口张贴小广告", "电线杆上乱贴乱画"],
    "SRHJ-SZSS": ["路灯不亮", "井盖破损", "人行道砖松动"],
    "AQYH-DDCCD": ["楼道内电动车飞线充电", "电动车停放在消防通道"],
    "AQYH-XFTD": ["消防通道被车辆堵塞"], "AQYH-RQAQ": ["燃气报警器告警", "闻到燃气味"],
    "MDJF-LLJF": ["楼上漏水引发邻里纠纷", "邻居装修噪声扰民"], "MDJF-WYJF": ["物业费收支不公开引发纠纷"],
    "MSFW-WLFW": ["独居老人需要助餐服务", "高龄老人申请上门体检"], "MSFW-SHJZ": ["困难家庭咨询低保申请"],
    "JNHJ-DJQZ": ["独居老人摔倒求助", "老人走失家属求助"], "WYGL-GGSS": ["小区路面塌陷", "楼顶漏水"],
    "QYSQ-ZCZX": ["企业咨询稳岗补贴政策"], "SHZA-ZAYH": ["小区监控损坏", "夜间有人撬电动车"],
}
_SURNAMES = "陈林黄张吴李王刘叶郑魏徐杨周范詹江蔡邱何谢余朱胡罗翁游肖许潘赖曾"
_GIVEN = "秀英桂兰玉珍华明建国志强伟芳娟敏静丽军勇涛辉杰峰婷雪慧琳浩宇轩子晨欣怡涵萱"
H = 3600


@dataclass(slots=True)

class Case:
    """One simulated case: the Event row's fields (``contributions`` reads the same names)."""

    id: int
    category_id: int
    grid_id: int
    community_id: int
    channel: str
    priority: int
    title: str
    description: str
    lng: float
    lat: float
    address: str
    reporter_name: str
    reporter_phone: str
    reporter_id: int | None
    source_ref: str
    reported_at: datetime
    state: str = S.PENDING
    handler_kind: str = ""
    handler_region_id: int | None = None
    handler_department_id: int | None = None
    handled_by_id: int | None = None
    registered_at: datetime | None = None
    first_dispatched_at: datetime | None = None
    dispatched_at: datetime | None = None
    signed_at: datetime | None = None
    handled_at: datetime | None = None
    closed_at: datetime | None = None
    rated_at: datetime | None = None
    first_returned_at: datetime | None = None
    reopened_at: datetime | None = None
    handle_due_at: datetime | None = None
    overdue_at: datetime | None = None
    handle_overdue_at: datetime | None = None
    suspended_at: datetime | None = None
    suspended_from: str = ""
    suspended_seconds: int = 0
    return_count: int = 0
    returns_locked: bool = False
    reopen_count: int = 0
    suspend_count: int = 0
    whistle_count: int = 0
    supporter_count: int = 0
    rating: str = ""
    rating_comment: str = ""
    rating_source: str = ""
    duplicate_of_id: int | None = None
    reason: str = ""
    photos: list = field(default_factory=list)
    # simulation only (not columns)
    paused_clock_seconds: int = 0
    last_at: datetime | None = None
    whistle_at: datetime | None = None


class Stop(Exception):
    """The simulation reached the end of the window: the case stays as it is now."""


class World:
    """Everything the simulation looks up, loaded once."""

    def __init__(self, county: Region, rng: random.Random):
        self.county = county
        self.categories = {c.code: c for c in EventCategory.objects.filter(active=True)}
        leaves = [c for c in self.categories.values() if c.parent_id is not None]
        self.leaf_codes, self.leaf_weights = [], []
        for group, weight in GROUP_WEIGHTS.items():
            members = [c for c in leaves if c.code.startswith(group + "-")]
            for c in members:
                self.leaf_codes.append(c.code)
                self.leaf_weights.append(weight / len(members))
        grids = list(deepest_grids().filter(path__startswith=county.path).only(
            "id", "code", "name", "path", "boundary", "population"))
        if not grids:
            raise ValueError("the county has no grids with boundaries: load the region tree first")
        self.grids = grids
        self.grid_weights = [max(1, g.population) for g in grids]
        regions = Region.objects.filter(path__startswith=county.path, level__in=[
            RegionLevel.COUNTY, RegionLevel.STREET, RegionLevel.COMMUNITY]).only("id", "path", "level", "name")
        by_path = {r.path: r for r in regions}
        self.ancestors: dict[int, dict[int, Region]] = {}
        for g in grids:
            self.ancestors[g.pk] = {by_path[p].level: by_path[p] for p in g.ancestor_paths() if p in by_path}
        # the department on the nearest region wins (the deeper ones come last)
        self.departments = {d.kind: d for d in Department.objects.filter(region__path__in=[
            *county.ancestor_paths(), county.path]).order_by("region__depth", "-code")}
        self.whistle_departments = [d for k, d in sorted(self.departments.items())
                                    if k not in (DepartmentKind.ORG, DepartmentKind.OTHER)]
        users = list(User.objects.filter(is_active=True).select_related("region").only(
            "id", "role", "region_id", "region__path", "department_id", "full_name", "username"))
        self.staff_by_region: dict[int, User] = {}
        self.staff_by_department: dict[int, User] = {}
        for u in sorted(users, key=lambda u: u.pk):
            if u.role in (Role.COUNTY_STAFF, Role.STREET_STAFF, Role.COMMUNITY_STAFF) and u.region_id:
                self.staff_by_region.setdefault(u.region_id, u)
            elif u.role == Role.DEPARTMENT_STAFF and u.department_id:
                self.staff_by_department.setdefault(u.department_id, u)
        self.worker_by_grid: dict[int, tuple[str, int | None]] = {}
        self.account_grids: set[int] = set()  # the grids of a worker who can log in (the demo's grid account)
        for grid_id, name, user_id in (GridAssignment.objects.filter(worker__active=True, grid__in=grids)
                                       .order_by("-is_primary", "worker_id")
                                       .values_list("grid_id", "worker__name", "worker__user_id")):
            self.worker_by_grid.setdefault(grid_id, (name, user_id))
            if user_id is not None:
                self.account_grids.add(grid_id)
        self.calendar = WorkCalendar.from_db()
        self.shapes = {g.pk: shapely.geometry.shape(g.boundary) for g in grids}
        self.rng = rng


def person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def phone_number(rng: random.Random) -> str:
    return rng.choice(["138", "139", "150", "151", "158", "177", "186", "189"]) + f"{rng.randrange(10**8):08d}"



_JSON_LISTS: dict[tuple, str] = {}


# The demo's three pictures show a street with rubbish piled by a bin (reported), then cleared
# (handled, verified): only cases of these categories carry them; the others have no photo.
PHOTO_CATEGORIES = frozenset({"SRHJ", "SRHJ-LJDF"})


def demo_photo(name: str) -> str:
    """The address of one of the demo's illustrative photos (static files labelled DEMO PHOTO: reported,
    handled, verified), not an attachment: the cases of ``PHOTO_CATEGORIES`` share three pictures."""
    return "/" + f"{settings.STATIC_URL}events/demo/{name}.jpg".lstrip("/")


def demo_photos(cat, name: str) -> list[str]:
    """The picture for a handled or verified case of ``cat``, when it needs one and one fits."""
    return [demo_photo(name)] if cat.photo_required and cat.code in PHOTO_CATEGORIES else []


def json_list(items) -> str:
    key = tuple(items)
    if key not in _JSON_LISTS:
        _JSON_LISTS[key] = json.dumps(list(key), ensure_ascii=False)
    return _JSON_LISTS[key]


def fast_datetime():
    """What the database driver gets for an aware datetime: SQLite stores naive UTC text (as Django's
    adapter does, without its per-value settings lookups); PostgreSQL's driver adapts it itself."""
    if connection.vendor == "sqlite":
        return lambda d: None if d is None else d.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return lambda d: d


def stage_allowance(cat, stage: str):
    return {Stage.ACCEPT: cat.accept_hours, Stage.SIGN: cat.sign_hours, Stage.HANDLE: cat.handle_hours,
            Stage.VERIFY: cat.verify_hours, Stage.WHISTLE: cat.whistle_hours}[stage]


def fraction(rng: random.Random, *, late: float, unhurried: float = 0.0, cap: float = 0.9) -> float:
    """The share of a stage's allowance used: mostly well inside it, ``late`` of the time beyond, and
    ``unhurried`` of the time a good part of it, up to ``cap`` (work that waits for a visit, a party
    or a contractor, leaving the rest of the allowance for the check)."""
    roll = rng.random()
    if roll < late:
        return rng.uniform(1.05, 2.5)
    if roll < late + unhurried:
        return rng.uniform(0.35, cap)
    return rng.betavariate(1.3, 3.2)


def reporter_label(case: Case) -> str:
    if case.channel == Channel.IOT:
        return f"物联设备 {case.source_ref}"
    if case.channel in (Channel.RESIDENT, Channel.EMERGENCY):
        name = case.reporter_name
        return f"群众 {name[0]}{'*' * (len(name) - 1)}" if name else "群众"
    return case.reporter_name or "工作人员"


# --- writing -----------------------------------------------------------------------------------


