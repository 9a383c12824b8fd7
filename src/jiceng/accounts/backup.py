"""Backup and restore in a portable format: the same file restores into SQLite or PostgreSQL.

The file is gzip-compressed JSON Lines:

    {"format": "jiceng-backup", "version": 1, "created_at": …, "migrations": {…}, "field_key_ids": […]}
    {"model": "regions.region", "pk": 1, "fields": {…}}          one line per row, Django's shape
    …
    {"end": true, "counts": {"regions.region": 11, …}}           absent if the file was cut short

Three things differ from ``dumpdata``/``loaddata``, on purpose:

* Encrypted fields (``core.fields.EncryptedTextField``) are written as the ciphertext stored in the
  database, read with a ``CAST`` so the field never decrypts them: personal information is never in
  clear in a backup file. Restoring needs the same field keys (``JICENG_FIELD_KEYS``); every value
  is checked to decrypt before anything is written, so a wrong keyring cannot double-encrypt data.
* Date-times keep their microseconds (Django's JSON encoder cuts them to milliseconds), so every
  audit record restores byte-for-byte and ``verify_chain()`` still holds.
* Restore goes into an empty, migrated database at the same migration state, in one transaction,
  with ``save_base(raw=True, force_insert=True)``: plain INSERTs, which the audit log's append-only
  triggers allow. Content types and permissions (made by ``migrate``) are referred to by natural key;
  sessions are not kept.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.python import Deserializer as PythonDeserializer
from django.core.serializers.python import Serializer as PythonSerializer
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.functions import Cast
from django.utils import timezone

from jiceng.core import crypto
from jiceng.core.audit import audit_record
from jiceng.core.fields import EncryptedTextField

FORMAT = "jiceng-backup"
VERSION = 1
SKIPPED = {"contenttypes.contenttype", "auth.permission", "sessions.session"}
NATURAL_KEY_MODELS = (ContentType, Permission)
_RAW = "_jiceng_raw_"


class BackupError(RuntimeError):
    pass


class _Encoder(DjangoJSONEncoder):
    """Full precision for times (DjangoJSONEncoder drops microseconds, which the audit hash covers)."""

    def default(self, o):
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


def _encrypted_fields(model) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def backup_models(using: str = DEFAULT_DB_ALIAS) -> list[type[models.Model]]:
    """Every model with a table in this database (an app whose migrations have not run has no rows)."""
    tables = set(connections[using].introspection.table_names())
    app_list = [(cfg, None) for cfg in apps.get_app_configs() if cfg.models_module is not None]
    ordered = serializers.sort_dependencies(app_list, allow_cycles=True)
    return [m for m in ordered
            if m._meta.label_lower not in SKIPPED and m._meta.managed and not m._meta.proxy
            and m._meta.db_table in tables]


def _applied_migrations(using: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[using]).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


class _Serializer(PythonSerializer):
    """Django's serializer, writing one JSON line per object, ciphertext for encrypted fields and
    natural keys only for content types and permissions (everything else keeps its primary key)."""

    def __init__(self, out):
        super().__init__()
        self.out = out
        self.count = 0

    def handle_field(self, obj, field):
        if isinstance(field, EncryptedTextField):
            self._current[field.name] = getattr(obj, _RAW + field.attname) or ""
        else:
            super().handle_field(obj, field)

    def handle_fk_field(self, obj, field):
        self.use_natural_foreign_keys = issubclass(field.remote_field.model, NATURAL_KEY_MODELS)
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj, field):
        self.use_natural_foreign_keys = issubclass(field.remote_field.model, NATURAL_KEY_MODELS)
        super().handle_m2m_field(obj, field)

    def end_object(self, obj):
        self.out.write(json.dumps(self.get_dump_object(obj), cls=_Encoder, ensure_ascii=False) + "\n")
        self._current = None
        self.count += 1


def _rows(model, using: str):
    """The model's rows, encrypted columns read as stored text (no decryption)."""
    qs = model._base_manager.using(using).order_by("pk")
    encrypted = _encrypted_fields(model)
    if encrypted:
        qs = qs.annotate(**{_RAW + f.attname: Cast(f.attname, output_field=models.TextField()) for f in encrypted})
        qs = qs.defer(*[f.attname for f in encrypted])
    m2m = [f.name for f in model._meta.many_to_many if f.remote_field.through._meta.auto_created]
    if m2m:
        qs = qs.prefetch_related(*m2m)
    return qs.iterator(chunk_size=2000)


def backup_write(path: str | os.PathLike, *, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Write the whole database to ``path`` (mode 0600). Returns rows per model."""
    path = Path(path)
    connection = connections[using]
    partial = path.with_name(path.name + ".part")
    counts: dict[str, int] = {}
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql" and not _in_outer_transaction(connection):
            with connection.cursor() as cur:  # one consistent snapshot for the whole file
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        header = {
            "format": FORMAT, "version": VERSION, "created_at": timezone.now().isoformat(),
            "vendor": connection.vendor, "migrations": _applied_migrations(using),
            "field_key_ids": sorted(settings.FIELD_KEYS),
        }
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as out:
            out.write(json.dumps(header, ensure_ascii=False) + "\n")
            for model in backup_models(using):
                serializer = _Serializer(out)
                serializer.serialize(_rows(model, using))
                counts[model._meta.label_lower] = serializer.count
            out.write(json.dumps({"end": True, "counts": counts}) + "\n")
    partial.replace(path)
    with transaction.atomic(using=using):
        audit_record(actor=None, action="backup.create", object_type="backup", object_repr=str(path)[:200],
                     changes={"rows": sum(counts.values())})
    return counts


def _in_outer_transaction(connection) -> bool:
    # Inside our own atomic() the block count is 1; more means a caller (e.g. a test) already
    # started the transaction, and SET TRANSACTION must come first in it.
    return len(connection.atomic_blocks) > 1


# --- restore --------------------------------------------------------------------------------------


class _Deserializer(PythonDeserializer):
    """Django's deserializer, putting encrypted fields back as the stored ciphertext after checking
    that each one decrypts with the keyring configured now."""

    def _handle_object(self, obj):
        model = self._get_model_from_node(obj["model"])
        tokens = {f: obj["fields"].pop(f.name) for f in _encrypted_fields(model) if f.name in obj["fields"]}
        for field, token in tokens.items():
            if token:
                try:
                    crypto.decrypt(token)
                except crypto.DecryptionError as exc:
                    raise BackupError(
                        f"{obj['model']} #{obj.get('pk')} 的加密字段 {field.name} 无法用当前密钥解密："
                        "请使用与备份时相同的 JICENG_FIELD_KEYS。") from exc
        for item in super()._handle_object(obj):
            for field, token in tokens.items():
                setattr(item.object, field.attname, token)
            yield item


def _records(lines: Iterator[str], trailer: dict) -> Iterator[dict]:
    for line in lines:
        record = json.loads(line)
        if record.get("end"):
            trailer.update(record)
            return
        yield record


def _check_target(header: dict, using: str) -> None:
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise BackupError("不是 Jiceng 备份文件，或版本不受支持。")
    applied = _applied_migrations(using)
    if applied != header["migrations"]:
        missing = sorted(f"{a}.{n}" for a, names in header["migrations"].items() for n in names
                         if n not in applied.get(a, []))
        extra = sorted(f"{a}.{n}" for a, names in applied.items() for n in names
                       if n not in header["migrations"].get(a, []))
        raise BackupError("目标数据库的迁移状态与备份不一致（先用 migrate 迁移到备份时的状态，恢复后再迁移到最新）。"
                          f"缺少：{', '.join(missing) or '无'}；多出：{', '.join(extra) or '无'}")
    unknown_keys = set(header.get("field_key_ids", [])) - set(settings.FIELD_KEYS)
    if unknown_keys:
        raise BackupError(f"当前 JICENG_FIELD_KEYS 缺少备份用到的密钥：{', '.join(sorted(unknown_keys))}。")
    not_empty = [m._meta.label_lower for m in backup_models(using) if m._base_manager.using(using).exists()]
    if not_empty:
        raise BackupError(f"只能恢复到空数据库（已迁移、无数据）；以下表已有数据：{', '.join(not_empty)}")


def backup_restore(path: str | os.PathLike, *, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Load ``path`` into this (empty, migrated) database in one transaction. Returns rows per model."""
    connection = connections[using]
    counts: Counter[str] = Counter()
    touched: set[type[models.Model]] = set()
    trailer: dict = {}
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        try:
            header = json.loads(next(lines))
        except (StopIteration, json.JSONDecodeError, gzip.BadGzipFile, EOFError) as exc:
            raise BackupError("不是 Jiceng 备份文件。") from exc
        _check_target(header, using)
        with transaction.atomic(using=using), connection.constraint_checks_disabled():
            try:
                for item in _Deserializer(_records(lines, trailer), using=using):
                    item.save(using=using, force_insert=True)
                    counts[item.object._meta.label_lower] += 1
                    touched.add(type(item.object))
            except (EOFError, gzip.BadGzipFile, json.JSONDecodeError) as exc:
                raise BackupError("备份文件已损坏或不完整，未做任何恢复。") from exc
            if not trailer:
                raise BackupError("备份文件不完整（缺少结尾记录），未做任何恢复。")
            expected = {k: v for k, v in trailer["counts"].items() if v}
            if dict(counts) != expected:
                raise BackupError("备份文件的记录数与结尾记录不符，未做任何恢复。")
            connection.check_constraints(table_names=[m._meta.db_table for m in touched])
            reset = connection.ops.sequence_reset_sql(no_style(), list(touched))
            if reset:
                with connection.cursor() as cur:
                    for sql in reset:
                        cur.execute(sql)
            audit_record(actor=None, action="backup.restore", object_type="backup", object_repr=str(path)[:200],
                         changes={"rows": sum(counts.values()), "created_at": header.get("created_at")})
    return dict(counts)
