"""The rollups behind the command centre's numbers: counters per day × grid and per month × street,
each × category × handling department (``rollup.apply`` keeps both)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.regions.models import Region

from .catalogue import EventCategory


class RollupCounters(models.Model):
    """The counters both rollups keep (``rollup.COUNTERS``), each summed over the cases of a key."""

    registered = models.IntegerField(default=0)
    dispatched = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    suspended = models.IntegerField(default=0)
    whistled = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    basic = models.IntegerField(default=0)
    unsatisfied = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    overdue_handle = models.IntegerField(default=0)
    due = models.IntegerField(default=0)
    closed_flow = models.IntegerField(default=0)
    accept_seconds = models.BigIntegerField(default=0)
    dispatch_seconds = models.BigIntegerField(default=0)
    sign_seconds = models.BigIntegerField(default=0)
    handle_seconds = models.BigIntegerField(default=0)
    verify_seconds = models.BigIntegerField(default=0)
    total_seconds = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class EventRollup(RollupCounters):
    """Counters per day × deepest grid × category × handling department (``department_key`` 0 = none),
    kept in the same transaction as every change to a case (``rollup.apply``), so a region ×
    category × month question is a path-prefix + date-range sum. Each counter is dated by its own
    day (立案日, 应结日 or 结案日; docs/events.md)."""

    day = models.DateField()
    grid = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_index=False)
    category = models.ForeignKey(EventCategory, on_delete=models.PROTECT, related_name="+", db_index=False)
    department_key = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("事件统计汇总")
        verbose_name_plural = _("事件统计汇总")
        constraints = [models.UniqueConstraint(fields=["day", "grid", "category", "department_key"],
                                               name="rollup_key")]
        indexes = [
            models.Index(fields=["grid", "day"], name="rollup_grid_day"),
            models.Index(fields=["category", "day"], name="rollup_category_day"),
            models.Index(fields=["department_key", "day"], name="rollup_department_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.grid_id} {self.category_id} {self.department_key}"


class EventRollupMonth(RollupCounters):
    """The same counters per month (its first day) × street (the level-3 ancestor of the grid) ×
    category × handling department: a city or county month sums a few thousand rows instead of
    the ~250,000 daily grid rows. Kept by ``rollup.apply`` from the same delta, in the same statement
    batch and transaction as ``EventRollup``, so month = Σ its days by construction; a grid never
    changes street (a region's parent cannot be changed), so the key never goes stale."""

    month = models.DateField()
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_index=False)
    category = models.ForeignKey(EventCategory, on_delete=models.PROTECT, related_name="+", db_index=False)
    department_key = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("事件统计月汇总")
        verbose_name_plural = _("事件统计月汇总")
        constraints = [models.UniqueConstraint(fields=["month", "street", "category", "department_key"],
                                               name="rollup_month_key")]
        indexes = [
            models.Index(fields=["street", "month"], name="rollup_month_street"),
            models.Index(fields=["category", "month"], name="rollup_month_category"),
            models.Index(fields=["department_key", "month"], name="rollup_month_department"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.street_id} {self.category_id} {self.department_key}"
