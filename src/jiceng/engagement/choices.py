from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleSource(models.TextChoices):
    """Automatic sources: a service elsewhere awards the community's rule for this key."""

    MANUAL = "", _("人工评定")
    VOLUNTEER_CHECKIN = "volunteer.checkin", _("志愿服务签退")
    WISH_FULFILLED = "wish.fulfilled", _("认领微心愿并完成")
    EVENT_VERIFIED_REPORT = "event.verified_report", _("上报事件经核实")


class EntryKind(models.TextChoices):
    AWARD = "award", _("奖励")
    DEDUCT = "deduct", _("扣减")
    REDEEM = "redeem", _("兑换")
    CANCEL_REDEEM = "cancel_redeem", _("取消兑换")
    EXPIRE = "expire", _("过期")
    CORRECTION = "correction", _("更正")


class RedemptionStatus(models.TextChoices):
    RESERVED = "reserved", _("待领取")
    COLLECTED = "collected", _("已领取")
    CANCELLED = "cancelled", _("已取消")


class WishCategory(models.TextChoices):
    LIVING = "living", _("生活用品")
    STUDY = "study", _("学习用品")
    HEALTH = "health", _("医疗健康")
    SERVICE = "service", _("上门服务")
    COMPANY = "company", _("陪伴关爱")
    OTHER = "other", _("其他")


class WishStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    PUBLISHED = "published", _("待认领")
    REJECTED = "rejected", _("未通过")
    CLAIMED = "claimed", _("已认领")
    FULFILLED = "fulfilled", _("已实现")
    THANKED = "thanked", _("已致谢")


class ClaimStatus(models.TextChoices):
    ACTIVE = "active", _("认领中")
    FULFILLED = "fulfilled", _("已完成")
    LAPSED = "lapsed", _("已超期释放")
    WITHDRAWN = "withdrawn", _("已放弃")


LIVE_CLAIM_STATUSES = (ClaimStatus.ACTIVE, ClaimStatus.FULFILLED)


class RegistrationKind(models.TextChoices):
    """双报到: units register with the community they are paired with, party members where they live;
    特聘 helpers (couriers, ride-hailing drivers) register as volunteers too."""

    UNIT = "unit", _("单位报到")
    PARTY_MEMBER = "party_member", _("党员报到")
    VOLUNTEER = "volunteer", _("志愿者")
    HELPER = "helper", _("特聘力量")


class SignupStatus(models.TextChoices):
    SIGNED_UP = "signed_up", _("已报名")
    CANCELLED = "cancelled", _("已取消")
