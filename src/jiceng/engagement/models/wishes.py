"""Micro-wishes (微心愿) on a community's wall and the claims on them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.people.models import Resident
from jiceng.regions.models import Organisation, Region

from ..choices import LIVE_CLAIM_STATUSES, ClaimStatus, WishCategory, WishStatus
from .base import ActorFields
from .volunteering import VolunteerTeam


class Wish(ActorFields):
    """微心愿 on a community's wall."""

    community = models.ForeignKey(Region, verbose_name=_("社区/村"), on_delete=models.PROTECT, related_name="wishes")
    resident = models.ForeignKey(Resident, verbose_name=_("许愿人"), on_delete=models.PROTECT, related_name="wishes")
    category = models.CharField(_("类别"), max_length=16, choices=WishCategory.choices)
    description = models.CharField(_("心愿内容"), max_length=500)
    estimated_cost = models.DecimalField(_("预估金额（元）"), max_digits=9, decimal_places=2, default=0)
    photo = models.CharField(_("照片"), max_length=300, blank=True, default="")
    status = models.CharField(_("状态"), max_length=16, choices=WishStatus.choices, default=WishStatus.SUBMITTED,
                              db_index=True)
    reject_reason = models.CharField(_("未通过原因"), max_length=200, blank=True, default="")
    thanks = models.CharField(_("感谢留言"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("提交时间"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    thanked_at = models.DateTimeField(_("致谢时间"), null=True, blank=True)

    scope_path_lookup = "community__path"
    scope_personal = True

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("微心愿")
        verbose_name_plural = _("微心愿")
        constraints = [
            models.CheckConstraint(condition=Q(estimated_cost__gte=0), name="wish_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return self.description[:30]


class WishClaim(ActorFields):
    """A claim on a wish by a party member or volunteer (resident), a unit (party organisation,
    enterprise) or a volunteer team. At most one live claim per wish: enforced in the database."""

    wish = models.ForeignKey(Wish, verbose_name=_("心愿"), on_delete=models.PROTECT, related_name="claims")
    resident = models.ForeignKey(Resident, verbose_name=_("认领人"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="wish_claims")
    organisation = models.ForeignKey(Organisation, verbose_name=_("认领单位"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="wish_claims")
    team = models.ForeignKey(VolunteerTeam, verbose_name=_("认领服务队"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="wish_claims")
    status = models.CharField(_("状态"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.ACTIVE)
    claimed_at = models.DateTimeField(_("认领时间"))
    deadline = models.DateTimeField(_("完成期限"))
    fulfilled_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    fulfilment_photo = models.CharField(_("完成照片"), max_length=300, blank=True, default="")
    closed_at = models.DateTimeField(_("释放时间"), null=True, blank=True)

    scope_path_lookup = "wish__community__path"
    scope_personal = True

    class Meta:
        ordering = ["-claimed_at", "-id"]
        verbose_name = _("心愿认领")
        verbose_name_plural = _("心愿认领")
        constraints = [
            models.UniqueConstraint(fields=["wish"], condition=Q(status__in=LIVE_CLAIM_STATUSES),
                                    name="wishclaim_one_live_claim"),
            models.CheckConstraint(
                condition=(Q(resident__isnull=False) & Q(organisation__isnull=True) & Q(team__isnull=True))
                | (Q(resident__isnull=True) & Q(organisation__isnull=False) & Q(team__isnull=True))
                | (Q(resident__isnull=True) & Q(organisation__isnull=True) & Q(team__isnull=False)),
                name="wishclaim_one_claimant",
            ),
            models.CheckConstraint(condition=Q(deadline__gt=models.F("claimed_at")), name="wishclaim_deadline_after"),
        ]

    def __str__(self) -> str:
        return f"{self.claimant_name} → {self.wish}"

    @property
    def claimant_name(self) -> str:
        return str(self.resident or self.organisation or self.team)

    @property
    def claimant_kind(self) -> str:
        return "resident" if self.resident_id else "organisation" if self.organisation_id else "team"
