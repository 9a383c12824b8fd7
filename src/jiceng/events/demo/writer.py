"""Raw multi-row inserts of the simulated rows (values already in the driver's form): executemany on
SQLite, COPY on PostgreSQL."""

from __future__ import annotations

import json

from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone

from jiceng.core import crypto

from ..models import Event, EventRating, EventSupporter, EventTransition, Timer, Whistle
from .simulation import Sim
from .world import CHUNK, Case, S, fast_datetime


def insert_rows(table: str, columns: list[str], rows: list[tuple], *, datetimes: tuple[int, ...] = ()) -> None:
    """Raw multi-row insert (values already in the driver's form, except the ``datetimes`` columns)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            copy_sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
            with cur.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        return
    sql = (f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    fdt = fast_datetime()
    with connection.cursor() as cur:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            if datetimes:
                chunk = [convert_row(row, datetimes, fdt) for row in chunk]
            cur.executemany(sql, chunk)


def convert_row(row: tuple, positions: tuple[int, ...], fdt) -> tuple:
    values = list(row)
    for i in positions:
        values[i] = fdt(values[i])
    return tuple(values)


def next_id(model) -> int:
    return (model.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1


EVENT_COLUMNS = [
    "id", "category_id", "channel", "priority", "title", "description", "photos", "lng", "lat", "address", "grid_id",
    "community_id", "reporter_name", "reporter_phone", "reporter_phone_hash", "reporter_id", "source_ref",
    "idempotency_key", "state", "version", "handler_kind", "handler_region_id", "handler_department_id",
    "handled_by_id", "reported_at", "registered_at", "first_dispatched_at", "dispatched_at", "signed_at",
    "handled_at", "closed_at", "rated_at", "first_returned_at", "reopened_at", "handle_due_at", "overdue_at",
    "handle_overdue_at", "suspended_at", "suspended_from", "suspended_seconds", "return_count", "returns_locked",
    "reopen_count", "suspend_count", "whistle_count", "supporter_count", "rating", "rating_comment",
    "rating_source", "duplicate_of_id", "reason", "updated_at",
]
_EVENT_DATETIMES = tuple(i for i, c in enumerate(EVENT_COLUMNS) if c.endswith("_at"))


def write_batch(cases: list[Case], sim: Sim) -> int:
    """Insert a batch; returns how many open timers it had."""
    now = timezone.now()
    key_cache: dict[str, str] = {}

    def enc(value: str) -> str:
        return crypto.encrypt(value) if value else ""

    def phone_hash(value: str) -> str:
        if not value:
            return ""
        if value not in key_cache:
            key_cache[value] = crypto.blind_index(value, purpose="phone")
        return key_cache[value]

    rows = []
    for c in cases:
        open_suspension = c.state == S.SUSPENDED
        rows.append((
            c.id, c.category_id, c.channel, c.priority, c.title, c.description, json.dumps(c.photos), c.lng, c.lat,
            c.address, c.grid_id, c.community_id, enc(c.reporter_name), enc(c.reporter_phone),
            phone_hash(c.reporter_phone), c.reporter_id, c.source_ref, None, c.state, 0, c.handler_kind,
            c.handler_region_id, c.handler_department_id, c.handled_by_id, c.reported_at, c.registered_at,
            c.first_dispatched_at, c.dispatched_at, c.signed_at, c.handled_at, c.closed_at, c.rated_at,
            c.first_returned_at, c.reopened_at, c.handle_due_at, c.overdue_at, c.handle_overdue_at,
            c.suspended_at if open_suspension else None, c.suspended_from if open_suspension else "",
            c.suspended_seconds, c.return_count, c.returns_locked, c.reopen_count, c.suspend_count,
            c.whistle_count, c.supporter_count, c.rating, c.rating_comment, c.rating_source, c.duplicate_of_id,
            c.reason, now,
        ))
    insert_rows(Event._meta.db_table, EVENT_COLUMNS, rows, datetimes=_EVENT_DATETIMES)
    insert_rows(EventTransition._meta.db_table,
            ["event_id", "action", "from_state", "to_state", "actor_id", "actor_label", "at", "note", "photos", "data",
             "audit_id"], sim.transitions)
    insert_rows(Whistle._meta.db_table,
            ["id", "event_id", "department_id", "blown_by_id", "blower_region_id", "reason", "blown_at", "due_at",
             "state", "late", "late_at", "reported_at", "reported_by_id", "feedback", "feedback_at",
             "feedback_by_id"], sim.whistles, datetimes=(6, 7, 10, 11, 14))
    insert_rows(EventRating._meta.db_table, ["event_id", "rating", "comment", "source", "by_id", "round", "at"],
            sim.ratings, datetimes=(6,))
    timers = [t for t in sim.timers if case_open(cases, t[0])]
    insert_rows(Timer._meta.db_table,
            ["event_id", "stage", "whistle_id", "clock", "started_at", "due_at", "warn_at", "warned_at", "fired_at",
             "paused_at", "remaining_seconds"], timers, datetimes=(4, 5, 6, 7, 8, 9))
    insert_rows(EventSupporter._meta.db_table,
            ["event_id", "name", "phone", "phone_hash", "channel", "note", "photos", "created_at"],
            sim.supporters, datetimes=(7,))
    reset = connection.ops.sequence_reset_sql(no_style(), [Event, Whistle])
    if reset:
        with connection.cursor() as cur:
            for sql in reset:
                cur.execute(sql)
    return len(timers)


def case_open(cases: list[Case], case_id: int) -> bool:
    case = cases[case_id - cases[0].id]
    return case.state not in (S.CLOSED, S.RATED, S.REJECTED, S.VOID)


