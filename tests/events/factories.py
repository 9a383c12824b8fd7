"""The events world on top of ``tests.factories.small_county``: named users per role, departments,
grid workers and the default catalogue, plus helpers that drive a case through the real services.

    alice  community 甲 staff (command centre for 甲's cases; handler when 甲 handles)
    amy    community 甲 staff too (verifies what alice handled)
    bob    community 乙 staff          carol  village 丙 staff
    east   street 东街道 staff          west   street 西镇 staff        county  county staff
    wang   grid worker of A1-1 (甲)     li     grid worker of A1-2 (甲)  zhao  grid worker of B1 (乙)
    urban  城管 department staff        housing 住建 department staff    civil  民政 department staff
    police 公安 department staff
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.test import Client

from jiceng.events import services
from jiceng.events.catalogue import load_event_categories
from jiceng.events.choices import Channel
from jiceng.events.models import Event, EventCategory
from jiceng.people.choices import DepartmentKind, Role, WorkerKind
from jiceng.people.models import Department, User
from jiceng.people.services import department_create, grid_worker_create
from tests.factories import LAT0, LNG0, SmallCounty, make_user, small_county

PHONE = "13800138000"
PHOTO = "media/events/after.jpg"


def pt(x: float, y: float) -> dict:
    """A point at offset (x, y) in small_county's coordinates, as lng/lat keyword arguments."""
    return {"lng": LNG0 + x, "lat": LAT0 + y}


IN_A1_1 = pt(0.5, 0.5)  # 甲社区, grid A1-1
IN_A1_2 = pt(0.5, 1.5)  # 甲社区, grid A1-2
IN_B1 = pt(1.5, 0.5)  # 乙社区, grid B1
IN_C1 = pt(3.0, 1.0)  # 丙村, grid C1
OUTSIDE = pt(5.0, 1.0)  # east of the county


@dataclass
class World:
    c: SmallCounty
    alice: User
    amy: User
    bob: User
    carol: User
    east: User
    west: User
    county: User
    wang: User
    li: User
    zhao: User
    urban: User
    housing: User
    civil: User
    police: User
    d_urban: Department
    d_housing: Department
    d_civil: Department
    d_police: Department

    def cat(self, code: str) -> EventCategory:
        return EventCategory.objects.get(code=code)


def _worker(actor, username: str, community, grid) -> User:
    user = make_user(username, Role.GRID_WORKER)
    grid_worker_create(actor=actor, name=username, kind=WorkerKind.FULL_TIME, community=community, grids=[grid],
                       user=user)
    return User.objects.get(pk=user.pk)


def build_world() -> World:
    c = small_county()
    load_event_categories()
    depts = {}
    for code, kind, name in [("ZJ", DepartmentKind.HOUSING, "住建局"), ("CG", DepartmentKind.URBAN, "城管局"),
                             ("MZ", DepartmentKind.CIVIL, "民政局"), ("GA", DepartmentKind.POLICE, "公安局")]:
        depts[kind] = department_create(actor=c.sysadmin, code=f"350724-{code}", name=f"测试县{name}", kind=kind,
                                        region=c.county)
    return World(
        c=c, alice=c.alice, amy=make_user("amy", Role.COMMUNITY_STAFF, c.a), bob=c.bob, carol=c.carol,
        east=make_user("east", Role.STREET_STAFF, c.east), west=make_user("west", Role.STREET_STAFF, c.west),
        county=c.county_staff,
        wang=_worker(c.alice, "wang", c.a, c.a1_1), li=_worker(c.alice, "li", c.a, c.a1_2),
        zhao=_worker(c.bob, "zhao", c.b, c.b1),
        urban=make_user("urban", Role.DEPARTMENT_STAFF, department=depts[DepartmentKind.URBAN]),
        housing=make_user("housing", Role.DEPARTMENT_STAFF, department=depts[DepartmentKind.HOUSING]),
        civil=make_user("civil", Role.DEPARTMENT_STAFF, department=depts[DepartmentKind.CIVIL]),
        police=make_user("police", Role.DEPARTMENT_STAFF, department=depts[DepartmentKind.POLICE]),
        d_urban=depts[DepartmentKind.URBAN], d_housing=depts[DepartmentKind.HOUSING],
        d_civil=depts[DepartmentKind.CIVIL], d_police=depts[DepartmentKind.POLICE],
    )


def report(w: World, *, category: str = "SRHJ-LJDF", where: dict | None = None, **kwargs) -> Event:
    """A resident's report (no login)."""
    values = {"channel": Channel.RESIDENT, "category": category, "description": "楼下垃圾堆了三天没人清理",
              "reporter_name": "张三", "reporter_phone": PHONE, **(where or IN_A1_1), **kwargs}
    return services.event_create(**values)


def to_dispatched(w: World, ev: Event, *, by=None) -> Event:
    services.event_register(actor=by or w.alice, event=ev, dispatch=True)
    return ev


def to_handling(w: World, ev: Event, *, handler=None) -> Event:
    """甲-community case: registered and dispatched by alice, signed and started by ``handler`` (alice)."""
    to_dispatched(w, ev)
    services.event_sign(actor=handler or w.alice, event=ev)
    services.event_start(actor=handler or w.alice, event=ev)
    return ev


def urban_in_time_housing_late(w: World, clock, ev: Event | None = None):
    """A case in handling (a new one unless given) whistled by 东街道 to 城管 and 住建 at once: 城管
    reports at 10:00 on 3 March 2025, 住建 does not and is flagged late by the timers at 11:00, its
    deadline. Returns (the case, 城管's call, 住建's call); the clock is left at 11:00."""
    from tests.events.conftest import at

    ev = ev or to_handling(w, report(w))
    urban_call, housing_call = services.whistle_blow(actor=w.east, event=ev, departments=[w.d_urban, w.d_housing],
                                                     reason="违建与占道交织，需城管、住建到场")
    clock.move_to(at(2025, 3, 3, 10, 0))
    services.whistle_report(actor=w.urban, whistle=urban_call, note="已到场")
    clock.move_to(at(2025, 3, 3, 11, 0))
    assert services.process_due_timers()["fired"] == 1
    return ev, urban_call, housing_call


def to_verify(w: World, ev: Event, *, handler=None) -> Event:
    to_handling(w, ev, handler=handler)
    services.event_submit(actor=handler or w.alice, event=ev, note="已清理完毕", photos=[PHOTO])
    return ev


def to_closed(w: World, ev: Event, *, handler=None, verifier=None) -> Event:
    to_verify(w, ev, handler=handler)
    services.event_verify(actor=verifier or w.wang, event=ev, note="现场已清理")
    return ev


def as_user(user) -> Client:
    """A test client logged in as ``user`` (a page's or the API's session)."""
    client = Client()
    client.force_login(user)
    return client


def jpeg(colour=(30, 120, 200), name: str = "photo.jpg") -> io.BytesIO:
    """A small JPEG to upload through a form (a file object with a name)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "JPEG")
    out.seek(0)
    out.name = name
    return out
