"""积分超市: shops, their items, and redemptions (points and stock move in one transaction)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from ninja import Field, Query, Schema, Status

from jiceng.core.api_schemas import (
    CREATE_ERRORS,
    LIST_ERRORS,
    WRITE_ERRORS,
    Error,
    ObjectId,
    PageParams,
    bounded_int,
    lookup_or_404,
    paginate,
    text,
)
from jiceng.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from jiceng.core.scope import get_scoped_or_404, restrict
from jiceng.people.models import Resident

from .. import selectors, services
from ..models import PointAccount, Redemption, Shop, ShopItem
from .common import CommunityRef, _community, _iso, _own_or_scoped, _ref, _region, actor_of, router

Quantity = bounded_int(1, 10_000, "数量")


class ShopOut(Schema):
    id: int
    community: CommunityRef
    name: str
    address: str
    active: bool


def shop_out(s: Shop) -> dict:
    return {"id": s.pk, "community": _ref(s.community), "name": s.name, "address": s.address, "active": s.active}


class ShopIn(Schema):
    community: ObjectId = Field(..., description="社区/村 ID")  # type: ignore[valid-type]
    name: text(100, min_length=1, description="名称")  # type: ignore[valid-type]
    address: text(200, description="地址") = ""  # type: ignore[valid-type]


class ItemOut(Schema):
    id: int
    shop_id: int
    shop: str
    name: str
    price: int
    stock: int
    active: bool


def item_out(i: ShopItem) -> dict:
    return {"id": i.pk, "shop_id": i.shop_id, "shop": i.shop.name, "name": i.name, "price": i.price,
            "stock": i.stock, "active": i.active}


class ItemIn(Schema):
    name: text(100, min_length=1, description="商品名称")  # type: ignore[valid-type]
    price: bounded_int(1, 1_000_000, "所需积分")  # type: ignore[valid-type]
    stock: bounded_int(0, 1_000_000, "初始库存") = 0  # type: ignore[valid-type]


class RestockIn(Schema):
    quantity: bounded_int(1, 1_000_000, "补货数量")  # type: ignore[valid-type]


class RegionFilter(Schema):
    region: ObjectId | None = Field(None, description="区域 ID")  # type: ignore[valid-type]


class ItemFilter(Schema):
    community: ObjectId = Field(..., description="社区/村 ID")  # type: ignore[valid-type]


@router.get("/shops", response={200: list[ShopOut], LIST_ERRORS: Error}, summary="积分超市",
            description="范围内的积分超市。")
def shop_list(request, filters: Query[RegionFilter]):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        qs = Shop.objects.filter(community=selectors.resident_community(actor))
    else:
        qs = restrict(Shop.objects.all(), actor)
        region = _region(actor, filters.region)
        if region is not None:
            qs = qs.filter(community__path__startswith=region.path)
    return [shop_out(s) for s in qs.select_related("community")[:500]]


@router.post("/shops", response={201: ShopOut, CREATE_ERRORS: Error}, summary="开设积分超市",
             description="社区/村工作人员为社区开设积分超市。")
def shop_create(request, payload: ShopIn):
    actor = actor_of(request)
    community = _community(actor, payload.community)
    shop = services.shop_create(actor=actor, community=community, name=payload.name, address=payload.address)
    return Status(201, shop_out(shop))


@router.get("/items", response={200: list[ItemOut], LIST_ERRORS: Error}, summary="可兑换商品",
            description="社区/村在营业超市里上架的商品（按超市、积分排序）。")
def item_list(request, filters: Query[ItemFilter]):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        community = selectors.resident_community(actor)
        if community.pk != filters.community:
            raise ApplicationError(_("只能查看本社区/村的超市。"), field="community")
    else:
        community = _community(actor, filters.community)
    return [item_out(i) for i in selectors.shop_items(community=community)]


@router.post("/shops/{shop_id}/items", response={201: ItemOut, WRITE_ERRORS: Error}, summary="上架商品",
             description="为超市上架一件商品（积分须为正，库存不能为负）。")
def item_create(request, shop_id: ObjectId, payload: ItemIn):  # type: ignore[valid-type]
    actor = actor_of(request)
    if isinstance(actor, Resident):
        raise PermissionDeniedError(_("居民不能管理超市。"))
    shop = get_scoped_or_404(Shop.objects.select_related("community"), actor, pk=shop_id)
    item = services.shop_item_create(actor=actor, shop=shop, name=payload.name, price=payload.price,
                                     stock=payload.stock)
    return Status(201, item_out(item))


@router.post("/items/{item_id}/restock", response={200: ItemOut, WRITE_ERRORS: Error}, summary="补货",
             description="增加商品库存。")
def item_restock(request, item_id: ObjectId, payload: RestockIn):  # type: ignore[valid-type]
    actor = actor_of(request)
    if isinstance(actor, Resident):
        raise PermissionDeniedError(_("居民不能管理超市。"))
    item = get_scoped_or_404(ShopItem.objects.select_related("shop__community"), actor, pk=item_id)
    return item_out(services.shop_item_restock(actor=actor, item=item, quantity=payload.quantity))


class RedemptionOut(Schema):
    id: int
    account_id: int
    owner: str
    item: str
    quantity: int
    points: int
    status: str
    status_label: str
    created_at: str
    closed_at: str | None


def redemption_out(r: Redemption) -> dict:
    return {"id": r.pk, "account_id": r.account_id, "owner": str(r.account), "item": r.item.name,
            "quantity": r.quantity, "points": r.points, "status": r.status, "status_label": r.get_status_display(),
            "created_at": r.created_at.isoformat(), "closed_at": _iso(r.closed_at)}


class RedemptionPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RedemptionOut]


class RedemptionFilter(PageParams):
    region: ObjectId | None = Field(None, description="区域 ID")  # type: ignore[valid-type]


class RedemptionIn(Schema):
    item: ObjectId = Field(..., description="商品 ID")  # type: ignore[valid-type]
    quantity: Quantity = 1  # type: ignore[valid-type]
    account: ObjectId | None = Field(None, description="积分账户 ID（工作人员代为兑换时必填；居民省略）")  # type: ignore[valid-type]


class CancelIn(Schema):
    note: text(200, description="取消原因") = ""  # type: ignore[valid-type]


_REDEMPTIONS = Redemption.objects.select_related("item", "account__resident", "account__organisation",
                                                 "account__community")


@router.get("/redemptions", response={200: RedemptionPage, LIST_ERRORS: Error}, summary="兑换记录",
            description="工作人员：范围内的兑换；居民账号：本人的兑换。")
def redemption_list(request, filters: Query[RedemptionFilter]):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        qs = _REDEMPTIONS.filter(account__resident=actor)
    else:
        qs = selectors.redemptions(actor=actor, region=_region(actor, filters.region)).select_related(
            "account__organisation")
    return paginate(qs.order_by("-id"), filters, redemption_out)


@router.post("/redemptions", response={201: RedemptionOut, CREATE_ERRORS: Error}, summary="兑换商品",
             description="扣积分与减库存在同一事务内完成：余额或库存不足时什么也不写。")
def redemption_create(request, payload: RedemptionIn):
    actor = actor_of(request)
    if isinstance(actor, Resident):
        account = services.account_for(resident=actor)
        item = ShopItem.objects.select_related("shop__community").filter(
            pk=payload.item, shop__community=account.community).first()
        if item is None:
            raise NotFoundError(_("商品（ID %(id)s）不存在，或不在本社区/村的超市。") % {"id": payload.item}, field="item")
    else:
        if payload.account is None:
            raise ApplicationError(_("请选择积分账户。"), field="account")
        account = lookup_or_404(PointAccount.objects.select_related("community"), actor, payload.account,
                                field="account", label=pgettext("record type", "积分账户"))
        item = lookup_or_404(ShopItem.objects.select_related("shop__community"), actor, payload.item,
                             field="item", label=pgettext("record type", "商品"))
    redemption = services.redemption_create(actor=actor, account=account, item=item, quantity=payload.quantity)
    return Status(201, redemption_out(_REDEMPTIONS.get(pk=redemption.pk)))


@router.post("/redemptions/{redemption_id}/cancel", response={200: RedemptionOut, WRITE_ERRORS: Error},
             summary="取消兑换", description="待领取的兑换可取消，积分与库存一并退回。")
def redemption_cancel(request, redemption_id: ObjectId, payload: CancelIn):  # type: ignore[valid-type]
    actor = actor_of(request)
    redemption = _own_or_scoped(_REDEMPTIONS, actor, redemption_id, "account__resident")
    services.redemption_cancel(actor=actor, redemption=redemption, note=payload.note)
    return redemption_out(_REDEMPTIONS.get(pk=redemption.pk))


@router.post("/redemptions/{redemption_id}/collect", response={200: RedemptionOut, WRITE_ERRORS: Error},
             summary="领取兑换", description="超市工作人员交付商品。")
def redemption_collect(request, redemption_id: ObjectId):  # type: ignore[valid-type]
    actor = actor_of(request)
    if isinstance(actor, Resident):
        raise PermissionDeniedError(_("由工作人员确认领取。"))
    redemption = get_scoped_or_404(_REDEMPTIONS, actor, pk=redemption_id)
    services.redemption_collect(actor=actor, redemption=redemption)
    return redemption_out(_REDEMPTIONS.get(pk=redemption.pk))
