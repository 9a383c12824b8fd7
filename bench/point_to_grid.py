"""Point → grid: the STRtree index against a plain loop over every polygon, on the same points.

    .venv/bin/python bench/point_to_grid.py                  # builds the demo county in a temp dir
    .venv/bin/python bench/point_to_grid.py --points 20000 --scale 0.5
    .venv/bin/python bench/point_to_grid.py --use-current-db # the grids of the configured database

By default it migrates a fresh SQLite database in a temporary JICENG_DATA_DIR and loads the demo
county into it (the user's data is never touched), then times ``GridIndex.locate`` (STRtree) and
``GridIndex.locate_naive`` (loop) over the same seeded random points in the county's bounding box,
checks that both give the same grid for every point, and prints lookups per second and the ratio.
Exit status 0 when the answers agree, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sys
import tempfile
import time


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=5000, help="random points to look up (default 5000)")
    parser.add_argument("--seed", type=int, default=14580, help="seed of the points and of the demo county")
    parser.add_argument("--scale", type=float, default=1.0, help="demo county scale (1.0: 761 deepest grids)")
    parser.add_argument("--use-current-db", action="store_true",
                        help="use the grids of the database configured by the environment instead of a temp demo")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    return parser.parse_args(argv)


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>12,.0f} lookups/s  ({seconds * 1e6 / count:8.1f} µs each)"


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


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from shapely.geometry import shape

    from jiceng.demo.loader import demo_load
    from jiceng.regions.choices import RegionLevel
    from jiceng.regions.locator import build_index
    from jiceng.regions.models import Region

    if not args.use_current_db:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        demo_load(seed=args.seed, scale=args.scale)
        print(f"demo county (scale {args.scale}) built in {time.perf_counter() - started:.1f} s "
              f"in {os.environ['JICENG_DATA_DIR']}")
    started = time.perf_counter()
    index = build_index()
    print(f"index of {len(index.ids)} deepest grids built in {(time.perf_counter() - started) * 1000:.0f} ms")
    if not index.ids:
        print("no grids with a boundary in this database: nothing to measure", file=sys.stderr)
        return 1
    roots = Region.objects.filter(level__lte=RegionLevel.COUNTY, boundary__isnull=False)
    bounds = [shape(r.boundary).bounds for r in roots] or [g.bounds for g in index.geoms]
    minx, miny = min(b[0] for b in bounds), min(b[1] for b in bounds)
    maxx, maxy = max(b[2] for b in bounds), max(b[3] for b in bounds)
    rng = random.Random(args.seed)
    points = [(rng.uniform(minx, maxx), rng.uniform(miny, maxy)) for _ in range(args.points)]

    for x, y in points[:200]:  # warm up both paths
        index.locate(x, y)
        index.locate_naive(x, y)
    started = time.perf_counter()
    fast = [index.locate(x, y) for x, y in points]
    fast_seconds = time.perf_counter() - started
    started = time.perf_counter()
    slow = [index.locate_naive(x, y) for x, y in points]
    slow_seconds = time.perf_counter() - started

    mismatches = [i for i, (a, b) in enumerate(zip(fast, slow, strict=True)) if a != b]
    inside = sum(1 for g in fast if g is not None)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"points: {len(points):,} (seed {args.seed}), {inside:,} inside a grid, "
          f"{len(points) - inside:,} outside every grid")
    print(f"STRtree index (locate):       {rate(len(points), fast_seconds)}")
    print(f"plain loop (locate_naive):    {rate(len(points), slow_seconds)}")
    print(f"ratio: the index is {slow_seconds / fast_seconds:,.1f}× the loop")
    if mismatches:
        i = mismatches[0]
        print(f"MISMATCH on {len(mismatches)} points, e.g. {points[i]}: index {fast[i]}, loop {slow[i]}",
              file=sys.stderr)
        return 1
    print(f"answers identical on all {len(points):,} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
