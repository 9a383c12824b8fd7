"""What every engagement service shares: who the actor is, where they may act, audit, cleaning."""

from __future__ import annotations

from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from jiceng.core.audit import audit_record
from jiceng.core.errors import ApplicationError, PermissionDeniedError, validation_error_to_app_error
from jiceng.people.choices import REGION_STAFF_ROLES, Role
from jiceng.people.models import Resident, User
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region

STAFF_ROLES = (*REGION_STAFF_ROLES, Role.GRID_WORKER)


def is_staff(actor) -> bool:
    return isinstance(actor, User) and actor.is_active and actor.role in STAFF_ROLES


def is_resident(actor) -> bool:
    return isinstance(actor, Resident)


def staff_covers(actor, community: Region) -> bool:
    """Region staff act in the communities under their node; a grid worker in the communities that
    contain one of their grids (they work there)."""
    if not is_staff(actor):
        return False
    for path in actor.scope_paths(personal=True):
        if path == "/" or community.path.startswith(path) or path.startswith(community.path):
            return True
    return False


def require_staff(actor, community: Region, *, managers_only: bool = False) -> None:
    if not staff_covers(actor, community) or (managers_only and actor.role == Role.GRID_WORKER):
        raise PermissionDeniedError(_("您无权在该社区/村进行此操作。"))


def require_staff_or_self(actor, community: Region, resident: Resident | None) -> None:
    """A resident acts for themselves only; staff within their communities."""
    if is_resident(actor):
        if resident is None or actor.pk != resident.pk:
            raise PermissionDeniedError(_("居民只能为本人办理。"))
        return
    require_staff(actor, community)


def actor_fields(actor) -> dict:
    return {"actor_user": actor if isinstance(actor, User) else None,
            "actor_resident": actor if isinstance(actor, Resident) else None}


def audit(actor, action: str, obj, changes: dict | None = None) -> None:
    """The audit log's actor id is a staff account id; a resident is named, not numbered, there."""
    who = SimpleNamespace(pk=None, username=f"居民#{actor.pk}", role="resident") if is_resident(actor) else actor
    audit_record(actor=who, action=action, obj=obj, changes=changes)


def community_of(region: Region) -> Region:
    """The community/village a grid (or the community itself) belongs to."""
    if region.level == RegionLevel.COMMUNITY:
        return region
    community = Region.objects.filter(level=RegionLevel.COMMUNITY, path__in=region.ancestor_paths()).first()
    if community is None:
        raise ApplicationError(_("“%(name)s”不在任何社区/村内。") % {"name": region.name}, field="grid")
    return community


def check_community(community: Region) -> None:
    if community is None or community.level != RegionLevel.COMMUNITY:
        raise ApplicationError(_("请选择一个社区/村。"), field="community")


def full_clean(obj, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        raise validation_error_to_app_error(exc) from exc
