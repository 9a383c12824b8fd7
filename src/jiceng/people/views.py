"""Resident and grid-worker pages: lists with search and filters, details with masked personal
information and an audited reveal, create forms and edit forms. Thin: parse, call, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core.access import staff_required
from jiceng.core.edits import StaleEditError
from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.paging import page_of
from jiceng.core.views import add_app_error, form_entered, is_htmx, page_errors
from jiceng.regions.selectors import region_visible

from . import services
from .choices import REGION_STAFF_ROLES, Role
from .forms import (
    ResidentCreateForm,
    ResidentEditForm,
    ResidentFilterForm,
    WorkerCreateForm,
    WorkerEditForm,
    WorkerFilterForm,
)
from .models import GridWorker
from .selectors import (
    resident_filter,
    resident_get,
    resident_visible,
    worker_filter,
    worker_get,
    worker_visible,
)
from .transfer import RESIDENTS as RESIDENT_TRANSFER
from .transfer import WORKERS as WORKER_TRANSFER

# Who may open the create forms; the services decide for the chosen grid/community.
RESIDENT_EDIT_ROLES = (*REGION_STAFF_ROLES, Role.GRID_WORKER)
WORKER_EDIT_ROLES = REGION_STAFF_ROLES


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _list_context(request: HttpRequest, form, qs) -> dict:
    """Paginate and mask. An invalid filter shows its error and no rows (never unfiltered rows)."""
    if not form.is_valid():
        qs = qs.none()
    page = page_of(request, qs, settings.JICENG_PAGE_SIZE)
    return {
        "form": form,
        "page": page,
        "rows": [(person, services.masked(person)) for person in page.object_list],
        "total": page.paginator.count,
        "query": _query_without_page(request),
        "sees_people": request.user.sees_people,
    }


@staff_required
@require_GET
def resident_list(request: HttpRequest) -> HttpResponse:
    form = ResidentFilterForm(request.GET, actor=request.user)
    qs = resident_visible(request.user)
    if form.is_valid():
        qs = resident_filter(qs, **form.filters())
    context = _list_context(request, form, qs)
    context["can_create"] = request.user.role in RESIDENT_EDIT_ROLES
    context["can_import"] = RESIDENT_TRANSFER.may_import(request.user)
    return render(request, "people/resident_list.html", context)


@staff_required
@require_GET
def worker_list(request: HttpRequest) -> HttpResponse:
    form = WorkerFilterForm(request.GET, actor=request.user)
    qs = worker_visible(request.user)
    if form.is_valid():
        qs = worker_filter(qs, **form.filters())
    context = _list_context(request, form, qs.prefetch_related("grids"))
    context["can_create"] = request.user.role in WORKER_EDIT_ROLES
    context["can_import"] = WORKER_TRANSFER.may_import(request.user)
    return render(request, "people/worker_list.html", context)


@staff_required
@require_GET
@page_errors
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = resident_get(actor=request.user, pk=pk)
    return render(request, "people/resident_detail.html", {
        "person": resident, "masked": services.masked(resident), "can_reveal": services.can_reveal(request.user),
        "reveal_url": reverse("resident-reveal", args=[resident.pk]),
        "can_edit": services.can_edit_resident(request.user, resident),
    })


@staff_required
@require_GET
@page_errors
def worker_detail(request: HttpRequest, pk: int) -> HttpResponse:
    worker = worker_get(actor=request.user, pk=pk)
    return render(request, "people/worker_detail.html", {
        "person": worker, "masked": services.masked(worker), **_worker_regions(request.user, worker),
        "can_reveal": services.can_reveal(request.user, worker), "reveal_url": reverse("worker-reveal", args=[worker.pk]),
        "can_edit": services.can_edit_worker(request.user, worker),
    })


def _worker_regions(actor, worker: GridWorker) -> dict:
    """A worker's grids, and which of them and its community the viewer may open: a grid worker
    sees a colleague who shares one grid, not the colleague's other grids or their community."""
    grids = list(worker.grids.order_by("path"))
    ids = [worker.community_id, *(g.pk for g in grids)]
    return {"grids": grids, "openable": set(region_visible(actor).filter(pk__in=ids).values_list("pk", flat=True))}


def _reveal(request: HttpRequest, person, *, detail_template: str) -> HttpResponse:
    """Audited by the service. HTMX swaps in the partial; without JavaScript the whole page."""
    values = services.personal_info_reveal(actor=request.user, person=person)
    context = {"person": person, "plain": values, "masked": services.masked(person), "revealed": True,
               "can_reveal": True}
    if is_htmx(request):
        return render(request, "people/_personal_info.html", context)
    if isinstance(person, GridWorker):
        context.update(_worker_regions(request.user, person))
        context["can_edit"] = services.can_edit_worker(request.user, person)
    else:
        context["can_edit"] = services.can_edit_resident(request.user, person)
    return render(request, detail_template, context)


@staff_required
@require_POST
@never_cache
@page_errors
def resident_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.can_reveal(request.user):
        raise PermissionDenied(_("您的角色无权查看完整个人信息。"))
    resident = resident_get(actor=request.user, pk=pk)
    return _reveal(request, resident, detail_template="people/resident_detail.html")


@staff_required
@require_POST
@never_cache
@page_errors
def worker_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.can_reveal(request.user):
        raise PermissionDenied(_("您的角色无权查看完整个人信息。"))
    worker = worker_get(actor=request.user, pk=pk)
    return _reveal(request, worker, detail_template="people/worker_detail.html")  # the service refuses a colleague


@staff_required
@require_http_methods(["GET", "POST"])
def resident_create(request: HttpRequest) -> HttpResponse:
    if request.user.role not in RESIDENT_EDIT_ROLES:
        raise PermissionDenied(_("您的角色不能登记居民。"))
    form = ResidentCreateForm(request.POST if request.method == "POST" else None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            resident = services.resident_create(actor=request.user, **form.cleaned_data)
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc
        except ApplicationError as exc:
            add_app_error(form, exc)
        else:
            messages.success(request, _("已登记居民“%(name)s”。") % {"name": resident.name})
            return redirect("resident-detail", pk=resident.pk)
    return render(request, "people/resident_form.html", {"form": form})


@staff_required
@require_http_methods(["GET", "POST"])
def worker_create(request: HttpRequest) -> HttpResponse:
    if request.user.role not in WORKER_EDIT_ROLES:
        raise PermissionDenied(_("您的角色不能登记网格员。"))
    if request.method == "POST" and "choose_community" in request.POST:
        # the community was chosen (HTMX on change, or the button without JavaScript): show the
        # form again as entered, with that community's grids, before any validation
        form = WorkerCreateForm(initial=form_entered(request.POST, WorkerCreateForm.base_fields), actor=request.user)
        return render(request, "people/worker_form.html", {"form": form})
    if request.method == "POST":
        form = WorkerCreateForm(request.POST, actor=request.user)
    else:
        form = WorkerCreateForm(initial={"community": request.GET.get("community")}, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "grids": list(form.cleaned_data["grids"])}
        try:
            worker = services.grid_worker_create(actor=request.user, **data)
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc
        except ApplicationError as exc:
            add_app_error(form, exc)
        else:
            messages.success(request, _("已登记网格员“%(name)s”。") % {"name": worker.name})
            return redirect("worker-detail", pk=worker.pk)
    return render(request, "people/worker_form.html", {"form": form})


def _stale(form, exc: StaleEditError, saved: dict, rebuild):
    """Someone saved the record after this form was opened: the form again, saying so above it, with
    what they saved in the fields this editor left alone and this editor's entries in the rest, at the
    new version — saving again then overwrites only what this editor changed (``form.after_conflict``)."""
    data, taken, both = form.after_conflict(saved)
    again = rebuild(data)
    again.full_clean()
    parts = [exc.message]
    listed = pgettext("list separator", "、").join
    if taken:
        parts.append(_("您没有改动的%(fields)s已换成对方保存的内容。") % {"fields": listed(taken)})
    if both:
        parts.append(_("%(fields)s对方也改了，下面是您填写的，请核对。") % {"fields": listed(both)})
    parts.append(_("再次保存将以下面的内容为准。"))
    again.add_error(None, "".join(parts))  # (each sentence's English begins with its space)
    return again


def _refused_at_field(form, exc: ApplicationError) -> None:
    """A service's refusal on the edit form, at its field. A refusal of the whole edit (no field of
    the form) is a 403, as the API answers it."""
    if isinstance(exc, PermissionDeniedError) and exc.field not in form.fields:
        raise PermissionDenied(exc.message) from exc
    add_app_error(form, exc)


@staff_required
@require_http_methods(["GET", "POST"])
@never_cache  # the form holds the clear address and care tags
@page_errors
def resident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The record prefilled, but never the ID number or phone (``ResidentEditForm``). The address,
    care tags and house are shown in full, so opening the form is an audited reveal of them."""
    resident = resident_get(actor=request.user, pk=pk)  # out of scope: 404
    if not services.can_edit_resident(request.user, resident):
        raise PermissionDenied(_("您无权修改此居民。"))
    masked = services.masked(resident)
    context = {"person": resident}
    if request.method == "POST" and ResidentEditForm.reload_name in request.POST:
        # the grid was changed (HTMX, or the button without JavaScript): the form again as entered,
        # with that grid's houses, before any validation
        context["form"] = ResidentEditForm(initial=form_entered(request.POST, ResidentEditForm.base_fields),
                                           actor=request.user, resident=resident, masked=masked)
        return render(request, "people/resident_edit.html", context)
    if request.method == "GET":
        shown = services.personal_info_reveal(actor=request.user, person=resident, fields=["address", "tags", "house"])
        context["form"] = ResidentEditForm(initial=ResidentEditForm.initial_for(resident, shown), actor=request.user,
                                           resident=resident, masked=masked)
        return render(request, "people/resident_edit.html", context)
    form = context["form"] = ResidentEditForm(request.POST, actor=request.user, resident=resident, masked=masked)
    if form.is_valid():
        try:
            services.resident_update(actor=request.user, resident=resident, seen_version=form.seen_version(),
                                     **form.values())
        except StaleEditError as exc:
            fresh = resident_get(actor=request.user, pk=resident.pk)  # as saved since
            shown = services.personal_info_reveal(actor=request.user, person=fresh, fields=["address", "tags", "house"])
            context["form"] = _stale(form, exc, ResidentEditForm.initial_for(fresh, shown), lambda data: ResidentEditForm(
                data, actor=request.user, resident=fresh, masked=services.masked(fresh)))
        except ApplicationError as exc:
            _refused_at_field(form, exc)
        else:
            messages.success(request, _("已保存居民“%(name)s”的信息。") % {"name": form.cleaned_data["name"]})
            return redirect("resident-detail", pk=resident.pk)
    return render(request, "people/resident_edit.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
@never_cache
@page_errors
def worker_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The record prefilled, but never the ID number or phone (``WorkerEditForm``); its grids are
    set again only when they changed."""
    worker = worker_get(actor=request.user, pk=pk)  # out of scope: 404
    if not services.can_edit_worker(request.user, worker):
        raise PermissionDenied(str(services.WORKER_EDIT_REFUSAL))
    masked = services.masked(worker)
    context = {"person": worker}
    if request.method == "POST" and WorkerEditForm.reload_name in request.POST:
        # the kind was changed: 负责网格 again for it (a 特聘 worker is offered its street's grids)
        context["form"] = WorkerEditForm(initial=form_entered(request.POST, WorkerEditForm.base_fields),
                                         actor=request.user, worker=worker, masked=masked)
        return render(request, "people/worker_form.html", context)
    if request.method == "GET":
        context["form"] = WorkerEditForm(initial=WorkerEditForm.initial_for(worker), actor=request.user, worker=worker,
                                         masked=masked)
        return render(request, "people/worker_form.html", context)
    form = context["form"] = WorkerEditForm(request.POST, actor=request.user, worker=worker, masked=masked)
    if form.is_valid():
        try:
            services.grid_worker_edit(actor=request.user, worker=worker, seen_version=form.seen_version(),
                                      **form.values())
        except StaleEditError as exc:
            fresh = worker_get(actor=request.user, pk=worker.pk)
            context["form"] = _stale(form, exc, WorkerEditForm.initial_for(fresh), lambda data: WorkerEditForm(
                data, actor=request.user, worker=fresh, masked=services.masked(fresh)))
        except ApplicationError as exc:
            _refused_at_field(form, exc)
        else:
            messages.success(request, _("已保存网格员“%(name)s”的信息。") % {"name": form.cleaned_data["name"]})
            return redirect("worker-detail", pk=worker.pk)
    return render(request, "people/worker_form.html", context)
