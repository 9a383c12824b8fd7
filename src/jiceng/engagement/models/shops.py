"""Points shops (积分超市): the shops, their goods and the redemptions paid from an account."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.regions.models import Region

from ..choices import RedemptionStatus
from .base import ActorFields
from .points import PointAccount, PointEntry


class Shop(models.Model):
    """积分超市: one or more per community."""

    community = models.ForeignKey(Region, verbose_name=_("社区/村"), on_delete=models.PROTECT, related_name="shops")
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True, default="")
    active = models.BooleanField(_("营业"), default=True)

    scope_path_lookup = "community__path"
    scope_personal = False

    class Meta:
        ordering = ["community__path", "name"]
        verbose_name = _("积分超市")
        verbose_name_plural = _("积分超市")

    def __str__(self) -> str:
        return self.name


class ShopItem(models.Model):
    shop = models.ForeignKey(Shop, verbose_name=_("超市"), on_delete=models.PROTECT, related_name="items")
    name = models.CharField(_("商品"), max_length=100)
    price = models.PositiveIntegerField(_("所需积分"))
    stock = models.IntegerField(_("库存"), default=0)
    active = models.BooleanField(_("上架"), default=True)

    scope_path_lookup = "shop__community__path"
    scope_personal = False

    class Meta:
        ordering = ["shop", "name"]
        verbose_name = _("兑换商品")
        verbose_name_plural = _("兑换商品")
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="shopitem_stock_not_negative"),
            models.CheckConstraint(condition=Q(price__gt=0), name="shopitem_price_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Redemption(ActorFields):
    account = models.ForeignKey(PointAccount, verbose_name=_("账户"), on_delete=models.PROTECT,
                                related_name="redemptions")
    item = models.ForeignKey(ShopItem, verbose_name=_("商品"), on_delete=models.PROTECT, related_name="redemptions")
    quantity = models.PositiveIntegerField(_("数量"))
    points = models.PositiveIntegerField(_("积分"))
    status = models.CharField(_("状态"), max_length=16, choices=RedemptionStatus.choices,
                              default=RedemptionStatus.RESERVED)
    entry = models.OneToOneField(PointEntry, on_delete=models.PROTECT, related_name="redemption")
    cancel_entry = models.OneToOneField(PointEntry, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="cancelled_redemption")
    created_at = models.DateTimeField(_("兑换时间"))
    closed_at = models.DateTimeField(_("领取/取消时间"), null=True, blank=True)

    scope_path_lookup = "account__community__path"
    scope_personal = True

    class Meta:
        ordering = ["-id"]
        verbose_name = _("兑换记录")
        verbose_name_plural = _("兑换记录")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="redemption_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.item} ×{self.quantity}"
