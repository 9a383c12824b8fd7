"""Excel export of the command centre's numbers: the breakdown the numbers page shows (by sub-region,
category, handling department or month) with a 合计 row for the whole question, every figure from
the same selectors as the page and the API. Audited and downloaded through a short-lived link bound
to the user who made it (core.exports)."""

from __future__ import annotations

from datetime import date, timedelta

from jiceng.core.excel import Column, build_workbook
from jiceng.core.exports import export_create
from jiceng.core.models import ExportFile
from jiceng.people.models import Department
from jiceng.regions.models import Region

from .models import EventCategory
from .selectors import event_numbers, event_numbers_by

# (header, metric key, what of it): "n" the numerator (a count), "pct" the ratio in per cent, "v" the value
NUMBER_COLUMNS = [
    ("立案数", "registered", "n"), ("应结案数", "due", "n"), ("结案数", "closed", "n"),
    ("结案率（%）", "close_rate", "pct"), ("按期结案数", "closed_on_time", "n"), ("按期结案率（%）", "on_time_rate", "pct"),
    ("评价数", "rated", "n"), ("满意及基本满意数", "satisfaction_rate", "n"), ("满意率（%）", "satisfaction_rate", "pct"),
    ("不满意数", "unsatisfied", "n"), ("派遣数", "dispatched", "n"), ("退单数", "returned", "n"),
    ("退单率（%）", "return_rate", "pct"), ("重办数", "reopened", "n"), ("挂起数", "suspended", "n"),
    ("吹哨数", "whistled", "n"), ("超期数", "overdue", "n"), ("处置超期数", "overdue_handle", "n"),
    ("平均办结时长（小时）", "avg_total_hours", "v"),
]
BY_LABELS = {"region": "下级区域", "category": "事项分类", "department": "处置部门", "month": "月份"}


def _cells(numbers: dict) -> list:
    out = []
    for _header, key, what in NUMBER_COLUMNS:
        n = numbers[key]
        if what == "n":
            out.append(n.numerator)
        elif what == "pct":
            out.append(None if n.value is None else round(n.value * 100, 1))
        else:
            out.append(n.value)
    return out


def numbers_export(*, actor, start: date, end: date, by: str, region: Region | None = None,
                   category: EventCategory | None = None, department: Department | None = None,
                   unassigned: bool = False) -> ExportFile:
    """The breakdown of one question ([start, end) as everywhere; ``event_numbers_by``) and its 合计, as
    an .xlsx export."""
    keys = sorted({key for _h, key, _w in NUMBER_COLUMNS})
    dims = {"region": region, "category": category, "department": department, "unassigned": unassigned}
    whole = event_numbers(actor=actor, start=start, end=end, keys=keys, **dims)
    rows = event_numbers_by(actor=actor, by=by, start=start, end=end, keys=keys, **dims)
    columns = [Column("name", BY_LABELS.get(by, "分组"), width=24)] + [
        Column(key, header, width=max(10, len(header) * 2)) for header, key, _w in NUMBER_COLUMNS]

    def lines():
        for row in rows:
            yield [row.label, *_cells(row.numbers)]
        yield ["合计", *_cells(whole)]

    content, count = build_workbook(columns, lines(), sheet_title="事件指标")
    last = end - timedelta(days=1)
    place = region.name if region is not None else "全部"
    narrowed = "".join(f"·{x}" for x in (category.name if category else "", department.name if department else "",
                                         "属地处置" if unassigned else "") if x)
    title = f"{place}{narrowed}事件指标{start:%Y%m%d}-{last:%Y%m%d}（按{BY_LABELS.get(by, by)}）"
    return export_create(actor=actor, kind="event_numbers", content=content, rows=count, filename=f"{title}.xlsx",
                         fallback=f"event-numbers-{start:%Y%m%d}-{last:%Y%m%d}-{by}.xlsx", description=title)
