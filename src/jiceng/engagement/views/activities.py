"""Community staff: activities — publishing one, its sign-ups with check-in and out, its QR code."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core.errors import ApplicationError
from jiceng.core.views import add_app_error

from .. import selectors, services
from ..choices import SignupStatus
from ..forms import ActivityForm
from ..models import Activity, Signup
from . import _community_param, _flash_error, _page, staff_only


@staff_only
@require_http_methods(["GET", "POST"])
def staff_activities(request: HttpRequest) -> HttpResponse:
    actor = request.user
    communities = list(selectors.staff_communities(actor=actor)[:200])
    form = ActivityForm(request.POST or None, initial={"community": communities[0].pk if communities else None})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        community = _community_param(request)
        try:
            if community is None:
                raise ApplicationError(_("请选择社区/村。"), field="community")
            data.pop("community")
            activity = services.activity_create(actor=actor, community=community, **data)
        except ApplicationError as exc:
            add_app_error(form, exc)
        else:
            messages.success(request, _("活动已发布。"))
            return redirect("engagement-staff-activity", pk=activity.pk)
    qs = selectors.with_signed_up(selectors.for_staff(Activity.objects.select_related("community"), actor)).order_by(
        "-starts_at", "-id")
    return render(request, "engagement/staff_activities.html", {
        "form": form, "communities": communities, "page": _page(request, qs)}, status=400 if form.errors else 200)


@staff_only
@require_GET
def staff_activity(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.staff_get(Activity.objects.select_related("community"), request.user, pk)
    signups = Signup.objects.filter(activity=activity).select_related(
        "registration__resident", "registration__worker", "organisation", "points_entry")
    return render(request, "engagement/staff_activity.html", {
        "activity": activity, "signups": signups.order_by("id"),
        "live": activity.signups.filter(status=SignupStatus.SIGNED_UP).count()})


@staff_only
@require_POST
def staff_signup_presence(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ("check-in", "check-out"):
        raise Http404
    signup = selectors.staff_get(Signup.objects.select_related("activity__community"), request.user, pk,
                                 "activity__community")
    step = services.signup_check_in if action == "check-in" else services.signup_check_out
    try:
        step(actor=request.user, signup=signup)
        messages.success(request, _("已签到。") if action == "check-in" else _("已签退。"))
    except ApplicationError as exc:
        _flash_error(request, exc)
    return redirect("engagement-staff-activity", pk=signup.activity_id)


@staff_only
@require_GET
@never_cache
def staff_activity_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """A signed token (valid five minutes) as text and as a QR code that opens the resident's check-in
    page; an inline SVG data URI, so no script and no inline style are needed."""
    activity = selectors.staff_get(Activity.objects.select_related("community"), request.user, pk)
    token = services.activity_checkin_token(actor=request.user, activity=activity)
    url = request.build_absolute_uri(reverse("engagement-me-checkin") + f"?token={token}")
    return render(request, "engagement/staff_qr.html", {
        "activity": activity, "token": token, "url": url,
        "qr": segno.make(url, error="m").svg_data_uri(scale=6, border=2)})
