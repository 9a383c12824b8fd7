"""One quarterly assessment period computed by ``period_compute``, against a single SQL aggregate
over the same raw scores, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiceng_bench \\
        .venv/bin/python bench/assessment_period.py --subjects 2500
    ... --subjects 25000 --indicators 40 --raters 10            # the full size (10 M raw scores)

The database named by DATABASE_URL is migrated and the benchmark's rows are added to it (one
scheme, one period, its subjects, rater accounts, assignments, ratings); use a scratch database.
Raw scores are bulk-loaded with COPY (subjects × indicators × raters rows). Then it times, in the
same run and on the same rows:

- baseline: one ``SELECT … GROUP BY subject`` computing every subject's weighted total in SQL
  (the mean over raters of each indicator, summed) — the least any implementation must read;
- ``period_compute``: the real service — gathers every input, computes each total with its
  explanation lines, ranks and grades, and stores one result per subject with its inputs;

checks that both give the same total for every subject, and prints both times, the ratio and the
process's resident memory before ``period_compute`` and at its peak during it (sampled from
/proc/self/status every 0.1 s). Exit status 0 when the totals agree.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from decimal import Decimal

from _pg import copy_rows


def resident_mb() -> float:
    """The process's resident memory now, in MB (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class PeakRss:
    """The highest resident memory seen while the block runs, sampled every 0.1 s."""

    def __enter__(self):
        self.mb, self._stop = resident_mb(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.mb = max(self.mb, resident_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.mb = max(self.mb, resident_mb())


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=25_000, help="subjects in the period (default 25,000)")
    parser.add_argument("--indicators", type=int, default=40, help="manual leaf indicators (default 40)")
    parser.add_argument("--raters", type=int, default=10, help="raters scoring every subject (default 10)")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("Set DATABASE_URL to a scratch PostgreSQL database.", file=sys.stderr)
        return 2
    os.environ["DJANGO_SETTINGS_MODULE"] = "jiceng.settings"
    os.environ.setdefault("JICENG_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return run(args)


def load(args) -> tuple:
    from django.db import connection, transaction
    from django.utils import timezone

    from jiceng.assessment import services
    from jiceng.assessment.models import Indicator, PeriodSubject, RaterAssignment, Rating
    from jiceng.people.choices import Role
    from jiceng.people.models import User
    from jiceng.regions.choices import RegionLevel
    from jiceng.regions.models import Region
    from jiceng.regions.services import region_create

    rng = random.Random(args.seed)
    tag = f"bench{int(time.time())}"
    county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("pk").first()
    if county is None:
        admin = User.objects.create(username=f"{tag}-admin", role=Role.SYSTEM_ADMIN, full_name="系统管理员")
        county = region_create(actor=admin, code=f"B{tag[-8:]}", name="基准县", level=RegionLevel.COUNTY)
    manager = User.objects.create(username=f"{tag}-m", role=Role.COUNTY_STAFF, region=county, full_name="考核办")
    raters = [User.objects.create(username=f"{tag}-r{i}", role=Role.GRID_WORKER, full_name=f"评分人{i}")
              for i in range(args.raters)]
    per = Decimal(100) / args.indicators
    definition = {
        "max_total": "100",
        "groups": [{"code": "quant", "name": "量化考核", "kind": "indicators", "weight": "100", "max_points": "100"}],
        "indicators": [{"code": f"i{n}", "name": f"指标{n}", "group": "quant", "max_points": str(per)}
                       for n in range(args.indicators)],
    }
    scheme = services.scheme_create(actor=manager, name=f"基准方案 {tag}", subject_type="staff",
                                    period_type="quarter", region=county, definition=definition)
    from datetime import date

    period = services.period_create(actor=manager, scheme=scheme, label="基准季度", starts_on=date(2026, 1, 1),
                                    ends_on=date(2026, 3, 31))
    group = period.version.groups.get()
    indicators = list(Indicator.objects.filter(version=period.version).order_by("pk").values_list("pk", flat=True))
    started = time.perf_counter()
    with transaction.atomic():
        PeriodSubject.objects.bulk_create(
            [PeriodSubject(period=period, subject_type="staff", subject_id=10_000_000 + n,
                           display_name=f"对象{n:05d}", region_path=county.path) for n in range(args.subjects)],
            batch_size=5000)
        subjects = list(PeriodSubject.objects.filter(period=period).order_by("pk").values_list("pk", flat=True))
        RaterAssignment.objects.bulk_create(
            [RaterAssignment(period=period, group=group, rater=r, subject_id=s) for s in subjects for r in raters],
            batch_size=5000)
        assignments = list(RaterAssignment.objects.filter(period=period).order_by("pk").values_list("pk", flat=True))
        now = timezone.now()
        Rating.objects.bulk_create([Rating(assignment_id=a, state="submitted", submitted_at=now, answers={})
                                    for a in assignments], batch_size=5000)
        ratings = list(Rating.objects.filter(assignment__period=period).values_list("pk", flat=True))
        step = float(per)
        with connection.cursor() as cur:
            copy_rows(cur.cursor, "assessment_indicatorscore", ["rating_id", "indicator_id", "points", "note", "evidence_ref"],
                  ((r, i, f"{rng.uniform(0.5, 1.0) * step:.2f}", "", "") for r in ratings for i in indicators))
        period.state = "scoring_closed"
        period.save(update_fields=["state"])
    with connection.cursor() as cur:
        cur.execute("ANALYZE assessment_indicatorscore; ANALYZE assessment_rating; ANALYZE assessment_raterassignment")
    return manager, period, time.perf_counter() - started


BASELINE_SQL = """
SELECT subject_id, ROUND(SUM(mean_points), 2) FROM (
    SELECT a.subject_id, s.indicator_id, AVG(s.points) AS mean_points
    FROM assessment_indicatorscore s
    JOIN assessment_rating r ON r.id = s.rating_id
    JOIN assessment_raterassignment a ON a.id = r.assignment_id
    WHERE a.period_id = %s AND r.state = 'submitted'
    GROUP BY a.subject_id, s.indicator_id
) per_indicator GROUP BY subject_id
"""


def run(args) -> int:
    from django.db import connection

    from jiceng.assessment import services

    raw = args.subjects * args.indicators * args.raters
    print(f"{args.subjects:,} subjects × {args.indicators} indicators × {args.raters} raters = {raw:,} raw scores")
    manager, period, load_s = load(args)
    print(f"load (bulk, COPY):   {load_s:8.2f} s")

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(BASELINE_SQL, [period.pk])
        baseline = {sid: total for sid, total in cur.fetchall()}
    base_s = time.perf_counter() - started
    print(f"SQL aggregate:       {base_s:8.2f} s")

    rss_before = resident_mb()
    peak = PeakRss()
    started = time.perf_counter()
    with peak:
        results = services.period_compute(actor=manager, period=period)
    compute_s = time.perf_counter() - started
    print(f"resident memory:     {rss_before:8,.0f} MB before period_compute, {peak.mb:,.0f} MB at its peak")
    print(f"period_compute:      {compute_s:8.2f} s  ({len(results):,} results, "
          f"{compute_s / len(results) * 1000:.2f} ms each)")
    print(f"ratio compute / SQL: {compute_s / base_s:8.1f}×")

    wrong = [r.subject_id for r in results if Decimal(baseline[r.subject_id]) != r.total]
    print("totals agree" if not wrong else f"{len(wrong)} totals differ, e.g. subject {wrong[0]}")
    return 0 if not wrong else 1


if __name__ == "__main__":
    sys.exit(main())
