"""The audit log's date drill-down, without reading the log.

Django's ``date_hierarchy`` lists the years, months or days that have records: a ``DISTINCT`` over
every record of the range (a year of a province is tens of millions — seconds per page). The audit
admin's list offers instead every year, month or day between the first and the last record of the
list as filtered: two reads of the time index, whatever the log's size. A day without records opens
an empty list, which says as much.
"""

from __future__ import annotations

import calendar
from datetime import date

from django import template
from django.db.models import Max, Min
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

register = template.Library()


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@register.inclusion_tag("admin/date_hierarchy.html")
def audit_date_hierarchy(cl) -> dict:
    field = cl.date_hierarchy
    names = {part: f"{field}__{part}" for part in ("year", "month", "day")}
    year, month, day = (_int(cl.params.get(names[p])) for p in ("year", "month", "day"))

    def link(**values) -> str:
        return cl.get_query_string({names[k]: v for k, v in values.items()}, [f"{field}__"])

    if year and month and day:
        try:
            shown = date(year, month, day)
        except ValueError:
            return {"show": False}
        return {"show": True, "back": {"link": link(year=year, month=month),
                                       "title": capfirst(formats.date_format(shown, "YEAR_MONTH_FORMAT"))},
                "choices": [{"title": capfirst(formats.date_format(shown, "MONTH_DAY_FORMAT"))}]}
    span = cl.queryset.aggregate(first=Min(field), last=Max(field))
    if span["first"] is None:
        return {"show": False}
    first, last = (timezone.localtime(span[k]).date() for k in ("first", "last"))
    if not year and first.year == last.year:  # one year (one month) of records: start inside it
        year = first.year
        month = month or (first.month if first.month == last.month else None)
    if year and month:
        if not 1 <= month <= 12:
            return {"show": False}
        days = [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)
                if first <= date(year, month, d) <= last]
        return {"show": True, "back": {"link": link(year=year), "title": str(year)},
                "choices": [{"link": link(year=year, month=month, day=d.day),
                             "title": capfirst(formats.date_format(d, "MONTH_DAY_FORMAT"))} for d in days]}
    if year:
        months = [date(year, m, 1) for m in range(1, 13)
                  if (year, m) >= (first.year, first.month) and (year, m) <= (last.year, last.month)]
        return {"show": True, "back": {"link": link(), "title": _("All dates")},
                "choices": [{"link": link(year=year, month=m.month),
                             "title": capfirst(formats.date_format(m, "YEAR_MONTH_FORMAT"))} for m in months]}
    return {"show": True, "back": None,
            "choices": [{"link": link(year=y), "title": str(y)} for y in range(first.year, last.year + 1)]}
