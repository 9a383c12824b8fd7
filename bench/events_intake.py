"""Events: cases created per second through the API (point → grid lookup, 立案, auto-dispatch by the
category's procedure, timeline, audit and rollup, in one transaction), against a bare Django endpoint
that inserts one row (the baseline), in the same process, through the same stack, rounds alternating.

    .venv/bin/python bench/events_intake.py                          # SQLite, demo county at scale 1.0
    .venv/bin/python bench/events_intake.py --scale 0.2 --cases 500  # quicker
    .venv/bin/python bench/events_intake.py --database-url postgres://postgres@127.0.0.1:5432/jiceng_bench_intake

By default it migrates a fresh SQLite database in a temporary JICENG_DATA_DIR and loads the demo
county (``jiceng.demo``, with its year of cases); ``--database-url`` points it at PostgreSQL
instead, and that database is dropped and created first (use a dedicated name). Your data is never
touched.

- **The case**: ``POST /api/events/cases`` as the county's staff account with a Bearer token (what
  a hotline or an integration uses), channel 急难呼救 (the channel that is registered and
  dispatched at once by the procedure), a category of the 急难呼救 group and a random point inside
  one of the county's grids. Afterwards every case is checked: in the grid holding its point,
  dispatched, with its report / register / dispatch audit records.
- **The baseline**: ``POST /bench/ping`` on a view defined here that parses the same JSON body and
  inserts one row into a bench-only table (raw SQL, one INSERT, autocommit), answering 201 with the
  row id. Same Django test client, same middleware, same urlconf (the project's, plus this view).

- **The framing** (a reference, not the target): ``POST /bench/noop``, an endpoint of a second
  NinjaAPI defined here with the same Bearer token check and the same body schema as the intake
  endpoint, doing no work and answering 201. Its rate over the baseline's is the ceiling of the
  ratio: what the API's own framing costs before any case is made.

Rounds alternate (baseline, framing, API, then API, framing, baseline …) so machine noise falls on
all three. It prints the rates, the ceiling and the ratio, and exits 1 when the ratio is below
``--target`` (or a check fails).
``--profile`` prints where an API round spends its time (cProfile).

``--served`` measures the production shape instead of the test client: the same three endpoints
served by gunicorn (``--workers`` processes × ``--threads`` threads, the app loaded before the
fork) on a free local port, driven over HTTP/1.1 keep-alive by ``--clients`` concurrent client
threads in this process; several cases are then in flight at once, so what they share (the audit
chain's lock, the rollup's rows, the database's commit) shows. On PostgreSQL both modes keep their
database connection between requests, as production does (``JICENG_DB_CONN_MAX_AGE=60``).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import random
import shutil
import sys
import tempfile
import time
import types

from _pg import drop_create

BASELINE_TABLE = "bench_intake_ping"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=2000, help="cases to create through the API (default 2,000)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds to split them into")
    parser.add_argument("--scale", type=float, default=1.0, help="demo county scale (1.0: 761 deepest grids)")
    parser.add_argument("--seed", type=int, default=14580)
    parser.add_argument("--target", type=float, default=0.5, help="lowest acceptable ratio API / baseline")
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL database to drop, create and use (default: SQLite in a temp dir)")
    parser.add_argument("--profile", action="store_true", help="profile one extra API round (cProfile)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory / database")
    parser.add_argument("--served", action="store_true",
                        help="through gunicorn over HTTP with concurrent clients instead of the test client")
    parser.add_argument("--workers", type=int, default=2, help="--served: gunicorn worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="--served: threads per worker (default 4)")
    parser.add_argument("--clients", type=int, default=8, help="--served: concurrent client connections (default 8)")
    args = parser.parse_args(argv)
    if args.served and args.profile:
        parser.error("--profile profiles the test client's requests; it does not combine with --served")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    temp_dir = tempfile.mkdtemp(prefix="jiceng-bench-intake-")
    os.environ["JICENG_DATA_DIR"] = temp_dir
    os.environ.pop("JICENG_CACHE_URL", None)
    os.environ["JICENG_ENV"] = "embedded"
    os.environ["DJANGO_SETTINGS_MODULE"] = "jiceng.settings"
    os.environ.setdefault("JICENG_LOG_LEVEL", "WARNING")
    if args.database_url:
        if not args.database_url.startswith("postgres"):
            print("--database-url must be a PostgreSQL URL", file=sys.stderr)
            return 2
        drop_create(args.database_url, create=True)
        os.environ["DATABASE_URL"] = args.database_url
        os.environ["JICENG_DB_CONN_MAX_AGE"] = "60"  # production's: a connection is kept between requests
    else:
        os.environ.pop("DATABASE_URL", None)
    try:
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            shutil.rmtree(temp_dir, ignore_errors=True)
            if args.database_url:
                drop_create(args.database_url, create=False)


# --- the baseline endpoint --------------------------------------------------------------------------


def install_baseline() -> None:
    """A bench-only table and view, and a urlconf: the project's URLs plus ``bench/ping``."""
    from django.conf import settings
    from django.db import connection
    from django.http import JsonResponse
    from django.urls import clear_url_caches, path
    from django.views.decorators.csrf import csrf_exempt
    from django.views.decorators.http import require_POST

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"CREATE TABLE {BASELINE_TABLE} (id bigserial PRIMARY KEY, at timestamptz NOT NULL, "
                        "body text NOT NULL)")
        else:
            cur.execute(f"CREATE TABLE {BASELINE_TABLE} (id integer PRIMARY KEY AUTOINCREMENT, at text NOT NULL, "
                        "body text NOT NULL)")

    @csrf_exempt
    @require_POST
    def ping(request):
        from django.utils import timezone

        data = json.loads(request.body)
        with connection.cursor() as cur:
            cur.execute(f"INSERT INTO {BASELINE_TABLE} (at, body) VALUES (%s, %s)",  # noqa: S608
                        [connection.ops.adapt_datetimefield_value(timezone.now()), data["description"]])
            row_id = cur.lastrowid if connection.vendor == "sqlite" else None
        return JsonResponse({"id": row_id, "ok": True}, status=201)

    # The ceiling: the intake endpoint's own framing (ninja, the Bearer token check, the same body
    # schema, a 201 answer) around no work at all.
    from ninja import NinjaAPI

    from jiceng.api import TokenAuth
    from jiceng.events.api import StaffIntakeIn

    framing = NinjaAPI(urls_namespace="bench_intake", auth=[TokenAuth()], docs_url=None, openapi_url=None)

    def noop(request, data):
        return 201, {"id": 0, "ok": True}

    noop.__annotations__["data"] = StaffIntakeIn  # (this module's annotations are strings)
    framing.post("/noop", response={201: dict})(noop)

    project = __import__(settings.ROOT_URLCONF, fromlist=["urlpatterns"])
    module = types.ModuleType("jiceng_bench_intake_urls")
    module.urlpatterns = [path("bench/ping", ping), path("bench/", framing.urls), *project.urlpatterns]
    for name in ("handler400", "handler403", "handler404", "handler500"):
        if hasattr(project, name):
            setattr(module, name, getattr(project, name))
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    clear_url_caches()


# --- the run ----------------------------------------------------------------------------------------


def points_in_grids(rng: random.Random, n: int) -> list[tuple[float, float, int]]:
    """``n`` random points, each inside a random deepest grid of the county, with that grid's id."""
    import shapely
    from shapely.geometry import shape

    from jiceng.regions.choices import GRID_LEVELS
    from jiceng.regions.models import Region

    grids = list(Region.objects.filter(level__in=GRID_LEVELS, boundary__isnull=False, children__isnull=True)
                 .values_list("id", "boundary"))
    shapes = {gid: shape(b) for gid, b in grids}
    out = []
    while len(out) < n:
        gid = rng.choice(grids)[0]
        geom = shapes[gid]
        minx, miny, maxx, maxy = geom.bounds
        for _ in range(100):
            x, y = round(rng.uniform(minx, maxx), 6), round(rng.uniform(miny, maxy), 6)
            # Well inside (10 m), so a rounding of the point never moves it to the neighbour.
            if shapely.contains_xy(geom.buffer(-0.0001), x, y):
                out.append((x, y, gid))
                break
    return out


class InProcess:
    """Requests through Django's test client, one after another, in this process."""

    def __init__(self, client, token: str):
        self.client, self.auth = client, {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def describe(self) -> str:
        return " (test client, one at a time)"

    def post_all(self, url: str, with_token: bool, bodies: list[dict]) -> list[dict]:
        extra = self.auth if with_token else {}
        out = []
        for body in bodies:
            response = self.client.post(url, data=json.dumps(body), content_type="application/json", **extra)
            if response.status_code != 201:
                raise SystemExit(f"{url}: {response.status_code} {response.content[:500]!r}")
            out.append(response.json())
        return out

    def close(self) -> None:
        pass


class Served:
    """The project's WSGI application (with the bench's URLs) served by gunicorn in a child process,
    forked after the app is loaded; ``clients`` threads post over keep-alive HTTP connections."""

    def __init__(self, args: argparse.Namespace, token: str):
        import multiprocessing
        import socket

        from django.core.wsgi import get_wsgi_application
        from django.db import connections
        from gunicorn.app.base import BaseApplication

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.args, self.token = args, token
        application = get_wsgi_application()
        options = {"bind": f"127.0.0.1:{self.port}", "workers": args.workers, "threads": args.threads,
                   "worker_class": "gthread", "keepalive": 30, "loglevel": "warning", "accesslog": None}

        class App(BaseApplication):
            def load_config(self):
                for key, value in options.items():
                    self.cfg.set(key, value)

            def load(self):
                return application

        connections.close_all()  # the workers open their own
        self.server = multiprocessing.get_context("fork").Process(target=lambda: App().run(), daemon=True)
        self.server.start()
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or not self.server.is_alive():
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.1)

    def describe(self) -> str:
        a = self.args
        return f" (gunicorn {a.workers} workers × {a.threads} threads, {a.clients} concurrent HTTP clients)"

    def post_all(self, url: str, with_token: bool, bodies: list[dict]) -> list[dict]:
        import http.client
        import threading

        headers = {"Content-Type": "application/json"}
        if with_token:
            headers["Authorization"] = f"Bearer {self.token}"
        payloads = [json.dumps(b).encode() for b in bodies]
        out: list[dict | None] = [None] * len(payloads)
        errors: list[str] = []
        next_index = iter(range(len(payloads)))
        lock = threading.Lock()

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                while not errors:
                    with lock:
                        i = next(next_index, None)
                    if i is None:
                        return
                    conn.request("POST", url, body=payloads[i], headers=headers)
                    response = conn.getresponse()
                    content = response.read()
                    if response.status != 201:
                        errors.append(f"{url}: {response.status} {content[:500]!r}")
                        return
                    out[i] = json.loads(content)
            finally:
                conn.close()

        threads = [threading.Thread(target=client) for _ in range(min(self.args.clients, len(payloads)))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise SystemExit(errors[0])
        return out  # type: ignore[return-value]

    def close(self) -> None:
        if self.server.is_alive():
            self.server.terminate()
            self.server.join(10)


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from jiceng.core.api_tokens import api_token_create
    from jiceng.core.models import AuditLog
    from jiceng.demo.loader import demo_load
    from jiceng.events.models import Event, EventCategory
    from jiceng.people.choices import Role
    from jiceng.people.models import User
    from jiceng.regions.choices import RegionLevel

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"database {connection.vendor}, load average {os.getloadavg()[0]:.1f}", flush=True)
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    result = demo_load(seed=args.seed, scale=args.scale)
    print(f"demo county (scale {args.scale}, {result.counts.get('events', 0):,} cases) built in "
          f"{time.perf_counter() - started:.1f} s", flush=True)

    install_baseline()
    staff = User.objects.get(role=Role.COUNTY_STAFF, region__level=RegionLevel.COUNTY, username="county")
    _, token = api_token_create(actor=None, user=staff, name="bench")
    categories = list(EventCategory.objects.filter(parent__code="JNHJ", active=True).values_list("code", flat=True))
    rng = random.Random(args.seed)
    per_round = max(1, args.cases // args.rounds)
    warm = max(5, 2 * args.workers * args.threads) if args.served else 5
    total = warm + per_round * args.rounds + (per_round if args.profile else 0)
    points = points_in_grids(rng, total)
    bodies = [{"channel": "emergency", "category": categories[i % len(categories)],
               "description": f"基准测试：{i} 号求助，老人摔倒需要帮助。", "lng": x, "lat": y,
               "reporter_name": "张三", "reporter_phone": f"139{i:08d}"} for i, (x, y, _) in enumerate(points)]
    urls = {"baseline": ("/bench/ping", False), "framing": ("/bench/noop", True), "api": ("/api/events/cases", True)}
    driver = Served(args, token) if args.served else InProcess(Client(), token)
    expected = {}  # case id → the grid holding its point
    try:
        # Warm up every path (imports, the point → grid index, prepared caches; every served worker).
        driver.post_all(*urls["baseline"], bodies[:warm])
        driver.post_all(*urls["framing"], bodies[:warm])
        for case, point in zip(driver.post_all(*urls["api"], bodies[:warm]), points[:warm], strict=True):
            expected[case["id"]] = point[2]
        seconds = {"baseline": 0.0, "framing": 0.0, "api": 0.0}
        counts = dict.fromkeys(seconds, 0)
        cursor = warm
        print(f"{args.rounds} rounds of {per_round} requests each way, alternating"
              f"{driver.describe()}:", flush=True)
        for r in range(args.rounds):
            batch = bodies[cursor:cursor + per_round]
            batch_points = points[cursor:cursor + per_round]
            order = ("baseline", "framing", "api") if r % 2 == 0 else ("api", "framing", "baseline")
            for kind in order:
                started = time.perf_counter()
                answers = driver.post_all(*urls[kind], batch)
                seconds[kind] += time.perf_counter() - started
                counts[kind] += len(batch)
                if kind == "api":
                    for case, point in zip(answers, batch_points, strict=True):
                        expected[case["id"]] = point[2]
            cursor += per_round
            print(f"  round {r + 1}: baseline {counts['baseline'] / seconds['baseline']:,.0f}/s, "
                  f"framing {counts['framing'] / seconds['framing']:,.0f}/s, "
                  f"API {counts['api'] / seconds['api']:,.0f}/s (cumulative)", flush=True)
    finally:
        driver.close()

    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        answers = driver.post_all(*urls["api"], bodies[cursor:cursor + per_round])
        profile.disable()
        for case, point in zip(answers, points[cursor:cursor + per_round], strict=True):
            expected[case["id"]] = point[2]
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(r"jiceng|ninja/operation", 45)
        stats.sort_stats("tottime").print_stats(15)


    problems = verify(expected, Event, AuditLog)
    base_rate, framing_rate, api_rate = (counts[k] / seconds[k] for k in ("baseline", "framing", "api"))
    ratio = api_rate / base_rate
    print(f"baseline (one INSERT per request):        {base_rate:8,.0f} requests/s  ({1000 / base_rate:6.2f} ms each)")
    print(f"framing (token, schema, 201; no work):    {framing_rate:8,.0f} requests/s  ({1000 / framing_rate:6.2f} ms each)"
          f"  → ceiling {framing_rate / base_rate:.2f}")
    print(f"case intake API (POST /api/events/cases): {api_rate:8,.0f} cases/s     ({1000 / api_rate:6.2f} ms each)")
    print(f"ratio: the API creates cases at {ratio:.2f}× the baseline's rate (target ≥ {args.target}); "
          f"the work inside the framing costs {1000 / api_rate - 1000 / framing_rate:.2f} ms a case")
    if problems:
        print("CHECK FAILED:\n  " + "\n  ".join(problems[:20]), file=sys.stderr)
        return 1
    print(f"all {len(expected):,} cases checked: in the grid of their point, dispatched, with their audit records")
    return 0 if ratio >= args.target else 1


def verify(expected: dict[int, int], event_model, audit_model) -> list[str]:
    problems = []
    cases = {e.pk: e for e in event_model.objects.filter(pk__in=list(expected))}
    if len(cases) != len(expected):
        problems.append(f"{len(expected) - len(cases)} cases missing")
    for pk, grid_id in expected.items():
        case = cases.get(pk)
        if case is None:
            continue
        if case.grid_id != grid_id:
            problems.append(f"case {pk}: grid {case.grid_id}, its point is in grid {grid_id}")
        if case.first_dispatched_at is None or case.state != "dispatched" or not case.handler_kind:
            problems.append(f"case {pk}: not dispatched (state {case.state})")
    actions = {}
    for object_id, action in audit_model.objects.filter(
            object_type="events.event", object_id__in=[str(pk) for pk in expected]).values_list("object_id", "action"):
        actions.setdefault(int(object_id), set()).add(action)
    for pk in expected:
        missing = {"event.report", "event.register", "event.dispatch"} - actions.get(pk, set())
        if missing:
            problems.append(f"case {pk}: no audit record for {', '.join(sorted(missing))}")
    return problems


if __name__ == "__main__":
    sys.exit(main())
