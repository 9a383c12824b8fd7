"""Events: the county's numbers over the demo year from the rollup, against a recount from the case
records (the baseline), on the same questions, on SQLite or PostgreSQL.

    .venv/bin/python bench/events_numbers.py                    # SQLite: demo county, its year of 100,000 cases
    .venv/bin/python bench/events_numbers.py --database-url postgres://postgres@127.0.0.1:5432/jiceng_bench_numbers
    .venv/bin/python bench/events_numbers.py --scale 0.3        # a smaller county (30,000 cases)
    .venv/bin/python bench/events_numbers.py --use-current-db   # the cases already in your database

By default it migrates a fresh SQLite database in a temporary JICENG_DATA_DIR and loads the demo
county with its year of cases up to today (``jiceng.demo``: 100,000 × ``--scale`` cases, generated
by ``jiceng.events.demo.generate_demo_events``); ``--events N`` adds N more in the same year.
``--database-url`` uses PostgreSQL instead: that database is dropped and created first (use a
dedicated name) and dropped afterwards. Your data is never touched.

It then asks the county's questions over the demo year — the county × the year and × a month, a
street × a category group × a month, a community × a leaf category × a month, a grid × the year —
as the county's staff, each through the rollup (``selectors.event_counters``, the mean of
``--repeat`` runs) and through a recount from the records (``selectors.event_numbers_from_records``),
checks both give the same counters and prints the times and ratios; then the year's headline
numbers, a breakdown by street, the console's first page of cases (against reading the first 50 by
primary key), pages 1 and 50 of the county-year 立案数's cases read as whole rows and as ids then rows
(``core.paging``), and ``rollup_verify`` over every case.
Exit status 0 when rollup and recount agree everywhere, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from datetime import timedelta

from _pg import drop_create


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=0,
                        help="cases to add to the demo's year (default 0: the demo's own 100,000 × scale)")
    parser.add_argument("--seed", type=int, default=14580, help="seed of the demo county and of the cases")
    parser.add_argument("--scale", type=float, default=1.0, help="demo county scale (1.0: 761 deepest grids)")
    parser.add_argument("--repeat", type=int, default=20, help="rollup queries to average over")
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL database to drop, create and use (default: SQLite in a temp dir)")
    parser.add_argument("--use-current-db", action="store_true",
                        help="measure the cases of the configured database instead of a temporary demo")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory and database")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    temp_dir = None
    if not args.use_current_db:
        temp_dir = tempfile.mkdtemp(prefix="jiceng-bench-")
        os.environ["JICENG_DATA_DIR"] = temp_dir
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("JICENG_CACHE_URL", None)
        os.environ["JICENG_ENV"] = "embedded"
        if args.database_url:
            if not args.database_url.startswith("postgres"):
                print("--database-url must be a PostgreSQL URL", file=sys.stderr)
                return 2
            drop_create(args.database_url, create=True)
            os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "jiceng.settings"
    os.environ.setdefault("JICENG_LOG_LEVEL", "WARNING")
    try:
        return run(args)
    finally:
        if temp_dir:
            from django.db import connections

            connections.close_all()
            if not args.keep:
                shutil.rmtree(temp_dir, ignore_errors=True)
                if args.database_url:
                    drop_create(args.database_url, create=False)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def mean_seconds(read, repeat: int) -> float:
    read()  # warm up
    started = time.perf_counter()
    for _ in range(repeat):
        read()
    return (time.perf_counter() - started) / repeat


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from jiceng.core.paging import rows_by_ids
    from jiceng.events.choices import EventState
    from jiceng.events.demo import generate_demo_events
    from jiceng.events.models import Event, EventCategory
    from jiceng.events.rollup import rollup_verify
    from jiceng.events.selectors import (
        event_counters,
        event_numbers,
        event_numbers_by,
        event_numbers_from_records,
        event_visible,
    )
    from jiceng.people.choices import Role
    from jiceng.people.models import User
    from jiceng.regions.choices import GRID_LEVELS, RegionLevel
    from jiceng.regions.models import Region

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"database {connection.vendor}, load average {os.getloadavg()[0]:.1f}")
    # The demo's year: the 365 days up to today, today included (jiceng.demo.loader).
    year = (timezone.localdate() - timedelta(days=365), timezone.localdate() + timedelta(days=1))
    if not args.use_current_db:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        from jiceng.demo.loader import demo_load

        wall, cpu0 = time.perf_counter(), cpu()
        result = demo_load(seed=args.seed, scale=args.scale)
        print(f"demo county (scale {args.scale}) with its year of {result.counts.get('events', 0):,} cases built in "
              f"{time.perf_counter() - started:.1f} s ({cpu() - cpu0:.1f} s CPU); "
              f"cases step {result.timings.get('事件（一年）', 0):.1f} s")
        if args.events:
            county = Region.objects.get(level=RegionLevel.COUNTY)
            wall, cpu0 = time.perf_counter(), cpu()
            result = generate_demo_events(county_region=county, year_start=year[0], count=args.events,
                                          seed=args.seed + 1)
            wall, used = time.perf_counter() - wall, cpu() - cpu0
            print(f"generated {result['events']:,} more cases, {result['transitions']:,} timeline rows in {wall:.1f} s "
                  f"({used:.1f} s CPU; {result['events'] / wall:,.0f} cases/s); steps {result['timings']}")
        print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    actor = User.objects.filter(role=Role.COUNTY_STAFF, region=county).first()
    if county is None or actor is None or not Event.objects.exists():
        print("no county, county account or cases in this database: nothing to measure", file=sys.stderr)
        return 1
    middle = year[0] + timedelta(days=182)
    month = (middle.replace(day=1), (middle.replace(day=1) + timedelta(days=32)).replace(day=1))
    street = Region.objects.filter(parent=county).order_by("code").first()
    community = Region.objects.filter(path__startswith=street.path, level=RegionLevel.COMMUNITY).order_by("code").first()
    grid = Region.objects.filter(path__startswith=county.path, level__in=GRID_LEVELS,
                                 children__isnull=True).order_by("code").first()
    group = EventCategory.objects.filter(parent__isnull=True).order_by("path").first()
    leaf = EventCategory.objects.filter(parent=group).order_by("path").first()
    questions = [
        (f"{county.name} × all × the year", {"region": county, "start": year[0], "end": year[1]}),
        (f"{county.name} × all × {month[0]:%Y-%m}", {"region": county, "start": month[0], "end": month[1]}),
        (f"{street.name} × {group.name} × {month[0]:%Y-%m}",
         {"region": street, "category": group, "start": month[0], "end": month[1]}),
        (f"{community.name} × {leaf.name} × {month[0]:%Y-%m}",
         {"region": community, "category": leaf, "start": month[0], "end": month[1]}),
        (f"{grid.name} × all × the year", {"region": grid, "start": year[0], "end": year[1]}),
    ]
    print(f"\nthe county's questions over the demo year {year[0]} – {year[1]} (as {actor.username}), "
          f"rollup = mean of {args.repeat} runs:")
    print(f"  {'question':<44} {'registered':>10} {'rollup':>9} {'recount':>10} {'ratio':>7}")
    mismatches = []
    for label, question in questions:
        question = {"actor": actor, **question}
        event_counters(**question)  # warm up
        started = time.perf_counter()
        for _ in range(args.repeat):
            fast = event_counters(**question)
        fast_seconds = (time.perf_counter() - started) / args.repeat
        started = time.perf_counter()
        slow = event_numbers_from_records(**question)
        slow_seconds = time.perf_counter() - started
        print(f"  {label:<44} {fast['registered']:>10,} {fast_seconds * 1000:7.1f}ms {slow_seconds * 1000:8.0f}ms "
              f"{slow_seconds / fast_seconds:6,.0f}×")
        if fast != slow:
            mismatches.append(f"{label}: rollup {fast} recount {slow}")

    numbers = event_numbers(actor=actor, start=year[0], end=year[1])
    print("\nthe county's year: " + ", ".join(
        f"{numbers[k].label} {numbers[k].display}" for k in
        ("registered", "close_rate", "on_time_rate", "satisfaction_rate", "return_rate", "overdue")))
    started = time.perf_counter()
    rows = event_numbers_by(actor=actor, by="region", region=county, start=year[0], end=year[1])
    print(f"by street ({len(rows)} rows) in {(time.perf_counter() - started) * 1000:.0f} ms: " + ", ".join(
        f"{r.label} {r.numbers['close_rate'].display}" for r in rows[:4]))
    print("\nthe console's first page (50 cases, newest first; mean of "
          f"{args.repeat} runs) against the first 50 cases by primary key (the least a page reads):")
    newest = ("-reported_at", "-id")
    pages = [(f"{county.name}, all its cases", event_visible(actor)),
             (f"{street.name}, all its cases", event_visible(actor).filter(grid__path__startswith=street.path)),
             (f"{county.name}, closed cases", event_visible(actor).filter(state=EventState.CLOSED))]
    baseline = mean_seconds(lambda: list(Event.objects.select_related(
        "category", "grid", "community", "handler_region", "handler_department").order_by("-pk")[:50]), args.repeat)
    print(f"  {'baseline (by primary key)':<44} {baseline * 1000:7.1f}ms")
    for label, cases in pages:
        seconds = mean_seconds(lambda cases=cases: list(cases.order_by(*newest)[:50]), args.repeat)
        print(f"  {label:<44} {seconds * 1000:7.1f}ms {seconds / baseline:6.1f}×")
    # The numbers page's case list (a number's cases, newest first): filtered by the date it counts,
    # ordered by another, so the database sorts the whole set; rows then ids first (core.paging).
    registered = numbers["registered"].cases.order_by(*newest)
    print(f"\nthe cases of {county.name}'s 立案数 over the year ({numbers['registered'].value:,}), 50 a page, "
          "newest first: the whole rows sorted (Django's Paginator) against the ids sorted, then the rows "
          "(core.paging, what the pages and the API read):")
    for number in (1, 50):
        offset = (number - 1) * 50
        rows_s = mean_seconds(lambda offset=offset: list(registered[offset:offset + 50]), args.repeat)
        ids_s = mean_seconds(lambda offset=offset: rows_by_ids(registered, offset, 50), args.repeat)
        print(f"  page {number:<3} rows {rows_s * 1000:7.1f}ms ({rows_s / baseline:5.1f}×)   "
              f"ids then rows {ids_s * 1000:7.1f}ms ({ids_s / baseline:5.1f}×)")
        if [e.pk for e in rows_by_ids(registered, offset, 50)] != [e.pk for e in registered[offset:offset + 50]]:
            mismatches.append(f"page {number} of the registered cases: the two reads differ")
    started = time.perf_counter()
    problems = rollup_verify()
    print(f"rollup_verify over {Event.objects.count():,} cases in {time.perf_counter() - started:.1f} s: "
          f"{'consistent' if not problems else f'{len(problems)} differences'}")
    if mismatches or problems:
        print("MISMATCH:\n  " + "\n  ".join(mismatches + problems[:10]), file=sys.stderr)
        return 1
    print("rollup and recount agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
