"""Writing and reading the audit log. Services call ``audit_record`` inside their transaction."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

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


def record_digest(prev_hash: str, fields: dict) -> str:
    payload = json.dumps({"prev": prev_hash, **fields}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        last = AuditLog.objects.order_by("-id").values_list("hash", flat=True).first()
        entry = AuditLog(
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_name=(getattr(actor, "username", "") or "system")[:150] if actor is not None else "system",
            actor_role=getattr(actor, "role", "") or "",
            action=action,
            object_type=object_type,
            object_id=str(object_id)[:64],
            object_repr=object_repr[:200],
            changes=_jsonable(changes or {}),
            ip=context.client_ip() or "",
            channel=context.channel(),
            prev_hash=last or GENESIS,
        )
        entry.hash = record_digest(entry.prev_hash, _hashed_fields(entry))
        entry.save(force_insert=True)
    return entry


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


def verify_chain(*, batch: int = 5000) -> list[str]:
    """Walk the chain; return human-readable problems (empty when intact)."""
    problems: list[str] = []
    prev = GENESIS
    last_id = 0
    while True:
        rows = list(AuditLog.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            break
        for entry in rows:
            if entry.prev_hash != prev:
                problems.append(f"记录 {entry.id} 的前序哈希与上一条不符（其前的记录被删除或改动）")
            if record_digest(entry.prev_hash, _hashed_fields(entry)) != entry.hash:
                problems.append(f"记录 {entry.id} 内容与哈希不符（已被篡改）")
            prev = entry.hash
            last_id = entry.id
    return problems
