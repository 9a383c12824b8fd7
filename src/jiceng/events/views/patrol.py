"""网格员手机页: report on patrol, verify, and the map of one's own grids."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.core.access import staff_required
from jiceng.core.errors import ApplicationError
from jiceng.core.views import add_app_error, page_errors
from jiceng.people.choices import Role
from jiceng.regions import selectors as region_selectors

from .. import selectors, services, workflow
from ..choices import Channel
from ..forms import ReportForm
from ..selectors.queues import verify_queue
from .photos import _store_photo


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
    to_verify = []
    for e, allowed in queue:
        fb = feedback.get(e.pk)
        to_verify.append((e, [(a, workflow.transition(a).label) for a in ("verify", "verify_fail") if a in allowed],
                          fb, workflow.closing_photo_missing(e, fb.photos if fb else [])))
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
