"""A resident's pages (on a phone): their wishes, points, the shop, activities and check-in."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core.errors import ApplicationError
from jiceng.core.views import add_app_error
from jiceng.people.models import Resident

from .. import selectors, services
from ..choices import RegistrationKind, SignupStatus
from ..forms import RedeemForm, ThankForm, TokenForm, WishForm
from ..models import Activity, Redemption, Registration, Wish
from . import _flash_error, _page, resident_only


@resident_only
@require_GET
def me(request: HttpRequest, resident: Resident) -> HttpResponse:
    account = services.account_for(resident=resident)
    community = selectors.resident_community(resident)
    return render(request, "engagement/me.html", {
        "resident": resident, "community": community, "account": account,
        "entries": selectors.point_statement(actor=resident, account=account)[:5],
        "wishes": Wish.objects.filter(resident=resident).order_by("-created_at", "-id")[:20],
        "signups": selectors.resident_signups(resident=resident)[:10],
        "redemptions": Redemption.objects.filter(account=account).select_related("item")[:10],
    })


@resident_only
@require_http_methods(["GET", "POST"])
def me_wish_new(request: HttpRequest, resident: Resident) -> HttpResponse:
    form = WishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.wish_post(actor=resident, resident=resident, **form.cleaned_data)
        except ApplicationError as exc:
            add_app_error(form, exc)
        else:
            messages.success(request, _("心愿已提交，社区审核后上墙。"))
            return redirect("engagement-me")
    return render(request, "engagement/me_wish_form.html", {"form": form}, status=400 if form.errors else 200)


@resident_only
@require_POST
def me_wish_thank(request: HttpRequest, resident: Resident, pk: int) -> HttpResponse:
    wish = Wish.objects.filter(pk=pk, resident=resident).first()
    if wish is None:
        raise Http404
    form = ThankForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(_("感谢留言太长。"), field="message")
        services.wish_thank(actor=resident, wish=wish, message=form.cleaned_data["message"])
        messages.success(request, _("已确认并致谢。"))
    except ApplicationError as exc:
        _flash_error(request, exc)
    return redirect("engagement-me")


@resident_only
@require_GET
def me_points(request: HttpRequest, resident: Resident) -> HttpResponse:
    account = services.account_for(resident=resident)
    community = selectors.resident_community(resident)
    return render(request, "engagement/me_points.html", {
        "account": account, "page": _page(request, selectors.point_statement(actor=resident, account=account)),
        "rules": selectors.point_rules(community=community), "community": community,
    })


@resident_only
@require_GET
def me_shop(request: HttpRequest, resident: Resident) -> HttpResponse:
    account = services.account_for(resident=resident)
    community = selectors.resident_community(resident)
    items = [(item, selectors.redeem_blocker(item=item, balance=account.balance))
             for item in selectors.shop_items(community=community)]
    return render(request, "engagement/me_shop.html", {
        "account": account, "items": items, "community": community,
        "redemptions": Redemption.objects.filter(account=account).select_related("item")[:20],
    })


@resident_only
@require_POST
def me_redeem(request: HttpRequest, resident: Resident, pk: int) -> HttpResponse:
    account = services.account_for(resident=resident)
    item = selectors.shop_items(community=selectors.resident_community(resident)).filter(pk=pk).first()
    if item is None:
        raise Http404
    form = RedeemForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(_("数量须为 1～100。"), field="quantity")
        services.redemption_create(actor=resident, account=account, item=item,
                                   quantity=form.cleaned_data["quantity"])
        messages.success(request, _("已兑换“%(name)s”，请到%(shop)s领取。") % {
            "name": item.name, "shop": item.shop.name})
    except ApplicationError as exc:
        _flash_error(request, exc)
    return redirect("engagement-me-shop")


@resident_only
@require_POST
def me_redemption_cancel(request: HttpRequest, resident: Resident, pk: int) -> HttpResponse:
    redemption = Redemption.objects.filter(pk=pk, account__resident=resident).first()
    if redemption is None:
        raise Http404
    try:
        services.redemption_cancel(actor=resident, redemption=redemption, note="居民取消")
        messages.success(request, _("已取消兑换，积分已退回。"))
    except ApplicationError as exc:
        _flash_error(request, exc)
    return redirect("engagement-me-shop")


@resident_only
@require_GET
def me_activities(request: HttpRequest, resident: Resident) -> HttpResponse:
    community = selectors.resident_community(resident)
    mine = {s.activity_id: s for s in selectors.resident_signups(resident=resident)
            .filter(status=SignupStatus.SIGNED_UP)}
    activities = selectors.with_signed_up(Activity.objects.filter(
        community=community, cancelled=False, ends_at__gt=timezone.now())).order_by("starts_at")[:50]
    registration = Registration.objects.filter(resident=resident, community=community, active=True).first()
    signups = list(selectors.resident_signups(resident=resident)[:50])
    return render(request, "engagement/me_activities.html", {
        "community": community, "rows": [(a, mine.get(a.pk)) for a in activities], "registration": registration,
        "signups": signups, "hours": round(sum(s.minutes for s in signups) / 60, 1),
    })


@resident_only
@require_POST
def me_register(request: HttpRequest, resident: Resident) -> HttpResponse:
    try:
        services.registration_create(actor=resident, community=selectors.resident_community(resident),
                                     kind=RegistrationKind.VOLUNTEER, resident=resident)
        messages.success(request, _("已报到为志愿者。"))
    except ApplicationError as exc:
        _flash_error(request, exc)
    return redirect("engagement-me-activities")


@resident_only
@require_POST
def me_signup(request: HttpRequest, resident: Resident, pk: int) -> HttpResponse:
    activity = Activity.objects.filter(pk=pk, community=selectors.resident_community(resident)).first()
    if activity is None:
        raise Http404
    registration = Registration.objects.filter(resident=resident, community=activity.community, active=True).first()
    try:
        if registration is None:
            raise ApplicationError(_("请先报到为志愿者。"), field="registration")
        services.signup_create(actor=resident, activity=activity, registration=registration)
        messages.success(request, _("已报名“%(title)s”。") % {"title": activity.title})
    except ApplicationError as exc:
        _flash_error(request, exc)
    return redirect("engagement-me-activities")


@resident_only
@require_http_methods(["GET", "POST"])
@never_cache
def me_checkin(request: HttpRequest, resident: Resident) -> HttpResponse:
    """The page a scanned QR code opens: the token names the activity; check in, later check out."""
    form = TokenForm(request.POST or request.GET or None)
    signup = None
    if form.is_bound and form.is_valid():
        activity_id = selectors.checkin_token_activity(form.cleaned_data["token"])
        signup = selectors.resident_signups(resident=resident).filter(
            activity_id=activity_id, status=SignupStatus.SIGNED_UP).first() if activity_id else None
        if signup is None:
            form.add_error("token", _("签到码无效，或您未报名该活动。"))
        elif request.method == "POST":
            step = services.signup_check_out if signup.checked_in_at else services.signup_check_in
            try:
                step(actor=resident, signup=signup, token=form.cleaned_data["token"])
            except ApplicationError as exc:
                add_app_error(form, exc)
            else:
                messages.success(request, _("签退成功。") if signup.checked_in_at else _("签到成功。"))
                return redirect("engagement-me-activities")
    return render(request, "engagement/me_checkin.html", {"form": form, "signup": signup},
                  status=400 if form.errors else 200)
