"""Writing the demo county into the database, all in one transaction (all or nothing).

The region tree, the departments and the staff accounts go through the real services, so they
carry their audit records and pass the same checks as anything a user enters. Buildings,
organisations, grid workers and residents (tens of thousands of rows) are bulk-inserted with the
same derived values the services would write (keyed hashes, tag tokens, encryption by the
fields), and one ``demo.load`` audit record sums them up.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import shapely
from django.db import transaction
from django.utils import timezone

from jiceng.core.audit import audit_record
from jiceng.people.choices import ADMIN_ROLES, Role, WorkerKind
from jiceng.people.models import Department, GridAssignment, GridWorker, Resident, User
from jiceng.people.services import department_create, user_create
from jiceng.regions.choices import HouseUsage, RegionKind, RegionLevel
from jiceng.regions.models import Building, BuildingUnit, House, Organisation, Region
from jiceng.regions.services import region_create

from . import accounts, names, places
from .people import HouseholdMaker, PersonMaker, resident_fields, worker_fields
from .plan import DEFAULT_SEED, CountyPlan, Node, plan_county

BATCH = 2000


@dataclass
class DemoResult:
    plan: CountyPlan
    counts: dict[str, int]
    credentials: list[accounts.Credential]
    timings: dict[str, float] = field(default_factory=dict)


def county_exists() -> bool:
    return Region.objects.exists()


class _Loader:
    def __init__(self, plan: CountyPlan, log: Callable[[str], None]):
        self.plan = plan
        self.log = log
        seed = plan.seed
        self.rng = random.Random(f"jiceng-demo:{seed}:data")
        self.people = PersonMaker(random.Random(f"jiceng-demo:{seed}:people"))
        # Residents' ID numbers and phones never repeat a worker's or a contact's.
        household_rng = random.Random(f"jiceng-demo:{seed}:households")
        self.households = HouseholdMaker(household_rng, PersonMaker(
            household_rng, taken_ids=self.people._ids, taken_phones=self.people._phones))
        self.regions: dict[str, Region] = {}
        self.homes: dict[str, dict[int, tuple[House, str]]] = {}
        self.counts: dict[str, int] = {}
        self.timings: dict[str, float] = {}

    def step(self, name: str, fn: Callable[[], None]) -> None:
        started = time.perf_counter()
        fn()
        self.timings[name] = round(time.perf_counter() - started, 2)
        self.log(f"  {name}: {self.timings[name]:.1f} s")

    def run(self, passwords: dict[str, str]) -> list[accounts.Credential]:
        self.step("管理员账号", lambda: self._admins(passwords))
        self.step("区域与网格", self._regions)
        self.step("部门", self._departments)
        self.step("楼栋与房屋", self._buildings)
        self.step("实有单位", self._organisations)
        self.step("网格员", self._workers)
        self.step("工作人员账号", lambda: self._staff(passwords))
        self.step("居民", self._residents)
        self.step("事件（一年）", self._events)
        self.step("考核", self._assessment)
        self.step("微心愿、积分与志愿", self._engagement)
        audit_record(actor=None, action="demo.load", object_type="demo", object_id=self.plan.county.code,
                     object_repr=f"演示县 {self.plan.county.name}",
                     changes={"seed": self.plan.seed, "scale": self.plan.scale, **self.counts,
                              "accounts": [c.username for c in self.credentials],
                              "grid_account_worker": self.grid_worker.pk})
        return self.credentials

    # --- accounts ------------------------------------------------------------------------------

    def _admins(self, passwords: dict[str, str]) -> None:
        """The three admin accounts (三员分立) are the installation's own bootstrap, made the way
        ``createsuperuser`` would be, each with an audit record by "system"."""
        self.users: dict[str, User] = {}
        for username, role in accounts.ACCOUNTS:
            if role not in ADMIN_ROLES:
                continue
            user = User(username=username, role=role, full_name=self._staff_name(), is_staff=True)
            user.set_password(passwords[username])
            user.full_clean()
            user.save()
            audit_record(actor=None, action="user.create", obj=user,
                         changes={"username": [None, username], "role": [None, role], "source": "demo"})
            self.users[username] = user
        self.sysadmin = self.users["sysadmin"]

    def _staff_name(self) -> str:
        rng = self.people.rng
        male = rng.random() < 0.5
        return self.people.person(age=rng.randint(26, 52), male=male).name

    def _staff(self, passwords: dict[str, str]) -> None:
        plan = self.plan
        county = plan.county
        street = plan.at_level(RegionLevel.STREET, RegionKind.SUBDISTRICT)[0]
        community = plan.at_level(RegionLevel.COMMUNITY, RegionKind.COMMUNITY)[0]
        village = plan.at_level(RegionLevel.COMMUNITY, RegionKind.VILLAGE)[0]
        housing = Department.objects.get(code=f"{county.code}-ZJ")
        bindings = {
            "county": {"region": self.regions[county.code]},
            "street": {"region": self.regions[street.code]},
            "community": {"region": self.regions[community.code]},
            "village": {"region": self.regions[village.code]},
            "grid": {},
            "dept": {"department": housing},
        }
        for username, kwargs in bindings.items():
            role = dict(accounts.ACCOUNTS)[username]
            full_name = self.grid_worker.name if username == "grid" else self._staff_name()
            user = user_create(actor=self.sysadmin, username=username, password=passwords[username], role=role,
                               full_name=full_name, phone=self.people.phone(), **kwargs)
            self.users[username] = user
        self.grid_worker.user = self.users["grid"]
        self.grid_worker.save(update_fields=["user"])
        self._other_street_staff(exclude=street)
        grid_names = "、".join(g.name for g in self.grid_worker.grids.order_by("code")[:2])
        binding = {
            "sysadmin": "全县基础数据（不含个人信息）", "secadmin": "账号与角色", "auditor": "审计日志",
            "county": county.name, "street": f"{county.name}{street.name}",
            "community": f"{street.name}{community.name}", "village": f"{village.parent.name}{village.name}",
            "grid": f"{community.name}·{grid_names}等（{self.grid_worker.name}）", "dept": housing.name,
        }
        self.credentials = [
            accounts.Credential(username, passwords[username], str(Role(role).label), binding[username])
            for username, role in accounts.ACCOUNTS
        ]
        self.counts["accounts"] = len(self.credentials)

    def _other_street_staff(self, *, exclude) -> None:
        """Every other street/town has its command sub-centre staff too (the cases' 吹哨 and
        timeline name them), with no password handed out: only the table's accounts log in."""
        for node in self.plan.at_level(RegionLevel.STREET):
            if node.code == exclude.code:
                continue
            user = User(username=f"street-{node.code}", role=Role.STREET_STAFF, full_name=self._staff_name(),
                        region=self.regions[node.code], phone=self.people.phone())
            user.set_unusable_password()
            user.full_clean(exclude=["password"])
            user.save()
            audit_record(actor=self.sysadmin, action="user.create", obj=user,
                         changes={"username": [None, user.username], "role": [None, user.role], "source": "demo"})

    # --- regions and basic data --------------------------------------------------------------

    def _regions(self) -> None:
        for node in self.plan.nodes:
            parent = self.regions[node.parent.code] if node.parent else None
            self.regions[node.code] = region_create(
                actor=self.sysadmin, code=node.code, name=node.name, level=node.level, kind=node.kind,
                parent=parent, boundary=json.loads(shapely.to_geojson(node.geom)),
                population=node.population, households=node.households,
            )
        self.counts["regions"] = len(self.regions)

    def _departments(self) -> None:
        county = self.regions[self.plan.county.code]
        for spec in places.departments(self.plan.county):
            department_create(actor=self.sysadmin, region=county, **spec)
        self.counts["departments"] = len(places.DEPARTMENTS)

    def _buildings(self) -> None:
        specs: list[tuple[Node, places.BuildingSpec]] = []
        for leaf in self.plan.deepest_grids():
            if leaf.level == RegionLevel.GRID3:
                specs.extend((leaf, spec) for spec in places.buildings_for(self.rng, leaf))
        buildings = Building.objects.bulk_create(
            [Building(grid=self.regions[leaf.code], code=s.code, name=s.name, address=s.address, lng=s.lng,
                      lat=s.lat, floors=s.floors) for leaf, s in specs], batch_size=BATCH)
        units = BuildingUnit.objects.bulk_create(
            [BuildingUnit(building=b, name=name) for b, (_, s) in zip(buildings, specs, strict=True)
             for name in s.units], batch_size=BATCH)
        unit_of: dict[tuple[int, int], BuildingUnit] = {}
        i = 0
        for b, (_, s) in zip(buildings, specs, strict=True):
            for u in range(len(s.units)):
                unit_of[(b.pk, u)] = units[i]
                i += 1
        houses, occupants = [], []
        for b, (leaf, s) in zip(buildings, specs, strict=True):
            for d in s.dwellings:
                unit = unit_of[(b.pk, d.unit)]
                houses.append(House(unit=unit, room=d.room, area=d.area, usage=d.usage))
                if d.household is not None:
                    where = f"{s.name}{unit.name}{d.room}室" if len(s.units) > 1 or leaf.is_estate else \
                        f"{s.name}{d.room}室"
                    occupants.append((leaf.code, d.household, len(houses) - 1, where))
        houses = House.objects.bulk_create(houses, batch_size=BATCH)
        for leaf_code, household, index, where in occupants:
            self.homes.setdefault(leaf_code, {})[household] = (houses[index], where)
        self.counts |= {"buildings": len(buildings), "units": len(units), "houses": len(houses)}

    def _organisations(self) -> None:
        specs = places.organisations(self.rng, self.plan, self.people)
        Organisation.objects.bulk_create(
            [Organisation(name=s.name, kind=s.kind, uscc=s.uscc, address=s.address, grid=self.regions[s.grid.code],
                          contact_name=s.contact_name, contact_phone=s.contact_phone) for s in specs],
            batch_size=BATCH)
        self.counts["organisations"] = len(specs)

    # --- people -------------------------------------------------------------------------------

    def _workers(self) -> None:
        workers = []
        for spec in self.plan.workers:
            workers.append(GridWorker(kind=spec.kind, community=self.regions[spec.community.code],
                                      occupation=spec.occupation, **worker_fields(self.people, spec.kind)))
        workers = GridWorker.objects.bulk_create(workers, batch_size=BATCH)
        GridAssignment.objects.bulk_create(
            [GridAssignment(worker=w, grid=self.regions[g.code], is_primary=i == 0)
             for w, spec in zip(workers, self.plan.workers, strict=True) for i, g in enumerate(spec.grids)],
            batch_size=BATCH)
        self.grid_worker = next(w for w, spec in zip(workers, self.plan.workers, strict=True)
                                if spec.kind == WorkerKind.FULL_TIME)
        self.counts["grid_workers"] = len(workers)

    def _resident_rows(self) -> Iterator[Resident]:
        rng = self.households.rng
        for leaf in self.plan.deepest_grids():
            grid = self.regions[leaf.code]
            village = leaf.level == RegionLevel.GRID1
            prefix = leaf.address_prefix()
            homes = self.homes.get(leaf.code, {})
            for h, size in enumerate(leaf.household_sizes):
                house, where = homes.get(h, (None, ""))
                if house is None:
                    where = f"{rng.randint(1, 9)}组{h + 1}号" if village else f"{rng.choice(names.ROADS)}{h + 1}号"
                rented = house is not None and house.usage == HouseUsage.RENTED
                for person in self.households.household(size, village=village, rented=rented):
                    yield Resident(grid=grid, house=house, address=f"{prefix} {where}", **resident_fields(person))

    def _events(self) -> None:
        from jiceng.events.demo import generate_demo_events

        result = generate_demo_events(
            county_region=self.regions[self.plan.county.code], year_start=_year_start(),
            count=max(300, round(100_000 * self.plan.scale)), seed=self.plan.seed,
        )
        self.counts["events"] = result["events"]

    def _assessment(self) -> None:
        from jiceng.assessment.demo import generate_demo_assessment

        counts = generate_demo_assessment(county=self.regions[self.plan.county.code], seed=self.plan.seed,
                                          scale=self.plan.scale)
        self.counts |= {f"assessment_{key}": value for key, value in counts.items()}

    def _engagement(self) -> None:
        from jiceng.engagement.demo import generate_demo_engagement

        result = generate_demo_engagement(county=self.regions[self.plan.county.code], seed=self.plan.seed,
                                          scale=self.plan.scale)
        self.credentials.append(result.credential)
        self.counts["wishes"] = result.counts.get("wishes", 0)

    def _residents(self) -> None:
        total, batch = 0, []
        for resident in self._resident_rows():
            batch.append(resident)
            if len(batch) >= BATCH:
                Resident.objects.bulk_create(batch)
                total += len(batch)
                batch = []
        if batch:
            Resident.objects.bulk_create(batch)
            total += len(batch)
        self.counts["residents"] = total


def _year_start() -> date:
    """A year ago today: the demo carries a year of cases up to now, so the cases still in hand
    are recent ones, as in a real command centre."""
    return timezone.localdate() - timedelta(days=365)


def demo_load(*, seed: int = DEFAULT_SEED, scale: float = 1.0,
              log: Callable[[str], None] = lambda message: None) -> DemoResult:
    """Generate and insert the demo county, then write the credentials file. Call only on an
    empty database (``county_exists()`` is False)."""
    started = time.perf_counter()
    plan = plan_county(seed=seed, scale=scale)
    log(f"  规划（{len(plan.nodes)} 个区域与网格的边界）: {time.perf_counter() - started:.1f} s")
    passwords = {username: accounts.new_password() for username, _ in accounts.ACCOUNTS}
    loader = _Loader(plan, log)
    with transaction.atomic():
        credentials = loader.run(passwords)
    accounts.write_credentials(credentials, county=plan.county.name)
    loader.timings["total"] = round(time.perf_counter() - started, 2)
    return DemoResult(plan=plan, counts=loader.counts, credentials=credentials, timings=loader.timings)
