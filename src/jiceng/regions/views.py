"""Region pages: a node with its facts, counts, children, map and staffing ratios."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from jiceng.core.access import staff_required
from jiceng.core.views import page_errors, region_summary, sees_people
from jiceng.people.selectors import staffing_ratios, worker_filter, worker_visible

from .choices import RegionLevel
from .selectors import grid_boundaries, region_breadcrumb, region_children_counted, region_get

WORKERS_ON_REGION_PAGE = 20


@staff_required
@require_GET
@page_errors
def region_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    region = region_get(actor=user, pk=pk)
    context = {
        **region_summary(actor=user, region=region),
        "breadcrumb": region_breadcrumb(actor=user, region=region),
        "children": region_children_counted(actor=user, region=region),
        "sees_people": sees_people(user),
        "staffing": None,
        "workers": None,
    }
    if context["sees_people"]:
        if region.level <= RegionLevel.COMMUNITY:
            context["staffing"] = staffing_ratios(actor=user, region=region)
            context["staffing_default"] = settings.JICENG_STAFFING_STANDARD
        workers = worker_filter(worker_visible(user), region=region, active=True)
        context["workers"] = list(workers[:WORKERS_ON_REGION_PAGE])
        context["workers_more"] = len(context["workers"]) == WORKERS_ON_REGION_PAGE
    return render(request, "regions/detail.html", context)


@staff_required
@require_GET
@page_errors
def region_children_partial(request: HttpRequest, pk: int) -> HttpResponse:
    """The next level of the tree, fetched by HTMX when a node is opened."""
    region = region_get(actor=request.user, pk=pk)
    children = region_children_counted(actor=request.user, region=region)
    return render(request, "regions/_tree_children.html", {"children": children})


@staff_required
@require_GET
@page_errors
def region_boundaries(request: HttpRequest, pk: int) -> JsonResponse:
    """GeoJSON for the map: the node, its children and (below a community) the deepest grids.
    Each feature carries the URL of its region page for click-through."""
    region = region_get(actor=request.user, pk=pk)
    collection = grid_boundaries(actor=request.user, region=region)
    for feature in collection["features"]:
        feature["properties"]["url"] = reverse("region-detail", args=[feature["id"]])
    response = JsonResponse(collection, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/geo+json; charset=utf-8"
    return response
