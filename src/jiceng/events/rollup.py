"""The rollup behind the command centre's numbers (``EventRollup``).

A case's contribution to the rollup is a pure function of the case row (``contributions``). Every
service that changes a case computes the contribution before and after the change and adds the
difference (``apply``) in the same transaction, so the table can never drift from the records;
``rollup_verify`` recounts from the records to prove it, ``rollup_rebuild`` recounts into it.

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

from .choices import CLOSED_STATES, EXCLUDED_STATES, Rating
from .models import Event, EventRollup

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


def _upsert_sql() -> str:
    """Built only from the model's own table and column names (constants), values as parameters."""
    table = connection.ops.quote_name(EventRollup._meta.db_table)
    cols = ["day", "grid_id", "category_id", "department_key", *COUNTERS]
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNTERS)
    insert = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"  # noqa: S608
    return f"{insert} ON CONFLICT (day, grid_id, category_id, department_key) DO UPDATE SET {updates}"


def apply(change: dict[Key, Counter]) -> None:
    """Add a delta to the rollup (an additive upsert: concurrent writers add, never overwrite)."""
    if not change:
        return
    adapt = connection.ops.adapt_datefield_value
    rows = [(adapt(day), grid, category, dept, *[counts.get(c, 0) for c in COUNTERS])
            for (day, grid, category, dept), counts in sorted(change.items())]
    if connection.vendor == "postgresql" and len(rows) > 500:
        _apply_copy(rows)
        return
    with connection.cursor() as cur:
        cur.executemany(_upsert_sql(), rows)


def _apply_copy(rows: list[tuple]) -> None:
    """Many keys at once (bulk loads) on PostgreSQL: COPY into a temporary table, then one upsert."""
    table = connection.ops.quote_name(EventRollup._meta.db_table)
    cols = ", ".join(["day", "grid_id", "category_id", "department_key", *COUNTERS])
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNTERS)
    with connection.cursor() as cur:
        cur.execute(f"CREATE TEMPORARY TABLE jiceng_rollup_delta AS SELECT {cols} FROM {table} WITH NO DATA")  # noqa: S608
        with cur.cursor.copy(f"COPY jiceng_rollup_delta ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM jiceng_rollup_delta "  # noqa: S608
                    f"ON CONFLICT (day, grid_id, category_id, department_key) DO UPDATE SET {updates}")
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


def _table() -> dict[Key, Counter]:
    out: dict[Key, Counter] = {}
    for row in EventRollup.objects.values("day", "grid_id", "category_id", "department_key", *COUNTERS).iterator():
        counts = Counter({c: row[c] for c in COUNTERS if row[c]})
        if counts:
            out[(row["day"], row["grid_id"], row["category_id"], row["department_key"])] = counts
    return out


def rollup_verify() -> list[str]:
    """Differences between the rollup table and a recount from the records (empty when equal)."""
    expected = {k: Counter({c: n for c, n in v.items() if n}) for k, v in recount().items()}
    expected = {k: v for k, v in expected.items() if v}
    actual = _table()
    problems = []
    for key in sorted(set(expected) | set(actual)):
        want, have = expected.get(key, Counter()), actual.get(key, Counter())
        if want != have:
            diffs = {c: (have.get(c, 0), want.get(c, 0)) for c in COUNTERS if have.get(c, 0) != want.get(c, 0)}
            problems.append(f"{key[0]} grid={key[1]} category={key[2]} department={key[3]}: "
                            + ", ".join(f"{c} 表中 {h} 应为 {w}" for c, (h, w) in diffs.items()))
    return problems


@transaction.atomic
def rollup_rebuild(*, batch: int = 5000) -> int:
    """Replace the rollup with a recount from the records; returns the number of rows written."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"LOCK TABLE {connection.ops.quote_name(Event._meta.db_table)} IN SHARE MODE")
    EventRollup.objects.all().delete()
    rows = [
        EventRollup(day=day, grid_id=grid, category_id=category, department_key=dept,
                    **{c: counts.get(c, 0) for c in COUNTERS})
        for (day, grid, category, dept), counts in sorted(recount().items())
        if any(counts.values())
    ]
    EventRollup.objects.bulk_create(rows, batch_size=batch)
    return len(rows)
