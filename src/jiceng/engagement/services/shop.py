"""积分超市: shops, items and redemptions.

A redemption debits the points and takes the stock in ONE transaction holding row locks taken in a
fixed order — the account, then the item, then (on cancel/collect) the redemption — so concurrent
redemptions neither deadlock nor overspend or oversell.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.errors import ApplicationError, ConflictError
from jiceng.regions.models import Region

from ..choices import EntryKind, RedemptionStatus
from ..models import PointAccount, Redemption, Shop, ShopItem
from ._common import audit, check_community, full_clean, require_staff, require_staff_or_self
from .points import _append, _entry_changes, lock_account


@transaction.atomic
def shop_create(*, actor, community: Region, name: str, address: str = "") -> Shop:
    check_community(community)
    require_staff(actor, community, managers_only=True)
    shop = Shop(community=community, name=(name or "").strip(), address=(address or "").strip())
    full_clean(shop)
    shop.save()
    audit(actor, "shop.create", shop, {"name": [None, shop.name], "community": [None, community.code]})
    return shop


@transaction.atomic
def shop_item_create(*, actor, shop: Shop, name: str, price: int, stock: int = 0) -> ShopItem:
    require_staff(actor, shop.community)
    if not isinstance(price, int) or isinstance(price, bool) or price <= 0:
        raise ApplicationError(_("所需积分须为正整数。"), field="price")
    if not isinstance(stock, int) or isinstance(stock, bool) or stock < 0:
        raise ApplicationError(_("库存不能为负数。"), field="stock")
    item = ShopItem(shop=shop, name=(name or "").strip(), price=price, stock=stock)
    full_clean(item)
    item.save()
    audit(actor, "shop.item_create", item, {"name": [None, item.name], "price": [None, price], "stock": [None, stock]})
    return item


@transaction.atomic
def shop_item_restock(*, actor, item: ShopItem, quantity: int) -> ShopItem:
    require_staff(actor, item.shop.community)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise ApplicationError(_("补货数量须为正整数。"), field="quantity")
    item = ShopItem.objects.select_for_update().get(pk=item.pk)
    before = item.stock
    item.stock += quantity
    item.save(update_fields=["stock"])
    audit(actor, "shop.item_restock", item, {"stock": [before, item.stock]})
    return item


@transaction.atomic
def redemption_create(*, actor, account: PointAccount, item: ShopItem, quantity: int = 1,
                      now: datetime | None = None) -> Redemption:
    """Reserve stock and debit points together. A resident redeems from their own account; staff at
    the shop's community for anyone's. Refused, with nothing written, when points or stock fall short."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise ApplicationError(_("数量须为正整数。"), field="quantity")
    require_staff_or_self(actor, account.community, account.resident)
    account = lock_account(account)
    item = ShopItem.objects.select_for_update().select_related("shop").get(pk=item.pk)
    if item.shop.community_id != account.community_id:
        raise ApplicationError(_("只能在本社区/村的积分超市兑换。"), field="item")
    if not item.active or not item.shop.active:
        raise ApplicationError(_("该商品暂不可兑换。"), field="item")
    if item.stock < quantity:
        raise ApplicationError(_("库存不足：剩余 %(stock)s 件。") % {"stock": item.stock}, field="quantity")
    points = item.price * quantity
    if account.balance < points:
        raise ApplicationError(_("积分不足：当前 %(balance)s 分，需要 %(needed)s 分。") % {
            "balance": account.balance, "needed": points}, field="points")
    now = now or timezone.now()
    entry = _append(account, amount=-points, kind=EntryKind.REDEEM, actor=actor, source_type="shop_item",
                    source_id=str(item.pk), note=f"兑换 {item.name} ×{quantity}", now=now)
    item.stock -= quantity
    item.save(update_fields=["stock"])
    redemption = Redemption(account=account, item=item, quantity=quantity, points=points, entry=entry,
                            created_at=now, actor_user=entry.actor_user, actor_resident=entry.actor_resident)
    redemption.save(force_insert=True)
    audit(actor, "shop.redeem", redemption,
          {**_entry_changes(entry, account), "item": [None, item.pk], "quantity": [None, quantity],
           "stock": [item.stock + quantity, item.stock]})
    return redemption


def _lock_redemption(redemption: Redemption) -> tuple[PointAccount, ShopItem, Redemption]:
    account = lock_account(redemption.account)
    item = ShopItem.objects.select_for_update().get(pk=redemption.item_id)
    redemption = Redemption.objects.select_for_update().get(pk=redemption.pk)
    return account, item, redemption


@transaction.atomic
def redemption_cancel(*, actor, redemption: Redemption, note: str = "", now: datetime | None = None) -> Redemption:
    """Give the points back and the stock back, together. Only a reservation not yet collected."""
    require_staff_or_self(actor, redemption.account.community, redemption.account.resident)
    account, item, redemption = _lock_redemption(redemption)
    if redemption.status != RedemptionStatus.RESERVED:
        raise ConflictError(_("该兑换已领取或已取消。"), field="status")
    now = now or timezone.now()
    entry = _append(account, amount=redemption.points, kind=EntryKind.CANCEL_REDEEM, actor=actor,
                    source_type="redemption", source_id=str(redemption.pk), reverses=redemption.entry,
                    note=(note or "取消兑换")[:200], now=now)
    item.stock += redemption.quantity
    item.save(update_fields=["stock"])
    redemption.status, redemption.cancel_entry, redemption.closed_at = RedemptionStatus.CANCELLED, entry, now
    redemption.save(update_fields=["status", "cancel_entry", "closed_at"])
    audit(actor, "shop.cancel_redeem", redemption,
          {**_entry_changes(entry, account), "status": [RedemptionStatus.RESERVED, RedemptionStatus.CANCELLED],
           "stock": [item.stock - redemption.quantity, item.stock]})
    return redemption


@transaction.atomic
def redemption_collect(*, actor, redemption: Redemption, now: datetime | None = None) -> Redemption:
    """The shop hands the goods over (staff only)."""
    require_staff(actor, redemption.account.community)
    _account, _item, redemption = _lock_redemption(redemption)
    if redemption.status != RedemptionStatus.RESERVED:
        raise ConflictError(_("该兑换已领取或已取消。"), field="status")
    redemption.status, redemption.closed_at = RedemptionStatus.COLLECTED, now or timezone.now()
    redemption.save(update_fields=["status", "closed_at"])
    audit(actor, "shop.collect", redemption, {"status": [RedemptionStatus.RESERVED, RedemptionStatus.COLLECTED]})
    return redemption
