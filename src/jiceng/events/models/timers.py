"""The stage deadlines (时限) of a case and of a whistle, kept in the database."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import Clock, Stage
from .cases import Event
from .whistles import Whistle


class Timer(models.Model):
    """A stage deadline kept in the database (nothing lives only in memory, so timers survive a
    restart). Open while ``stopped_at`` is empty; frozen while ``paused_at`` is set, with the
    remaining clock seconds (working or calendar, per ``clock``) kept for the resume."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="timers")
    stage = models.CharField(_("环节"), max_length=16, choices=Stage.choices)
    whistle = models.ForeignKey(Whistle, null=True, blank=True, on_delete=models.CASCADE, related_name="timers")
    clock = models.CharField(max_length=16, choices=Clock.choices)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(_("时限"))
    warn_at = models.DateTimeField(_("预警时间"))
    warned_at = models.DateTimeField(null=True, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    remaining_seconds = models.BigIntegerField(null=True, blank=True)
    warn_remaining_seconds = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("时限")
        verbose_name_plural = _("时限")
        indexes = [
            models.Index(fields=["due_at"], name="timer_due_open",
                         condition=Q(stopped_at__isnull=True, fired_at__isnull=True)),
            models.Index(fields=["warn_at"], name="timer_warn_open",
                         condition=Q(stopped_at__isnull=True, warned_at__isnull=True)),
            # overdue now (selectors.overdue_now: the console's 超期未办结 tile, its list, the map):
            # the few timers that fired and still run, found without reading every timer
            models.Index(fields=["event"], name="timer_fired_running",
                         condition=Q(stopped_at__isnull=True, fired_at__isnull=False)),
            models.Index(fields=["event", "stage"], name="timer_event_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.stage} {self.due_at:%Y-%m-%d %H:%M}"
