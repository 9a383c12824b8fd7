"""Automatic indicators. Other domains add theirs at import time::

    from jiceng.assessment import registry
    registry.register("events.closure_rate", closure_rate, label="结案率")

A function is called as ``fn(subject, period_start, period_end)`` with a ``PeriodSubject`` and two
dates, and returns ``(value, explanation)``: a number and a dict of what it counted, with ids or
links to the records, so the score can be explained.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from jiceng.core.errors import ApplicationError

IndicatorFn = Callable[[object, date, date], tuple[Decimal | int | float, dict]]


@dataclass(frozen=True)
class AutoIndicator:
    key: str
    fn: IndicatorFn
    label: str


_REGISTRY: dict[str, AutoIndicator] = {}


def register(key: str, fn: IndicatorFn, *, label: str = "") -> IndicatorFn:
    if not key or "." not in key:
        raise ValueError("indicator keys are namespaced: 'domain.name'")
    if key in _REGISTRY and _REGISTRY[key].fn is not fn:
        raise ValueError(f"automatic indicator {key} is already registered")
    _REGISTRY[key] = AutoIndicator(key, fn, label or key)
    return fn


def unregister(key: str) -> None:
    _REGISTRY.pop(key, None)


def is_registered(key: str) -> bool:
    return key in _REGISTRY


def keys() -> list[str]:
    return sorted(_REGISTRY)


def call(key: str, subject, start: date, end: date) -> tuple[Decimal, dict]:
    entry = _REGISTRY.get(key)
    if entry is None:
        raise ApplicationError(_("自动指标 %(key)s 未注册。") % {"key": key}, field="auto_key")
    value, explanation = entry.fn(subject, start, end)
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        raise ApplicationError(_("自动指标 %(key)s 返回的不是数值。") % {"key": key}, field="auto_key")
    return Decimal(str(value)), dict(explanation or {})
