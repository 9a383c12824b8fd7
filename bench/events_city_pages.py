"""Events: the command centre's pages for a city of the province, on the database that
``bench/events_province.py --keep`` loaded (a province-year of cases on PostgreSQL).

    .venv/bin/python bench/events_province.py --cases 5000000 --keep   # once (≈ 5 min; 25 M: ≈ 40 min)
    .venv/bin/python bench/events_city_pages.py                         # then, as often as wanted
    .venv/bin/python bench/events_city_pages.py --no-migrate            # the database's schema as it is

It first applies the project's migrations to that database (an index added since the load is built
then; ``--no-migrate`` measures the schema as loaded, e.g. to compare before and after a migration),
then asks, as the first city's staff account (``bench-<code>``, which the province benchmark made) and
through Django's test client, for each page ``--repeat`` times after one warm-up:

- the console (``/events/``: its live counts of the city's open cases, this month's numbers, the
  first page of the list);
- the numbers page for the city × the last 365 days;
- 立案数's cases for the same question, page 1 and page 20 (the list behind a figure);

and the baseline, in the same run: 50 of the city's cases read by primary key. It prints the median
time of each page and its ratio to the baseline, and the city's open and registered cases for scale.
The database is not dropped.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/jiceng_bench_province"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL, help="the province benchmark's kept database")
    parser.add_argument("--repeat", type=int, default=5, help="times each page is asked for (median shown)")
    parser.add_argument("--no-migrate", action="store_true", help="measure the schema as loaded")
    return parser.parse_args(argv)


def timed(fn, repeat: int) -> float:
    fn()  # warm-up: the first answer pays for caches and plans
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["JICENG_DATA_DIR"] = tempfile.mkdtemp(prefix="jiceng-bench-city-")
    os.environ["JICENG_ENV"] = "embedded"
    os.environ["DJANGO_SETTINGS_MODULE"] = "jiceng.settings"
    os.environ.setdefault("JICENG_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from jiceng.events.choices import OPEN_STATES
    from jiceng.events.models import Event
    from jiceng.people.models import User
    from jiceng.regions.choices import RegionLevel
    from jiceng.regions.models import Region

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    if not args.no_migrate:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"migrations applied in {time.perf_counter() - started:.1f} s", flush=True)
    city = Region.objects.filter(level=RegionLevel.CITY).order_by("id").first()
    actor = User.objects.filter(username=f"bench-{city.code}").first() if city is not None else None
    if actor is None:
        print("no province here: load it first with bench/events_province.py --keep", file=sys.stderr)
        return 2
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM events_event")
        total = cur.fetchone()[0]
    city_cases = Event.objects.filter(grid__path__startswith=city.path)
    end = timezone.localdate()
    start = end - timedelta(days=364)
    registered = city_cases.filter(registered_at__date__gte=start).count()
    open_now = city_cases.filter(state__in=list(OPEN_STATES)).count()
    print(f"{total:,} cases in the province; {city.name}: {registered:,} registered in the last 365 days, "
          f"{open_now:,} open now", flush=True)

    client = Client()
    client.force_login(actor)
    question = f"start={start}&end={end}&region={city.pk}"
    pages = {
        "console (/events/)": "/events/",
        "numbers, the city × 365 days": f"/events/numbers/?{question}",
        "立案数's cases, page 1": f"/events/numbers/registered/cases/?{question}",
        "立案数's cases, page 20": f"/events/numbers/registered/cases/?{question}&page=20",
    }
    ids = list(city_cases.order_by("-id").values_list("id", flat=True)[:50])

    def baseline() -> None:
        assert len(list(Event.objects.filter(pk__in=ids))) == len(ids)

    def page(url: str):
        def ask() -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}")
        return ask

    base = timed(baseline, args.repeat)
    print(f"\n{'page':36} {'median':>10} {'ratio':>8}")
    print(f"{'baseline: 50 cases by primary key':36} {base * 1000:8.1f} ms {'':>8}")
    for label, url in pages.items():
        seconds = timed(page(url), args.repeat)
        print(f"{label:36} {seconds * 1000:8.1f} ms {seconds / base:7.0f}×", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
