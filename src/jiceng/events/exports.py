"""Excel exports of grid events: the command centre's numbers — the breakdown the numbers page shows
(by sub-region, category, handling department or month) with a 合计 row for the whole question, every
figure from the same selectors as the page and the API — and a list of cases (the console's list under
its filters, a number's cases), row for row what the list shows, the reporter's name and phone masked.
Audited and downloaded through a short-lived link bound to the user who made it (core.exports)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.errors import ApplicationError
from jiceng.core.excel import Column, build_workbook
from jiceng.core.exports import export_create
from jiceng.core.masking import mask_name, mask_phone
from jiceng.core.models import ExportFile
from jiceng.people.models import Department
from jiceng.regions.models import Region

from .models import Event, EventCategory
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


# --- a list of cases ------------------------------------------------------------------------------

CASES_EXPORT_MAX = 20_000  # rows in one file; a longer list must be narrowed first
CASE_COLUMNS = [
    Column("number", "案件编号", width=18, text=True), Column("title", "标题", width=30),
    Column("category", "事项分类", width=16), Column("state", "状态", width=10), Column("channel", "来源", width=12),
    Column("priority", "优先级", width=8), Column("street", "街道/乡镇", width=14), Column("community", "社区/村", width=14),
    Column("grid", "网格", width=18), Column("address", "地点", width=24), Column("handler", "处置单位", width=18),
    Column("reported_at", "上报时间", width=17), Column("registered_at", "立案时间", width=17),
    Column("handle_due_at", "处置时限", width=17), Column("closed_at", "结案时间", width=17),
    Column("overdue", "曾超期", width=8), Column("returns", "退单次数", width=8), Column("reopens", "重办次数", width=8),
    Column("rating", "评价", width=10), Column("reporter_name", "上报人", width=10),
    Column("reporter_phone", "联系电话", width=14, text=True),
]


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _case_row(e: Event) -> list:
    street = e.community.parent if e.community is not None else None
    return [e.number, e.title, e.category.name, e.get_state_display(), e.get_channel_display(),
            e.get_priority_display(), street.name if street is not None else "",
            e.community.name if e.community is not None else "", e.grid.name, e.address, e.handler_name,
            _when(e.reported_at), _when(e.registered_at), _when(e.handle_due_at), _when(e.closed_at),
            "是" if e.overdue_at else "否", e.return_count, e.reopen_count, e.get_rating_display(),
            mask_name(e.reporter_name), mask_phone(e.reporter_phone)]


def cases_export(*, actor, cases: QuerySet[Event], title: str, fallback: str, total: int | None = None) -> ExportFile:
    """The cases of a list as .xlsx, in the list's order: ``cases`` is the list's own queryset (already
    narrowed to what the actor sees and filtered as the page or the API filters it). More than
    ``CASES_EXPORT_MAX`` rows is refused with the count, so that the list is narrowed first; ``total``
    is that count when the caller knows it (a number's cases: the figure), else it is counted."""
    total = cases.count() if total is None else total
    if total > CASES_EXPORT_MAX:
        raise ApplicationError(_("共 %(count)s 件，超过单次导出上限 %(max)s 件，请缩小筛选范围（如上报日期、区域、分类或状态）后再导出。")
                               % {"count": total, "max": CASES_EXPORT_MAX}, field="filters")
    rows = cases.select_related("category", "grid", "community__parent", "handler_region", "handler_department")
    content, count = build_workbook(CASE_COLUMNS, (_case_row(e) for e in rows.iterator(chunk_size=2000)),
                                    sheet_title="事件列表")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return export_create(actor=actor, kind="event_cases", content=content, rows=count,
                         filename=f"{title}-{stamp}.xlsx", fallback=f"{fallback}-{stamp}.xlsx", description=title)
