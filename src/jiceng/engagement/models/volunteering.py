"""Volunteering and 双报到: teams, registrations with a community, activities and their sign-ups."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.people.models import GridWorker, Resident
from jiceng.regions.models import Organisation, Region

from ..choices import RegistrationKind, SignupStatus
from .base import ActorFields
from .points import PointEntry


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
