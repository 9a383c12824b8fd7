"""Automatic indicators from the events domain: 结案率, 按期结案率 and 满意率 of the cases in a
subject's region over the period, taken from ``events.selectors.numbers.event_numbers`` (the same
definitions the command centre shows) with the case ids behind each number.

The numbers are read for the system, not for a person: the period's results are computed for
every subject of a scheme, whoever presses 计算, so the reading is county-wide and narrowed here
to the subject's own region path. A rate with no cases (denominator 0) scores 0 and says so.
The explanation carries the case ids (at most 200) and the filter (region, dates, metric) that
lists them; it will carry page links once the events pages exist.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from . import registry

MAX_IDS = 200


class _SystemReader:
    """The reader the events selectors need: active, with the whole tree in scope."""

    is_authenticated = True
    is_active = True
    role = "county_staff"
    department_id = None
    pk = None

    def scope_paths(self, personal: bool = False) -> list[str]:
        return ["/"]


def _rate(key: str):
    def indicator(subject, start: date, end: date) -> tuple[Decimal, dict]:
        from jiceng.events.selectors.numbers import event_numbers
        from jiceng.regions.models import Region

        region = Region.objects.filter(path=subject.region_path).first()
        if region is None:
            return Decimal(0), {"note": "考核对象的区域不存在"}
        number = event_numbers(actor=_SystemReader(), start=start, end=end + timedelta(days=1), region=region,
                               keys=[key])[key]
        value = Decimal(str(number.value)) if number.value is not None else Decimal(0)
        ids = list(number.cases.order_by("pk").values_list("pk", flat=True)[:MAX_IDS])
        query = urlencode({"region": region.pk, "start": start.isoformat(), "end": end.isoformat(), "metric": key})
        return value, {
            "label": str(number.label), "definition": str(number.definition), "region": region.name,
            "numerator": number.numerator, "total": number.denominator, "value": number.display,
            "event_ids": ids, "truncated": number.numerator > len(ids), "filter": query,
        }

    indicator.__name__ = f"events_{key}"
    return indicator


registry.register("events.closure_rate", _rate("close_rate"), label="结案率")
registry.register("events.ontime_rate", _rate("on_time_rate"), label="按期结案率")
registry.register("events.satisfaction_rate", _rate("satisfaction_rate"), label="满意率")
