"""Model fields for personal information: encrypted at rest, decrypted on load."""

from __future__ import annotations

import json

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """Stores ``crypto.encrypt(value)``; the Python value is the plain string ('' when empty).

    Encryption is randomised, so the column cannot be searched: pair it with a blind-index
    column (``crypto.blind_index``) where exact-match search is needed.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        value = str(value)
        if _is_token(value):
            return value
        return crypto.encrypt(value)


def _is_token(value: str) -> bool:
    """Ciphertext already (e.g. copied from another row) is stored as is. Only a value that
    authenticates counts: typed text that merely starts with the prefix is encrypted like any other,
    or it would sit in clear and make its row unreadable."""
    if not value.startswith(crypto.PREFIX):
        return False
    try:
        crypto.decrypt(value)
    except crypto.DecryptionError:
        return False
    return True


class EncryptedJSONListField(EncryptedTextField):
    """A list of short strings (e.g. vulnerable-group tags) stored as one encrypted JSON text."""

    def __init__(self, *args, **kwargs):
        kwargs["default"] = list
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        plain = super().from_db_value(value, expression, connection)
        if not plain:
            return []
        return json.loads(plain)

    def to_python(self, value):
        if isinstance(value, list):
            return value
        if not value:
            return []
        return json.loads(value)

    def get_prep_value(self, value):
        # Encrypt the JSON text directly: the parent's get_prep_value runs to_python(), which would
        # turn the JSON back into a list and store its Python repr (unreadable as JSON).
        if not value:
            return ""
        if isinstance(value, str):
            if _is_token(value):
                return value
            value = self.to_python(value)
        return crypto.encrypt(json.dumps(sorted(set(value)), ensure_ascii=False))
