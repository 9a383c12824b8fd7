"""吹哨报到 and 督办: a department called to a case, and a superior's note on it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.people.models import Department
from jiceng.regions.models import Region

from ..choices import WhistleState
from .cases import Event


class Whistle(models.Model):
    """吹哨报到: a street or community calls a department to a case; the department must report
    (报到) by ``due_at`` and then act (反馈). ``late`` flags a report not made in time."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="whistles")
    department = models.ForeignKey(Department, verbose_name=_("报到部门"), on_delete=models.PROTECT,
                                   related_name="whistles")
    blown_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("吹哨人"), on_delete=models.PROTECT,
                                 related_name="whistles_blown")
    blower_region = models.ForeignKey(Region, verbose_name=_("吹哨单位"), on_delete=models.PROTECT,
                                      related_name="whistles_blown")
    reason = models.CharField(_("事由"), max_length=500)
    blown_at = models.DateTimeField(_("吹哨时间"))
    due_at = models.DateTimeField(_("报到时限"))
    state = models.CharField(_("状态"), max_length=16, choices=WhistleState.choices, default=WhistleState.CALLED)
    late = models.BooleanField(_("逾期未报到"), default=False)
    late_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(_("报到时间"), null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="whistles_reported")
    feedback = models.TextField(_("处置反馈"), blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)
    feedback_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="whistles_answered")

    class Meta:
        ordering = ["-blown_at", "id"]
        verbose_name = _("吹哨报到")
        verbose_name_plural = _("吹哨报到")
        indexes = [models.Index(fields=["department", "blown_at"], name="whistle_department_blown")]
        constraints = [models.UniqueConstraint(
            fields=["event", "department"], condition=Q(state__in=[WhistleState.CALLED, WhistleState.REPORTED]),
            name="whistle_one_open_call_per_department")]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.department}"


class Supervision(models.Model):
    """督办: a superior's note on a case, with an optional date by which it must move."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="supervisions")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("督办人"), on_delete=models.PROTECT,
                           related_name="supervisions")
    at = models.DateTimeField(_("督办时间"))
    note = models.TextField(_("督办意见"))
    respond_by = models.DateTimeField(_("限期"), null=True, blank=True)
    handler_kind = models.CharField(max_length=16, blank=True)
    handler_region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    handler_department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+")

    class Meta:
        ordering = ["-at", "id"]
        verbose_name = _("督办")
        verbose_name_plural = _("督办")

    def __str__(self) -> str:
        return f"{self.event_id} 督办"
