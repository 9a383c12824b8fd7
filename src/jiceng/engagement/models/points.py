"""Points (积分制): a community's charter, the accounts and the append-only ledger."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.models import AppendOnlyError
from jiceng.people.models import Resident
from jiceng.regions.models import Organisation, Region

from ..choices import EntryKind, RuleSource
from .base import ActorFields


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
