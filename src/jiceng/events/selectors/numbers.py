"""The command centre's numbers (立案数, 结案率, 按期结案率, 满意率 …).

Every number is summed from the rollup (a path-prefix + date-range aggregate, fast at province
scale): the whole months of a question about a street or a larger region from the monthly rollup
(month × street rows), the days left over and every finer question from the daily one (day × grid
rows); both are kept exact by the same delta, so the split never changes an answer. Each number carries its definition, numerator, denominator and the queryset of the cases it
counts, so a page or the API can link to them; the same question gives the same number
everywhere. The definitions are in ``DEFINITIONS`` (``definitions.py``) and docs/events.md; the
breakdowns by region, category, department, day or month are in ``breakdowns.py``.

Periods are half-open [start, end) of local dates (``settings.TIME_ZONE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import F, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from jiceng.core.errors import ApplicationError
from jiceng.core.scope import is_active_account
from jiceng.people.choices import Role
from jiceng.people.models import Department
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region

from ..choices import CLOSED_STATES, EXCLUDED_STATES, Period, Rating
from ..models import Event, EventCategory, EventRollup, EventRollupMonth
from ..rollup import COUNTERS
from .definitions import DEFINITIONS, Number, day_bounds, period_range


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
