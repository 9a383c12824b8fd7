"""Intake: the staff channels, and the public endpoints (report, follow, track, "me too", rate),
which need no login and so are rate-limited by IP and phone."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from ninja import Path, Status

from jiceng.core import rows
from jiceng.core.api_schemas import WRITE_ERRORS, Error, lookup_or_404
from jiceng.core.errors import ApplicationError, NotFoundError
from jiceng.core.ratelimit import enforce
from jiceng.core.validators import phone_normalise
from jiceng.regions.models import Region

from .. import services
from ..choices import Channel, EventState
from ..models import Event, EventCategory
from ..tracking import (
    NUMBER_PATTERN,
    event_by_number_and_phone,
    event_by_number_for_join,
    event_by_tracking_token,
    public_steps,
    rating_offer,
    tracking_token,
)
from .common import _render, router
from .schemas import (
    CaseOut,
    FollowIn,
    JoinIn,
    PublicCaseCreatedOut,
    PublicCaseOut,
    PublicFollowOut,
    PublicIntakeIn,
    RateIn,
    StaffIntakeIn,
    TrackIn,
)

PUBLIC_ERRORS = frozenset({400, 404, 409, 429})
PUBLIC_CREATE_ERRORS = frozenset({400, 404, 409, 429})


def _intake_category(code: str) -> EventCategory:
    """Administrators edit the catalogue, so the schema cannot list its codes: an unknown or retired
    code names a record that is not there (404, like an id)."""
    found = rows.row(EventCategory, code=code.strip(), active=True)  # every intake reads it: see core.rows
    if found is None:
        raise NotFoundError(_("未知或已停用的事项分类。"), field="category")
    return found


def phone_key(phone: str) -> str:
    """The rate-limit key of a phone: hashed (no raw number in the cache, no odd characters)."""
    return hashlib.sha256(phone_normalise(phone).encode("utf-8", "replace")).hexdigest()[:24]


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _public_limit(request, scope: str, phone: str = "") -> None:
    enforce(f"events.{scope}.ip", _client_ip(request), limit=settings.JICENG_PUBLIC_RATE_PER_IP, window=60)
    if phone:
        enforce(f"events.{scope}.phone", phone_key(phone), limit=settings.JICENG_PUBLIC_RATE_PER_PHONE, window=3600,
                message="该电话本小时提交过多，请稍后再试。")


@router.post("/cases", response={201: CaseOut, WRITE_ERRORS: Error}, summary="采集（工作人员渠道）",
             description="网格员巡查、热线受理、物联告警、急难呼救等渠道上报事件；有坐标时按坐标定位网格。"
                         "急难呼救自动立案并按处置程序派遣。返回新事件的摘要（与列表中的一行相同，不含流转记录）；"
                         "完整流转记录与可办操作见 GET /cases/{pk}。")
def case_create(request, data: StaffIntakeIn):
    grid = lookup_or_404(Region.objects.all(), request.auth, data.grid, field="grid", label=pgettext("record type", "网格"))
    event = services.event_create(
        channel=data.channel, category=_intake_category(data.category), description=data.description,
        title=data.title, lng=data.lng, lat=data.lat, grid=grid, address=data.address, photos=data.photos,
        reporter_name=data.reporter_name, reporter_phone=data.reporter_phone, actor=request.auth,
        source_ref=data.source_ref, idempotency_key=data.idempotency_key or None)
    return Status(201, _render(event))


@router.post("/public/cases", auth=None, response={201: PublicCaseCreatedOut, PUBLIC_CREATE_ERRORS: Error},
             summary="群众上报（无需登录）",
             description="居民不登录即可上报；按 IP 和电话限流；website 字段须留空。返回案件编号和签名的查询令牌"
                         "（tracking_token、tracking_url）：凭令牌，或凭编号加上报电话查询进度；仅凭编号查不到。")
def public_case_create(request, data: PublicIntakeIn):
    _public_limit(request, "intake", data.reporter_phone)
    if data.website:
        raise ApplicationError(_("提交无效。"), field="website")
    event = services.event_create(
        channel=Channel.RESIDENT, category=_intake_category(data.category), description=data.description, lng=data.lng,
        lat=data.lat, address=data.address, photos=data.photos, reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone)
    token = tracking_token(event)
    return Status(201, {**_public(event), "tracking_token": token,
                        "tracking_url": f"{reverse('events:track')}?{urlencode({'t': token})}"})


def _public(e: Event) -> dict:
    return {"number": e.number, "title": e.title, "state": e.state, "state_label": str(EventState(e.state).label),
            "reported_at": e.reported_at, "closed_at": e.closed_at}


@router.post("/public/follow", auth=None, response={200: PublicFollowOut, PUBLIC_ERRORS: Error},
             summary="凭案件编号和电话查询进度（无需登录）",
             description="案件编号加上报（或附议）时留的电话。编号不存在与电话不符给出同样的 404，防止遍历编号；按 IP 限流。"
                         "上报人查询已结案未评价的案件时返回评价令牌。")
def public_case_follow(request, data: FollowIn):
    _public_limit(request, "follow")
    event, is_reporter = event_by_number_and_phone(data.number, data.phone)
    return {**_public(event), "rating_token": rating_offer(event, is_reporter=is_reporter),
            "steps": [vars(step) for step in public_steps(event)]}


@router.post("/public/track", auth=None, response={200: PublicFollowOut, PUBLIC_ERRORS: Error},
             summary="凭查询令牌查询进度（无需登录）",
             description="上报时返回的 tracking_token（签名、专用、有效期默认一年）。令牌被改动或过期时 400。")
def public_case_track(request, data: TrackIn):
    _public_limit(request, "follow")
    event, is_reporter = event_by_tracking_token(data.token)
    return {**_public(event), "rating_token": rating_offer(event, is_reporter=is_reporter),
            "steps": [vars(step) for step in public_steps(event)]}


@router.post("/public/cases/{number}/join", auth=None, response={201: PublicCaseOut, PUBLIC_ERRORS: Error},
             summary="附议（我也遇到，无需登录）")
def public_case_join(request, data: JoinIn, number: str = Path(..., description="案件编号", pattern=NUMBER_PATTERN)):
    _public_limit(request, "join", data.phone)
    event = event_by_number_for_join(number)
    services.event_join(event=event, name=data.name, phone=data.phone, note=data.note)
    event.refresh_from_db()
    return Status(201, _public(event))


@router.post("/public/rate", auth=None, response={200: PublicCaseOut, PUBLIC_ERRORS: Error},
             summary="评价（通过结案时的评价链接，无需登录）")
def public_rate(request, data: RateIn):
    _public_limit(request, "rate")
    return _public(services.event_rate(token=data.token, rating=data.rating, comment=data.comment))
