"""Events pages. Thin: parse, call services and selectors, render.

Staff: the command-centre console (filters, queues, a map of open cases), a case's page with its
whole timeline, photos and the actions the viewer may take, and "my cases". Grid workers: a
phone-sized page to report on patrol and verify. Residents (no login): report, follow a case by its
number, rate it through the signed link. The workflow's rules are the services'; the pages only
offer the buttons ``event_actions`` lists.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.core.access import staff_required
from jiceng.core.errors import ApplicationError, RateLimitedError
from jiceng.core.exports import export_page_url
from jiceng.core.models import Attachment
from jiceng.core.paging import page_of
from jiceng.core.ratelimit import enforce
from jiceng.core.scope import restrict
from jiceng.core.uploads import attachment_read, attachment_store
from jiceng.core.views import add_app_error, page_errors
from jiceng.people.choices import Role
from jiceng.people.models import Department
from jiceng.regions import selectors as region_selectors
from jiceng.regions.choices import GRID_LEVELS, RegionLevel
from jiceng.regions.locator import locate_grid
from jiceng.regions.models import Region

from . import exports, selectors, services, workflow
from .api import phone_key
from .choices import Channel, EventState, Rating, RatingSource, Stage
from .forms import (
    BREAKDOWNS,
    PERIOD_PRESETS,
    QUEUES,
    REGION_FILTER_MAX,
    ActionForm,
    CaseFilterForm,
    FollowForm,
    JoinForm,
    MergeForm,
    NearbyForm,
    NumbersForm,
    PublicReportForm,
    RateForm,
    ReportForm,
    UnitForm,
    WhistleForm,
    WhistleNoteForm,
    preset_range,
)
from .models import Event, EventCategory, Whistle
from .selectors.map import BBox, map_bubbles, open_case_map
from .selectors.queues import QUEUE_WINDOW, event_queue, verify_queue
from .tracking import (
    event_by_number_and_phone,
    event_by_number_for_join,
    event_by_tracking_token,
    event_photo_by_token,
    public_outcome,
    public_steps,
    rating_link,
    rating_offer,
    tracking_token,
)
from .units import Unit, escalation_target, units_serving

# Actions a page offers (the API has them all); value: does the form need a note.
PAGE_ACTIONS = ("register", "reject", "dispatch", "escalate", "sign", "return", "start", "submit", "verify",
                "verify_fail", "suspend", "resume", "reopen", "void", "supervise", "rate")
# Actions whose form picks something for the case: a unit, departments, the master case.
FORM_ACTIONS = ("redispatch", "rule", "whistle", "merge")
# A called department's steps on one whistle: URL word → workflow action, and what to say when done.
WHISTLE_STEPS = {"report": ("whistle_report", gettext_lazy("已报到。")), "feedback": ("whistle_feedback", gettext_lazy("已反馈处置情况。"))}
QUEUE_STATES = {
    "accept": (EventState.PENDING, EventState.REGISTERED, EventState.RULING, EventState.RETURNED),
    "handle": (EventState.DISPATCHED, EventState.SIGNED, EventState.HANDLING),
    "verify": (EventState.TO_VERIFY,),
}


def _photos(event: Event) -> list[str]:
    """The case's photos: those named on the case and its steps, and any stored for it."""
    urls = list(event.photos or [])
    stored = Attachment.objects.filter(owner_type="events.event", owner_id=str(event.pk)).order_by("created_at")
    urls += [f"/files/{a.pk}/" for a in stored if f"/files/{a.pk}/" not in urls]
    return urls


def _step_detail(action: str, data: dict) -> str:
    """What a step decided, from its recorded data: the unit sent to, the rating, the departments
    whistled, the stage that ran late."""
    if not data:
        return ""
    if isinstance(data.get("unit"), dict):
        return _("派往 %(unit)s") % {"unit": data["unit"].get("name", "")}
    if action == "rate" and data.get("rating") in Rating.values:
        source = dict(RatingSource.choices).get(data.get("source", ""), "")
        return f"{Rating(data['rating']).label}" + (f"（{source}）" if source else "")
    if data.get("departments"):
        return pgettext("list separator", "、").join(str(d) for d in data["departments"])
    if data.get("stage") in Stage.values:
        return _("%(stage)s环节") % {"stage": Stage(data["stage"]).label}
    return ""


def _steps(rows) -> list[dict]:
    """Timeline rows with the labels of their action and states, and what the step decided."""
    labels = dict(EventState.choices)
    return [{"at": s.at, "actor_label": s.actor_label, "action": s.action, "note": s.note, "photos": s.photos or [],
             "label": workflow.TRANSITIONS[s.action].label if s.action in workflow.TRANSITIONS else s.action,
             "detail": _step_detail(s.action, s.data or {}),
             "to_state": labels.get(s.to_state, "") if s.to_state != s.from_state else ""} for s in rows]


def _store_photo(request, form, event: Event, purpose: str) -> list[str]:
    upload = form.cleaned_data.get("photo")
    if not upload:
        return []
    stored = attachment_store(actor=request.user if request.user.is_authenticated else None,
                              data=upload.read(settings.JICENG_UPLOAD_MAX_BYTES + 1), owner=event, purpose=purpose)
    return [f"/files/{stored.pk}/"]


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


# --- staff ------------------------------------------------------------------------------------


# The console's list is counted to here and no further: a province's year is tens of millions of
# cases, and an exact count of them on every visit would take seconds (the numbers pages count them
# exactly, from the rollup). Beyond it the list says "10,000+" and the filters narrow it.
CONSOLE_COUNT_CAP = 10_000


@require_GET
@staff_required
def console(request):
    """指挥中心: the scoped case list with filters, the queues and the map of open cases."""
    actor = request.user
    form, filters = _case_filters(request)
    visible = selectors.event_visible(actor)
    qs = _cases_under(visible, form, filters)
    # each tile counts what its list shows: the same filter (event_filter) on the same cases
    queues = [(key, label, selectors.event_filter(visible, **_queue_filter(key)).count()) for key, label in QUEUES]
    page = page_of(request, qs, 30, count_cap=CONSOLE_COUNT_CAP)
    month = None
    if actor.role in selectors.NUMBER_ROLES:  # this month's headline numbers, as the numbers page gives them
        start, end = preset_range("month", timezone.localdate())
        month = selectors.event_numbers(actor=actor, start=start, end=end,
                                        keys=["registered", "close_rate", "on_time_rate", "satisfaction_rate"])
    paging = request.GET.copy()
    paging.pop("page", None)
    return render(request, "events/console.html", {
        "form": form, "page": page, "queues": queues, "month": month, "filtered": bool(filters),
        "queue": dict(QUEUES).get(form.cleaned_data.get("queue", "")) if form.is_bound and form.is_valid() else None,
        "map_url": reverse("events:map") + (f"?{paging.urlencode()}" if paging else ""),
        "page_query": paging.urlencode()})


@require_GET
@staff_required
def console_export(request):
    """The console's list under its filters and queue — every page of it — as Excel (an audited export
    through the viewer's ten-minute link); a list longer than the export allows goes back to the
    console saying so."""
    form, filters = _case_filters(request)
    cases = _cases_under(selectors.event_visible(request.user), form, filters)
    queue = dict(QUEUES).get(form.cleaned_data.get("queue", "")) if form.is_bound and form.is_valid() else None
    title = "事件列表" + (f"·{queue}" if queue else "") + ("（已筛选）" if filters and not queue else "")
    try:
        made = exports.cases_export(actor=request.user, cases=cases, title=title, fallback="event-cases")
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("events:console") + (f"?{request.GET.urlencode()}" if request.GET else ""))
    return redirect(export_page_url(made))


def _filter_regions(actor) -> list[Region]:
    """What the console's region filter offers: streets and communities, or a community's grids."""
    roots = region_selectors.region_roots(actor=actor)
    if roots and min(r.level for r in roots) >= RegionLevel.COMMUNITY:
        levels = (RegionLevel.COMMUNITY, *GRID_LEVELS)
    else:
        levels = (RegionLevel.STREET, RegionLevel.COMMUNITY)
    return list(region_selectors.region_options(actor=actor, levels=levels)[:REGION_FILTER_MAX + 1])


def _case_filters(request) -> tuple[CaseFilterForm, dict]:
    """The console's filters (also the map's): the form, and ``event_filter``'s keyword arguments."""
    wanted = request.GET.get("region", "")
    chosen = (region_selectors.region_visible(request.user).filter(pk=int(wanted)).first()
              if wanted.isdigit() and len(wanted) < 12 else None)
    form = CaseFilterForm(request.GET or None, regions=_filter_regions(request.user), chosen=chosen)
    data = form.cleaned_data if form.is_valid() else {}
    filters = {"state": data.get("state") or "", "q": data.get("q") or "", "channel": data.get("channel") or "",
               "category": EventCategory.objects.filter(code=data.get("category") or "").first(),
               "region": Region.objects.filter(pk=data["region"]).first() if data.get("region") else None,
               "overdue": True if data.get("overdue") else None, "open_only": bool(data.get("open_only")),
               "reported_from": data.get("reported_from"), "reported_to": data.get("reported_to"),
               **_queue_filter(data.get("queue") or "")}
    return form, {k: v for k, v in filters.items() if v not in ("", None, False, ())}


def _cases_under(visible, form: CaseFilterForm, filters: dict):
    """The cases under the console's filters; none while a filter is wrong (its error is shown — an
    unfiltered list, map or export in its place would look like the answer)."""
    if form.is_bound and not form.is_valid():
        return visible.none()
    return selectors.event_filter(visible, **filters)


def _queue_filter(key: str) -> dict:
    """``event_filter``'s arguments for one of the console's queues (its tiles)."""
    if key == "late":
        return {"late_now": True}
    return {"states": QUEUE_STATES[key]} if key in QUEUE_STATES else {}


@require_GET
@staff_required
def map_data(request):
    """Open cases with a place under the console's filters, within ``bbox`` (west,south,east,north)
    when given: points (state and overdue for the colours) up to ``MAP_POINTS``, else at most ``bubbles``
    bubbles per region with their counts (``selectors.open_case_map``; the page asks for as many as
    its map has room for); a bad ``bbox`` or ``bubbles`` is a 400 naming it."""
    form, filters = _case_filters(request)
    filters.pop("open_only", None)
    try:
        bbox = BBox.parse(request.GET.get("bbox"))
        bubbles = map_bubbles(request.GET.get("bubbles"))
    except ApplicationError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})
    found = open_case_map(_cases_under(selectors.event_visible(request.user), form, filters), bbox=bbox,
                          bubbles=bubbles)
    for feature in found["features"]:
        p = feature["properties"]
        if p["kind"] == "case":
            p["url"] = reverse("events:case", args=[p["id"]])
    return JsonResponse(found, json_dumps_params={"ensure_ascii": False})


# --- the numbers (指标统计) ----------------------------------------------------------------------

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
    q, number, side, cases = _number_cases(request, actor, form, key)
    page = page_of(request, cases, 50)
    return render(request, "events/number_cases.html", {
        "form": form, "definition": definition, "number": number, "side": side, "page": page, "q": q,
        "back": reverse("events:numbers") + "?" + q.query(),
        "page_query": q.query(of=side if side == "denominator" else ""),
    })


def _number_cases(request, actor, form: NumbersForm, key: str):
    """(the question, the number, numerator or denominator, its cases in the list's order)."""
    q = _numbers_question(actor, form)
    number = q.numbers(actor, keys=[key])[key]
    side = request.GET.get("of") or "numerator"
    if side not in ("numerator", "denominator") or (side == "denominator" and number.base is None):
        raise Http404
    return q, number, side, (number.cases if side == "numerator" else number.base).order_by("-reported_at", "-id")


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
    q, _number, side, cases = _number_cases(request, actor, form, key)
    place = q.region.name if q.region is not None else "全部"
    title = f"{place}{definition.label}{'（分母）' if side == 'denominator' else ''}{q.start:%Y%m%d}-{q.end:%Y%m%d}"
    try:
        made = exports.cases_export(actor=actor, cases=cases, title=title, fallback=f"event-{key}-cases")
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


def _next(request, default: str) -> str:
    """Where to go after a step: the page the form came from, if it is one of ours."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def _choice_form(actor, event: Event, action: str, data=None):
    """The form of a FORM_ACTIONS step, its choices limited to what the actor may pick on this case."""
    auto_id = f"id_{action}_%s"
    if action in ("redispatch", "rule"):
        current = Unit.of_event(event) if action == "redispatch" else None
        units = [u for u in units_serving(event) if current is None or u.key != current.key]
        return UnitForm(data, units=units, auto_id=auto_id)
    if action == "whistle":
        return WhistleForm(data, departments=selectors.whistle_departments(event=event), auto_id=auto_id)
    if action == "merge":
        form = MergeForm(data, masters=selectors.event_visible(actor), auto_id=auto_id)
        form.fields["master"].widget.attrs["list"] = "ev-merge-masters"
        return form
    raise Http404


def _note_form(whistle: Whistle, data=None) -> WhistleNoteForm:
    return WhistleNoteForm(data, auto_id=f"id_whistle{whistle.pk}_%s")


def _whistle_rows(actor, event: Event, bound: dict) -> list[dict]:
    """The case's whistles the actor sees, each with the step the actor's department may take now."""
    pending = dict((w.pk, step) for w, step in selectors.whistle_pending(actor=actor, event=event))
    rows = []
    for w in selectors.whistle_visible(actor).filter(event_id=event.pk).order_by("blown_at", "id"):
        step = pending.get(w.pk)
        late = "" if not w.late else (_("逾期报到") if w.reported_at else _("逾期未报到"))
        rows.append({"w": w, "late": late, "step": step and step.removeprefix("whistle_"),
                     "label": step and workflow.transition(step).label,
                     "form": bound.get(f"w{w.pk}") or (_note_form(w) if step else None)})
    return rows


def _case_context(request, event: Event, bound: dict | None = None, refused: str = "") -> dict:
    actor, bound = request.user, bound or {}
    allowed = selectors.event_actions(actor=actor, event=event)
    actions = [a for a in allowed if a in PAGE_ACTIONS]  # verify_fail is a transition of its own
    labels = {a: workflow.transition(a).label for a in actions}
    if "escalate" in labels:  # say where it goes; nothing above the county: no button
        try:
            labels["escalate"] = _("%(action)s至%(unit)s") % {"action": labels["escalate"],
                                                             "unit": escalation_target(event).name}
        except ApplicationError:
            actions.remove("escalate")
    choice = [{"action": a, "label": workflow.transition(a).label,
               "form": bound.get(a) or _choice_form(actor, event, a)} for a in allowed if a in FORM_ACTIONS]
    return {
        "event": event, "timeline": _steps(selectors.event_timeline(actor=actor, event=event)),
        "photos": _photos(event), "refused": refused,
        "actions": [(a, labels[a], selectors.response_templates(action=a, category=event.category))
                    for a in actions], "form": ActionForm(),
        "choice_actions": choice, "whistles": _whistle_rows(actor, event, bound),
        "merge_candidates": selectors.merge_candidates(actor=actor, event=event) if "merge" in allowed else [],
        "master": Event.objects.filter(pk=event.duplicate_of_id).first() if event.duplicate_of_id else None}


def _refused(request, event: Event, bound: dict | None = None, message: str = "", status: int = 400):
    """The case page again, with the refused form's errors (or the refusal) and nothing changed."""
    return render(request, "events/case.html", _case_context(request, event, bound, refused=message),
                  status=status)


@require_GET
@staff_required
@page_errors
def case_page(request, pk: int):
    event = selectors.event_get(actor=request.user, pk=pk)
    return render(request, "events/case.html", _case_context(request, event))


def _act(request, event: Event, action: str, form: ActionForm) -> None:
    actor, note = request.user, form.cleaned_data.get("note", "")
    if action == "register":
        services.event_register(actor=actor, event=event, note=note, dispatch=True)
    elif action == "dispatch":
        services.event_dispatch(actor=actor, event=event, note=note)
    elif action in ("sign", "start", "resume"):
        getattr(services, f"event_{action}")(actor=actor, event=event, note=note)
    elif action in ("reject", "escalate", "return", "suspend", "reopen", "void"):
        getattr(services, f"event_{action}")(actor=actor, event=event, reason=note)
    elif action == "submit":
        services.event_submit(actor=actor, event=event, note=note,
                              photos=_store_photo(request, form, event, "submit"))
    elif action in ("verify", "verify_fail"):
        services.event_verify(actor=actor, event=event, passed=action == "verify", note=note,
                              photos=_store_photo(request, form, event, "verify"))
    elif action == "supervise":
        services.event_supervise(actor=actor, event=event, note=note)
    elif action == "rate":
        services.event_rate_callback(actor=actor, event=event, rating=form.cleaned_data.get("rating") or "",
                                     comment=note)
    else:
        raise Http404


def _take(actor, event: Event, action: str, data: dict) -> None:
    if action == "redispatch":
        services.event_redispatch(actor=actor, event=event, unit=data["unit"], note=data["note"])
    elif action == "rule":
        services.event_rule(actor=actor, event=event, unit=data["unit"], note=data["note"])
    elif action == "whistle":
        services.whistle_blow(actor=actor, event=event, departments=data["departments"], reason=data["reason"])
    elif action == "merge":
        services.event_merge(actor=actor, duplicate=event, master=data["master"], note=data["note"])


def _choice_act(request, pk: int, action: str):
    """改派 / 审定 / 吹哨 / 合并: refused as the service would (the state, then the actor), then the
    form; bad input shows the case page again with the form's errors (400) and nothing changed."""
    actor = request.user
    event = selectors.event_get(actor=actor, pk=pk)
    try:
        selectors.event_check(actor=actor, event=event, action=action)
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        return _refused(request, event, message=exc.message, status=exc.status)
    form = _choice_form(actor, event, action, request.POST)
    if form.is_valid():
        try:
            _take(actor, event, action, form.cleaned_data)
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            form.add_error(None, exc.message)
            return _refused(request, event, {action: form}, status=exc.status)
        messages.success(request, _done(action, event))
        return redirect(_next(request, reverse("events:case", args=[pk])))
    return _refused(request, event, {action: form})


def _done(action: str, event: Event | None = None) -> str:
    """The message after a step: 已立案。 / "Register: done." — and where the case went when the
    step also dispatched it (立案 by the category's procedure, 审定, 上报升级, 重办)."""
    text = _("已%(action)s。") % {"action": workflow.transition(action).label}
    if event is not None and action != "dispatch":
        event.refresh_from_db()
        if event.state == EventState.DISPATCHED and event.handler_name:
            text += _("案件已派往%(unit)s，等待签收。") % {"unit": event.handler_name}
    return text


@require_http_methods(["GET", "POST"])
@staff_required
@page_errors
def case_act(request, pk: int, action: str):
    """One step from the case page. A GET (a reload, or the language switched after a refused
    form re-rendered here) goes back to the case page."""
    if request.method == "GET":
        return redirect("events:case", pk=pk)
    if action in FORM_ACTIONS:
        return _choice_act(request, pk, action)
    if action not in PAGE_ACTIONS:
        raise Http404
    event = selectors.event_get(actor=request.user, pk=pk)
    form = ActionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, pgettext("list separator", "；").join(
            str(e) for errs in form.errors.values() for e in errs))
    else:
        try:
            _act(request, event, action, form)
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, exc.message)
        else:
            messages.success(request, _done(action, event))
    return redirect(_next(request, reverse("events:case", args=[pk])))


@require_http_methods(["GET", "POST"])
@staff_required
@page_errors
def whistle_act(request, pk: int, step: str):
    """报到 / 部门反馈 by staff of the called department, from the case page or 我的待办 (a GET goes
    back to the case page)."""
    if step not in WHISTLE_STEPS:
        raise Http404
    actor = request.user
    whistle = selectors.whistle_visible(actor).filter(pk=pk).first()
    if whistle is None:
        raise Http404
    if request.method == "GET":
        return redirect("events:case", pk=whistle.event_id)
    event = selectors.event_get(actor=actor, pk=whistle.event_id)
    form = _note_form(whistle, request.POST)
    if form.is_valid():
        note = form.cleaned_data["note"]
        try:
            if step == "report":
                services.whistle_report(actor=actor, whistle=whistle, note=note)
            else:
                services.whistle_feedback(actor=actor, whistle=whistle, feedback=note)
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            form.add_error("note" if exc.field == "note" else None, exc.message)
            return _refused(request, event, {f"w{whistle.pk}": form}, status=exc.status)
        messages.success(request, WHISTLE_STEPS[step][1])
        return redirect(_next(request, reverse("events:case", args=[event.pk])))
    return _refused(request, event, {f"w{whistle.pk}": form})


@require_GET
@staff_required
def mine(request):
    """我的待办: open cases with a step that is the viewer's job now (受理, 派遣, 审定, 签收, 处置, 核查),
    overdue first then by deadline (the 300 most urgent, twenty a page, saying so when more wait),
    with links to the case page for the steps whose form picks something (改派, 审定, 吹哨, 合并); for
    department staff, the whistles waiting for their department's 报到 or 反馈."""
    actor = request.user
    queue = event_queue(actor=actor)  # the list the home page counts (events.selectors.queues)
    rows = [(event, [(a, workflow.transition(a).label) for a in allowed if a in PAGE_ACTIONS],
             [(a, workflow.transition(a).label) for a in allowed if a in FORM_ACTIONS])
            for event, allowed in queue.rows]
    whistles = [{"w": w, "step": step.removeprefix("whistle_"), "label": workflow.transition(step).label,
                 "form": _note_form(w)} for w, step in selectors.whistle_pending(actor=actor)]
    page = page_of(request, rows, 20)
    return render(request, "events/mine.html", {"rows": page.object_list, "page": page, "form": ActionForm(),
                                                "whistles": whistles if page.number == 1 else [],
                                                "truncated": queue.truncated, "window": QUEUE_WINDOW})


@require_http_methods(["GET", "POST"])
@staff_required
@page_errors
def patrol(request):
    """网格员手机页: report on patrol, and the cases waiting for this worker's verification."""
    actor = request.user
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # the case and its photo, or neither
                event = services.event_create(channel=Channel.PATROL, category=data["category"],
                                              description=data["description"], lng=data["lng"], lat=data["lat"],
                                              address=data["address"], actor=actor)
                _store_photo(request, form, event, "report")
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            add_app_error(form, exc)
        else:
            messages.success(request, format_html('{} <a href="{}">{}</a>', _("已上报，案件编号 %(number)s。") % {
                "number": event.number}, reverse("events:case", args=[event.pk]), _("查看案件")))
            return redirect("events:patrol")
    queue = verify_queue(actor=actor)  # the list the home page counts
    feedback = selectors.latest_feedback(events=[e for e, _allowed in queue])  # what the worker goes to check
    to_verify = [(e, [(a, workflow.transition(a).label) for a in ("verify", "verify_fail") if a in allowed],
                  feedback.get(e.pk)) for e, allowed in queue]
    bounds = region_selectors.own_bounds(actor)
    return render(request, "events/patrol.html", {
        "form": form, "to_verify": to_verify, "is_worker": actor.role == Role.GRID_WORKER,
        "map_bounds": ",".join(f"{v:.6f}" for v in bounds) if bounds else "",
        "own_url": reverse("events:patrol-grids") if bounds else ""})


@require_GET
@staff_required
def patrol_grids(request):
    """The viewer's own grids with their names (GeoJSON), for the patrol page's map."""
    response = JsonResponse(region_selectors.own_outline(request.user), json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/geo+json"
    return response


# --- residents (no login) ---------------------------------------------------------------------


def limited(view):
    """A public page over its rate limit answers 429 with a page saying so."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except RateLimitedError as exc:
            return render(request, "events/public_limited.html", {"message": exc.message}, status=429)

    return wrapper


@require_GET
@limited
def public_nearby(request):
    """"Me too" before a new report: open cases of the chosen category near the chosen point (the
    category's radius and window), as a fragment the report page loads when both are set. Shows
    the category, state, day and distance — never a resident's text."""
    enforce("events.nearby.ip", _client_ip(request), limit=settings.JICENG_PUBLIC_RATE_PER_IP, window=60)
    form = NearbyForm(request.GET)
    nearby = []
    if form.is_valid():
        try:
            nearby = services.event_find_duplicates(category=form.cleaned_data["category"], lng=form.cleaned_data["lng"],
                                                    lat=form.cleaned_data["lat"], limit=5)
        except ApplicationError:
            nearby = []
    return render(request, "events/_nearby.html", {"nearby": nearby, "form": JoinForm()})


@require_GET
@limited
def public_outline(request):
    """The report page's map background (no tiles offline): community boundaries and names."""
    enforce("events.outline.ip", _client_ip(request), limit=settings.JICENG_PUBLIC_RATE_PER_IP, window=60)
    response = JsonResponse(region_selectors.public_outline(), json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/geo+json"
    response["Cache-Control"] = "public, max-age=300"
    return response


def _point_place(lng: float, lat: float) -> list[Region]:
    """The street, the community and the deepest grid holding a point (as intake will file it:
    ``regions.locator.locate_grid``), or [] outside every grid."""
    grid = locate_grid(lng, lat)
    if grid is None:
        return []
    chain = [r for r in region_selectors.region_ancestors(grid)
             if r.level in (RegionLevel.STREET, RegionLevel.COMMUNITY)]
    return [*chain, grid]


@require_GET
@limited
def public_locate(request):
    """Where a point of the report page's picker falls: "位置：XX街道 XX社区 XX网格", or that it lies
    outside the county. Public like the outline it is drawn on (administrative names only, nothing
    about people or cases) and rate-limited per address; a bad point is a 400."""
    enforce("events.locate.ip", _client_ip(request), limit=settings.JICENG_PUBLIC_RATE_PER_IP, window=60)
    form = NearbyForm({"category": "-", "lng": request.GET.get("lng"), "lat": request.GET.get("lat")})
    if not form.is_valid():
        return JsonResponse({"inside": False, "text": _("坐标无效。")}, status=400,
                            json_dumps_params={"ensure_ascii": False})
    found = _point_place(form.cleaned_data["lng"], form.cleaned_data["lat"])
    if not found:
        answer = {"inside": False, "text": _("不在本县范围内")}
    else:
        names = [r.name for r in found]
        answer = {"inside": True, "names": names,
                  "text": _("位置：%(place)s") % {"place": " ".join(names)}}
    return JsonResponse(answer, json_dumps_params={"ensure_ascii": False})


@require_http_methods(["GET", "POST"])
@limited
def public_join(request):
    """附议 from the report page: the resident joins an open case instead of filing it again, and
    follows it through a supporter's tracking link (no rating offer: the rating is the reporter's)."""
    if request.method == "GET":  # a reload of a refused form: back to the report page
        return redirect("events:report")
    enforce("events.page.ip", _client_ip(request), limit=settings.JICENG_PUBLIC_RATE_PER_IP, window=60)
    form = JoinForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        enforce("events.intake.phone", phone_key(data["phone"]), limit=settings.JICENG_PUBLIC_RATE_PER_PHONE,
                window=3600, message=_("该电话本小时提交过多，请稍后再试。"))
        try:
            event = event_by_number_for_join(data["number"])
            services.event_join(event=event, name=data["name"], phone=data["phone"], note=data["note"])
        except ApplicationError as exc:
            form.add_error("phone" if exc.field == "phone" else None, exc.message)
        else:
            query = urlencode({"t": tracking_token(event, supporter=True), "joined": "1"})
            return redirect(f"{reverse('events:track')}?{query}")
    return render(request, "events/public_join.html", {"form": form}, status=400)


@require_http_methods(["GET", "POST"])
@limited
def public_report(request):
    form = PublicReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        enforce("events.page.ip", _client_ip(request), limit=settings.JICENG_PUBLIC_RATE_PER_IP, window=60)
        if form.is_valid():
            data = form.cleaned_data
            if data["website"]:
                return HttpResponse(_("提交无效。"), status=400)
            enforce("events.intake.phone", phone_key(data["reporter_phone"]), limit=settings.JICENG_PUBLIC_RATE_PER_PHONE,
                    window=3600, message=_("该电话本小时提交过多，请稍后再试。"))
            try:
                with transaction.atomic():  # the case and its photo, or neither
                    event = services.event_create(
                        channel=Channel.RESIDENT, category=data["category"], description=data["description"],
                        lng=data["lng"], lat=data["lat"], address=data["address"],
                        reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"])
                    _store_photo(request, form, event, "report")
            except ApplicationError as exc:
                add_app_error(form, exc)
            else:
                return redirect(f"{reverse('events:track')}?{urlencode({'t': tracking_token(event), 'new': '1'})}")
    return render(request, "events/public_report.html", {"form": form})


@require_http_methods(["GET", "POST"])
@limited
def public_follow(request):
    """Follow by case number and the phone given when reporting (POST: the phone stays out of URLs
    and logs). A number alone opens nothing; a wrong phone reads like an unknown number."""
    form = FollowForm(request.POST or None)
    event, rate = None, ""
    if request.method == "POST":
        enforce("events.follow.ip", _client_ip(request), limit=settings.JICENG_PUBLIC_RATE_PER_IP, window=60)
        if form.is_valid():
            try:
                event, is_reporter = event_by_number_and_phone(form.cleaned_data["number"], form.cleaned_data["phone"])
            except ApplicationError as exc:
                form.add_error(None, exc.message)  # the number or the phone: which, it must not say
            else:
                rate = rating_offer(event, is_reporter=is_reporter)
    return render(request, "events/public_follow.html", {
        "form": form, "event": event, "rate_token": rate, "steps": public_steps(event) if event else []},
        status=400 if form.errors else 200)


@require_GET
@limited
def public_track(request):
    """The signed tracking link given when the case was filed."""
    enforce("events.follow.ip", _client_ip(request), limit=settings.JICENG_PUBLIC_RATE_PER_IP, window=60)
    token = request.GET.get("t", "")
    try:
        event, is_reporter = event_by_tracking_token(token)
    except ApplicationError as exc:
        return render(request, "events/public_follow.html", {"form": FollowForm(), "link_error": exc.message},
                      status=exc.status)
    return render(request, "events/public_follow.html", {
        "form": FollowForm(), "event": event, "rate_token": rating_offer(event, is_reporter=is_reporter),
        "steps": public_steps(event), "joined": request.GET.get("joined") == "1",
        "new": request.GET.get("new") == "1",
        "track_url": request.build_absolute_uri(f"{reverse('events:track')}?{urlencode({'t': token})}")})


@require_GET
@limited
def public_track_photo(request, token: str):
    """A feedback or closure photo shown on a tracking or rating page: stored photos are otherwise
    served to logged-in staff only, so the page gives the follower a signed address bound to the
    case that expires (``tracking.event_photo_by_token``)."""
    enforce("events.photo.ip", _client_ip(request), limit=settings.JICENG_PUBLIC_RATE_PER_IP, window=60)
    try:
        attachment = event_photo_by_token(token)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(attachment_read(attachment), content_type=attachment.content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@require_http_methods(["GET", "POST"])
@limited
def public_rate(request):
    """The reporter rates through the link given at closure. The page names the case and shows what
    was done; a link already used says so, with the rating given, and offers no form."""
    token = request.POST.get("token") or request.GET.get("token", "")
    form = RateForm(request.POST or None, initial={"token": token})
    event, linked, given, link_error = None, None, None, ""
    if token:
        enforce("events.rate.ip", _client_ip(request), limit=settings.JICENG_PUBLIC_RATE_PER_IP, window=60)
        try:
            linked, given = rating_link(token)
        except ApplicationError as exc:
            link_error = exc.message
    if request.method == "POST" and given is None:
        if form.is_valid():
            data = form.cleaned_data
            try:
                event = services.event_rate(token=data["token"], rating=data["rating"], comment=data["comment"])
            except ApplicationError as exc:
                form.add_error(None, exc.message)
    refused = request.method == "POST" and (bool(form.errors) or given is not None)
    status = 400 if refused else 200
    return render(request, "events/public_rate.html", {
        "form": form, "event": event, "no_token": not token, "linked": linked, "given": given,
        "link_error": link_error, "outcome": public_outcome(linked) if linked is not None and event is None else None},
        status=status)
