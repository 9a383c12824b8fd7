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
        if isinstance(value, str) and value.startswith(crypto.PREFIX):
            return value
        return crypto.encrypt(str(value))


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
        if not value:
            return ""
        return super().get_prep_value(json.dumps(sorted(set(value)), ensure_ascii=False))
