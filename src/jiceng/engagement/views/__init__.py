"""Engagement pages. Thin: parse, call services and selectors, render.

Three audiences: a resident (an account of role 居民 linked to a ``Resident``) on a phone — their wishes,
points, the shop and activities (``resident.py``); community staff — reviewing wishes, awarding points and
the rankings (``staff.py``), the shops (``shops.py``), the activities with check-in (``activities.py``);
anyone — a community's public wish wall (masked names only; here, with what the pages share).
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jiceng.core.errors import ApplicationError
from jiceng.core.paging import page_of
from jiceng.core.views import page_errors
from jiceng.people.choices import Role
from jiceng.people.models import Resident
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region

from .. import selectors
from ..services._common import is_staff


def resident_only(view):
    """The page acts as the logged-in account's resident; any other account gets 403."""

    @functools.wraps(view)
    @login_required
    @page_errors
    def wrapper(request, *args, **kwargs):
        if request.user.role != Role.RESIDENT:
            raise PermissionDenied(_("此页面供居民使用。"))
        resident = Resident.objects.select_related("grid").filter(account=request.user).first()
        if resident is None:
            raise PermissionDenied(_("该账号未关联居民档案。"))
        return view(request, resident, *args, **kwargs)

    return wrapper


def staff_only(view):
    @functools.wraps(view)
    @login_required
    @page_errors
    def wrapper(request, *args, **kwargs):
        if not is_staff(request.user):
            raise PermissionDenied(_("此页面供社区工作人员使用。"))
        return view(request, *args, **kwargs)

    return wrapper


def _flash_error(request, exc: ApplicationError) -> None:
    messages.error(request, exc.message)


def _page(request, qs, size: int | None = None):
    return page_of(request, qs, size or settings.JICENG_PAGE_SIZE)


def _community_param(request) -> Region | None:
    pk = request.GET.get("community") or request.POST.get("community")
    if not pk or not str(pk).isdigit():
        return None
    return selectors.staff_communities(actor=request.user).filter(pk=int(pk)).first()


# --- public ----------------------------------------------------------------------------------------


@require_GET
def wall(request: HttpRequest, pk: int) -> HttpResponse:
    """No login: what the wall shows is already masked by the selector."""
    community = Region.objects.filter(pk=pk, level=RegionLevel.COMMUNITY).first()
    if community is None:
        raise Http404(_("未找到该社区/村。"))
    return render(request, "engagement/wall.html",
                  {"community": community, "rows": selectors.wish_wall(community=community)})
