"""Writing and reading the audit log. Services call ``audit_record`` inside their transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import context
from .models import AuditLog

GENESIS = "0" * 64
_LOCK_KEY = 7_240_001  # pg advisory lock that serialises the hash chain


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def record_payload(prev_hash: str, fields: dict) -> str:
    """The text a record's hash is the SHA-256 of (UTF-8): its fields and the previous hash, as JSON."""
    return json.dumps({"prev": prev_hash, **fields}, sort_keys=True, ensure_ascii=False, default=str)


def record_digest(prev_hash: str, fields: dict) -> str:
    return hashlib.sha256(record_payload(prev_hash, fields).encode("utf-8")).hexdigest()


def entry_payload(entry: AuditLog) -> str:
    """A stored record's hashed text, as ``verify_chain`` recomputes it: exported beside the hash so
    that a file can be checked without the database (sha256 of this text == the record's hash)."""
    return record_payload(entry.prev_hash, _hashed_fields(entry))


def _hashed_fields(entry: AuditLog) -> dict:
    return {
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "changes": entry.changes,
        "ip": entry.ip,
        "channel": entry.channel,
    }


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict | None = None,
) -> AuditLog:
    """Append one audit record, chained to the previous one. Call inside the write's transaction."""
    return audit_records([AuditEntry(actor=actor, action=action, obj=obj, object_type=object_type,
                                     object_id=object_id, object_repr=object_repr, changes=changes)])[0]


def _chain_head() -> str | None:
    """The last record's hash (a plain statement: every audited write reads it, see ``core.rows``)."""
    table = connection.ops.quote_name(AuditLog._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"SELECT hash FROM {table} ORDER BY id DESC LIMIT 1")  # noqa: S608 (the model's table)
        found = cur.fetchone()
    return found[0] if found else None


@dataclass
class AuditEntry:
    """One record to append (``audit_records``); ``obj`` names the object unless the text fields do."""

    actor: Any
    action: str
    obj: models.Model | None = None
    object_type: str = ""
    object_id: str = ""
    object_repr: str = ""
    changes: dict | None = None


def audit_records(entries: list[AuditEntry]) -> list[AuditLog]:
    """Append several records at once, in order, chained to the previous one and to each other:
    one read of the chain's head and one multi-row insert (a service that makes several changes in
    one transaction, e.g. 采集 + 立案 + 派遣 of an emergency call). Call inside the write's transaction."""
    if not entries:
        return []
    ip, channel = context.client_ip() or "", context.channel()
    # A transaction for the chain's lock, not a savepoint (two more round trips on PostgreSQL): the
    # records are written by one statement, which succeeds or fails whole.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        prev = _chain_head() or GENESIS
        now = timezone.now()  # after the chain's lock: times never go backwards along the chain
        rows = []
        for e in entries:
            obj = e.obj
            actor = e.actor
            entry = AuditLog(
                at=now,
                actor_id=getattr(actor, "pk", None),
                actor_name=(getattr(actor, "username", "") or "system")[:150] if actor is not None else "system",
                actor_role=getattr(actor, "role", "") or "",
                action=e.action,
                object_type=e.object_type or (obj._meta.label_lower if obj is not None else ""),
                object_id=str(e.object_id or (obj.pk if obj is not None else ""))[:64],
                object_repr=(e.object_repr or (str(obj) if obj is not None else ""))[:200],
                changes=_jsonable(e.changes or {}),
                ip=ip,
                channel=channel,
                prev_hash=prev,
            )
            entry.hash = prev = record_digest(entry.prev_hash, _hashed_fields(entry))
            rows.append(entry)
        if len(rows) == 1:
            rows[0].save(force_insert=True)
        else:
            AuditLog.objects.bulk_create(rows)
    return rows


def diff(before: dict, after: dict, *, secret_fields: frozenset[str] = frozenset()) -> dict:
    """Changed fields as {field: [before, after]}; secret fields are recorded as changed, never shown."""
    changes = {}
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b != a:
            changes[key] = ["***", "***"] if key in secret_fields else [_jsonable(b), _jsonable(a)]
    return changes


def snapshot(obj: models.Model, fields: list[str]) -> dict:
    return {f: getattr(obj, f) for f in fields}


@dataclass(frozen=True)
class ChainProblem:
    """One break in the chain, at record ``record_id``: LINK — its previous hash is not the hash of
    the record before it (that one was deleted or altered); CONTENT — its fields no longer give its
    hash (it was altered); MISSING — a record an earlier check ended on is gone (the end of the log
    was cut off, which the links alone cannot show)."""

    record_id: int
    kind: str

    LINK = "link"
    CONTENT = "content"
    MISSING = "missing"

    def __str__(self) -> str:
        if self.kind == self.LINK:
            return _("记录 %(id)s 的前序哈希与上一条不符（其前的记录被删除或改动）") % {"id": self.record_id}
        if self.kind == self.CONTENT:
            return _("记录 %(id)s 内容与哈希不符（已被篡改）") % {"id": self.record_id}
        return _("记录 %(id)s（上次校验到的最后一条）已不存在或已改动（末尾的记录被删除）") % {"id": self.record_id}

    def as_dict(self) -> dict:
        return {"id": self.record_id, "kind": self.kind}


def chain_problems(*, up_to: int | None = None, batch: int = 5000,
                   on_batch: Callable[[int, int], None] | None = None) -> Iterator[ChainProblem]:
    """Walk the chain from its first record (to record ``up_to`` when given) in batches of ``batch``
    records, yielding each break; ``on_batch(last_id, checked)`` after each batch (progress)."""
    prev = GENESIS
    last_id = 0
    checked = 0
    records = AuditLog.objects.all() if up_to is None else AuditLog.objects.filter(id__lte=up_to)
    while True:
        rows = list(records.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            break
        for entry in rows:
            if entry.prev_hash != prev:
                yield ChainProblem(entry.id, ChainProblem.LINK)
            if record_digest(entry.prev_hash, _hashed_fields(entry)) != entry.hash:
                yield ChainProblem(entry.id, ChainProblem.CONTENT)
            prev = entry.hash
            last_id = entry.id
        checked += len(rows)
        if on_batch is not None:
            on_batch(last_id, checked)


def verify_chain(*, batch: int = 5000) -> list[str]:
    """Walk the chain; return human-readable problems (empty when intact)."""
    return [str(problem) for problem in chain_problems(batch=batch)]


# --- what the actions are called -------------------------------------------------------------------

_ACTION_LABELS: dict[str, Any] = {}


def audit_actions_register(labels: Mapping[str, Any]) -> None:
    """Name the actions an app's services write (``{"region.create": _("新建区域")}``), from the app's
    ``ready()``: the back office shows the names, and core needs no import of the domain apps."""
    _ACTION_LABELS.update(labels)


def audit_action_labels() -> dict[str, Any]:
    """Every named action, code → name (lazy, translated when shown)."""
    return dict(_ACTION_LABELS)


def audit_action_label(code: str) -> str:
    """The action's name (派遣 …) for the code a record keeps; the code itself if it has none."""
    label = _ACTION_LABELS.get(code)
    return str(label) if label is not None else code
