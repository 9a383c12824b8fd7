"""指标统计: the numbers page, its export, the cases behind a number and the whistles behind a
figure of its 吹哨报到 table."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from jiceng.core.access import staff_required
from jiceng.core.errors import ApplicationError
from jiceng.core.exports import export_page_url
from jiceng.core.paging import page_of
from jiceng.core.scope import restrict
from jiceng.core.views import page_errors
from jiceng.people.choices import Role
from jiceng.people.models import Department
from jiceng.regions import selectors as region_selectors
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region

from .. import exports, selectors
from ..forms import BREAKDOWNS, PERIOD_PRESETS, NumbersForm, preset_range
from ..models import EventCategory

# The page's groups of numbers, and the columns of its breakdown table.
NUMBER_GROUPS = (
    (pgettext_lazy("numbers", "办理"), ("registered", "due", "closed", "close_rate", "closed_on_time", "on_time_rate", "closed_flow")),
    (pgettext_lazy("numbers", "评价"), ("rated", "satisfaction_rate", "unsatisfied")),
    (pgettext_lazy("numbers", "流转与督办"), ("dispatched", "returned", "return_rate", "reopened", "suspended", "whistled", "overdue",
                      "overdue_handle")),
    (pgettext_lazy("numbers", "平均时长"), ("avg_accept_hours", "avg_dispatch_hours", "avg_sign_hours", "avg_handle_hours",
                     "avg_verify_hours", "avg_total_hours")),
)
BREAKDOWN_COLUMNS = ("registered", "closed", "close_rate", "on_time_rate", "satisfaction_rate", "return_rate",
                     "overdue")


@dataclass(frozen=True)
class NumbersQuestion:
    """The page's question, resolved against the actor's scope (a region out of scope is a 404)."""

    start: date
    end: date  # included (the selectors take [start, end + 1 day))
    region: Region | None
    category: EventCategory | None
    department: Department | None
    unassigned: bool  # 属地处置: only cases handled by a region node

    @property
    def end_excl(self) -> date:
        return self.end + timedelta(days=1)

    def query(self, **changes) -> str:
        """This question (with ``changes``; ``by`` and ``of`` too) as the page's query string."""
        params = replace(self, **{k: v for k, v in changes.items() if k not in ("by", "of")})._params(end_included=True)
        params |= {key: changes[key] for key in ("by", "of") if changes.get(key)}
        return urlencode(params)

    def api_query(self) -> str:
        """The same question for GET /api/events/numbers (whose end is the day after)."""
        return urlencode(self._params(end_included=False))

    def _params(self, *, end_included: bool) -> dict:
        params = {"start": self.start.isoformat(), "end": (self.end if end_included else self.end_excl).isoformat()}
        if self.region is not None:
            params["region"] = self.region.pk
        if self.category is not None:
            params["category"] = self.category.code
        if self.unassigned or self.department is not None:
            params["department"] = 0 if self.unassigned else self.department.pk
        return params

    def numbers(self, actor, keys=None) -> dict:
        return selectors.event_numbers(actor=actor, start=self.start, end=self.end_excl, region=self.region,
                                       category=self.category, department=self.department,
                                       unassigned=self.unassigned, keys=keys)


def _numbers_actor(request):
    try:
        selectors.numbers_check(request.user)
    except ApplicationError as exc:
        raise PermissionDenied(exc.message) from exc
    return request.user


def _numbers_form(request, actor) -> NumbersForm:
    """The question as the page and its export and case lists read it (the departments one may pick)."""
    departments = Department.objects.filter(pk=actor.department_id) if actor.role == Role.DEPARTMENT_STAFF \
        else restrict(Department.objects.all(), actor)
    return NumbersForm(request.GET, today=timezone.localdate(), departments=list(departments))


def _default_by(q: NumbersQuestion, actor) -> str:
    if q.region is None:  # several nodes of one's own (a grid worker's grids): a row each
        return "region" if len(selectors.own_nodes(actor)) > 1 else "category"
    return "region" if q.region.level < RegionLevel.GRID3 else "category"


def _numbers_question(actor, form: NumbersForm) -> NumbersQuestion:
    data = form.cleaned_data
    region = (region_selectors.region_get(actor=actor, pk=data["region"]) if data.get("region") else None)
    if region is None and actor.role != Role.DEPARTMENT_STAFF:
        roots = region_selectors.region_roots(actor=actor)
        region = roots[0] if len(roots) == 1 else None
    category = EventCategory.objects.filter(code=data.get("category") or "").first()
    dept_value = data.get("department") or ""
    department = None if dept_value in ("", "0") else Department.objects.filter(pk=int(dept_value)).first()
    return NumbersQuestion(start=data["start"], end=data["end"], region=region, category=category,
                           department=department, unassigned=dept_value == "0")


def _breakdown(actor, q: NumbersQuestion, by: str) -> list[dict]:
    """The breakdown table: per row its label, where its label drills down to, and its numbers with the
    query of the row's own question (for the links to their cases)."""
    if by == "region" and (q.region is None and len(selectors.own_nodes(actor)) < 2
                           or q.region is not None and q.region.level >= RegionLevel.GRID3):
        return []
    rows = selectors.event_numbers_by(actor=actor, by=by, start=q.start, end=q.end_excl, region=q.region,
                                      category=q.category, department=q.department, unassigned=q.unassigned,
                                      keys=list(BREAKDOWN_COLUMNS))
    out = []
    for row in rows:
        if by == "region":
            if q.region is not None and row.key.level >= RegionLevel.GRID1 and not row.numbers["registered"].numerator:
                continue  # a community's quiet grids would only lengthen the table (one's own grids stay)
            sub = drill = {"region": row.key}
        elif by == "category":
            if not row.numbers["registered"].numerator:
                continue  # categories nobody reported in this question
            sub, drill = {"category": row.key}, {"category": row.key, "by": "category"}
        elif by == "department":
            sub = drill = {"department": row.key, "unassigned": row.key is None}
        else:
            b_start = row.key
            b_end = min(selectors.period_range("month", row.key)[1] - timedelta(days=1), q.end)
            sub = drill = {"start": max(b_start, q.start), "end": b_end}
        out.append({"label": row.label, "drill": q.query(**drill),
                    "cells": [(row.numbers[k], q.query(**sub)) for k in BREAKDOWN_COLUMNS]})
    return out


@require_GET
@staff_required
@page_errors
def numbers(request):
    """指标统计: the command centre's numbers for a period, region (drilled down from the actor's own),
    category and handling department, each with its numerator and denominator linked to the cases
    they count and its definition; a breakdown by sub-region, category, department or month; and
    吹哨报到 per department. The same selectors answer the API (GET /api/events/numbers…)."""
    actor = _numbers_actor(request)
    form = _numbers_form(request, actor)  # no parameters: this year
    today, departments = form.today, form.departments
    if not form.is_valid():
        # a bad question shows its errors above this year's numbers (the default question)
        fallback = NumbersForm({"period": "year"}, today=today, departments=departments)
        fallback.is_valid()
        q = _numbers_question(actor, fallback)
        data = fallback.cleaned_data
    else:
        q = _numbers_question(actor, form)
        data = form.cleaned_data
    found = q.numbers(actor)
    by = data.get("by") or _default_by(q, actor)
    period = data.get("period") or ""
    if form.is_valid():  # show the question as answered (a preset's dates, the breakdown chosen)
        form = NumbersForm(initial={"start": q.start, "end": q.end, "category": q.category.code if q.category else "",
                                    "department": "0" if q.unassigned else (q.department.pk if q.department else ""),
                                    "by": by, "region": q.region.pk if q.region else None},
                           today=today, departments=departments)
    groups = [(label, [found[k] for k in keys]) for label, keys in NUMBER_GROUPS]
    whistles = selectors.whistle_stats(actor=actor, start=q.start, end=q.end_excl, region=q.region)
    return render(request, "events/numbers.html", {
        "form": form, "period": period, "q": q, "groups": groups, "by": by, "by_label": dict(BREAKDOWNS).get(by, ""),
        "breakdown": _breakdown(actor, q, by), "columns": [selectors.DEFINITIONS[k] for k in BREAKDOWN_COLUMNS],
        "query": q.query(), "presets": _preset_links(q, today, by),
        "breakdowns": [(key, label, q.query(by=key)) for key, label in BREAKDOWNS
                       if key != "region" or q.region is not None or len(selectors.own_nodes(actor)) > 1],
        "by_query": q.query(by=by),
        "crumbs": [(node, q.query(region=node) if linked else None)  # the same question a level up
                   for node, linked in region_selectors.region_breadcrumb(actor=actor, region=q.region)]
        if q.region else [],
        "whistles": whistles, "definitions": list(selectors.DEFINITIONS.values()),
        "api_query": q.api_query(),
    })


def _preset_links(q: NumbersQuestion, today: date, by: str) -> list[tuple[str, str, str]]:
    out = []
    for key, label in PERIOD_PRESETS:
        start, end = preset_range(key, today)
        out.append((key, label, q.query(start=start, end=end - timedelta(days=1), by=by)))
    return out


@require_GET
@staff_required
@page_errors
def numbers_export(request):
    """The numbers page's breakdown and its 合计 as Excel (an audited export; redirects to its link)."""
    actor = _numbers_actor(request)
    form = _numbers_form(request, actor)
    if not form.is_valid():
        messages.error(request, _("统计条件有误，未导出。"))
        return redirect(reverse("events:numbers") + "?" + request.GET.urlencode())
    q = _numbers_question(actor, form)
    by = form.cleaned_data.get("by") or _default_by(q, actor)
    made = exports.numbers_export(actor=actor, start=q.start, end=q.end_excl, by=by, region=q.region,
                                  category=q.category, department=q.department, unassigned=q.unassigned)
    return redirect(export_page_url(made))


@require_GET
@staff_required
@page_errors
def number_cases(request, key: str):
    """The cases one number counts (its numerator, or with ``of=denominator`` its denominator): the same
    question as the numbers page, so the count here is the figure there."""
    actor = _numbers_actor(request)
    definition = selectors.DEFINITIONS.get(key)
    if definition is None:
        raise Http404
    form = _numbers_form(request, actor)
    if not form.is_valid():
        return render(request, "events/number_cases.html", {"form": form, "definition": definition}, status=400)
    q, number, side, (cases, count) = _number_cases(request, actor, form, key)
    page = page_of(request, cases, 50, count=count)
    return render(request, "events/number_cases.html", {
        "form": form, "definition": definition, "number": number, "side": side, "page": page, "q": q,
        "back": reverse("events:numbers") + "?" + q.query(),
        "page_query": q.query(of=side if side == "denominator" else ""),
    })


def _number_cases(request, actor, form: NumbersForm, key: str):
    """(the question, the number, numerator or denominator, (its cases in the list's order, how many))."""
    q = _numbers_question(actor, form)
    number = q.numbers(actor, keys=[key])[key]
    side = request.GET.get("of") or "numerator"
    if side not in ("numerator", "denominator") or (side == "denominator" and number.base is None):
        raise Http404
    return q, number, side, number.listed(side)


@require_GET
@staff_required
@page_errors
def number_cases_export(request, key: str):
    """The cases one number counts — the list of ``number_cases``, every page — as Excel."""
    actor = _numbers_actor(request)
    definition = selectors.DEFINITIONS.get(key)
    if definition is None:
        raise Http404
    form = _numbers_form(request, actor)
    back = reverse("events:number-cases", args=[key]) + "?" + request.GET.urlencode()
    if not form.is_valid():
        messages.error(request, _("统计条件有误，未导出。"))
        return redirect(back)
    q, _number, side, (cases, count) = _number_cases(request, actor, form, key)
    place = q.region.name if q.region is not None else "全部"
    title = f"{place}{definition.label}{'（分母）' if side == 'denominator' else ''}{q.start:%Y%m%d}-{q.end:%Y%m%d}"
    try:
        made = exports.cases_export(actor=actor, cases=cases, title=title, fallback=f"event-{key}-cases", total=count)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    return redirect(export_page_url(made))


# The 吹哨报到 table's columns, each linking to the whistles it counts (selectors.WHISTLE_KINDS).
WHISTLE_KIND_LABELS = {
    "called": gettext_lazy("被吹哨"), "reported_in_time": gettext_lazy("按时报到"), "reported_late": gettext_lazy("逾期报到"),
    "unanswered_late": gettext_lazy("逾期未报到"), "waiting": gettext_lazy("待报到（未超时）"), "late": gettext_lazy("逾期"),
}


@require_GET
@staff_required
@page_errors
def whistle_list(request):
    """The whistles behind one figure of the numbers page's 吹哨报到 table: the same period and region,
    one called department (``called``) and one column (``kind``), each whistle linking to its case."""
    actor = _numbers_actor(request)
    kind, called = request.GET.get("kind") or "called", request.GET.get("called") or ""
    department = Department.objects.filter(pk=int(called)).first() if called.isdigit() else None
    if kind not in WHISTLE_KIND_LABELS or department is None:
        raise Http404
    form = _numbers_form(request, actor)
    if not form.is_valid():
        return render(request, "events/whistle_list.html", {"form": form, "department": department,
                                                            "kind_label": WHISTLE_KIND_LABELS[kind]}, status=400)
    q = _numbers_question(actor, form)
    whistles = selectors.whistle_list(actor=actor, start=q.start, end=q.end_excl, region=q.region,
                                      department=department, kind=kind)
    page = page_of(request, whistles, 50)
    return render(request, "events/whistle_list.html", {
        "form": form, "q": q, "department": department, "kind": kind, "kind_label": WHISTLE_KIND_LABELS[kind],
        "page": page, "back": reverse("events:numbers") + "?" + q.query() + "#nb-whistles",
        "page_query": urlencode({"called": department.pk, "kind": kind}) + "&" + q.query(),
        "kinds": [(key, label, urlencode({"called": department.pk, "kind": key}) + "&" + q.query())
                  for key, label in WHISTLE_KIND_LABELS.items()],
    })
