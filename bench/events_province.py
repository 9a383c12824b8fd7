"""Events at province scale: the command centre's numbers over a bulk-loaded province-year of cases,
through the rollup (``selectors.event_counters``), against a recount from the case records (the
baseline), on PostgreSQL.

    .venv/bin/python bench/events_province.py                         # 25,000,000 cases (long: see docs)
    .venv/bin/python bench/events_province.py --cases 1000000         # a quick run
    .venv/bin/python bench/events_province.py --database-url postgres://postgres@127.0.0.1:5432/jiceng_bench_province

The database named by ``--database-url`` (default ``jiceng_bench_province`` on 127.0.0.1) is dropped,
created and migrated: use a dedicated name. Then, without the ORM:

- a synthetic region tree (13 cities → ~100 counties → ~1,300 streets → ~20,000 communities →
  ~80,000 grids) and one department of each kind per county, with COPY;
- the real category catalogue (``load_event_categories``);
- ``--cases`` cases over the last 365 days into the real case table (``events_event``), generated
  server-side by ``INSERT … SELECT`` over ``generate_series`` in chunks of a million (no Python per
  row), with the table's secondary indexes dropped during the load and rebuilt afterwards: reports
  by day and hour of day, a skewed category mix, 2 % 不予立案 and 1 % 作废, recent cases still open
  and older ones mostly closed (a few stuck), ratings, returns, reopenings, suspensions, whistles
  and overdue handling;
- the rollup (``events_eventrollup``) by one ``INSERT … SELECT … GROUP BY`` that spells out
  ``rollup.contributions`` in SQL (the product's ``rollup_rebuild`` recounts in Python, hours at
  this size); it is checked equal to ``rollup.recount`` over every case of ``--check-grids`` random
  grids (exit 1 otherwise); and, when the product has one, the month × street rollup
  (``EventRollupMonth``) folded from it, checked to sum to it and, for a few random streets, equal
  to the product's fold (``rollup.monthly`` of their daily rows).

Then it asks ``--questions`` random questions — a region of any level × a category (all, a group or
a leaf) × a whole month — through ``event_counters`` as the staff of the region's city, and prints
the median, p95 and max time, overall and per region level; and recounts ``--baseline`` of them
(county level and below) with ``event_numbers_from_records``, checks the counters are equal and
prints the ratio. Exit status 1 when the p95 exceeds ``--target-ms`` or anything disagrees.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta

from _pg import copy_rows, drop_create

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/jiceng_bench_province"
CHUNK = 1_000_000


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=25_000_000, help="cases in the year (default 25,000,000)")
    parser.add_argument("--database-url", default=DEFAULT_URL,
                        help=f"PostgreSQL database to drop, create and fill (default {DEFAULT_URL})")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cities", type=int, default=13)
    parser.add_argument("--questions", type=int, default=200, help="random questions to time (default 200)")
    parser.add_argument("--baseline", type=int, default=4, help="questions also recounted from the records")
    parser.add_argument("--check-grids", type=int, default=40, help="grids whose rollup rows are checked")
    parser.add_argument("--target-ms", type=float, default=100.0, help="p95 per question to stay under")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (default: dropped)")
    parser.add_argument("--reuse", action="store_true",
                        help="ask the questions of a database kept by an earlier --keep run (no load; kept)")
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not args.database_url.startswith("postgres"):
        print("PostgreSQL only: --database-url postgres://…", file=sys.stderr)
        return 2
    if args.reuse:
        args.keep = True
    else:
        drop_create(args.database_url, create=True)
    os.environ["DATABASE_URL"] = args.database_url
    data_dir = tempfile.mkdtemp(prefix="jiceng-bench-province-")
    os.environ["JICENG_DATA_DIR"] = data_dir
    os.environ.pop("JICENG_CACHE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "jiceng.settings"
    os.environ.setdefault("JICENG_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    try:
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(data_dir, ignore_errors=True)
        if not args.keep:
            drop_create(args.database_url, create=False)


# --- loading ---------------------------------------------------------------------------------------


def load_regions(cur, rng: random.Random, cities: int) -> dict[str, int]:
    """City → county → street → community → grid, ids assigned here (COPY, then the sequence)."""
    from django.utils import timezone

    from jiceng.regions.choices import RegionKind, RegionLevel
    from jiceng.regions.models import Region

    now = timezone.now().isoformat()
    rows, grids = [], []
    counts = dict.fromkeys(("city", "county", "street", "community", "grid"), 0)
    next_id = 1

    def add(code, name, level, kind, parent, path, depth) -> int:
        nonlocal next_id
        rid = next_id
        next_id += 1
        rows.append((rid, code, name, int(level), kind, parent, path, depth, rng.randint(500, 5000) * 10,
                     rng.randint(150, 1500) * 10, now, now))
        return rid

    for c in range(1, cities + 1):
        city_code = f"P{c:02d}"
        city_path = f"/{city_code}/"
        city = add(city_code, f"第{c}市", RegionLevel.CITY, "", None, city_path, 0)
        counts["city"] += 1
        for k in range(1, rng.randint(6, 10) + 1):
            county_code = f"{city_code}{k:02d}"
            county_path = f"{city_path}{county_code}/"
            county = add(county_code, f"第{c}市第{k}县", RegionLevel.COUNTY, "", city, county_path, 1)
            counts["county"] += 1
            for s in range(1, rng.randint(9, 17) + 1):
                street_code = f"{county_code}{s:03d}"
                street_path = f"{county_path}{street_code}/"
                town = rng.random() < 0.4
                street = add(street_code, f"{street_code}{'镇' if town else '街道'}", RegionLevel.STREET,
                             RegionKind.TOWN if town else RegionKind.SUBDISTRICT, county, street_path, 2)
                counts["street"] += 1
                for m in range(1, rng.randint(10, 20) + 1):
                    comm_code = f"{street_code}{m:03d}"
                    comm_path = f"{street_path}{comm_code}/"
                    village = town and rng.random() < 0.7
                    community = add(comm_code, f"{comm_code}{'村' if village else '社区'}", RegionLevel.COMMUNITY,
                                    RegionKind.VILLAGE if village else RegionKind.COMMUNITY, street, comm_path, 3)
                    counts["community"] += 1
                    for g in range(1, rng.randint(2, 6) + 1):
                        grid_code = f"{comm_code}{g:02d}"
                        grid = add(grid_code, f"{grid_code}网格", RegionLevel.GRID1, "", community,
                                   f"{comm_path}{grid_code}/", 4)
                        grids.append((len(grids) + 1, grid, community, street, county))
                        counts["grid"] += 1
    table = Region._meta.db_table
    copy_rows(cur, table, ["id", "code", "name", "level", "kind", "parent_id", "path", "depth", "population",
                           "households", "created_at", "updated_at"], rows)
    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
    cur.execute("CREATE UNLOGGED TABLE bench_grid (n integer PRIMARY KEY, id bigint, community_id bigint, "
                "street_id bigint, county_id bigint)")
    copy_rows(cur, "bench_grid", ["n", "id", "community_id", "street_id", "county_id"], grids)
    return counts


def load_departments(cur) -> int:
    from jiceng.people.choices import DepartmentKind
    from jiceng.people.models import Department
    from jiceng.regions.choices import RegionLevel
    from jiceng.regions.models import Region

    table = Department._meta.db_table
    rows = []
    for county_id, code in Region.objects.filter(level=RegionLevel.COUNTY).values_list("id", "code"):
        for kind in DepartmentKind:
            rows.append((len(rows) + 1, f"{code}-{kind.value}"[:32], f"{code}{kind.label}", kind.value, county_id))
    copy_rows(cur, table, ["id", "code", "name", "kind", "region_id"], rows)
    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
    cur.execute("CREATE UNLOGGED TABLE bench_dept AS SELECT region_id AS county_id, kind, id "  # noqa: S608
                f"FROM {table}")
    cur.execute("CREATE UNIQUE INDEX ON bench_dept (county_id, kind)")
    return len(rows)


def load_categories(cur) -> int:
    """The real catalogue; leaves drawn with a skew (the first leaves of each group most often)."""
    from jiceng.events.catalogue import load_event_categories
    from jiceng.events.models import EventCategory

    load_event_categories()
    leaves = list(EventCategory.objects.filter(children__isnull=True).order_by("path"))
    weights = [1.0 / (1 + (i % 6)) for i in range(len(leaves))]
    total, cumulative, rows = sum(weights), 0.0, []
    for n, (leaf, w) in enumerate(zip(leaves, weights, strict=True), start=1):
        cumulative += w / total
        rows.append((n, leaf.pk, leaf.handler_level, leaf.department_kind, float(leaf.handle_hours), leaf.priority,
                     min(1.0, cumulative) if n < len(leaves) else 1.0))
    cur.execute("CREATE UNLOGGED TABLE bench_cat (n integer PRIMARY KEY, id bigint, handler_level text, "
                "department_kind text, handle_hours float8, priority smallint, upto float8)")
    copy_rows(cur, "bench_cat", ["n", "id", "handler_level", "department_kind", "handle_hours", "priority", "upto"],
              rows)
    return len(leaves)


def secondary_indexes(cur, table: str) -> list[tuple[str, str]]:
    """(drop statement, create statement) for every index and unique constraint but the primary key."""
    cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = 'u'", [table])
    out = [(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"', f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {d}')
           for name, d in cur.fetchall()]
    cur.execute("SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)", [table])
    out += [(f'DROP INDEX "{name}"', d) for name, d in cur.fetchall()]
    return out


# The cases, server-side. Draws first (a materialised CTE, so each random() is drawn once per row),
# then the stage reached, then every column from it. Stages: 1 已立案 2 已派遣 3 已签收 4 处置中 5 待核查
# 6 已结案 7 已评价; 0 待受理, -1 不予立案, -2 作废.
CASES_SQL = """
WITH d AS MATERIALIZED (
    SELECT s,
           1 + floor(random() * %(grids)s)::int AS gn,
           random() AS rc, random() AS rday, random() AS rtod, random() AS rhour, random() AS rst,
           random() AS racc, random() AS rdisp, random() AS rsign, random() AS rhandle, random() AS rclose,
           random() AS rrate, random() AS rstuck, random() AS rx, random() AS rch
    FROM generate_series(%(lo)s, %(hi)s) AS s
), t AS (
    SELECT d.*, g.id AS grid_id, g.community_id, g.street_id, g.county_id,
           c.id AS category_id, c.handler_level, c.department_kind, c.handle_hours, c.priority AS cat_priority,
           bd.id AS dept_id,
           %(start)s::timestamptz + floor(d.rday * %(days)s) * interval '1 day'
               + (CASE WHEN d.rhour < 0.8 THEN 28800 + d.rtod * 36000 ELSE d.rtod * 86400 END)
                 * interval '1 second' AS reported_at
    FROM d JOIN bench_grid g ON g.n = d.gn
    JOIN LATERAL (SELECT * FROM bench_cat WHERE upto >= d.rc ORDER BY n LIMIT 1) c ON true
    LEFT JOIN bench_dept bd ON bd.county_id = g.county_id AND bd.kind = c.department_kind
                               AND c.handler_level = 'department'
), u AS (
    SELECT t.*,
           reported_at + (600 + racc * 10800) * interval '1 second' AS t_reg,
           reported_at + (600 + racc * 10800 + 300 + rdisp * 7200) * interval '1 second' AS t_disp,
           reported_at + (600 + racc * 10800 + 300 + rdisp * 7200 + 120 + rsign * 10800)
               * interval '1 second' AS t_sign
    FROM t
), v AS MATERIALIZED (
    SELECT u.*,
           t_sign + handle_hours * 3600 * interval '1 second' AS t_due,
           t_sign + (1800 + rhandle * rhandle * 1.25 * handle_hours * 3600) * interval '1 second' AS t_handled,
           CASE WHEN rst < 0.02 THEN -1 WHEN rst < 0.03 THEN -2
                WHEN %(now)s::timestamptz - reported_at < interval '1 day' AND rstuck < 0.15 THEN 0
                WHEN rstuck < CASE WHEN %(now)s::timestamptz - reported_at < interval '3 days' THEN 0.6
                                   WHEN %(now)s::timestamptz - reported_at < interval '15 days' THEN 0.12
                                   ELSE 0.025 END
                    THEN 1 + floor(rx * 5)::int
                WHEN rrate < 0.65 THEN 7 ELSE 6 END AS target
    FROM u
), w AS (
    SELECT v.*,
           t_handled + (600 + rclose * 28800) * interval '1 second' AS t_closed,
           t_handled + (600 + rclose * 28800 + 3600 + rrate * 172800) * interval '1 second' AS t_rated
    FROM v
), x AS MATERIALIZED (
    SELECT w.*,
           CASE WHEN target <= 0 THEN target
                WHEN target >= 7 AND t_rated <= %(now)s THEN 7
                WHEN target >= 6 AND t_closed <= %(now)s THEN 6
                WHEN target >= 5 AND t_handled <= %(now)s THEN 5
                WHEN target >= 4 AND t_sign <= %(now)s THEN 4
                WHEN target >= 3 AND t_sign <= %(now)s THEN 3
                WHEN target >= 2 AND t_disp <= %(now)s THEN 2
                WHEN t_reg <= %(now)s THEN 1 ELSE 0 END AS stage
    FROM w
)
INSERT INTO events_event (
    id, category_id, channel, priority, title, description, photos, lng, lat, address, grid_id, community_id,
    reporter_name, reporter_phone, reporter_phone_hash, source_ref, state, version, handler_kind,
    handler_region_id, handler_department_id, reported_at, registered_at, first_dispatched_at, dispatched_at,
    signed_at, handled_at, closed_at, rated_at, first_returned_at, reopened_at, handle_due_at, overdue_at,
    handle_overdue_at, suspended_at, suspended_from, suspended_seconds, return_count, returns_locked,
    reopen_count, suspend_count, whistle_count, supporter_count, rating, rating_comment, rating_source, reason,
    updated_at)
SELECT s, category_id,
       CASE WHEN rch < 0.45 THEN 'patrol' WHEN rch < 0.65 THEN 'resident' WHEN rch < 0.90 THEN 'hotline'
            WHEN rch < 0.97 THEN 'iot' ELSE 'emergency' END,
       CASE WHEN rch >= 0.97 THEN 1 ELSE cat_priority END,
       '事件 ' || s, '', '[]'::jsonb, NULL, NULL, '', grid_id, community_id, '', '', '', '',
       CASE stage WHEN -2 THEN 'void' WHEN -1 THEN 'rejected' WHEN 0 THEN 'pending' WHEN 1 THEN 'registered'
                  WHEN 2 THEN (CASE WHEN rx < 0.15 THEN 'returned' ELSE 'dispatched' END) WHEN 3 THEN 'signed'
                  WHEN 4 THEN (CASE WHEN rx < 0.1 THEN 'suspended' ELSE 'handling' END)
                  WHEN 5 THEN 'to_verify' WHEN 6 THEN 'closed' ELSE 'rated' END,
       greatest(stage, 0),
       CASE WHEN stage < 2 THEN '' WHEN dept_id IS NOT NULL THEN 'department' ELSE 'region' END,
       CASE WHEN stage < 2 OR dept_id IS NOT NULL THEN NULL
            WHEN handler_level = 'county' THEN county_id WHEN handler_level = 'street' THEN street_id
            ELSE community_id END,
       CASE WHEN stage >= 2 THEN dept_id END,
       reported_at,
       CASE WHEN stage >= 1 OR stage = -2 THEN t_reg END,
       CASE WHEN stage >= 2 THEN t_disp END,
       CASE WHEN stage >= 2 THEN t_disp + (CASE WHEN rsign < 0.03 THEN interval '2 hours' ELSE interval '0' END) END,
       CASE WHEN stage >= 3 THEN t_sign END,
       CASE WHEN stage >= 5 THEN t_handled END,
       CASE WHEN stage >= 6 THEN t_closed END,
       CASE WHEN stage = 7 THEN t_rated END,
       CASE WHEN (stage = 2 AND rx < 0.15) OR (stage >= 3 AND rsign < 0.03) THEN t_disp + interval '1 hour' END,
       CASE WHEN stage >= 6 AND rx > 0.98 THEN t_handled END,
       CASE WHEN stage >= 3 THEN t_due END,
       CASE WHEN stage >= 3 AND least(coalesce(CASE WHEN stage >= 5 THEN t_handled END, %(now)s::timestamptz),
                                       %(now)s::timestamptz) > t_due THEN t_due END,
       CASE WHEN stage >= 3 AND least(coalesce(CASE WHEN stage >= 5 THEN t_handled END, %(now)s::timestamptz),
                                       %(now)s::timestamptz) > t_due THEN t_due END,
       CASE WHEN stage = 4 AND rx < 0.1 THEN t_sign + interval '1 hour' END,
       CASE WHEN stage = 4 AND rx < 0.1 THEN 'handling' ELSE '' END,
       0,
       CASE WHEN (stage = 2 AND rx < 0.15) OR (stage >= 3 AND rsign < 0.03) THEN 1 ELSE 0 END,
       false,
       CASE WHEN stage >= 6 AND rx > 0.98 THEN 1 ELSE 0 END,
       CASE WHEN (stage = 4 AND rx < 0.1) OR (stage >= 5 AND rx BETWEEN 0.5 AND 0.52) THEN 1 ELSE 0 END,
       CASE WHEN stage >= 3 AND rx BETWEEN 0.6 AND 0.61 THEN 1 ELSE 0 END,
       0,
       CASE WHEN stage = 7 THEN (CASE WHEN rclose < 0.86 THEN 'satisfied' WHEN rclose < 0.96 THEN 'basic'
                                      ELSE 'unsatisfied' END) ELSE '' END,
       '', CASE WHEN stage = 7 THEN 'reporter' ELSE '' END,
       CASE WHEN stage = -1 THEN '不属于受理范围' WHEN stage = -2 THEN '重复' ELSE '' END,
       %(now)s
FROM x
"""

# ``rollup.contributions`` in SQL: the cohort row (立案日), the closure row (结案日) and the due row (应结日).
ROLLUP_SQL = """
WITH parts AS (
    SELECT (registered_at AT TIME ZONE %(tz)s)::date AS day, grid_id, category_id,
           coalesce(handler_department_id, 0) AS dept,
           1 AS registered,
           (first_dispatched_at IS NOT NULL)::int AS dispatched,
           (return_count > 0)::int AS returned, (reopen_count > 0)::int AS reopened,
           (suspend_count > 0)::int AS suspended, (whistle_count > 0)::int AS whistled,
           (state IN ('closed', 'rated'))::int AS closed,
           (state IN ('closed', 'rated') AND handle_due_at IS NOT NULL AND closed_at <= handle_due_at)::int
               AS closed_on_time,
           (rating <> '')::int AS rated, (rating = 'satisfied')::int AS satisfied,
           (rating = 'basic')::int AS basic, (rating = 'unsatisfied')::int AS unsatisfied,
           (overdue_at IS NOT NULL)::int AS overdue, (handle_overdue_at IS NOT NULL)::int AS overdue_handle,
           0 AS due, 0 AS closed_flow,
           {secs}(registered_at, reported_at) AS accept_seconds,
           CASE WHEN first_dispatched_at IS NOT NULL THEN {secs}(first_dispatched_at, registered_at) ELSE 0 END
               AS dispatch_seconds,
           CASE WHEN state IN ('closed', 'rated') THEN {secs}(signed_at, dispatched_at) ELSE 0 END AS sign_seconds,
           CASE WHEN state IN ('closed', 'rated') THEN {secs}(handled_at, signed_at) ELSE 0 END AS handle_seconds,
           CASE WHEN state IN ('closed', 'rated') THEN {secs}(closed_at, handled_at) ELSE 0 END AS verify_seconds,
           CASE WHEN state IN ('closed', 'rated') THEN {secs}(closed_at, reported_at) ELSE 0 END AS total_seconds
    FROM events_event e WHERE {counted}
    UNION ALL
    SELECT (closed_at AT TIME ZONE %(tz)s)::date, grid_id, category_id, coalesce(handler_department_id, 0),
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0
    FROM events_event e WHERE {counted} AND state IN ('closed', 'rated')
    UNION ALL
    SELECT ((CASE WHEN state IN ('closed', 'rated') THEN least(closed_at, handle_due_at) ELSE handle_due_at END)
               AT TIME ZONE %(tz)s)::date, grid_id, category_id, coalesce(handler_department_id, 0),
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0
    FROM events_event e WHERE {counted} AND handle_due_at IS NOT NULL
)
INSERT INTO events_eventrollup (day, grid_id, category_id, department_key, {counters})
SELECT day, grid_id, category_id, dept, {sums}
FROM parts GROUP BY day, grid_id, category_id, dept
"""


COUNTED = "registered_at IS NOT NULL AND state NOT IN ('rejected', 'void')"


def rollup_sql() -> str:
    from jiceng.events.rollup import COUNTERS

    # _seconds(later, earlier): max(0, int(seconds)), 0 when either is missing.
    return ROLLUP_SQL.format(secs="pg_temp.bench_secs", counted=COUNTED, counters=", ".join(COUNTERS), sums=", ".join(f"sum({c})" for c in COUNTERS))


SECS_FUNCTION = """
CREATE OR REPLACE FUNCTION pg_temp.bench_secs(later timestamptz, earlier timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE AS
$$ SELECT coalesce(greatest(0, trunc(extract(epoch FROM later - earlier)))::bigint, 0) $$
"""


def table_size(cur, table: str) -> str:
    cur.execute("SELECT pg_size_pretty(pg_relation_size(%s::regclass)), "
                "pg_size_pretty(pg_indexes_size(%s::regclass)), pg_size_pretty(pg_total_relation_size(%s::regclass)), "
                "(SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass)", [table] * 4)
    heap, idx, total, rows = cur.fetchone()
    return f"{table}: ~{rows:,} rows (estimate), heap {heap}, indexes {idx}, total {total}"


def load(args, timings: dict[str, float]) -> tuple[date, date]:
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from jiceng.events.models import Event, EventRollup

    rng = random.Random(args.seed)
    tz = settings.TIME_ZONE
    today = timezone.localdate()
    start_day, end_day = today - timedelta(days=365), today
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET jit = off")  # compiling these statements takes longer than running them
        cur.execute("SET work_mem = '512MB'")
        cur.execute("SET maintenance_work_mem = '2GB'")
        cur.execute(f"SELECT setseed({(args.seed % 1000) / 1000})")
        started = time.perf_counter()
        with transaction.atomic():
            counts = load_regions(cur, rng, args.cities)
            depts = load_departments(cur)
            leaves = load_categories(cur)
        timings["regions, departments, categories"] = time.perf_counter() - started
        log(f"regions {counts}, departments {depts:,}, leaf categories {leaves}, "
            f"in {timings['regions, departments, categories']:.1f} s")

        event_table = Event._meta.db_table
        indexes = secondary_indexes(cur, event_table)
        for drop, _create in indexes:
            cur.execute(drop)
        started = time.perf_counter()
        start_at = datetime.combine(start_day, datetime.min.time(), tzinfo=timezone.get_current_timezone())
        now = timezone.now()
        done = 0
        # Foreign keys are not checked row by row during the load (replica mode); checked once below.
        cur.execute("SET session_replication_role = replica")
        while done < args.cases:
            hi = min(args.cases, done + CHUNK)
            with transaction.atomic():
                cur.execute(CASES_SQL, {"grids": counts["grid"], "lo": done + 1, "hi": hi, "start": start_at,
                                        "days": 365, "now": now})
            done = hi
            rate = done / (time.perf_counter() - started)
            log(f"  cases {done:,} / {args.cases:,} ({rate:,.0f}/s)")
        cur.execute("SET session_replication_role = DEFAULT")
        timings["cases (INSERT … SELECT)"] = time.perf_counter() - started
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{event_table}', 'id'), {args.cases})")
        started = time.perf_counter()
        for _drop, create in indexes:
            cur.execute(create)
        timings["case indexes rebuilt"] = time.perf_counter() - started
        log(f"case indexes ({len(indexes)}) rebuilt in {timings['case indexes rebuilt']:.1f} s")
        started = time.perf_counter()
        cur.execute(f"SELECT count(*) FROM {event_table} e LEFT JOIN regions_region g ON g.id = e.grid_id "  # noqa: S608
                    "LEFT JOIN events_eventcategory c ON c.id = e.category_id "
                    "WHERE g.id IS NULL OR c.id IS NULL")
        orphans = cur.fetchone()[0]
        if orphans:
            raise SystemExit(f"{orphans} cases without their grid or category")

        rollup_table = EventRollup._meta.db_table
        rollup_indexes = secondary_indexes(cur, rollup_table)
        for drop, _create in rollup_indexes:
            cur.execute(drop)
        started = time.perf_counter()
        cur.execute(SECS_FUNCTION)
        # As for the cases: foreign keys (deferred, so checked at COMMIT row by row) are not
        # checked during the load; every grid and category id comes from the cases checked above.
        cur.execute("SET session_replication_role = replica")
        with transaction.atomic():
            cur.execute(rollup_sql(), {"tz": tz})
        cur.execute("SET session_replication_role = DEFAULT")
        timings["rollup (INSERT … SELECT … GROUP BY)"] = time.perf_counter() - started
        log(f"rollup built in {timings['rollup (INSERT … SELECT … GROUP BY)']:.1f} s")
        started = time.perf_counter()
        for _drop, create in rollup_indexes:
            cur.execute(create)
        timings["rollup indexes rebuilt"] = time.perf_counter() - started
        month_table = build_monthly(cur, timings)
        started = time.perf_counter()
        cur.execute(f"VACUUM (ANALYZE) {event_table}")
        cur.execute(f"VACUUM (ANALYZE) {rollup_table}")
        if month_table:
            cur.execute(f"VACUUM (ANALYZE) {month_table}")
        cur.execute("VACUUM (ANALYZE) regions_region")
        cur.execute("VACUUM (ANALYZE) events_eventcategory")
        timings["vacuum analyze"] = time.perf_counter() - started
        for table in (event_table, rollup_table, month_table, "regions_region"):
            if table:
                log(table_size(cur, table))
    return start_day, end_day


def build_monthly(cur, timings: dict[str, float]) -> str:
    """When the product keeps a month × street rollup beside the daily one (``EventRollupMonth``),
    fill it from the daily rows (the street of each grid is known from the tree built here) and
    check it sums to the daily table. Returns its table name ("" when there is no such table)."""
    from jiceng.events import models as event_models
    from jiceng.events.rollup import COUNTERS

    model = getattr(event_models, "EventRollupMonth", None)
    if model is None:
        return ""
    table = model._meta.db_table
    indexes = secondary_indexes(cur, table)
    for drop, _create in indexes:
        cur.execute(drop)
    started = time.perf_counter()
    cur.execute("SET session_replication_role = replica")
    cur.execute(f"INSERT INTO {table} (month, street_id, category_id, department_key, {', '.join(COUNTERS)}) "  # noqa: S608
                f"SELECT date_trunc('month', r.day)::date, g.street_id, r.category_id, r.department_key, "
                f"{', '.join(f'sum(r.{c})' for c in COUNTERS)} FROM events_eventrollup r "
                "JOIN bench_grid g ON g.id = r.grid_id GROUP BY 1, 2, 3, 4")
    cur.execute("SET session_replication_role = DEFAULT")
    for _drop, create in indexes:
        cur.execute(create)
    timings["monthly rollup (from the daily)"] = time.perf_counter() - started
    sums = ", ".join(f"sum({c})" for c in COUNTERS)
    cur.execute(f"SELECT {sums} FROM events_eventrollup")  # noqa: S608
    daily = cur.fetchone()
    cur.execute(f"SELECT {sums} FROM {table}")  # noqa: S608
    if cur.fetchone() != daily:
        raise SystemExit("the monthly rollup does not sum to the daily one")
    log(f"monthly rollup ({table}) built in {timings['monthly rollup (from the daily)']:.1f} s, "
        "sums equal to the daily rollup's")
    return table


def check_rollup(args) -> list[str]:
    """The SQL-built rollup equals ``rollup.recount`` over every case of a sample of grids."""
    from jiceng.events.models import Event, EventRollup
    from jiceng.events.rollup import CONTRIBUTION_FIELDS, COUNTERS, recount
    from jiceng.regions.choices import RegionLevel
    from jiceng.regions.models import Region

    rng = random.Random(args.seed + 1)
    grid_ids = list(Region.objects.filter(level=RegionLevel.GRID1).values_list("id", flat=True))
    sample = rng.sample(grid_ids, min(args.check_grids, len(grid_ids)))
    events = Event.objects.filter(grid_id__in=sample).only(*CONTRIBUTION_FIELDS).order_by()
    expected = {k: {c: n for c, n in v.items() if n} for k, v in recount(events.iterator()).items()}
    expected = {k: v for k, v in expected.items() if v}
    actual = {}
    for row in EventRollup.objects.filter(grid_id__in=sample).values("day", "grid_id", "category_id",
                                                                       "department_key", *COUNTERS):
        counts = {c: row[c] for c in COUNTERS if row[c]}
        if counts:
            actual[(row["day"], row["grid_id"], row["category_id"], row["department_key"])] = counts
    problems = [f"{key}: table {actual.get(key)} recount {expected.get(key)}"
                for key in sorted(set(expected) | set(actual)) if expected.get(key) != actual.get(key)]
    log(f"rollup check: {len(sample)} grids, {events.count():,} cases, {len(expected):,} rollup rows: "
        f"{'equal to the recount' if not problems else f'{len(problems)} differences'}")
    return problems + check_monthly(rng)


def check_monthly(rng: random.Random, streets: int = 3) -> list[str]:
    """The SQL-folded month rows of a few random streets equal the product's definition
    (``rollup.monthly`` over their daily rows, the fold ``rollup.apply`` writes)."""
    from collections import Counter

    from jiceng.events.models import EventRollup, EventRollupMonth
    from jiceng.events.rollup import COUNTERS, monthly
    from jiceng.regions.choices import RegionLevel
    from jiceng.regions.models import Region

    problems = []
    picked = rng.sample(list(Region.objects.filter(level=RegionLevel.STREET)), streets)
    rows = 0
    for street in picked:
        daily = {}
        for row in EventRollup.objects.filter(grid__path__startswith=street.path).values(
                "day", "grid_id", "category_id", "department_key", *COUNTERS).iterator():
            daily[(row["day"], row["grid_id"], row["category_id"], row["department_key"])] = Counter(
                {c: row[c] for c in COUNTERS})
        expected = {k: {c: n for c, n in v.items() if n} for k, v in monthly(daily).items()}
        actual = {}
        for row in EventRollupMonth.objects.filter(street=street).values(
                "month", "street_id", "category_id", "department_key", *COUNTERS):
            counts = {c: row[c] for c in COUNTERS if row[c]}
            if counts:
                actual[(row["month"], row["street_id"], row["category_id"], row["department_key"])] = counts
        rows += len(actual)
        problems += [f"month {key}: table {actual.get(key)} folded {expected.get(key)}"
                     for key in sorted(set(expected) | set(actual)) if expected.get(key) != actual.get(key)]
    log(f"monthly check: {streets} streets, {rows:,} month rows: "
        f"{'equal to rollup.monthly of their days' if not problems else f'{len(problems)} differences'}")
    return problems


# --- questions --------------------------------------------------------------------------------------


def months(start: date, end: date) -> list[tuple[date, date]]:
    out = []
    m = date(start.year, start.month, 1)
    while m < end:
        nxt = date(m.year + m.month // 12, m.month % 12 + 1, 1)
        if m >= start and nxt <= end:
            out.append((m, nxt))
        m = nxt
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def ask(args, start_day: date, end_day: date) -> tuple[int, list[str]]:
    from jiceng.events.models import EventCategory
    from jiceng.events.selectors import event_counters, event_numbers_from_records
    from jiceng.people.choices import Role
    from jiceng.people.models import User
    from jiceng.regions.choices import RegionLevel
    from jiceng.regions.models import Region

    rng = random.Random(args.seed + 2)
    staff = {}
    for city in Region.objects.filter(level=RegionLevel.CITY):
        user = User.objects.filter(username=f"bench-{city.code}").first()
        if user is None:
            user = User(username=f"bench-{city.code}", role=Role.COUNTY_STAFF, region=city, full_name="基准")
            user.set_unusable_password()
            user.save()
        staff[city.path] = user
    levels = [RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.STREET, RegionLevel.COMMUNITY, RegionLevel.GRID1]
    ids = {lvl: list(Region.objects.filter(level=lvl).values_list("id", flat=True)) for lvl in levels}
    groups = list(EventCategory.objects.filter(parent__isnull=True))
    leaves = list(EventCategory.objects.filter(parent__isnull=False))
    periods = months(start_day, end_day)
    questions = []
    for _ in range(args.questions):
        level = rng.choice(levels)
        region = Region.objects.get(pk=rng.choice(ids[level]))
        kind = rng.random()
        category = None if kind < 1 / 3 else rng.choice(groups) if kind < 2 / 3 else rng.choice(leaves)
        month = rng.choice(periods)
        actor = staff["/" + region.path.split("/")[1] + "/"]
        questions.append({"actor": actor, "start": month[0], "end": month[1], "region": region,
                          "category": category})

    event_counters(**questions[0])  # the first query of a connection pays for the connection
    timed = []
    for q in questions:
        started = time.perf_counter()
        counters = event_counters(**q)
        timed.append(((time.perf_counter() - started) * 1000, q, counters))
    all_ms = [t for t, _, _ in timed]
    print(f"\n{len(timed)} questions (region of any level × all/group/leaf category × a month), "
          f"through event_counters:")
    print(f"  {'level':<10} {'n':>4} {'median':>9} {'p95':>9} {'max':>9}   cases registered (median)")
    names = {RegionLevel.CITY: "city", RegionLevel.COUNTY: "county", RegionLevel.STREET: "street",
             RegionLevel.COMMUNITY: "community", RegionLevel.GRID1: "grid"}
    for level in levels:
        ms = [t for t, q, _ in timed if q["region"].level == level]
        reg = [c["registered"] for _, q, c in timed if q["region"].level == level]
        if ms:
            print(f"  {names[level]:<10} {len(ms):>4} {statistics.median(ms):>7.1f}ms {pct(ms, 0.95):>7.1f}ms "
                  f"{max(ms):>7.1f}ms   {statistics.median(reg):,.0f}")
    p95 = pct(all_ms, 0.95)
    print(f"  {'all':<10} {len(all_ms):>4} {statistics.median(all_ms):>7.1f}ms {p95:>7.1f}ms {max(all_ms):>7.1f}ms")

    problems = []
    base = [(t, q, c) for t, q, c in timed if q["region"].level >= RegionLevel.COUNTY]
    rng.shuffle(base)
    # One county, then the lower levels: recounts of a whole county take seconds to minutes.
    picked = [x for x in base if x[1]["region"].level == RegionLevel.COUNTY][:min(1, args.baseline)]
    picked += [x for x in base if x[1]["region"].level > RegionLevel.COUNTY][: max(0, args.baseline - len(picked))]
    if picked:
        print(f"\nbaseline: {len(picked)} of them recounted from the records (event_numbers_from_records):")
    for fast_ms, q, counters in picked:
        started = time.perf_counter()
        slow = event_numbers_from_records(**q)
        slow_ms = (time.perf_counter() - started) * 1000
        cat = q["category"].name if q["category"] else "全部分类"
        print(f"  {names[q['region'].level]:<9} {q['region'].code:<16} {cat:<8} {q['start']:%Y-%m}: "
              f"rollup {fast_ms:7.1f} ms, recount {slow_ms:9.1f} ms, ratio {slow_ms / fast_ms:6.0f}×, "
              f"{counters['registered']:,} cases registered")
        if slow != counters:
            problems.append(f"question {q['region'].code} {cat} {q['start']}: rollup {counters} recount {slow}")
    status = 0
    if p95 > args.target_ms:
        print(f"\np95 {p95:.1f} ms is above the target of {args.target_ms:.0f} ms")
        status = 1
    else:
        print(f"\np95 {p95:.1f} ms is within the target of {args.target_ms:.0f} ms")
    return status, problems


def run(args) -> int:
    from django.core.management import call_command
    from django.db import connection

    connection.ensure_connection()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"PostgreSQL {connection.pg_version}, "
          f"load average {os.getloadavg()[0]:.1f}; {args.cases:,} cases", flush=True)
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    log(f"migrated in {time.perf_counter() - started:.1f} s")
    if args.reuse:
        from django.utils import timezone

        start_day, end_day = timezone.localdate() - timedelta(days=365), timezone.localdate()
        with connection.cursor() as cur:
            for table in ("events_event", "events_eventrollup", "regions_region"):
                log(table_size(cur, table))
    else:
        timings: dict[str, float] = {}
        total = time.perf_counter()
        start_day, end_day = load(args, timings)
        total = time.perf_counter() - total
        print("load: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()) + f"; total {total / 60:.1f} min")
    problems = check_rollup(args)
    status, more = ask(args, start_day, end_day)
    problems += more
    if problems:
        print("MISMATCH:\n  " + "\n  ".join(problems[:20]), file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
