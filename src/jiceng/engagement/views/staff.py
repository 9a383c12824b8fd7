"""Community staff: the overview, wishes to review, awarding and correcting points, and the rankings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core.errors import ApplicationError
from jiceng.core.scope import restrict
from jiceng.core.views import add_app_error, form_entered
from jiceng.regions.models import Region

from .. import selectors, services
from ..choices import WishStatus
from ..forms import AwardForm, CorrectForm, ReviewForm, WishFilterForm
from ..models import PointAccount, PointEntry, Wish
from . import _flash_error, _page, staff_only


@staff_only
@require_GET
def staff_home(request: HttpRequest) -> HttpResponse:
    actor = request.user
    communities = list(selectors.staff_communities(actor=actor)[:200])
    region = actor.region if actor.region_id else None
    return render(request, "engagement/staff_home.html", {
        "communities": communities,
        "pending": selectors.wishes(actor=actor, status=WishStatus.SUBMITTED).count(),
        "stats": selectors.wish_stats_by_community(actor=actor, region=region)[:50] if region else [],
        "totals": selectors.volunteer_totals(actor=actor, region=region) if region else None,
    })


@staff_only
@require_GET
def staff_wishes(request: HttpRequest) -> HttpResponse:
    form = WishFilterForm(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    qs = selectors.for_staff(Wish.objects.select_related("community", "resident"), request.user)
    if status:
        qs = qs.filter(status=status)
    return render(request, "engagement/staff_wishes.html", {
        "form": form, "page": _page(request, qs), "review_form": ReviewForm(),
        "query": f"status={status}" if status else ""})


@staff_only
@require_POST
def staff_wish_review(request: HttpRequest, pk: int) -> HttpResponse:
    wish = selectors.staff_get(Wish.objects.select_related("community"), request.user, pk)
    form = ReviewForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(_("请选择审核结果。"), field="approve")
        services.wish_review(actor=request.user, wish=wish, approve=form.cleaned_data["approve"],
                             reason=form.cleaned_data["reason"])
        messages.success(request, _("已审核。"))
    except ApplicationError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        _flash_error(request, exc)
    return redirect(reverse("engagement-staff-wishes") + "?status=submitted")


@staff_only
@require_http_methods(["GET", "POST"])
def staff_award(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if request.method == "POST" and "find" in request.POST:
        # the search box changed (HTMX) or 查找 was pressed: show the matches, nothing validated yet
        form = AwardForm(initial=form_entered(request.POST, AwardForm.base_fields), actor=actor)
        return render(request, "engagement/staff_award.html", {"form": form})
    form = AwardForm(request.POST or None, request.FILES or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        resident = data["resident"]  # one of the residents the actor may see (the field's queryset)
        photo = data.get("evidence_photo")
        try:
            entry = services.points_award(actor=actor, rule=data["rule"], resident=resident,
                                          evidence=data["evidence"], note=data["note"],
                                          evidence_photo=photo.read() if photo else None)
        except ApplicationError as exc:
            add_app_error(form, exc)
        else:
            messages.success(request, _("已为%(name)s记%(points)s分。") % {
                "name": resident.name, "points": f"{entry.amount:+d}"})
            return redirect("engagement-staff-account", pk=entry.account_id)
    return render(request, "engagement/staff_award.html", {"form": form}, status=400 if form.errors else 200)


@staff_only
@require_GET
def staff_accounts(request: HttpRequest) -> HttpResponse:
    qs = selectors.for_staff(PointAccount.objects.select_related("community", "resident", "organisation"),
                            request.user).order_by("-balance", "id")
    return render(request, "engagement/staff_accounts.html", {"page": _page(request, qs)})


@staff_only
@require_GET
def staff_account(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.staff_get(PointAccount.objects.select_related("community", "resident", "organisation"),
                                  request.user, pk)
    return render(request, "engagement/staff_account.html", {
        "account": account, "ledger": selectors.points_ledger_sum(account),
        "page": _page(request, selectors.point_statement(actor=request.user, account=account)),
        "correct_form": CorrectForm()})


@staff_only
@require_POST
def staff_entry_correct(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.staff_get(PointEntry.objects.select_related("account__community"), request.user, pk,
                                "account__community")
    form = CorrectForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(_("请填写更正原因。"), field="note")
        services.points_correct(actor=request.user, entry=entry, note=form.cleaned_data["note"])
        messages.success(request, _("已冲正。"))
    except ApplicationError as exc:
        _flash_error(request, exc)
    return redirect("engagement-staff-account", pk=entry.account_id)


@staff_only
@require_GET
def staff_rankings(request: HttpRequest) -> HttpResponse:
    actor = request.user
    region = None
    pk = request.GET.get("region")
    if pk and pk.isdigit():
        region = restrict(Region.objects.all(), actor).filter(pk=int(pk)).first()
    if region is None:
        region = actor.region if actor.region_id else selectors.staff_communities(actor=actor).first()
    if region is None:
        raise PermissionDenied(_("没有可统计的区域。"))
    return render(request, "engagement/staff_rankings.html", {
        "region": region, "volunteers": selectors.volunteer_ranking(actor=actor, region=region),
        "units": selectors.unit_ranking(actor=actor, region=region),
        "totals": selectors.volunteer_totals(actor=actor, region=region),
        "claimants": selectors.wish_stats_by_claimant(actor=actor, region=region)[:20]})
