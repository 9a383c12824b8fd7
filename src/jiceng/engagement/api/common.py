"""The engagement router, and who acts (a staff account, or a resident through their account) and
the lookups and renderings every group of endpoints shares."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from ninja import Router, Schema

from jiceng.core.api_schemas import bounded_datetime, lookup_or_404
from jiceng.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from jiceng.core.scope import get_scoped_or_404
from jiceng.people.choices import Role
from jiceng.people.models import Resident
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region

router = Router(tags=["群众参与"])

Moment = bounded_datetime(2000, 2100, "时间（ISO 8601，含时区；无时区按北京时间）")


def actor_of(request):
    """A staff account acts as itself; a resident account as its linked resident."""
    user = request.auth
    if user.role == Role.RESIDENT:
        resident = Resident.objects.select_related("grid").filter(account=user).first()
        if resident is None:
            raise PermissionDeniedError(_("该居民账号未关联居民档案。"))
        return resident
    return user


def _aware(value: datetime) -> datetime:
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _community(actor, pk: int, field: str = "community") -> Region:
    region = lookup_or_404(Region.objects.all(), actor, pk, field=field, label=pgettext("record type", "社区/村"))
    if region.level != RegionLevel.COMMUNITY:
        raise ApplicationError(_("“%(name)s”不是社区/村。") % {"name": region.name}, field=field)
    return region


def _region(actor, pk: int | None) -> Region | None:
    return lookup_or_404(Region.objects.all(), actor, pk, field="region", label=pgettext("record type", "区域"))


def _own_or_scoped(qs, actor, pk: int, resident_lookup: str):
    """A resident sees only their own records; staff those in their scope. Otherwise 404."""
    if isinstance(actor, Resident):
        obj = qs.filter(pk=pk, **{resident_lookup: actor.pk}).first()
        if obj is None:
            raise NotFoundError(_("未找到该记录，或您无权查看。"))
        return obj
    return get_scoped_or_404(qs, actor, pk=pk)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class CommunityRef(Schema):
    id: int
    name: str


def _ref(region: Region) -> dict:
    return {"id": region.pk, "name": region.name}
