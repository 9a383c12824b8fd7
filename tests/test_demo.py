"""The demo county: ``load_demo`` at a small scale, checked the way a user would notice a fault
(overlapping grids, a point placed in the wrong grid, an invalid ID number, a login that fails),
and the full-scale plan checked against the figures the README promises."""

from __future__ import annotations

import html
import re
import stat
from datetime import timedelta
from io import StringIO
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
import shapely
from django.core.management import call_command
from django.test import override_settings
from shapely.geometry import shape

from jiceng.core.audit import verify_chain
from jiceng.core.crypto import blind_index
from jiceng.core.models import AuditLog
from jiceng.core.validators import (
    birth_date_from_id,
    gender_from_id,
    id_number_error,
    phone_error,
    uscc_error,
)
from jiceng.demo import accounts
from jiceng.demo.plan import DEFAULT_SEED, plan_county
from jiceng.people.choices import ADMIN_ROLES, Role, WorkerKind
from jiceng.people.models import Department, GridAssignment, GridWorker, Resident, User
from jiceng.people.services import tag_tokens
from jiceng.regions.choices import RegionKind, RegionLevel
from jiceng.regions.locator import deepest_grids, locate_grid
from jiceng.regions.models import Building, BuildingUnit, House, Organisation, Region

SCALE = 0.02
SEED = DEFAULT_SEED


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Load the demo county once for this module (committed), and empty the database after."""
    data_dir = tmp_path_factory.mktemp("demo-data")
    out = StringIO()
    with django_db_blocker.unblock(), override_settings(DATA_DIR=data_dir):
        call_command("load_demo", scale=SCALE, seed=SEED, stdout=out)
    yield data_dir, out.getvalue()
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def demo(demo_loaded, db, settings):
    """The demo county at 2% scale (what ``load_demo`` printed); DATA_DIR holds its credentials."""
    settings.DATA_DIR, printed = demo_loaded
    return printed


def table_counts() -> dict[str, int]:
    models = [Region, Building, BuildingUnit, House, Organisation, Department, User, GridWorker, GridAssignment,
              Resident, AuditLog]
    return {m.__name__: m.objects.count() for m in models}


def test_it_builds_every_level_of_the_tree_nested_as_in_the_reports(demo):
    plan = plan_county(seed=SEED, scale=SCALE).counts()
    by_level = {level: Region.objects.filter(level=level).count() for level in RegionLevel.values}
    assert by_level[RegionLevel.CITY] == 0
    assert by_level[RegionLevel.COUNTY] == 1
    assert by_level[RegionLevel.STREET] == plan["streets"] >= 4
    assert by_level[RegionLevel.COMMUNITY] == plan["communities"] + plan["villages"] >= 8
    assert by_level[RegionLevel.GRID1] == by_level[RegionLevel.COMMUNITY]  # one 一级网格 each
    assert by_level[RegionLevel.GRID2] == plan["grid2"] >= 2 * plan["communities"]
    assert by_level[RegionLevel.GRID3] == plan["grid3"] >= 2 * plan["grid2"]

    for street in Region.objects.filter(level=RegionLevel.STREET):
        kinds = set(street.children.values_list("kind", flat=True))
        expected = RegionKind.COMMUNITY if street.kind == RegionKind.SUBDISTRICT else RegionKind.VILLAGE
        assert kinds == {expected}, street.name
    for village in Region.objects.filter(kind=RegionKind.VILLAGE):
        [grid] = village.children.all()
        assert grid.level == RegionLevel.GRID1 and not grid.children.exists()
    for grid1 in Region.objects.filter(level=RegionLevel.GRID1, parent__kind=RegionKind.COMMUNITY):
        assert grid1.children.count() >= 2
        for grid2 in grid1.children.all():
            assert grid2.level == RegionLevel.GRID2 and grid2.children.count() >= 2
            assert set(grid2.children.values_list("level", flat=True)) == {RegionLevel.GRID3}
    for region in Region.objects.exclude(parent=None).select_related("parent"):
        assert region.path == f"{region.parent.path}{region.code}/"
        assert region.code.startswith(region.parent.code) or region.level == RegionLevel.COUNTY


def test_the_grids_tile_every_level_without_gap_or_overlap(demo):
    regions = list(Region.objects.all())
    geoms = {r.pk: shape(r.boundary) for r in regions}
    for region in regions:
        geom = geoms[region.pk]
        assert geom.geom_type == "Polygon" and geom.is_valid and geom.area > 0, region.code
        kids = [r for r in regions if r.parent_id == region.pk]
        if not kids:
            continue
        kid_geoms = [geoms[k.pk] for k in kids]
        for i, a in enumerate(kid_geoms):
            for b in kid_geoms[i + 1:]:
                assert a.intersection(b).area <= 1e-12
        assert abs(sum(g.area for g in kid_geoms) - geom.area) < 1e-9, region.code
        assert abs(shapely.union_all(kid_geoms).area - geom.area) < 1e-9, region.code
        assert geom.buffer(1e-9).covers(shapely.union_all(kid_geoms))


def test_population_and_households_roll_up_from_the_grids(demo):
    for region in Region.objects.filter(level__lt=RegionLevel.GRID3):
        kids = list(region.children.all())
        if kids:
            assert region.population == sum(k.population for k in kids) > 0
            assert region.households == sum(k.households for k in kids) > 0
    for grid in deepest_grids():
        assert grid.population == Resident.objects.filter(grid=grid).count() > 0


def test_point_to_grid_finds_each_grid_from_its_own_points(demo):
    grids = list(deepest_grids())
    assert len(grids) == plan_county(seed=SEED, scale=SCALE).counts()["deepest_grids"]
    for grid in grids:
        point = shape(grid.boundary).representative_point()
        assert locate_grid(point.x, point.y).pk == grid.pk
    for building in Building.objects.select_related("grid")[:50]:
        assert locate_grid(building.lng, building.lat).pk == building.grid_id
    county = shape(Region.objects.get(level=RegionLevel.COUNTY).boundary)
    minx, miny, _, _ = county.bounds
    assert locate_grid(minx - 0.1, miny - 0.1) is None


def test_residents_have_valid_unique_ids_matching_their_birth_and_sex(demo):
    residents = list(Resident.objects.select_related("house__unit__building"))
    assert len(residents) == round(50_000 * SCALE)
    ids = [r.id_number for r in residents if r.id_number]
    assert len(ids) == len(set(ids)) >= 0.98 * len(residents)
    for r in residents:
        assert r.name and r.address.startswith("松川县")
        assert r.tags == sorted(set(r.tags)) and r.tag_tokens == tag_tokens(r.tags)
        if r.id_number:
            assert id_number_error(r.id_number) is None, r.id_number
            assert birth_date_from_id(r.id_number) == r.birth_date
            assert gender_from_id(r.id_number) == r.gender
            assert r.id_number_hash == blind_index(r.id_number, purpose="id_number")
        if r.phone:
            assert phone_error(r.phone) is None and r.phone_hash == blind_index(r.phone, purpose="phone")
        if r.house_id:
            building = r.house.unit.building
            assert building.grid_id == r.grid_id
            assert r.address.endswith(f"{r.house.room}室") and building.name in r.address
    assert any(r.house_id for r in residents) and any(not r.house_id for r in residents)


def test_grid_workers_are_staffed_as_planned_with_valid_ids(demo):
    plan = plan_county(seed=SEED, scale=SCALE).counts()
    workers = list(GridWorker.objects.select_related("community").prefetch_related("grids"))
    assert len(workers) == plan["workers"]
    full_time = [w for w in workers if w.kind == WorkerKind.FULL_TIME]
    assert len(full_time) == Region.objects.filter(level=RegionLevel.GRID2).count()
    for w in workers:
        assert id_number_error(w.id_number) is None and gender_from_id(w.id_number) == w.gender
        assert phone_error(w.phone) is None
        grids = list(w.grids.all())
        assert grids and all(g.level in (RegionLevel.GRID1, RegionLevel.GRID3) for g in grids)
        if w.kind != WorkerKind.SPECIAL:
            assert all(g.path.startswith(w.community.path) for g in grids)
        else:
            assert w.occupation in ("快递员", "外卖骑手", "网约车司机")
    ids = [w.id_number for w in workers]
    assert len(set(ids)) == len(ids)
    assert not set(ids) & set(Resident.objects.exclude(id_number_hash="").values_list("id_number", flat=True))


def test_organisations_have_valid_credit_codes(demo):
    orgs = list(Organisation.objects.all())
    assert orgs and {o.kind for o in orgs} >= {"property", "school", "medical", "public"}
    for org in orgs:
        assert uscc_error(org.uscc) is None, org.uscc
        assert org.grid.level in (RegionLevel.GRID1, RegionLevel.GRID3)


def test_the_credentials_file_lists_one_account_per_role_that_can_log_in(demo, client, settings):
    path = settings.DATA_DIR / accounts.FILENAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    credentials = accounts.read_credentials(path)
    # the staff accounts, then the resident login made by the engagement demo
    assert [c.username for c in credentials] == [u for u, _ in accounts.ACCOUNTS] + ["resident"]
    for c in credentials:
        assert c.password in demo  # printed on the console too
        assert len(c.password) >= 12 and any(ch.isupper() for ch in c.password)
        assert any(ch.islower() for ch in c.password) and any(ch.isdigit() for ch in c.password)
        assert any(not ch.isalnum() for ch in c.password)
        assert client.login(username=c.username, password=c.password), c.username
        client.logout()
    users = {u.username: u for u in User.objects.select_related("region", "department")}
    assert users["county"].region.level == RegionLevel.COUNTY
    assert users["street"].region.kind == RegionKind.SUBDISTRICT
    assert users["community"].region.kind == RegionKind.COMMUNITY
    assert users["village"].region.kind == RegionKind.VILLAGE
    assert users["dept"].department.kind == "housing"
    assert users["resident"].role == "resident" and users["resident"].resident is not None
    assert users["grid"].role == Role.GRID_WORKER and users["grid"].grid_worker.kind == WorkerKind.FULL_TIME
    assert users["grid"].grid_worker.community == users["community"].region
    assert all(u.full_name and not u.full_name.isascii() for u in users.values())


def test_the_grid_account_has_the_last_days_cases_of_its_grids_to_check(demo):
    """待我核查 is not empty for the demo's grid worker: the cases handled in her grids in the last days
    wait for her check (elsewhere a simulated checker has closed them), and she may check each."""
    from jiceng.events.choices import EventState
    from jiceng.events.demo.simulation import ACCOUNT_CHECK_DAYS
    from jiceng.events.models import Event
    from jiceng.events.selectors.queues import verify_queue

    grid = User.objects.get(username="grid")
    grids = set(grid.grid_worker.grids.values_list("pk", flat=True))
    waiting = Event.objects.filter(state=EventState.TO_VERIFY, grid__in=grids)
    queue = verify_queue(actor=grid)
    assert queue and {e.pk for e, allowed in queue} == set(waiting.values_list("pk", flat=True))
    assert all("verify" in allowed and "verify_fail" in allowed for _e, allowed in queue)
    newest_handled = max(e.handled_at for e in waiting)
    assert all(newest_handled - e.handled_at <= timedelta(days=ACCOUNT_CHECK_DAYS[1] + 1) for e in waiting)


def test_the_check_window_holds_about_five_cases_within_two_to_fourteen_days():
    from jiceng.events.demo.simulation import account_check_days

    assert account_check_days(2.9) == 2     # the full demo: the grid account's 8 grids get ~2.9 cases a day
    assert account_check_days(0.5) == 10    # 5 cases ÷ 0.5 a day
    assert account_check_days(0.1) == 14    # at most two weeks
    assert account_check_days(0) == 0       # no account grids: nothing waits


def test_a_second_run_changes_nothing_and_prints_the_logins_again(demo):
    before = table_counts()
    first = accounts.read_credentials()
    out = StringIO()
    call_command("load_demo", scale=SCALE, seed=SEED, stdout=out)
    assert table_counts() == before
    assert all(c.password in out.getvalue() for c in first)
    assert "http://127.0.0.1:8000/" in out.getvalue()


def test_the_load_is_audited_and_the_chain_holds(demo):
    assert AuditLog.objects.filter(action="region.create").count() == Region.objects.count()
    summary = AuditLog.objects.get(action="demo.load")
    assert summary.changes["residents"] == Resident.objects.count()
    assert summary.changes["grid_workers"] == GridWorker.objects.count()
    assert verify_chain() == []


def test_the_same_seed_gives_the_same_county(demo):
    again = plan_county(seed=SEED, scale=SCALE)
    stored = list(Region.objects.order_by("code").values_list("code", "name"))
    assert stored == sorted((n.code, n.name) for n in again.nodes)
    assert [n.geom.wkb for n in again.nodes] == [n.geom.wkb for n in plan_county(seed=SEED, scale=SCALE).nodes]
    other = plan_county(seed=SEED + 1, scale=SCALE)
    assert [n.name for n in other.nodes] != [n.name for n in again.nodes]


def test_the_full_scale_plan_matches_the_readme():
    """Checked on the plan (no inserts): 761 deepest grids, 879 workers, 50,000 residents."""
    plan = plan_county(seed=DEFAULT_SEED, scale=1.0)
    expected = {
        "streets": 8, "subdistricts": 2, "towns": 6, "communities": 10, "villages": 60, "grid1": 70,
        "grid2": 76, "grid3": 701, "deepest_grids": 761, "residents": 50_000,
        "workers": 879, "workers_full_time": 76, "workers_part_time": 760, "workers_special": 43,
    }
    counts = plan.counts()
    assert {key: counts[key] for key in expected} == expected
    ratios = plan.staffing()  # 专职 per 10,000 residents: a few communities fall short of 18
    below = [code for code, per_10k in ratios.items() if per_10k < 18]
    assert 2 <= len(below) <= 4 and len(ratios) == 10
    for community in plan.at_level(RegionLevel.COMMUNITY, RegionKind.COMMUNITY):
        assert 7 <= len(community.children[0].children) <= 8


def test_every_street_has_its_staff_and_whistles_come_from_the_cases_own_street(demo):
    from jiceng.events.models import Event, EventTransition

    streets = Region.objects.filter(level=RegionLevel.STREET)
    staff = {}  # each street's first staff account (the assessment demo adds its leaders later)
    for u in User.objects.filter(role=Role.STREET_STAFF).order_by("pk"):
        staff.setdefault(u.region_id, u)
    assert set(staff) == set(streets.values_list("pk", flat=True))
    handed_out = {c.username for c in accounts.read_credentials()}
    assert all(not u.has_usable_password() for u in staff.values() if u.username not in handed_out)
    blown = list(EventTransition.objects.filter(action="whistle").values_list("event_id", "actor_id"))
    assert blown
    street_of = {e.pk: e.community.parent_id for e in Event.objects.filter(pk__in=[b[0] for b in blown])
                 .select_related("community")}
    wrong = [(event_id, actor_id, street_of[event_id]) for event_id, actor_id in blown
             if staff[street_of[event_id]].pk != actor_id]
    assert wrong == []
    assert len({street_of[event_id] for event_id, _ in blown}) > 1  # not one street's alone


def test_case_titles_and_activity_places_read_as_written_by_people(demo):
    from jiceng.engagement.models import Activity
    from jiceng.events.models import Event

    titles = list(Event.objects.values_list("title", flat=True))
    assert titles and not [t for t in titles if "问题问题" in t or (("：" in t) and t.split("：")[1].startswith(t.split("：")[0]))]
    places = list(Activity.objects.values_list("place", flat=True))
    assert places and not [p for p in places if "社区社区" in p or "村社区" in p or "社区村口" in p]


# every link a page shows opens (no 403/404/500 behind a link) -----------------------------------

SKIP_LINK = re.compile(r"/logout|/export|/exports/|/files/|/i18n/|/static/|/media/|/api/|/admin/.+/(delete|history)/"
                       r"|/track/photo/|\.geojson")
LINKS_PER_ROLE = 150


def _link_pattern(url: str) -> str:
    """Links that differ only in ids or query values are one kind of link: one of each is followed."""
    parts = urlsplit(url)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return re.sub(r"\d+", "N", parts.path) + "?" + ",".join(keys)


@pytest.mark.parametrize("username", [u for u, _ in accounts.ACCOUNTS] + ["resident"])
def test_every_link_a_demo_account_is_shown_opens(demo, client, username):
    """Log in as each demo account and follow, breadth first from the home page (and the back office
    for the admin roles), one link of every kind the pages show it (href and hx-get): none may answer
    an error — a link to a page its reader may not open is a fault even when the refusal is right."""
    from tests.accounts.helpers import pass_second_factor

    user = User.objects.get(username=username)
    client.force_login(user)
    if user.role in ADMIN_ROLES:
        pass_second_factor(client, user)
    queue, seen, broken = ["/"] + (["/admin/"] if user.role in ADMIN_ROLES else []), set(), []
    while queue and len(seen) < LINKS_PER_ROLE:
        url = queue.pop(0)
        if _link_pattern(url) in seen:
            continue
        seen.add(_link_pattern(url))
        answer = client.get(url, follow=True)
        if answer.status_code >= 400:
            broken.append((answer.status_code, url))
            continue
        if not answer.get("Content-Type", "").startswith("text/html"):
            continue
        page = answer.content.decode()
        for link in re.findall(r'(?:href|hx-get)="([^"#]+)', page):
            target = urljoin(url, html.unescape(link))
            if target.startswith("/") and not target.startswith("//") and not SKIP_LINK.search(target):
                queue.append(target)
    assert len(seen) > (20 if user.role not in (Role.RESIDENT, Role.AUDIT_ADMIN) else 3), seen
    assert broken == []
