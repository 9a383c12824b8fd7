"""Reading rows by a few columns without the ORM's per-query compilation.

The ORM compiles every queryset to SQL afresh: on a small server that costs 0.2–0.8 ms a query
(more with ``select_related``), many times what the database spends answering a lookup by key.
The few reads that every request of a hot path makes — the API token and its user, the event
category and the grid and its ancestors at intake — use ``rows``/``row``: SQL built from the
model's own table and column names (never from input), the values as parameters, run through
``Model.objects.raw`` so that each value is converted (and decrypted) exactly as the ORM would.
``bench/events_intake.py`` measures the difference.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    return connection.ops.quote_name(field.column)


def rows(model: type[models.Model], **conditions: Any) -> list[models.Model]:
    """Instances of ``model`` whose columns equal the given values (``name=value``) or are among
    them (``name__in=[…]``); an empty list matches nothing."""
    clauses, params = [], []
    for key, value in conditions.items():
        name, _, lookup = key.partition("__")
        column = _column(model, name)
        if lookup == "in":
            values = list(value)
            if not values:
                return []
            clauses.append(f"{column} IN ({', '.join(['%s'] * len(values))})")
            params.extend(values)
        elif lookup == "":
            clauses.append(f"{column} = %s")
            params.append(value)
        else:
            raise ValueError(f"rows() supports only equality and __in, not {key!r}")
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"SELECT * FROM {table}"  # noqa: S608 (names from the model, values as parameters)
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    return list(model.objects.raw(sql, params))


def row(model: type[models.Model], **conditions: Any) -> models.Model | None:
    """The one instance matching (``rows``), or None; more than one is an error."""
    found = rows(model, **conditions)
    if len(found) > 1:
        raise model.MultipleObjectsReturned(f"{len(found)} {model.__name__} rows match {sorted(conditions)}")
    return found[0] if found else None
