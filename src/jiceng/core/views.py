"""Page helpers shared by every domain's views, and the home page.

Pages are thin: parse the request, call services and selectors, render. ``page_errors`` maps the
one application error type to HTTP for pages (the API has its own handler in ``jiceng/api.py``):
an out-of-scope object is a 404, a forbidden action a 403.
"""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme

from jiceng.events.selectors.cases import whistle_pending
from jiceng.events.selectors.queues import event_queue, verify_queue
from jiceng.people.choices import Role
from jiceng.people.selectors import region_people_counts
from jiceng.regions.choices import RegionLevel
from jiceng.regions.selectors import own_regions, region_children_counted, region_level_counts, region_roots

from .errors import ApplicationError, NotFoundError, PermissionDeniedError


def favicon(request: HttpRequest) -> HttpResponse:
    """Pages that name no icon (the back office, the API docs) make the browser ask for /favicon.ico."""
    return redirect(static("img/favicon.svg"), permanent=True)


def page_errors(view):
    """Turn NotFoundError into Http404 and PermissionDeniedError into PermissionDenied."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFoundError as exc:
            raise Http404(exc.message) from exc
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


def add_app_error(form, exc: ApplicationError) -> None:
    """A service's refusal shown on the form: next to the field it names when the form has that
    field, else above the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def local_next(request: HttpRequest, default: str, *, from_query: bool = False) -> str:
    """Where to go after a form: its ``next`` — posted, or with ``from_query`` also in the query string —
    when that is a page of this site, else ``default``; never another site (no open redirect)."""
    target = request.POST.get("next") or (request.GET.get("next") if from_query else "") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def form_entered(data, fields) -> dict:
    """What was typed into a form, as ``initial`` for showing it again before validation (a form
    that reloads one field when another changes, with HTMX or a button without JavaScript)."""
    return {name: data.getlist(name) if getattr(field.widget, "allow_multiple_selected", False) else data.get(name)
            for name, field in fields.items() if name in data}


def sees_people(user) -> bool:
    """Whether the account may see residents and grid workers at all (the admin roles and department
    staff may not): the role rule the navigation and the people lists use too."""
    return bool(user.is_authenticated and user.sees_people)


def level_count_rows(counts: dict[int, int]) -> list[tuple[str, int]]:
    """``{level: n}`` → ``[(label, n)]`` in tree order, for display."""
    return [(RegionLevel(level).label, n) for level, n in sorted(counts.items())]


def region_summary(*, actor, region) -> dict:
    """The counts shown for a node on the home and region pages; every number from a selector."""
    return {
        "region": region,
        "level_counts": level_count_rows(region_level_counts(actor=actor, region=region)),
        "people": region_people_counts(actor=actor, region=region) if sees_people(actor) else None,
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.role == Role.RESIDENT:  # residents have their own pages, not the region tree
        return redirect("engagement-me")
    if user.role == Role.GRID_WORKER:
        return render(request, "home_grid_worker.html", grid_worker_home(actor=user))
    work = staff_work(actor=user) if user.role in WORK_ROLES else None
    roots = region_roots(actor=user)
    trees = [
        {**region_summary(actor=user, region=root), "children": list(region_children_counted(actor=user, region=root))}
        for root in roots
    ]
    return render(request, "home.html", {"trees": trees, "sees_people": sees_people(user), "work": work})


# the staff whose home opens with their work (a grid worker's home is that work)
WORK_ROLES = (Role.COUNTY_STAFF, Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.DEPARTMENT_STAFF)


def staff_work(*, actor) -> dict:
    """我的工作 on a staff home: 我的待办 counted by the selector its page lists from (with "more"
    when only the most urgent were looked at) and, for department staff, the whistles waiting for
    their department's 报到 or 反馈 (listed on the same page)."""
    queue = event_queue(actor=actor)
    whistles = len(whistle_pending(actor=actor)) if actor.role == Role.DEPARTMENT_STAFF else None
    return {"queue": len(queue), "truncated": queue.truncated, "whistles": whistles}


def grid_worker_home(*, actor) -> dict:
    """A grid worker's home, read on a phone: the work first — 我的待办 and 待我核查 counted by the
    selectors their pages list from — then each of its grids in one line (its residents and
    workers, the numbers of the lists they link to); no region tree (grids have nothing below)."""
    grids = [{"region": grid, "people": region_people_counts(actor=actor, region=grid)}
             for grid in own_regions(actor)]
    queue = event_queue(actor=actor)
    return {"queue": len(queue), "truncated": queue.truncated, "to_verify": len(verify_queue(actor=actor)),
            "grids": grids}
