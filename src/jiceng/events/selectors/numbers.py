"""The command centre's numbers (立案数, 结案率, 按期结案率, 满意率 …).

Every number is summed from the rollup (a path-prefix + date-range aggregate, fast at province
scale): the whole months of a question about a street or a larger region from the monthly rollup
(month × street rows), the days left over and every finer question from the daily one (day × grid
rows); both are kept exact by the same delta, so the split never changes an answer. Each number carries its definition, numerator, denominator and the queryset of the cases it
counts, so a page or the API can link to them; the same question gives the same number
everywhere. The definitions are in ``DEFINITIONS`` and docs/events.md.

Periods are half-open [start, end) of local dates (``settings.TIME_ZONE``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.scope import is_active_account
from jiceng.people.choices import Role
from jiceng.people.models import Department
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region
from jiceng.regions.selectors import region_roots

from ..choices import CLOSED_STATES, EXCLUDED_STATES, Period, Rating
from ..models import Event, EventCategory, EventRollup, EventRollupMonth
from ..rollup import COUNTERS

COUNT, RATIO, HOURS = "count", "ratio", "hours"


@dataclass(frozen=True)
class Definition:
    key: str
    label: str  # lazy: in the viewer's language
    kind: str
    numerator: tuple[str, ...]
    denominator: str | None
    text: str  # lazy


DEFINITIONS: dict[str, Definition] = {d.key: d for d in [
    Definition("registered", _("立案数"), COUNT, ("registered",), None,
               _("期内立案的事件数（首次进入“已立案”的时间在期内；作废、不予立案的不计）。")),
    Definition("closed", _("结案数"), COUNT, ("closed",), None,
               _("期内立案的事件中，目前处于已结案或已评价的件数（重办中的事件再次结案前不计）。")),
    Definition("close_rate", _("结案率（办结率）"), RATIO, ("closed",), "registered", _("结案数 ÷ 立案数。")),
    Definition("closed_on_time", _("按期结案数"), COUNT, ("closed_on_time",), None,
               _("结案数中，最后一次结案时间不晚于处置时限（签收起算、按挂起时间顺延）的件数。")),
    Definition("on_time_rate", _("按期结案率"), RATIO, ("closed_on_time",), "closed", _("按期结案数 ÷ 结案数。")),
    Definition("rated", _("评价数"), COUNT, ("rated",), None, _("期内立案的事件中已有评价的件数（以最近一次评价为准）。")),
    Definition("satisfaction_rate", _("满意率"), RATIO, ("satisfied", "basic"), "rated",
               _("（满意 + 基本满意）÷ 评价数，以每件事件最近一次评价为准。")),
    Definition("unsatisfied", _("不满意数"), COUNT, ("unsatisfied",), None, _("最近一次评价为不满意的件数。")),
    Definition("dispatched", _("派遣数"), COUNT, ("dispatched",), None, _("期内立案的事件中已派遣过的件数。")),
    Definition("returned", _("退单数"), COUNT, ("returned",), None, _("期内立案的事件中被退单至少一次的件数。")),
    Definition("return_rate", _("退单率"), RATIO, ("returned",), "dispatched", _("退单数 ÷ 派遣数。")),
    Definition("reopened", _("重办数"), COUNT, ("reopened",), None,
               _("期内立案的事件中重办过（核查不通过、不满意重办或指挥中心重办）的件数。")),
    Definition("suspended", _("挂起数"), COUNT, ("suspended",), None, _("期内立案的事件中挂起过的件数。")),
    Definition("whistled", _("吹哨数"), COUNT, ("whistled",), None, _("期内立案的事件中吹过哨的件数。")),
    Definition("overdue", _("超期数"), COUNT, ("overdue",), None,
               _("期内立案的事件中任一环节（受理、签收、处置、核查）超过时限的件数。")),
    Definition("overdue_handle", _("处置超期数"), COUNT, ("overdue_handle",), None,
               _("期内立案的事件中处置环节超过时限的件数。")),
    Definition("due", _("应结案数"), COUNT, ("due",), None,
               _("应结日在期内的事件数。应结日 = 结案时间与处置时限中较早者（未结案的为处置时限）："
                 "期内到期的，加上期内提前结案的，每件只计一次。")),
    Definition("closed_flow", _("期内结案数"), COUNT, ("closed_flow",), None,
               _("最后一次结案时间在期内、目前仍为已结案或已评价的件数（不论何时立案）。")),
    Definition("avg_accept_hours", _("平均受理时长（小时）"), HOURS, ("accept_seconds",), "registered",
               _("上报到立案的平均自然时长。")),
    Definition("avg_dispatch_hours", _("平均派遣时长（小时）"), HOURS, ("dispatch_seconds",), "dispatched",
               _("立案到首次派遣的平均自然时长。")),
    Definition("avg_sign_hours", _("平均签收时长（小时）"), HOURS, ("sign_seconds",), "closed",
               _("已结案事件最后一次派遣到签收的平均自然时长。")),
    Definition("avg_handle_hours", _("平均处置时长（小时）"), HOURS, ("handle_seconds",), "closed",
               _("已结案事件签收到最后一次处置反馈的平均自然时长（含挂起时间）。")),
    Definition("avg_verify_hours", _("平均核查时长（小时）"), HOURS, ("verify_seconds",), "closed",
               _("已结案事件最后一次处置反馈到结案的平均自然时长。")),
    Definition("avg_total_hours", _("平均办结时长（小时）"), HOURS, ("total_seconds",), "closed",
               _("已结案事件上报到结案的平均自然时长。")),
]}


@dataclass(frozen=True)
class Number:
    """One number that explains itself."""

    key: str
    label: str
    definition: str
    kind: str
    numerator: int
    denominator: int | None
    cases: QuerySet = field(repr=False, compare=False)
    base: QuerySet | None = field(default=None, repr=False, compare=False)
    params: dict = field(default_factory=dict, compare=False)

    @property
    def value(self) -> float | int | None:
        if self.kind == COUNT:
            return self.numerator
        if not self.denominator:
            return None
        if self.kind == RATIO:
            return round(self.numerator / self.denominator, 4)
        return round(self.numerator / self.denominator / 3600, 2)

    @property
    def display(self) -> str:
        value = self.value
        if value is None:
            return "—"
        if self.kind == RATIO:
            return f"{value * 100:.1f}%"
        return str(value)

    def as_dict(self) -> dict:
        return {"key": self.key, "label": str(self.label), "definition": str(self.definition), "kind": self.kind,
                "numerator": self.numerator, "denominator": self.denominator, "value": self.value,
                "display": self.display, "params": self.params}


# --- periods -----------------------------------------------------------------------------------


def period_range(period: str, day: date) -> tuple[date, date]:
    """The [start, end) dates of the day/month/quarter/year holding ``day``."""
    if period == Period.DAY:
        return day, day + timedelta(days=1)
    if period == Period.MONTH:
        start = day.replace(day=1)
    elif period == Period.QUARTER:
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    elif period == Period.YEAR:
        start = date(day.year, 1, 1)
    else:
        raise ApplicationError(_("统计周期须为日、月、季度或年。"), field="period")
    months = {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}[Period(period)]
    month = start.month - 1 + months
    return start, date(start.year + month // 12, month % 12 + 1, 1)


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    return (datetime.combine(start, datetime.min.time(), tzinfo=tz),
            datetime.combine(end, datetime.min.time(), tzinfo=tz))


# --- the question: scope and dimensions -----------------------------------------------------------


def _under(paths: list[str], path: str, *, small: bool) -> Q:
    """Rows (rollup or cases, whose grid's path is ``path``) in the subtrees at ``paths``. Below the
    street (``small``: a community, a grid worker's grids — questions the month × street rollup
    cannot answer, so they read a year of daily rows) by grid id among the subtrees' regions, a
    subquery the (grid, day) indexes answer directly; a street and above by path prefix (their
    whole months come from the monthly rollup, and the daily edges are few days, best found by
    day). Builds the condition only: nothing is read until the rows are."""
    prefix = Q()
    for p in paths:
        prefix |= Q(**{f"{path}__startswith": p})
    if not small or not path.endswith("__path"):  # large, or rows of regions themselves
        return prefix
    where = Q()
    for p in paths:
        where |= Q(path__startswith=p)
    return Q(**{f"{path.removesuffix('__path')}_id__in": Region.objects.filter(where).values("pk")})


def _below_street(actor) -> bool:
    """Whether the nodes an account sees are all below the street: a grid worker's grids, a
    community's or a grid's staff."""
    if actor.role == Role.GRID_WORKER:
        return True
    region = getattr(actor, "region", None)
    return region is not None and region.level > RegionLevel.STREET


@dataclass(frozen=True)
class Question:
    """Who asks, about what: the actor's scope and the chosen region / category / department."""

    actor: object
    start: date
    end: date
    region: Region | None = None
    category: EventCategory | None = None
    department: Department | None = None
    unassigned: bool = False  # only cases handled by a region node (department_key 0)

    def params(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "region": self.region.pk if self.region else None,
                "category": self.category.pk if self.category else None,
                "department": self.department.pk if self.department else (0 if self.unassigned else None)}

    def _scope(self, *, path: str, department: str) -> Q | None:
        actor = self.actor
        if not is_active_account(actor):
            return None
        if actor.role == Role.DEPARTMENT_STAFF:
            return Q(**{department: actor.department_id}) if actor.department_id else None
        paths = actor.scope_paths(personal=True)
        if not paths:
            return None
        if "/" in paths:
            return Q()
        return _under(paths, path, small=_below_street(actor))

    def _dims(self, path: str | None) -> Q:
        """The region (by ``path``, if given), category and department conditions on rollup rows."""
        q = Q()
        if self.region is not None and path is not None:
            q &= _under([self.region.path], path, small=self.region.level > RegionLevel.STREET)
        if self.category is not None:
            q &= Q(category__path__startswith=self.category.path)
        if self.department is not None:
            q &= Q(department_key=self.department.pk)
        if self.unassigned:
            q &= Q(department_key=0)
        return q

    def rollup_q(self) -> Q | None:
        """The daily rollup rows of the whole question (None: the actor may see nothing)."""
        scope = self._scope(path="grid__path", department="department_key")
        if scope is None:
            return None
        return scope & Q(day__gte=self.start, day__lt=self.end) & self._dims("grid__path")

    def whole_months(self) -> tuple[date, date] | None:
        """[first, last) whole months inside the period that the monthly rollup (month × street rows)
        can answer: the region is a street or above, and so is every subtree of the actor's scope
        (a street's row cannot be cut by a community or grid prefix)."""
        first = self.start if self.start.day == 1 else period_range(Period.MONTH, self.start)[1]
        last = self.end.replace(day=1)
        if first >= last or (self.region is not None and self.region.level > RegionLevel.STREET):
            return None
        actor = self.actor
        if actor is not None and getattr(actor, "is_authenticated", False) and actor.role != Role.DEPARTMENT_STAFF:
            paths = [p for p in actor.scope_paths(personal=True) if p != "/"]
            if paths and Region.objects.filter(path__in=paths, level__gt=RegionLevel.STREET).exists():
                return None
        return first, last

    def rollup_parts(self) -> tuple[list[Q], Q | None]:
        """Daily row conditions (one date range each: an OR of two ranges plans badly) and monthly row
        conditions (or None) that together cover the question exactly once."""
        months = self.whole_months()
        if months is None:
            daily = self.rollup_q()
            return ([] if daily is None else [daily]), None
        scope = self._scope(path="path", department="department_key")
        if scope is None:
            return [], None
        first, last = months
        monthly = Q(month__gte=first, month__lt=last) & self._dims(None)
        if self.actor.role == Role.DEPARTMENT_STAFF:
            monthly &= scope
        elif scope or self.region is not None:
            # The streets by id (a city has ~100, each an index probe): joined on the street's path
            # instead, the planner scans the whole monthly table.
            places = Region.objects.filter(scope, level__lte=RegionLevel.STREET)
            if self.region is not None:
                places = places.filter(path__startswith=self.region.path)
            monthly &= Q(street_id__in=list(places.values_list("pk", flat=True)))
        days = self._scope(path="grid__path", department="department_key") & self._dims("grid__path")
        ranges = [(self.start, first), (last, self.end)]
        return [days & Q(day__gte=lo, day__lt=hi) for lo, hi in ranges if lo < hi], monthly

    def case_qs(self) -> QuerySet[Event]:
        """Cases in scope and dimensions (any date); the numbers add their own date condition."""
        scope = self._scope(path="grid__path", department="handler_department_id")
        qs = Event.objects.select_related("category", "grid", "handler_region", "handler_department")
        if scope is None:
            return qs.none()
        qs = qs.filter(scope).filter(registered_at__isnull=False).exclude(state__in=list(EXCLUDED_STATES))
        if self.region is not None:
            qs = qs.filter(grid__path__startswith=self.region.path)
        if self.category is not None:
            qs = qs.filter(category__path__startswith=self.category.path)
        if self.department is not None:
            qs = qs.filter(handler_department=self.department)
        if self.unassigned:
            qs = qs.filter(handler_department__isnull=True)
        return qs


def _counter_cases(q: Question, counter: str) -> QuerySet[Event]:
    """The cases behind one rollup counter, for the question's period."""
    lo, hi = day_bounds(q.start, q.end)
    base = q.case_qs()
    cohort = base.filter(registered_at__gte=lo, registered_at__lt=hi)
    closed = Q(state__in=list(CLOSED_STATES))
    if counter in ("registered", "accept_seconds"):
        return cohort
    if counter in ("dispatched", "dispatch_seconds"):
        return cohort.filter(first_dispatched_at__isnull=False)
    if counter in ("closed", "sign_seconds", "handle_seconds", "verify_seconds", "total_seconds"):
        return cohort.filter(closed)
    if counter == "closed_on_time":
        return cohort.filter(closed, closed_at__lte=F("handle_due_at"))
    if counter == "rated":
        return cohort.exclude(rating="")
    if counter in ("satisfied", "basic", "unsatisfied"):
        return cohort.filter(rating={"satisfied": Rating.SATISFIED, "basic": Rating.BASIC,
                                     "unsatisfied": Rating.UNSATISFIED}[counter])
    simple = {"returned": Q(return_count__gt=0), "reopened": Q(reopen_count__gt=0),
              "suspended": Q(suspend_count__gt=0), "whistled": Q(whistle_count__gt=0),
              "overdue": Q(overdue_at__isnull=False), "overdue_handle": Q(handle_overdue_at__isnull=False)}
    if counter in simple:
        return cohort.filter(simple[counter])
    if counter == "closed_flow":
        return base.filter(closed, closed_at__gte=lo, closed_at__lt=hi)
    if counter == "due":
        early = closed & Q(closed_at__lte=F("handle_due_at"), closed_at__gte=lo, closed_at__lt=hi)
        by_deadline = Q(handle_due_at__gte=lo, handle_due_at__lt=hi) & (~closed | Q(closed_at__gt=F("handle_due_at")))
        return base.filter(early | by_deadline)
    raise KeyError(counter)


def _cases_for(q: Question, counters: tuple[str, ...]) -> QuerySet[Event]:
    if len(counters) == 1:
        return _counter_cases(q, counters[0])
    if counters == ("satisfied", "basic"):
        return _counter_cases(q, "rated").filter(rating__in=[Rating.SATISFIED, Rating.BASIC])
    raise KeyError(counters)


def _sums(q: Question) -> dict[str, int]:
    """The counters of a question: at most three aggregate queries (whole months, the days before and
    after them)."""
    out = dict.fromkeys(COUNTERS, 0)
    daily, monthly = q.rollup_parts()
    parts = [(EventRollup, rows_q) for rows_q in daily] + ([(EventRollupMonth, monthly)] if monthly is not None else [])
    for model, rows_q in parts:
        sums = model.objects.filter(rows_q).aggregate(**{c: Sum(c) for c in COUNTERS})
        for c in COUNTERS:
            out[c] += int(sums[c] or 0)
    return out


def _build(q: Question, sums: dict[str, int], keys=None) -> dict[str, Number]:
    out = {}
    for key in keys or DEFINITIONS:
        d = DEFINITIONS[key]
        numerator = sum(sums[c] for c in d.numerator)
        denominator = sums[d.denominator] if d.denominator else None
        out[key] = Number(
            key=key, label=d.label, definition=d.text, kind=d.kind, numerator=numerator, denominator=denominator,
            cases=_cases_for(q, d.numerator),
            base=_counter_cases(q, d.denominator) if d.denominator else None,
            params={"metric": key, **q.params()},
        )
    return out


def event_numbers(*, actor, start: date, end: date, region: Region | None = None,
                  category: EventCategory | None = None, department: Department | None = None,
                  unassigned: bool = False, keys: list[str] | None = None) -> dict[str, Number]:
    """The numbers for one question (one rollup aggregate query; the case lists are lazy).
    ``unassigned``: only the cases handled by a region node (属地处置, no department)."""
    if end <= start:
        raise ApplicationError(_("统计结束日期须晚于开始日期。"), field="end")
    unknown = set(keys or []) - set(DEFINITIONS)
    if unknown:
        raise ApplicationError(_("未知指标：%(keys)s") % {"keys": ", ".join(sorted(unknown))}, field="keys")
    q = Question(actor=actor, start=start, end=end, region=region, category=category,
                 department=None if unassigned else department, unassigned=unassigned)
    return _build(q, _sums(q), keys)


def event_counters(*, actor, start: date, end: date, region: Region | None = None,
                   category: EventCategory | None = None, department: Department | None = None) -> dict[str, int]:
    """The raw rollup counters for a question (what every number is computed from)."""
    q = Question(actor=actor, start=start, end=end, region=region, category=category, department=department)
    return _sums(q)


def event_numbers_for_period(*, actor, period: str, day: date, **dims) -> dict[str, Number]:
    start, end = period_range(period, day)
    return event_numbers(actor=actor, start=start, end=end, **dims)


# --- who may look ------------------------------------------------------------------------------

# Who reads the command centre's numbers (pages and API alike): the staff of regions and departments
# and grid workers; residents and the three administrators do not.
NUMBER_ROLES = (Role.COUNTY_STAFF, Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.DEPARTMENT_STAFF)
OWN_NODES_MAX = 50


def numbers_check(actor) -> None:
    if getattr(actor, "role", None) not in NUMBER_ROLES:
        raise PermissionDeniedError(_("指标统计供区县、街道、社区工作人员，网格员和部门工作人员查看。"))


def own_nodes(actor) -> list[Region]:
    """The region nodes an actor's numbers are about when no region is named: their bound region, or
    a grid worker's grids; none for department staff (their numbers follow their department)."""
    if getattr(actor, "role", None) == Role.DEPARTMENT_STAFF:
        return []
    return region_roots(actor=actor)[:OWN_NODES_MAX]


# --- grouped numbers ---------------------------------------------------------------------------


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


def event_numbers_from_records(*, actor, start: date, end: date, region: Region | None = None,
                               category: EventCategory | None = None,
                               department: Department | None = None) -> dict[str, int]:
    """Each rollup counter recounted from the case records for the same question (used to check the
    rollup; slower). Sums of seconds are recounted in Python from the listed cases."""
    from ..rollup import contributions

    q = Question(actor=actor, start=start, end=end, region=region, category=category, department=department)
    out = {}
    for counter in COUNTERS:
        if counter.endswith("_seconds"):
            total = 0
            for ev in _counter_cases(q, counter):
                for (day, *_rest), counts in contributions(ev).items():
                    if start <= day < end:
                        total += counts.get(counter, 0)
            out[counter] = total
        else:
            out[counter] = _counter_cases(q, counter).count()
    return out
