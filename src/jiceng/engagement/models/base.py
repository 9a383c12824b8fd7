"""What several engagement tables share."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.people.models import Resident


class ActorFields(models.Model):
    """Who did it: a staff account or a resident acting for themselves (neither: the system)."""

    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人（工作人员）"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="+")
    actor_resident = models.ForeignKey(Resident, verbose_name=_("操作人（居民）"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True
