"""The rollup behind the command centre's numbers (``EventRollup``, and ``EventRollupMonth`` above it).

A case's contribution to the rollup is a pure function of the case row (``contributions``). Every
service that changes a case computes the contribution before and after the change and adds the
difference (``apply``) in the same transaction, so the table can never drift from the records;
``rollup_verify`` recounts from the records to prove it, ``rollup_rebuild`` recounts into it.
The same delta, folded by month × street (``monthly``), goes to ``EventRollupMonth`` in the same
transaction, so a month row is the sum of its days by construction (and ``rollup_verify`` checks it).

Each counter is dated by its own day (local date, ``settings.TIME_ZONE``):

- 立案日 (``registered_at``): registered, dispatched, returned, reopened, suspended, whistled,
  closed, closed_on_time, rated/satisfied/basic/unsatisfied, overdue, overdue_handle and the
  stage-time sums — the cohort of cases registered that day and what became of them;
- 应结日 = the earlier of the closure and the handling deadline (the deadline alone while the case
  is open): due;
- 结案日 (``closed_at``): closed_flow.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region

from .choices import CLOSED_STATES, EXCLUDED_STATES, Rating
from .models import Event, EventRollup, EventRollupMonth

COUNTERS = [
    "registered", "dispatched", "returned", "reopened", "suspended", "whistled", "closed", "closed_on_time",
    "rated", "satisfied", "basic", "unsatisfied", "overdue", "overdue_handle", "due", "closed_flow",
    "accept_seconds", "dispatch_seconds", "sign_seconds", "handle_seconds", "verify_seconds", "total_seconds",
]
# The case fields a contribution reads (``Event.objects.only(*CONTRIBUTION_FIELDS)`` is enough).
CONTRIBUTION_FIELDS = [
    "id", "state", "grid_id", "category_id", "handler_department_id", "reported_at", "registered_at",
    "first_dispatched_at", "dispatched_at", "signed_at", "handled_at", "closed_at", "handle_due_at",
    "overdue_at", "handle_overdue_at", "return_count", "reopen_count", "suspend_count", "whistle_count", "rating",
]
_RATING_COUNTER = {Rating.SATISFIED: "satisfied", Rating.BASIC: "basic", Rating.UNSATISFIED: "unsatisfied"}

Key = tuple[date, int, int, int]  # day, grid id, category id, department id (0: none)
MonthKey = tuple[date, int, int, int]  # month (its first day), street id, category id, department id


@lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(moment) -> date:
    """The date in the project's time zone (``settings.TIME_ZONE``, never a zone a request activated:
    the same case must fall on the same day whoever changes it)."""
    return moment.astimezone(_zone(settings.TIME_ZONE)).date()


def _seconds(later, earlier) -> int:
    if later is None or earlier is None:
        return 0
    return max(0, int((later - earlier).total_seconds()))


def contributions(ev) -> dict[Key, Counter]:
    """What one case adds to the rollup, from its row alone."""
    if ev.registered_at is None or ev.state in EXCLUDED_STATES:
        return {}
    out: dict[Key, Counter] = defaultdict(Counter)
    dims = (ev.grid_id, ev.category_id, ev.handler_department_id or 0)
    cohort = out[(local_day(ev.registered_at), *dims)]
    cohort["registered"] += 1
    cohort["accept_seconds"] += _seconds(ev.registered_at, ev.reported_at)
    if ev.first_dispatched_at is not None:
        cohort["dispatched"] += 1
        cohort["dispatch_seconds"] += _seconds(ev.first_dispatched_at, ev.registered_at)
    for counter, count in (("returned", ev.return_count), ("reopened", ev.reopen_count),
                           ("suspended", ev.suspend_count), ("whistled", ev.whistle_count)):
        if count:
            cohort[counter] += 1
    closed = ev.state in CLOSED_STATES
    if closed:
        cohort["closed"] += 1
        if ev.handle_due_at is not None and ev.closed_at <= ev.handle_due_at:
            cohort["closed_on_time"] += 1
        cohort["sign_seconds"] += _seconds(ev.signed_at, ev.dispatched_at)
        cohort["handle_seconds"] += _seconds(ev.handled_at, ev.signed_at)
        cohort["verify_seconds"] += _seconds(ev.closed_at, ev.handled_at)
        cohort["total_seconds"] += _seconds(ev.closed_at, ev.reported_at)
        out[(local_day(ev.closed_at), *dims)]["closed_flow"] += 1
    if ev.rating:
        cohort["rated"] += 1
        cohort[_RATING_COUNTER[ev.rating]] += 1
    if ev.overdue_at is not None:
        cohort["overdue"] += 1
    if ev.handle_overdue_at is not None:
        cohort["overdue_handle"] += 1
    due_moment = ev.handle_due_at
    if closed and due_moment is not None:
        due_moment = min(ev.closed_at, due_moment)
    if due_moment is not None:
        out[(local_day(due_moment), *dims)]["due"] += 1
    return out


def delta(before: dict[Key, Counter], after: dict[Key, Counter]) -> dict[Key, Counter]:
    out: dict[Key, Counter] = {}
    for key in set(before) | set(after):
        change = Counter(after.get(key, {}))
        change.subtract(before.get(key, {}))
        change = Counter({k: v for k, v in change.items() if v})
        if change:
            out[key] = change
    return out


# (model, key columns): the daily table and the monthly one, written by the same ``apply``.
_DAILY = (EventRollup, ("day", "grid_id", "category_id", "department_key"))
_MONTHLY = (EventRollupMonth, ("month", "street_id", "category_id", "department_key"))


def streets_of(grid_ids: Iterable[int]) -> dict[int, int]:
    """The street (level-3 ancestor) of each grid, in one query. A region at or above the street
    level stands for itself, which keeps every path-prefix question answered alike by both tables."""
    rows = Region.objects.filter(pk__in=set(grid_ids)).values_list(
        "pk", "level", "parent_id", "parent__parent_id", "parent__parent__parent_id", "parent__parent__parent__parent_id")
    out = {}
    for pk, level, *ancestors in rows:  # ancestors[i] is i + 1 levels up
        steps = level - RegionLevel.STREET
        out[pk] = ancestors[steps - 1] if steps > 0 else pk
    return out


def monthly(change: dict[Key, Counter], streets: dict[int, int] | None = None) -> dict[MonthKey, Counter]:
    """A daily delta (or recount) folded by month × street × category × department. ``streets``:
    the street of each grid when the caller knows it (read otherwise)."""
    grids = {grid for _day, grid, _cat, _dept in change}
    if streets is None or not grids <= streets.keys():
        streets = streets_of(grids)
    out: dict[MonthKey, Counter] = defaultdict(Counter)
    for (day, grid, category, dept), counts in change.items():
        out[(day.replace(day=1), streets[grid], category, dept)].update(counts)
    return {k: v for k, v in out.items() if any(v.values())}


def _upsert_sql(model, keys: tuple[str, ...], source: str | None = None) -> str:
    """Built only from the model's own table and column names (constants), values as parameters
    (or ``source``, a temporary table of the same columns)."""
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join([*keys, *COUNTERS])
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNTERS)
    if source is None:
        insert = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * (len(keys) + len(COUNTERS)))})"  # noqa: S608
    else:
        insert = f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {source}"  # noqa: S608
    return f"{insert} ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"


def apply(change: dict[Key, Counter], streets: dict[int, int] | None = None) -> None:
    """Add a delta to the rollup, daily and monthly (additive upserts: concurrent writers add, never
    overwrite; one statement batch per table, inside the caller's transaction). ``streets`` as for
    ``monthly``."""
    if not change:
        return
    adapt = connection.ops.adapt_datefield_value
    for (model, keys), part in ((_DAILY, change), (_MONTHLY, monthly(change, streets))):
        rows = [(adapt(when), place, category, dept, *[counts.get(c, 0) for c in COUNTERS])
                for (when, place, category, dept), counts in sorted(part.items())]
        if connection.vendor == "postgresql" and len(rows) > 500:
            _apply_copy(model, keys, rows)
        elif rows:
            with connection.cursor() as cur:
                cur.executemany(_upsert_sql(model, keys), rows)


def _apply_copy(model, keys: tuple[str, ...], rows: list[tuple]) -> None:
    """Many keys at once (bulk loads) on PostgreSQL: COPY into a temporary table, then one upsert."""
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join([*keys, *COUNTERS])
    with connection.cursor() as cur:
        cur.execute(f"CREATE TEMPORARY TABLE jiceng_rollup_delta AS SELECT {cols} FROM {table} WITH NO DATA")  # noqa: S608
        with cur.cursor.copy(f"COPY jiceng_rollup_delta ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(_upsert_sql(model, keys, source="jiceng_rollup_delta"))
        cur.execute("DROP TABLE jiceng_rollup_delta")


def recount(events: Iterable | None = None) -> dict[Key, Counter]:
    """The rollup as it should be, recounted from the case records."""
    if events is None:
        events = Event.objects.only(*CONTRIBUTION_FIELDS).order_by().iterator(chunk_size=5000)
    total: dict[Key, Counter] = defaultdict(Counter)
    for ev in events:
        for key, counts in contributions(ev).items():
            total[key].update(counts)
    return total


def _table(model, keys: tuple[str, ...]) -> dict[tuple, Counter]:
    out: dict[tuple, Counter] = {}
    for row in model.objects.values(*keys, *COUNTERS).iterator():
        counts = Counter({c: row[c] for c in COUNTERS if row[c]})
        if counts:
            out[tuple(row[k] for k in keys)] = counts
    return out


def _differences(label: str, names: tuple[str, ...], expected: dict, actual: dict) -> list[str]:
    expected = {k: Counter({c: n for c, n in v.items() if n}) for k, v in expected.items()}
    expected = {k: v for k, v in expected.items() if v}
    problems = []
    for key in sorted(set(expected) | set(actual)):
        want, have = expected.get(key, Counter()), actual.get(key, Counter())
        if want != have:
            diffs = {c: (have.get(c, 0), want.get(c, 0)) for c in COUNTERS if have.get(c, 0) != want.get(c, 0)}
            where = " ".join(f"{n}={v}" for n, v in zip(names, key[1:], strict=True))
            problems.append(f"{label}{key[0]} {where}: " + ", ".join(f"{c} 表中 {h} 应为 {w}" for c, (h, w) in diffs.items()))
    return problems


def rollup_verify() -> list[str]:
    """Differences between the rollup tables (daily, monthly) and a recount from the records
    (empty when equal)."""
    expected = recount()
    return (_differences("", ("grid", "category", "department"), expected, _table(*_DAILY))
            + _differences("月 ", ("street", "category", "department"), monthly(expected), _table(*_MONTHLY)))


@transaction.atomic
def rollup_rebuild(*, batch: int = 5000) -> int:
    """Replace the rollup (daily and monthly) with a recount from the records; returns the number of
    daily rows written."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"LOCK TABLE {connection.ops.quote_name(Event._meta.db_table)} IN SHARE MODE")
    EventRollup.objects.all().delete()
    EventRollupMonth.objects.all().delete()
    total = recount()
    rows = [
        EventRollup(day=day, grid_id=grid, category_id=category, department_key=dept,
                    **{c: counts.get(c, 0) for c in COUNTERS})
        for (day, grid, category, dept), counts in sorted(total.items())
        if any(counts.values())
    ]
    EventRollup.objects.bulk_create(rows, batch_size=batch)
    EventRollupMonth.objects.bulk_create([
        EventRollupMonth(month=month, street_id=street, category_id=category, department_key=dept,
                         **{c: counts.get(c, 0) for c in COUNTERS})
        for (month, street, category, dept), counts in sorted(monthly(total).items())
    ], batch_size=batch)
    return len(rows)
