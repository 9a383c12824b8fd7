"""Events: the demo generator's speed, and the command centre's numbers from the rollup against a
recount from the case records (the baseline), on the same question.

    .venv/bin/python bench/events_numbers.py                    # demo county, 100,000 cases
    .venv/bin/python bench/events_numbers.py --events 20000 --scale 0.3
    .venv/bin/python bench/events_numbers.py --use-current-db   # the cases already in your database

By default it migrates a fresh SQLite database in a temporary JICENG_DATA_DIR, loads the demo county
and generates a year of cases with ``jiceng.events.demo.generate_demo_events`` (your data is never
touched). It then asks one question — a street × a category group × a month, as the county sees it —
through the rollup (``selectors.event_counters``) and through a recount from the records
(``selectors.event_numbers_from_records``), checks that both give the same counters, and prints the
ratio; then the year's numbers for the county, a breakdown by street, and ``rollup_verify``.
Exit status 0 when rollup and recount agree, 1 otherwise.
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
from datetime import date


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="cases to generate (default 100,000)")
    parser.add_argument("--seed", type=int, default=14580, help="seed of the demo county and of the cases")
    parser.add_argument("--scale", type=float, default=1.0, help="demo county scale (1.0: 761 deepest grids)")
    parser.add_argument("--year", type=int, default=2025, help="the year the cases are reported in")
    parser.add_argument("--repeat", type=int, default=20, help="rollup queries to average over")
    parser.add_argument("--use-current-db", action="store_true",
                        help="measure the cases of the configured database instead of a temporary demo")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
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
    os.environ["DJANGO_SETTINGS_MODULE"] = "jiceng.settings"
    os.environ.setdefault("JICENG_LOG_LEVEL", "WARNING")
    try:
        return run(args)
    finally:
        if temp_dir and not args.keep:
            shutil.rmtree(temp_dir, ignore_errors=True)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from jiceng.events.demo import generate_demo_events
    from jiceng.events.models import Event, EventCategory
    from jiceng.events.rollup import rollup_verify
    from jiceng.events.selectors import (
        event_counters,
        event_numbers,
        event_numbers_by,
        event_numbers_from_records,
    )
    from jiceng.people.choices import Role
    from jiceng.people.models import User
    from jiceng.regions.choices import RegionLevel
    from jiceng.regions.models import Region

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"database {connection.vendor}, load average {os.getloadavg()[0]:.1f}")
    if not args.use_current_db:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        from jiceng.demo.loader import demo_load

        demo_load(seed=args.seed, scale=args.scale)
        print(f"demo county (scale {args.scale}) built in {time.perf_counter() - started:.1f} s")
        county = Region.objects.get(level=RegionLevel.COUNTY)
        wall, cpu0 = time.perf_counter(), cpu()
        result = generate_demo_events(county_region=county, year_start=date(args.year, 1, 1), count=args.events,
                                      seed=args.seed)
        wall, used = time.perf_counter() - wall, cpu() - cpu0
        print(f"generated {result['events']:,} cases, {result['transitions']:,} timeline rows in {wall:.1f} s "
              f"({used:.1f} s CPU; {result['events'] / wall:,.0f} cases/s); steps {result['timings']}")
        print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    actor = User.objects.filter(role=Role.COUNTY_STAFF, region=county).first()
    if county is None or actor is None or not Event.objects.exists():
        print("no county, county account or cases in this database: nothing to measure", file=sys.stderr)
        return 1
    year = (date(args.year, 1, 1), date(args.year + 1, 1, 1))
    month = (date(args.year, 3, 1), date(args.year, 4, 1))
    street = Region.objects.filter(parent=county).order_by("code").first()
    group = EventCategory.objects.filter(parent__isnull=True).order_by("path").first()
    question = {"actor": actor, "start": month[0], "end": month[1], "region": street, "category": group}

    event_counters(**question)  # warm up
    started = time.perf_counter()
    for _ in range(args.repeat):
        fast = event_counters(**question)
    fast_seconds = (time.perf_counter() - started) / args.repeat
    started = time.perf_counter()
    slow = event_numbers_from_records(**question)
    slow_seconds = time.perf_counter() - started
    print(f"question: {street.name} × {group.name} × {month[0]:%Y-%m}, {fast['registered']:,} cases registered")
    print(f"rollup (event_counters):               {fast_seconds * 1000:9.1f} ms")
    print(f"recount (event_numbers_from_records):  {slow_seconds * 1000:9.1f} ms")
    print(f"ratio: the rollup is {slow_seconds / fast_seconds:,.0f}× the recount")

    numbers = event_numbers(actor=actor, start=year[0], end=year[1])
    print("the county's year: " + ", ".join(
        f"{numbers[k].label} {numbers[k].display}" for k in
        ("registered", "close_rate", "on_time_rate", "satisfaction_rate", "return_rate", "overdue")))
    started = time.perf_counter()
    rows = event_numbers_by(actor=actor, by="region", region=county, start=year[0], end=year[1])
    print(f"by street ({len(rows)} rows) in {(time.perf_counter() - started) * 1000:.0f} ms: " + ", ".join(
        f"{r.label} {r.numbers['close_rate'].display}" for r in rows[:4]))
    started = time.perf_counter()
    problems = rollup_verify()
    print(f"rollup_verify over {Event.objects.count():,} cases in {time.perf_counter() - started:.1f} s: "
          f"{'consistent' if not problems else f'{len(problems)} differences'}")
    if fast != slow or problems:
        print(f"MISMATCH: rollup {fast} recount {slow}", file=sys.stderr)
        return 1
    print("rollup and recount agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
