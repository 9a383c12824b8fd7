"""Events pages. Thin: parse, call services and selectors, render.

Staff: the command-centre console (filters, queues, a map of open cases; here), a case's page with its
whole timeline, photos and the actions the viewer may take, and "my cases" (``case.py``); the numbers
(指标统计, ``numbers.py``). Grid workers: a phone-sized page to report on patrol and verify
(``patrol.py``). Residents (no login): report, follow a case by its number, rate it through the signed
link (``public.py``). The workflow's rules are the services'; the pages only offer the buttons
``event_actions`` lists.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from jiceng.core.access import staff_required
from jiceng.core.errors import ApplicationError
from jiceng.core.exports import export_page_url
from jiceng.core.paging import page_of
from jiceng.regions import selectors as region_selectors
from jiceng.regions.choices import GRID_LEVELS, RegionLevel
from jiceng.regions.models import Region

from .. import exports, selectors
from ..choices import EventState
from ..forms import QUEUES, REGION_FILTER_MAX, CaseFilterForm, preset_range
from ..models import EventCategory
from ..selectors.map import BBox, map_bubbles, open_case_map

# imported from here by tests/events/test_numbers_page.py (the package was one module)
from .numbers import WHISTLE_KIND_LABELS as WHISTLE_KIND_LABELS

QUEUE_STATES = {
    "accept": (EventState.PENDING, EventState.REGISTERED, EventState.RULING, EventState.RETURNED),
    "handle": (EventState.DISPATCHED, EventState.SIGNED, EventState.HANDLING),
    "verify": (EventState.TO_VERIFY,),
}


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
