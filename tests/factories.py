"""Builders for test data, going through the real services (like Zulip's tests do).

``small_county()`` builds a hand-checkable tree with square boundaries:

    county 350724 "测试县"        square (0,0)-(4,2)
      street 350724001 "东街道"   (0,0)-(2,2)
        community 350724001001 "甲社区"  (0,0)-(1,2)   grid1 A1 (0,0)-(1,2) → grid2 A1-1 (0,0)-(1,1), A1-2 (0,1)-(1,2)
        community 350724001002 "乙社区"  (1,0)-(2,2)   grid1 B1 (1,0)-(2,2)
      street 350724002 "西镇"     (2,0)-(4,2)
        village 350724002001 "丙村"      (2,0)-(4,2)   grid1 C1 (2,0)-(4,2)

Coordinates are offsets added to (118.0, 27.0) so they are real lon/lat in 松溪's area.
"""

from __future__ import annotations

from dataclasses import dataclass

from jiceng.core.validators import id_check_digit
from jiceng.people.choices import Role
from jiceng.people.models import User
from jiceng.regions.choices import RegionKind, RegionLevel
from jiceng.regions.models import Region

LNG0, LAT0 = 118.0, 27.0
PASSWORD = "Test-pass-2026"


def square(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[LNG0 + x0, LAT0 + y0], [LNG0 + x1, LAT0 + y0], [LNG0 + x1, LAT0 + y1],
                         [LNG0 + x0, LAT0 + y1], [LNG0 + x0, LAT0 + y0]]],
    }


def make_id_number(region6: str = "350724", birth: str = "19800101", seq: int = 1, male: bool = True) -> str:
    seq3 = seq % 1000
    if (seq3 % 2 == 1) != male:  # the 17th digit's parity is the sex; flip it without colliding
        seq3 = (seq3 + 501) % 1000
    first17 = f"{region6}{birth}{seq3:03d}"
    return first17 + id_check_digit(first17)


def make_user(username: str, role: str, region: Region | None = None, department=None) -> User:
    """Accounts are made directly here: user_create's own rules are tested in tests/people."""
    user = User(username=username, role=role, region=region, department=department, full_name=username,
                is_staff=role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN))
    user.set_password(PASSWORD)
    user.save()
    return user


@dataclass
class SmallCounty:
    county: Region
    east: Region
    west: Region
    a: Region
    b: Region
    c: Region
    a1: Region
    a1_1: Region
    a1_2: Region
    b1: Region
    c1: Region
    sysadmin: User
    secadmin: User
    auditor: User
    county_staff: User
    alice: User  # community 甲 staff
    bob: User  # community 乙 staff
    carol: User  # village 丙 staff


def small_county() -> SmallCounty:
    from jiceng.regions.services import region_create

    sysadmin = make_user("sysadmin", Role.SYSTEM_ADMIN)
    mk = region_create
    county = mk(actor=sysadmin, code="350724", name="测试县", level=RegionLevel.COUNTY, boundary=square(0, 0, 4, 2))
    east = mk(actor=sysadmin, code="350724001", name="东街道", level=RegionLevel.STREET, parent=county,
              kind=RegionKind.SUBDISTRICT, boundary=square(0, 0, 2, 2))
    west = mk(actor=sysadmin, code="350724002", name="西镇", level=RegionLevel.STREET, parent=county,
              kind=RegionKind.TOWN, boundary=square(2, 0, 4, 2))
    a = mk(actor=sysadmin, code="350724001001", name="甲社区", level=RegionLevel.COMMUNITY, parent=east,
           kind=RegionKind.COMMUNITY, boundary=square(0, 0, 1, 2))
    b = mk(actor=sysadmin, code="350724001002", name="乙社区", level=RegionLevel.COMMUNITY, parent=east,
           kind=RegionKind.COMMUNITY, boundary=square(1, 0, 2, 2))
    c = mk(actor=sysadmin, code="350724002001", name="丙村", level=RegionLevel.COMMUNITY, parent=west,
           kind=RegionKind.VILLAGE, boundary=square(2, 0, 4, 2))
    a1 = mk(actor=sysadmin, code="A1", name="甲一网格", level=RegionLevel.GRID1, parent=a, boundary=square(0, 0, 1, 2))
    a1_1 = mk(actor=sysadmin, code="A1-1", name="甲一网格南片", level=RegionLevel.GRID2, parent=a1,
              boundary=square(0, 0, 1, 1))
    a1_2 = mk(actor=sysadmin, code="A1-2", name="甲一网格北片", level=RegionLevel.GRID2, parent=a1,
              boundary=square(0, 1, 1, 2))
    b1 = mk(actor=sysadmin, code="B1", name="乙一网格", level=RegionLevel.GRID1, parent=b, boundary=square(1, 0, 2, 2))
    c1 = mk(actor=sysadmin, code="C1", name="丙一网格", level=RegionLevel.GRID1, parent=c, boundary=square(2, 0, 4, 2))
    return SmallCounty(
        county=county, east=east, west=west, a=a, b=b, c=c, a1=a1, a1_1=a1_1, a1_2=a1_2, b1=b1, c1=c1,
        sysadmin=sysadmin,
        secadmin=make_user("secadmin", Role.SECURITY_ADMIN),
        auditor=make_user("auditor", Role.AUDIT_ADMIN),
        county_staff=make_user("county", Role.COUNTY_STAFF, county),
        alice=make_user("alice", Role.COMMUNITY_STAFF, a),
        bob=make_user("bob", Role.COMMUNITY_STAFF, b),
        carol=make_user("carol", Role.COMMUNITY_STAFF, c),
    )
