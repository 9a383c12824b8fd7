"""Engagement: points (积分制) with an append-only ledger, points shops (积分超市), micro-wishes (微心愿),
volunteering and 双报到.

Each table is scoped through its community (``scope_path_lookup``); the tables that name residents are
personal (``scope_personal = True``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.models import AppendOnlyError
from jiceng.people.models import GridWorker, Resident
from jiceng.regions.models import Organisation, Region

from .choices import (
    LIVE_CLAIM_STATUSES,
    ClaimStatus,
    EntryKind,
    RedemptionStatus,
    RegistrationKind,
    RuleSource,
    SignupStatus,
    WishCategory,
    WishStatus,
)


class ActorFields(models.Model):
    """Who did it: a staff account or a resident acting for themselves (neither: the system)."""

    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人（工作人员）"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="+")
    actor_resident = models.ForeignKey(Resident, verbose_name=_("操作人（居民）"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


# --- points ----------------------------------------------------------------------------------------


class PointRule(models.Model):
    """One line of a community's points charter (积分细则): positive awards, negative deductions."""

    community = models.ForeignKey(Region, verbose_name=_("社区/村"), on_delete=models.PROTECT,
                                  related_name="point_rules")
    code = models.CharField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    points = models.IntegerField(_("分值"), help_text=_("正数为奖励，负数为扣减。"))
    requires_evidence = models.BooleanField(_("须附佐证"), default=False)
    source = models.CharField(_("自动来源"), max_length=40, choices=RuleSource.choices, blank=True, default="")
    expires_after_days = models.PositiveIntegerField(_("有效期（天）"), null=True, blank=True,
                                                     help_text=_("留空则不过期。"))
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = "community__path"
    scope_personal = False

    class Meta:
        ordering = ["community__path", "code"]
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="pointrule_code_unique"),
            models.UniqueConstraint(fields=["community", "source"], condition=~Q(source="") & Q(active=True),
                                    name="pointrule_one_active_source"),
            models.CheckConstraint(condition=~Q(points=0), name="pointrule_points_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.points:+d}）"


class PointAccount(models.Model):
    """A resident's (or an organisation's) points. ``balance`` caches the ledger sum: it is changed only
    under a row lock in the transaction that appends the entry, and ``points_ledger_mismatches`` checks it."""

    community = models.ForeignKey(Region, verbose_name=_("社区/村"), on_delete=models.PROTECT,
                                  related_name="point_accounts")
    resident = models.OneToOneField(Resident, verbose_name=_("居民"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="point_account")
    organisation = models.OneToOneField(Organisation, verbose_name=_("单位"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="point_account")
    balance = models.IntegerField(_("余额"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = "community__path"
    scope_personal = True

    class Meta:
        ordering = ["community__path", "id"]
        verbose_name = _("积分账户")
        verbose_name_plural = _("积分账户")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="pointaccount_balance_not_negative"),
            models.CheckConstraint(
                condition=(Q(resident__isnull=False) & Q(organisation__isnull=True))
                | (Q(resident__isnull=True) & Q(organisation__isnull=False)),
                name="pointaccount_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return str(self.resident or self.organisation)


class PointEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("point entries cannot be changed")

    def delete(self):
        raise AppendOnlyError("point entries cannot be deleted")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("point entries cannot be changed")


class PointEntry(ActorFields):
    """One line of the append-only points ledger. A mistake is put right by a reversing entry
    (``reverses``), never by an edit; database triggers refuse UPDATE and DELETE as for the audit log."""

    account = models.ForeignKey(PointAccount, verbose_name=_("账户"), on_delete=models.PROTECT,
                                related_name="entries")
    amount = models.IntegerField(_("分值"))
    kind = models.CharField(_("类型"), max_length=16, choices=EntryKind.choices)
    rule = models.ForeignKey(PointRule, verbose_name=_("规则"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="entries")
    source_type = models.CharField(_("来源类型"), max_length=40, blank=True, default="")
    source_id = models.CharField(_("来源编号"), max_length=64, blank=True, default="")
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")
    evidence = models.CharField(_("佐证"), max_length=300, blank=True, default="",
                                help_text=_("照片或文件的存储路径。"))
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    reverses = models.OneToOneField("self", verbose_name=_("冲正/取消的记录"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversed_by")
    expires_entry = models.ForeignKey("self", verbose_name=_("过期的奖励"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="expirations")
    created_at = models.DateTimeField(_("时间"), db_index=True)

    objects = PointEntryQuerySet.as_manager()

    scope_path_lookup = "account__community__path"
    scope_personal = True

    class Meta:
        ordering = ["id"]
        verbose_name = _("积分流水")
        verbose_name_plural = _("积分流水")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="pointentry_amount_nonzero"),
            models.CheckConstraint(
                condition=(Q(kind__in=[EntryKind.AWARD, EntryKind.CANCEL_REDEEM]) & Q(amount__gt=0))
                | (Q(kind__in=[EntryKind.DEDUCT, EntryKind.REDEEM, EntryKind.EXPIRE]) & Q(amount__lt=0))
                | Q(kind=EntryKind.CORRECTION),
                name="pointentry_sign_matches_kind",
            ),
            models.UniqueConstraint(fields=["account", "rule", "source_type", "source_id"],
                                    condition=Q(kind=EntryKind.AWARD) & ~Q(source_id=""),
                                    name="pointentry_one_award_per_source"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:+d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("point entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("point entries cannot be deleted")

    @property
    def note_shown(self) -> str:
        """The note without a leading repeat of the entry's kind: the shop and the demo write 兑换：理发券
        on a 兑换 entry and 取消兑换 on a 取消兑换 entry, and a ledger line shows the kind beside it."""
        from django.utils import translation

        with translation.override(None):  # the notes are written in Chinese, whatever the reader's language
            label = str(EntryKind(self.kind).label)
        if self.note.startswith(label):
            return self.note[len(label):].lstrip(" ：:·")
        return self.note

    @property
    def evidence_parts(self) -> tuple[str, str]:
        """(the evidence text, the id of an evidence photo or ""): a photo is named in ``evidence``
        as ``attachment:<uuid>`` (services.points.points_award). An automatic award names its own source
        record there (``signup:17``, services.points.points_award_for_source): that record is what the
        note already says (志愿服务：清扫楼道), so it is no text for a reader."""
        words = self.evidence.split()
        own_source = f"{self.source_type}:{self.source_id}" if self.source_type and self.source_id else None
        photos = [w.removeprefix("attachment:") for w in words if w.startswith("attachment:")]
        text = " ".join(w for w in words if not w.startswith("attachment:") and w != own_source)
        return text, (photos[0] if photos else "")


# --- points shop -----------------------------------------------------------------------------------


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


# --- volunteering and 双报到 ----------------------------------------------------------------------


class VolunteerTeam(models.Model):
    """A volunteer team (e.g. 红骑先锋队 of couriers and riders); may claim wishes and run activities."""

    community = models.ForeignKey(Region, verbose_name=_("社区/村"), on_delete=models.PROTECT,
                                  related_name="volunteer_teams")
    name = models.CharField(_("名称"), max_length=100)
    active = models.BooleanField(_("有效"), default=True)

    scope_path_lookup = "community__path"
    scope_personal = False

    class Meta:
        ordering = ["community__path", "name"]
        verbose_name = _("志愿服务队")
        verbose_name_plural = _("志愿服务队")

    def __str__(self) -> str:
        return self.name


class Registration(ActorFields):
    """双报到: a unit, a party member, a volunteer or a 特聘 helper registered with a community."""

    community = models.ForeignKey(Region, verbose_name=_("社区/村"), on_delete=models.PROTECT,
                                  related_name="registrations")
    kind = models.CharField(_("类型"), max_length=16, choices=RegistrationKind.choices)
    organisation = models.ForeignKey(Organisation, verbose_name=_("单位"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="registrations")
    resident = models.ForeignKey(Resident, verbose_name=_("居民"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="registrations")
    worker = models.ForeignKey(GridWorker, verbose_name=_("特聘网格员"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="registrations")
    team = models.ForeignKey(VolunteerTeam, verbose_name=_("所属服务队"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="members")
    skills = models.CharField(_("特长"), max_length=200, blank=True, default="")
    active = models.BooleanField(_("有效"), default=True)
    registered_at = models.DateTimeField(_("报到时间"))

    scope_path_lookup = "community__path"
    scope_personal = True

    class Meta:
        ordering = ["community__path", "-registered_at"]
        verbose_name = _("报到登记")
        verbose_name_plural = _("报到登记")
        constraints = [
            models.CheckConstraint(
                condition=(Q(organisation__isnull=False) & Q(resident__isnull=True) & Q(worker__isnull=True))
                | (Q(organisation__isnull=True) & Q(resident__isnull=False) & Q(worker__isnull=True))
                | (Q(organisation__isnull=True) & Q(resident__isnull=True) & Q(worker__isnull=False)),
                name="registration_one_registrant",
            ),
            models.UniqueConstraint(fields=["community", "organisation"], condition=Q(active=True),
                                    name="registration_unit_once"),
            models.UniqueConstraint(fields=["community", "resident"], condition=Q(active=True),
                                    name="registration_resident_once"),
            models.UniqueConstraint(fields=["community", "worker"], condition=Q(active=True),
                                    name="registration_worker_once"),
        ]

    def __str__(self) -> str:
        return str(self.organisation or self.resident or self.worker)

    @property
    def registrant_name(self) -> str:
        return str(self.organisation or self.resident or self.worker)


class Activity(ActorFields):
    community = models.ForeignKey(Region, verbose_name=_("社区/村"), on_delete=models.PROTECT,
                                  related_name="activities")
    title = models.CharField(_("活动名称"), max_length=100)
    description = models.TextField(_("内容"), blank=True, default="")
    place = models.CharField(_("地点"), max_length=200, blank=True, default="")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("名额"))
    skills = models.CharField(_("所需技能"), max_length=200, blank=True, default="")
    cancelled = models.BooleanField(_("已取消"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = "community__path"
    scope_personal = False

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("志愿活动")
        verbose_name_plural = _("志愿活动")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="activity_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class Signup(ActorFields):
    """One registrant's place in an activity; check-in/out give the hours and a person-time."""

    activity = models.ForeignKey(Activity, verbose_name=_("活动"), on_delete=models.PROTECT, related_name="signups")
    registration = models.ForeignKey(Registration, verbose_name=_("报到登记"), on_delete=models.PROTECT,
                                     related_name="signups")
    organisation = models.ForeignKey(Organisation, verbose_name=_("代表单位"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="volunteer_signups",
                                     help_text=_("双报到单位的职工以单位名义参加时填写，计入单位时长。"))
    status = models.CharField(_("状态"), max_length=16, choices=SignupStatus.choices, default=SignupStatus.SIGNED_UP)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    minutes = models.PositiveIntegerField(_("服务时长（分钟）"), default=0)
    points_entry = models.OneToOneField(PointEntry, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="signup")
    created_at = models.DateTimeField(_("报名时间"))

    scope_path_lookup = "activity__community__path"
    scope_personal = True

    class Meta:
        ordering = ["activity", "id"]
        verbose_name = _("活动报名")
        verbose_name_plural = _("活动报名")
        constraints = [
            models.UniqueConstraint(fields=["activity", "registration"], condition=Q(status=SignupStatus.SIGNED_UP),
                                    name="signup_once_per_activity"),
        ]

    def __str__(self) -> str:
        return f"{self.registration} @ {self.activity}"

    @property
    def progress_label(self) -> str:
        """Where a sign-up stands, as its volunteer reads it (minutes are shown once checked out): an
        activity that is over says whether they came, instead of still reading 已报名."""
        from django.utils import timezone

        if self.status != SignupStatus.SIGNED_UP:
            return self.get_status_display()
        over = self.activity.ends_at <= timezone.now()
        if self.checked_in_at:
            return str(_("已参加（未签退）")) if over else str(_("已签到"))
        return str(_("已结束，未签到")) if over else self.get_status_display()


# --- micro-wishes --------------------------------------------------------------------------------


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

