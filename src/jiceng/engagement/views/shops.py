"""Community staff: the points shops — opening one, its items and restocking, the redemptions to hand over."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from jiceng.core.errors import ApplicationError
from jiceng.core.views import local_next

from .. import selectors, services
from ..forms import ItemForm, RestockForm, ShopForm
from ..models import Redemption, Shop, ShopItem
from . import _community_param, _flash_error, _page, staff_only

PENDING_ON_OVERVIEW = 20


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
    return redirect(local_next(request, reverse("engagement-staff-shop", args=[shop.pk])))


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
    return redirect(local_next(request, reverse("engagement-staff-shop", args=[item.shop_id])))


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
    return redirect(local_next(request, reverse("engagement-staff-shops")))
