"""A year of plausible cases for the demo county, fast and deterministic.

``generate_demo_events(county_region=…, year_start=…, count=…, seed=…)`` simulates each case through
the same workflow the services run (report → 立案 → 派遣 → 签收 → 处置 → 反馈 → 核查结案 → 评价, with
退单, 审定, 挂起, 重办, 吹哨报到, 超期 and 作废 along the way), with deadlines from the categories'
procedures on the working calendar, then writes cases, timeline rows, whistles, ratings, supporters
and the timers of open cases with bulk inserts. The rollup is the sum of the same ``contributions``
the services apply, so ``rollup_verify()`` holds afterwards. One audit record sums the run up and
every generated timeline row points to it.

The outcome resembles the reports: about 97–98 % of registered cases closed by the end of the window
(the open ones mostly from its last two weeks, see ``simulation``), about 95 % of ratings satisfied
or basically satisfied (张家口: 94.6 % closed, 95.3 % satisfied), some overdue, returned, reopened,
suspended or whistled.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import shapely
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from jiceng.core import crypto
from jiceng.core.audit import audit_record
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region

from .. import rollup
from ..catalogue import load_event_categories
from ..choices import Channel, Priority
from ..models import Event, EventCategory
from .simulation import Sim, account_check_days
from .world import (
    BATCH,
    CHANNEL_WEIGHTS,
    IOT_CATEGORIES,
    PHOTO_CATEGORIES,
    PHRASES,
    Case,
    S,
    World,
    demo_photo,
    person_name,
    phone_number,
)
from .writer import next_id, write_batch


def _points(world: World, rng: random.Random, counts: dict[int, int]) -> dict[int, list[tuple[float, float]]]:
    """Random points inside each grid (rejection sampling within its bounding box; the containment
    test is one vectorised shapely call per round)."""
    out: dict[int, list[tuple[float, float]]] = {}
    for grid_id, n in counts.items():
        geom = world.shapes[grid_id]
        minx, miny, maxx, maxy = geom.bounds
        got: list[tuple[float, float]] = []
        for _ in range(50):
            need = n - len(got)
            if need <= 0:
                break
            xs = [round(rng.uniform(minx, maxx), 6) for _ in range(need * 3 + 8)]
            ys = [round(rng.uniform(miny, maxy), 6) for _ in range(need * 3 + 8)]
            inside = shapely.contains_xy(geom, xs, ys).tolist()
            got.extend((x, y) for x, y, keep in zip(xs, ys, inside, strict=True) if keep)
        if len(got) < n:
            c = geom.representative_point()
            got.extend([(round(c.x, 6), round(c.y, 6))] * (n - len(got)))
        out[grid_id] = got[:n]
    return out


def _report_times(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    first, last = start.astimezone(tz).date(), end.astimezone(tz)
    part = (last - datetime.combine(last.date(), datetime.min.time(), tzinfo=tz)) / timedelta(days=1)
    days = max(1, (last.date() - first).days + (part > 0))
    day_weights = [0.72 if (first + timedelta(days=i)).weekday() >= 5 else 1.0 for i in range(days)]
    if part > 0:  # the window ends during its last day: that day gets its share
        day_weights[-1] *= part
    picked = rng.choices(range(days), weights=day_weights, k=count)
    out = []
    for d in picked:
        day = first + timedelta(days=d)
        # daytime mostly; the night's hours (19:30 to 07:30) fall on the same day
        hour = rng.uniform(7.5, 19.5) if rng.random() < 0.82 else rng.uniform(19.5, 31.5) % 24
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=tz)
        moment = midnight + timedelta(hours=hour)
        if moment >= end:  # the window ends during this day: the same shape of day, squeezed before the end
            moment = midnight + (end - midnight) * (hour / 24)
        out.append(max(moment, start))
    return sorted(out)


@transaction.atomic
def generate_demo_events(*, county_region: Region, year_start: date, count: int = 100_000, seed: int = 14580,
                         now: datetime | None = None) -> dict:
    """Generate ``count`` cases reported from ``year_start`` over a year (or until now), deterministic
    for a seed. Returns counts and timings. Adds to what is there (the rollup is added to, not reset)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    rng = random.Random(f"jiceng-events:{seed}")
    tz = ZoneInfo(settings.TIME_ZONE)
    window_start = datetime.combine(year_start, datetime.min.time(), tzinfo=tz)
    end = min(datetime.combine(year_start.replace(year=year_start.year + 1), datetime.min.time(), tzinfo=tz),
              now or timezone.now())
    if end <= window_start:
        raise ValueError("year_start must lie in the past")
    if not EventCategory.objects.exists():
        load_event_categories()
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:  # a bigger page cache for this connection's bulk inserts
            cur.execute("PRAGMA cache_size = -65536")
    world = World(county_region, rng)
    entry = audit_record(actor=None, action="events.demo_generate", object_type="demo",
                         object_id=county_region.code, object_repr=f"演示事件 {county_region.name}",
                         changes={"seed": seed, "count": count, "year_start": year_start.isoformat()})
    timings["setup"] = time.perf_counter() - started

    t0 = time.perf_counter()
    times = _report_times(rng, window_start, end, count)
    grid_ids = rng.choices([g.pk for g in world.grids], weights=world.grid_weights, k=count)
    points = _points(world, rng, Counter(grid_ids))
    cursor_by_grid: dict[int, int] = defaultdict(int)
    grid_names = {g.pk: g.name for g in world.grids}
    account_cases_a_day = (sum(1 for g in grid_ids if g in world.account_grids)
                           / max((end - window_start).total_seconds() / 86400, 1))
    sim = Sim(world, end, entry.pk,
              account_check_from=end - timedelta(days=account_check_days(account_cases_a_day)))
    first_id = next_id(Event)
    batch: list[Case] = []
    total: dict = defaultdict(Counter)
    states: Counter = Counter()
    written: Counter = Counter()
    timings.update(write=0.0, rollup=0.0)

    def flush() -> None:
        """Write a batch of simulated cases and what they produced, keeping memory flat."""
        if not batch:
            return
        w0 = time.perf_counter()
        written.update(transitions=len(sim.transitions), whistles=len(sim.whistles), ratings=len(sim.ratings),
                       supporters=len(sim.supporters))
        written["open_timers"] += write_batch(batch, sim)
        timings["write"] += time.perf_counter() - w0
        r0 = time.perf_counter()
        for done in batch:
            states[done.state] += 1
            for key, counts in rollup.contributions(done).items():
                total[key].update(counts)
        timings["rollup"] += time.perf_counter() - r0
        for rows in (sim.transitions, sim.whistles, sim.ratings, sim.timers, sim.supporters):
            rows.clear()
        batch.clear()

    leaf_cum = list(itertools.accumulate(world.leaf_weights))
    channel_cum = list(itertools.accumulate(w for _, w in CHANNEL_WEIGHTS[:3]))
    channels = [c for c, _ in CHANNEL_WEIGHTS[:3]]
    for i, (reported, grid_id) in enumerate(zip(times, grid_ids, strict=True)):
        code = rng.choices(world.leaf_codes, cum_weights=leaf_cum, k=1)[0]
        cat = world.categories[code]
        if code.startswith("JNHJ"):
            channel = Channel.EMERGENCY if rng.random() < 0.6 else Channel.HOTLINE
        elif code in IOT_CATEGORIES and rng.random() < 0.35:
            channel = Channel.IOT
        else:
            channel = rng.choices(channels, cum_weights=channel_cum, k=1)[0]
        lng, lat = points[grid_id][cursor_by_grid[grid_id]]
        cursor_by_grid[grid_id] += 1
        phrase = rng.choice(PHRASES.get(code, [cat.name if cat.name.endswith("问题") else f"{cat.name}问题"]))
        reporter_id, source_ref, name, phone = None, "", "", ""
        if channel == Channel.PATROL:
            name, reporter_id = world.worker_by_grid.get(grid_id, ("网格员", None))
        elif channel == Channel.IOT:
            source_ref = f"IOT-{grid_id:05d}-{rng.randrange(100):02d}"
        else:
            name, phone = person_name(rng), phone_number(rng)
        community = world.ancestors[grid_id].get(RegionLevel.COMMUNITY)
        photographed = code in PHOTO_CATEGORIES and channel in (Channel.PATROL, Channel.RESIDENT)
        photos = [demo_photo("before")] if photographed and rng.random() < 0.7 else []
        case = Case(
            id=first_id + i, category_id=cat.pk, grid_id=grid_id, community_id=community.pk if community else grid_id,
            channel=channel, priority=Priority.URGENT if channel == Channel.EMERGENCY else cat.priority,
            title=(phrase if phrase.startswith(cat.name) else f"{cat.name}：{phrase}")[:100], description=f"{grid_names[grid_id]}附近{phrase}。",
            lng=lng, lat=lat, address=f"{grid_names[grid_id]}附近", reporter_name=name, reporter_phone=phone,
            reporter_id=reporter_id, source_ref=source_ref, reported_at=reported,
            photos=photos,
        )
        sim.simulate(case, cat)
        if case.state not in (S.REJECTED, S.VOID) and rng.random() < 0.05:
            _supporters(sim, case, rng, end)
        batch.append(case)
        if len(batch) >= BATCH:
            flush()
    flush()
    rollup_started = time.perf_counter()
    rollup.apply(total)
    timings["rollup"] += time.perf_counter() - rollup_started
    timings["simulate"] = time.perf_counter() - t0 - timings["write"] - timings["rollup"]
    timings["total"] = time.perf_counter() - started
    return {"events": count, **written, "states": dict(states),
            "timings": {k: round(v, 2) for k, v in timings.items()}}


def _supporters(sim: Sim, case: Case, rng: random.Random, end: datetime) -> None:
    for _ in range(rng.choice((1, 1, 2, 3))):
        at = case.reported_at + timedelta(minutes=rng.randint(10, 600))
        if at > end or (case.closed_at is not None and at > case.closed_at):
            continue
        phone = phone_number(rng)
        case.supporter_count += 1
        sim.supporters.append((case.id, crypto.encrypt(person_name(rng)), crypto.encrypt(phone),
                               crypto.blind_index(phone, purpose="phone"), Channel.RESIDENT, "我也遇到了", "[]", at))


