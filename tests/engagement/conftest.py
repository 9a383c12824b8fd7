"""Data for the engagement tests, built through the real services.

In 甲社区 (alice's): 张三 (wisher, masses), 李四 (party member), 王五 (volunteer); a unit 甲物业 in grid A1;
a 特聘 courier 快递小哥 (worker). In 乙社区 (bob's): 赵六. Rules in 甲: 志愿签退 +10 (source
volunteer.checkin), 认领心愿 +20 (wish.fulfilled), 垃圾分类 +5 (needs evidence), 乱扔垃圾 −3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from jiceng.engagement import services
from jiceng.engagement.choices import RuleSource
from jiceng.people.choices import PoliticalStatus, Role, WorkerKind
from jiceng.people.services import grid_worker_create, resident_create
from jiceng.regions.choices import OrganisationKind
from jiceng.regions.services import organisation_create
from tests.factories import make_user

TZ = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in November 2026, local time."""
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


@dataclass
class Eng:
    county: object
    zhang: object
    li: object
    wang: object
    zhao: object
    unit: object
    courier: object
    gridder: object
    r_volunteer: object
    r_wish: object
    r_sort: object
    r_litter: object


@pytest.fixture
def eng(county):
    alice, bob = county.alice, county.bob
    zhang = resident_create(actor=alice, name="张三", grid=county.a1_1)
    li = resident_create(actor=alice, name="李四", grid=county.a1_2, political_status=PoliticalStatus.PARTY_MEMBER)
    wang = resident_create(actor=alice, name="王五", grid=county.a1_1, is_volunteer=True)
    zhao = resident_create(actor=bob, name="赵六", grid=county.b1)
    unit = organisation_create(actor=county.sysadmin, grid=county.a1, name="甲物业", kind=OrganisationKind.PROPERTY)
    courier = grid_worker_create(actor=alice, name="快递小哥", kind=WorkerKind.SPECIAL, community=county.a,
                                 grids=[county.a1], occupation="快递员")
    gridder = make_user("gridder", Role.GRID_WORKER)
    grid_worker_create(actor=alice, name="网格员甲", kind=WorkerKind.FULL_TIME, community=county.a,
                       grids=[county.a1], user=gridder)
    rule = services.point_rule_create
    return Eng(
        county=county, zhang=zhang, li=li, wang=wang, zhao=zhao, unit=unit, courier=courier, gridder=gridder,
        r_volunteer=rule(actor=alice, community=county.a, code="vol", name="志愿签退", points=10,
                         source=RuleSource.VOLUNTEER_CHECKIN),
        r_wish=rule(actor=alice, community=county.a, code="wish", name="认领心愿", points=20,
                    source=RuleSource.WISH_FULFILLED),
        r_sort=rule(actor=alice, community=county.a, code="sort", name="垃圾分类", points=5, requires_evidence=True),
        r_litter=rule(actor=alice, community=county.a, code="litter", name="乱扔垃圾", points=-3),
    )
