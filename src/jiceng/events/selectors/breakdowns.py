"""The command centre's numbers broken down by region, category, handling department, day or month: a
``Row`` of numbers each, summed from the rollups grouped by one column (``numbers`` for one question)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from jiceng.core.errors import ApplicationError
from jiceng.people.models import Department
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region

from ..choices import Period
from ..models import EventCategory, EventRollup, EventRollupMonth
from ..rollup import COUNTERS
from .definitions import DEFINITIONS, Number, own_nodes, period_range
from .numbers import Question, _build, event_numbers


@dataclass(frozen=True)
class Row:
    key: object
    label: str
    numbers: dict[str, Number]


def _group_sums(q: Question, field_name: str, month_field: str | None = None) -> dict[object, dict[str, int]]:
    """Counters grouped by a daily-rollup column; with ``month_field`` (the monthly rollup's column
    in the same key space: street for grid, month for day, …) the whole months come from the
    monthly rollup and are merged in."""
    if month_field:
        daily, monthly = q.rollup_parts()
    else:
        whole = q.rollup_q()
        daily, monthly = ([] if whole is None else [whole]), None
    parts = [(EventRollup, rows_q, field_name) for rows_q in daily]
    if monthly is not None:
        parts.append((EventRollupMonth, monthly, month_field))
    out: dict[object, dict[str, int]] = {}
    for model, rows_q, name in parts:
        for row in model.objects.filter(rows_q).values(name).annotate(**{c: Sum(c) for c in COUNTERS}):
            _add(out.setdefault(row[name], {}), {c: int(row[c] or 0) for c in COUNTERS})
    return {k: sums for k, sums in out.items() if any(sums.values())}  # rows emptied by a case moving elsewhere are no group


def _add(into: dict[str, int], more: dict[str, int]) -> None:
    for c in COUNTERS:
        into[c] = into.get(c, 0) + more.get(c, 0)


def event_numbers_by(*, actor, by: str, start: date, end: date, region: Region | None = None,
                     category: EventCategory | None = None, department: Department | None = None,
                     unassigned: bool = False, keys: list[str] | None = None) -> list[Row]:
    """The numbers broken down ``by`` "region" (the children of ``region``; without one, the actor's own
    nodes — ``own_nodes``), "category" (the children of ``category``, or the top groups), "department"
    (handling department; 属地 for none), "day" or "month". Rows sum to the whole (except regions/categories outside the breakdown). ``unassigned``
    as in ``event_numbers``."""
    if end <= start:
        raise ApplicationError(_("统计结束日期须晚于开始日期。"), field="end")
    unknown = set(keys or []) - set(DEFINITIONS)
    if unknown:
        raise ApplicationError(_("未知指标：%(keys)s") % {"keys": ", ".join(sorted(unknown))}, field="keys")
    dims = {"department": None if unassigned else department, "unassigned": unassigned}
    q = Question(actor=actor, start=start, end=end, region=region, category=category, **dims)
    if by == "region" and region is None:
        # no region: a row for each of the actor's own nodes (a grid worker's grids, a county staff's county)
        nodes = own_nodes(actor)
        if not nodes:
            raise ApplicationError(_("按区域分组须指定上级区域。"), field="region")
        return [Row(node, node.name, event_numbers(actor=actor, start=start, end=end, region=node, category=category,
                                                   keys=keys, **dims)) for node in nodes]
    if by == "region":
        children = list(Region.objects.filter(parent=region).order_by("code"))
        # a county's or city's children are streets or above: the month rows (by street) serve
        grid_sums = _group_sums(q, "grid_id", "street_id" if region.level < RegionLevel.STREET else None)
        paths = dict(Region.objects.filter(pk__in=list(grid_sums)).values_list("pk", "path"))
        rows = []
        for child in children:
            total: dict[str, int] = {}
            for grid_id, sums in grid_sums.items():
                if paths[grid_id].startswith(child.path):
                    _add(total, sums)
            sub = Question(actor=actor, start=start, end=end, region=child, category=category, **dims)
            rows.append(Row(child, child.name, _build(sub, total or dict.fromkeys(COUNTERS, 0), keys)))
        return rows
    if by == "category":
        nodes = list(EventCategory.objects.filter(parent=category).order_by("path")) if category is not None \
            else list(EventCategory.objects.filter(parent__isnull=True).order_by("path"))
        cat_sums = _group_sums(q, "category_id", "category_id")
        paths = dict(EventCategory.objects.filter(pk__in=list(cat_sums)).values_list("pk", "path"))
        rows = []
        for node in nodes:
            total = {}
            for cat_id, sums in cat_sums.items():
                if paths[cat_id].startswith(node.path):
                    _add(total, sums)
            sub = Question(actor=actor, start=start, end=end, region=region, category=node, **dims)
            rows.append(Row(node, node.name, _build(sub, total or dict.fromkeys(COUNTERS, 0), keys)))
        return rows
    if by == "department":
        dept_sums = _group_sums(q, "department_key", "department_key")
        depts = Department.objects.in_bulk([k for k in dept_sums if k])
        rows = []
        for key in sorted(dept_sums, key=lambda k: (k != 0, depts[k].code if k else "")):
            dept = depts.get(key)
            sub = Question(actor=actor, start=start, end=end, region=region, category=category,
                           department=dept, unassigned=dept is None)
            rows.append(Row(dept, dept.name if dept else "属地处置", _build(sub, dept_sums[key], keys)))
        return rows
    if by in ("day", "month"):
        day_sums = _group_sums(q, "day", "month" if by == "month" else None)
        buckets: dict[date, dict[str, int]] = defaultdict(dict)
        for day, sums in day_sums.items():
            bucket = day if by == "day" else day.replace(day=1)
            _add(buckets[bucket], sums)
        rows = []
        for bucket in sorted(buckets):
            b_start, b_end = (bucket, bucket + timedelta(days=1)) if by == "day" else period_range(Period.MONTH, bucket)
            b_start, b_end = max(b_start, start), min(b_end, end)
            sub = Question(actor=actor, start=b_start, end=b_end, region=region, category=category, **dims)
            label = bucket.isoformat() if by == "day" else f"{bucket:%Y-%m}"
            rows.append(Row(bucket, label, _build(sub, buckets[bucket], keys)))
        return rows
    raise ApplicationError(_("分组方式须为 region、category、department、day 或 month。"), field="by")
