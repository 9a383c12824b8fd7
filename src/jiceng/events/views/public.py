"""Residents' pages (no login, rate-limited): report (with "me too" and the point's place), 附议,
follow a case, the tracking link and its photos, and rating."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.core.errors import ApplicationError, RateLimitedError
from jiceng.core.ratelimit import enforce
from jiceng.core.uploads import attachment_read
from jiceng.core.views import add_app_error
from jiceng.regions import selectors as region_selectors
from jiceng.regions.choices import RegionLevel
from jiceng.regions.locator import locate_grid
from jiceng.regions.models import Region

from .. import services
from ..api import phone_key
from ..choices import Channel
from ..forms import FollowForm, JoinForm, NearbyForm, PublicReportForm, RateForm
from ..tracking import (
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
from .photos import _store_photo


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


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
