"""Re-encrypting personal information under the current key and cipher (key rotation).

Every ``EncryptedTextField`` of every model is read raw (the stored token, never decrypted by the
ORM), and each value sealed with another key id or cipher is decrypted and sealed again with
``FIELD_KEY_ID`` / ``FIELD_CIPHER``, in batches, one transaction per batch, so the command can
be stopped and run again: rows already rotated are skipped. Old keys must stay in
``JICENG_FIELD_KEYS`` until it reports nothing left to rotate.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import F, TextField
from django.db.models.functions import Cast

from . import crypto
from .audit import audit_record
from .fields import EncryptedTextField


def encrypted_fields() -> list[tuple[type, str]]:
    return [
        (model, field.attname)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def _stale(token: str | None) -> bool:
    return bool(token) and (crypto.key_id_of(token) != settings.FIELD_KEY_ID
                            or crypto.cipher_of(token) != settings.FIELD_CIPHER)


def field_keys_rotate(*, actor=None, batch: int = 1000) -> dict[str, int]:
    """Returns the number of values re-encrypted per ``model.field``."""
    done: dict[str, int] = {}
    for model, name in encrypted_fields():
        label = f"{model._meta.label_lower}.{name}"
        count = 0
        last_pk = None
        while True:
            qs = model._default_manager.annotate(_raw=Cast(F(name), output_field=TextField())).order_by("pk")
            if last_pk is not None:
                qs = qs.filter(pk__gt=last_pk)
            rows = list(qs.values_list("pk", "_raw")[:batch])
            if not rows:
                break
            last_pk = rows[-1][0]
            stale = [(pk, raw) for pk, raw in rows if _stale(raw)]
            with transaction.atomic():
                for pk, raw in stale:
                    model._default_manager.filter(pk=pk).update(**{name: crypto.encrypt(crypto.decrypt(raw))})
            count += len(stale)
        if count:
            done[label] = count
    with transaction.atomic():
        audit_record(actor=actor, action="crypto.rotate", object_type="crypto", object_id=settings.FIELD_KEY_ID,
                     object_repr=f"{settings.FIELD_CIPHER} {settings.FIELD_KEY_ID}", changes={"rows": done})
    return done


def stale_count() -> int:
    total = 0
    for model, name in encrypted_fields():
        raws = model._default_manager.annotate(_raw=Cast(F(name), output_field=TextField())).values_list(
            "_raw", flat=True)
        total += sum(1 for raw in raws.iterator(chunk_size=2000) if _stale(raw))
    return total


# --- keyed hashes (switching JICENG_FIELD_HASH, or the hash key) --------------------------------


def blind_index_models() -> list[tuple[type, dict[str, tuple[str, str]]]]:
    """Models that declare ``BLIND_INDEXES = {hash column: (encrypted field, purpose)}``."""
    return [(m, m.BLIND_INDEXES) for m in apps.get_models() if getattr(m, "BLIND_INDEXES", None)]


def _index_of(value, purpose: str) -> str:
    if not value:
        return ""
    if isinstance(value, list):
        return crypto.blind_tokens(value, purpose=purpose)
    return crypto.blind_index(value, purpose=purpose)


def _walk_indexes(batch: int, *, write: bool) -> dict[str, int]:
    """Recompute every keyed-hash column from its (decrypted) field with the current algorithm and
    key; with ``write`` store those that differ, one transaction per batch. Returns rows per model."""
    done: dict[str, int] = {}
    for model, spec in blind_index_models():
        sources = [source for source, _ in spec.values()]
        count, last_pk = 0, None
        while True:
            qs = model._default_manager.order_by("pk").only("pk", *sources, *spec)
            if last_pk is not None:
                qs = qs.filter(pk__gt=last_pk)
            rows = list(qs[:batch])
            if not rows:
                break
            last_pk = rows[-1].pk
            changed = []
            for row in rows:
                fresh = {column: _index_of(getattr(row, source), purpose)
                         for column, (source, purpose) in spec.items()}
                if any(getattr(row, column) != value for column, value in fresh.items()):
                    changed.append((row.pk, fresh))
            if write and changed:
                with transaction.atomic():
                    for pk, fresh in changed:
                        model._default_manager.filter(pk=pk).update(**fresh)
            count += len(changed)
        if count:
            done[model._meta.label_lower] = count
    return done


def blind_indexes_rebuild(*, actor=None, batch: int = 1000) -> dict[str, int]:
    """After switching ``JICENG_FIELD_HASH`` (or the hash key): rebuild the search hashes. Safe to
    stop and run again; rows already right are skipped. Audited."""
    done = _walk_indexes(batch, write=True)
    with transaction.atomic():
        audit_record(actor=actor, action="crypto.rehash", object_type="crypto", object_id=settings.FIELD_HASH,
                     object_repr=settings.FIELD_HASH, changes={"rows": done})
    return done


def blind_indexes_stale(*, batch: int = 1000) -> int:
    return sum(_walk_indexes(batch, write=False).values())
