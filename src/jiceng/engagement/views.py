"""Engagement pages. Thin: parse, call services and selectors, render.

Three audiences: a resident (an account of role 居民 linked to a ``Resident``) on a phone — their wishes,
points, the shop and activities; community staff — reviewing wishes, awarding points, the shops, the
activities with check-in and the rankings; anyone — a community's public wish wall (masked names only).
"""

from __future__ import annotations

import functools

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core.errors import ApplicationError
from jiceng.core.paging import page_of
from jiceng.core.scope import restrict
from jiceng.core.views import add_app_error, form_entered, page_errors
from jiceng.people.choices import Role
from jiceng.people.models import Resident
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region

from . import selectors, services
from .choices import RegistrationKind, SignupStatus, WishStatus
from .forms import (
    ActivityForm,
    AwardForm,
    CorrectForm,
    ItemForm,
    RedeemForm,
    RestockForm,
    ReviewForm,
    ShopForm,
    ThankForm,
    TokenForm,
    WishFilterForm,
    WishForm,
)
from .models import Activity, PointAccount, PointEntry, Redemption, Registration, Shop, ShopItem, Signup, Wish
from .services._common import is_staff


def resident_only(view):
    """The page acts as the logged-in account's resident; any other account gets 403."""

    @functools.wraps(view)
    @login_required
    @page_errors
    def wrapper(request, *args, **kwargs):
        if request.user.role != Role.RESIDENT:
            raise PermissionDenied(_("此页面供居民使用。"))
        resident = Resident.objects.select_related("grid").filter(account=request.user).first()
        if resident is None:
            raise PermissionDenied(_("该账号未关联居民档案。"))
        return view(request, resident, *args, **kwargs)

    return wrapper


def staff_only(view):
    @functools.wraps(view)
    @login_required
    @page_errors
    def wrapper(request, *args, **kwargs):
        if not is_staff(request.user):
            raise PermissionDenied(_("此页面供社区工作人员使用。"))
        return view(request, *args, **kwargs)

    return wrapper


def _flash_error(request, exc: ApplicationError) -> None:
    messages.error(request, exc.message)


def _page(request, qs, size: int | None = None):
    return page_of(request, qs, size or settings.JICENG_PAGE_SIZE)


# --- public ----------------------------------------------------------------------------------------


@require_GET
def wall(request: HttpRequest, pk: int) -> HttpResponse:
    """No login: what the wall shows is already masked by the selector."""
    community = Region.objects.filter(pk=pk, level=RegionLevel.COMMUNITY).first()
    if community is None:
        raise Http404(_("未找到该社区/村。"))
    return render(request, "engagement/wall.html",
                  {"community": community, "rows": selectors.wish_wall(community=community)})


# --- resident ----------------------------------------------------------------------------------------


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


# --- staff -------------------------------------------------------------------------------------------


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


def _community_param(request) -> Region | None:
    pk = request.GET.get("community") or request.POST.get("community")
    if not pk or not str(pk).isdigit():
        return None
    return selectors.staff_communities(actor=request.user).filter(pk=int(pk)).first()


PENDING_ON_OVERVIEW = 20


def _back(request, default: str) -> str:
    """Where a shop form returns to: the page it was posted from (a local ``next``), else ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def _shop_detail(request, shop: Shop) -> dict:
    """What a shop's own page shows: every item with restock, the 上架 form, the redemptions to hand over."""
    return {"shop": shop, "items": shop.items.order_by("-active", "name", "id"), "item_form": ItemForm(auto_id="item-%s"),
            "shop_pending": selectors.pending_redemptions(actor=request.user, shop=shop)[:200]}  # a shop's backlog is short


@staff_only
@require_GET
def staff_shops(request: HttpRequest) -> HttpResponse:
    """One row per shop (a county has dozens); a community account with a single shop sees it in full."""
    actor = request.user
    regions = selectors.shop_filter_regions(actor=actor)
    pk = request.GET.get("region", "")
    region = next((r for r in regions if str(r.pk) == pk), None)
    shops = selectors.shop_overview(actor=actor, region=region)
    pending = selectors.pending_redemptions(actor=actor, region=region)
    page = _page(request, shops)
    only = page.object_list[0] if region is None and page.paginator.count == 1 else None
    return render(request, "engagement/staff_shops.html", {
        "page": page, "regions": regions if len(regions) > 1 else [], "region": region,
        "query": f"region={region.pk}" if region else "",
        "pending": pending[:PENDING_ON_OVERVIEW], "n_pending": pending.count(),
        "shop_form": ShopForm(), "communities": selectors.staff_communities(actor=actor)[:1000],
        **(_shop_detail(request, only) if only else {})})


@staff_only
@require_GET
def staff_shop(request: HttpRequest, pk: int) -> HttpResponse:
    shop = selectors.staff_get(Shop.objects.select_related("community"), request.user, pk)
    return render(request, "engagement/staff_shop.html", _shop_detail(request, shop))


@staff_only
@require_POST
def staff_shop_create(request: HttpRequest) -> HttpResponse:
    form = ShopForm(request.POST)
    community = _community_param(request)
    try:
        if community is None:
            raise ApplicationError(_("请选择社区/村。"), field="community")
        if not form.is_valid():
            raise ApplicationError(_("请填写超市名称。"), field="name")
        shop = services.shop_create(actor=request.user, community=community, **form.cleaned_data)
        messages.success(request, _("已开设超市。"))
    except ApplicationError as exc:
        _flash_error(request, exc)
        return redirect("engagement-staff-shops")
    return redirect("engagement-staff-shop", pk=shop.pk)


@staff_only
@require_POST
def staff_item_create(request: HttpRequest, pk: int) -> HttpResponse:
    shop = selectors.staff_get(Shop.objects.select_related("community"), request.user, pk)
    form = ItemForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(pgettext("list separator", "；").join(
                _("%(field)s：%(message)s") % {"field": form.fields[f].label, "message": e[0]}
                for f, e in form.errors.items()))
        services.shop_item_create(actor=request.user, shop=shop, **form.cleaned_data)
        messages.success(request, _("已上架。"))
    except ApplicationError as exc:
        _flash_error(request, exc)
    return redirect(_back(request, reverse("engagement-staff-shop", args=[shop.pk])))


@staff_only
@require_POST
def staff_item_restock(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.staff_get(ShopItem.objects.select_related("shop__community"), request.user, pk, "shop__community")
    form = RestockForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(_("补货数量须为正整数。"), field="quantity")
        services.shop_item_restock(actor=request.user, item=item, quantity=form.cleaned_data["quantity"])
        messages.success(request, _("“%(name)s”已补货。") % {"name": item.name})
    except ApplicationError as exc:
        _flash_error(request, exc)
    return redirect(_back(request, reverse("engagement-staff-shop", args=[item.shop_id])))


@staff_only
@require_POST
def staff_redemption_close(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ("collect", "cancel"):
        raise Http404
    redemption = selectors.staff_get(Redemption.objects.select_related("account__community"), request.user, pk,
                                     "account__community")
    try:
        if action == "collect":
            services.redemption_collect(actor=request.user, redemption=redemption)
        else:
            services.redemption_cancel(actor=request.user, redemption=redemption, note="工作人员取消")
        messages.success(request, _("已处理。"))
    except ApplicationError as exc:
        _flash_error(request, exc)
    return redirect(_back(request, reverse("engagement-staff-shops")))


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
