"""Intake (采集): residents without a login, grid workers on patrol, hotline operators, IoT alarms
and emergency calls; likely duplicates, "me too" (附议) and merging a duplicate into its master."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.crypto import blind_index
from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.masking import mask_name
from jiceng.core.scope import is_active_account
from jiceng.core.validators import contact_phone_error, phone_normalise
from jiceng.people.choices import REGION_STAFF_ROLES, Role
from jiceng.regions.choices import GRID_LEVELS, RegionLevel
from jiceng.regions.locator import locate_grid
from jiceng.regions.models import Region

from .. import texts, workflow
from ..choices import OPEN_STATES, Channel, EventState, Priority, Stage
from ..models import Event, EventCategory, EventSupporter
from ..units import ancestor_regions
from ._engine import NewCase, actor_label, clean_photos, clean_point, run
from .flow import event_dispatch, void_step

MAX_DESCRIPTION = 2000


def resolve_category(category) -> EventCategory:
    if isinstance(category, EventCategory):
        found = category
    else:
        found = EventCategory.objects.filter(code=str(category or "").strip()).first()
    if found is None or not found.active:
        raise ApplicationError(_("未知或已停用的事项分类。"), field="category")
    return found


def resolve_place(*, lng, lat, grid: Region | None) -> tuple[Region, Region, float | None, float | None]:
    """Point → deepest grid → community (a point wins over a chosen grid). Outside every grid of the
    county is an error, never a case without a place."""
    lng, lat = clean_point(lng, lat)
    if lng is not None:
        found = locate_grid(lng, lat)
        if found is None:
            raise ApplicationError(_("所报位置不在本县（区）网格范围内，请核对位置。"), field="location")
        grid = found
    elif grid is None:
        raise ApplicationError(_("请在地图上标注位置，或选择所属网格。"), field="location")
    if grid.level not in GRID_LEVELS:
        raise ApplicationError(_("请选择网格。"), field="grid")
    community = ancestor_regions(grid).get(RegionLevel.COMMUNITY)
    if community is None:
        raise ApplicationError(_("该网格未归属社区/村。"), field="grid")
    return grid, community, lng, lat


def _check_channel(channel: str, actor, *, reporter_phone: str, source_ref: str, grid: Region) -> None:
    if channel not in Channel.values:
        raise ApplicationError(_("未知的上报渠道。"), field="channel")
    if channel == Channel.RESIDENT:
        if not reporter_phone:
            raise ApplicationError(_("请留下联系电话，便于回复和评价。"), field="reporter_phone")
    elif channel == Channel.PATROL:
        if not is_active_account(actor) or actor.role != Role.GRID_WORKER:
            raise PermissionDeniedError(_("巡查上报须由网格员账号提交。"))
        worker = getattr(actor, "grid_worker", None)
        paths = actor.scope_paths(personal=True)
        if worker is not None:
            paths = [*paths, worker.community.path]
        if not any(grid.path.startswith(p) for p in paths):
            raise PermissionDeniedError(_("该位置不在您负责的网格或社区内。"), field="location")
    elif channel == Channel.HOTLINE:
        if not is_active_account(actor) or actor.role not in REGION_STAFF_ROLES:
            raise PermissionDeniedError(_("热线受理须由工作人员账号提交。"))
    elif channel == Channel.IOT:
        if not source_ref:
            raise ApplicationError(_("物联告警须注明设备编号。"), field="source_ref")


def event_create(
    *,
    channel: str,
    category,
    description: str = "",
    title: str = "",
    lng=None,
    lat=None,
    grid: Region | None = None,
    address: str = "",
    photos=(),
    reporter_name: str = "",
    reporter_phone: str = "",
    actor=None,
    source_ref: str = "",
    idempotency_key: str | None = None,
) -> Event:
    """采集: a new case in 待受理 (an emergency call is registered and dispatched at once).

    ``actor`` is None for residents and IoT alarms (the API authenticates the device). The same
    ``idempotency_key`` on the same channel returns the first case instead of a second one.
    """
    key = f"{channel}:{idempotency_key.strip()}"[:100] if idempotency_key and idempotency_key.strip() else None
    if key is not None:
        existing = Event.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
    cat = resolve_category(category)
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ApplicationError(_("问题描述不超过%(n)s字。") % {"n": MAX_DESCRIPTION}, field="description")
    if not description and channel != Channel.IOT:
        raise ApplicationError(_("请描述问题。"), field="description")
    reporter_name = (reporter_name or "").strip()[:50]
    reporter_phone = phone_normalise(reporter_phone)
    if reporter_phone and contact_phone_error(reporter_phone):
        raise ApplicationError(contact_phone_error(reporter_phone), field="reporter_phone")
    grid, community, lng, lat = resolve_place(lng=lng, lat=lat, grid=grid)
    source_ref = (source_ref or "").strip()[:100]
    _check_channel(channel, actor, reporter_phone=reporter_phone, source_ref=source_ref, grid=grid)
    photos = clean_photos(photos)
    address = (address or "").strip()[:200]
    title = (title or "").strip()[:100] or f"{cat.name}：{address or grid.name}"[:100]
    try:
        with transaction.atomic():
            return _create(channel=channel, cat=cat, title=title, description=description, lng=lng, lat=lat,
                           grid=grid, community=community, address=address, photos=photos,
                           reporter_name=reporter_name, reporter_phone=reporter_phone, actor=actor,
                           source_ref=source_ref, key=key)
    except IntegrityError:
        existing = Event.objects.filter(idempotency_key=key).first() if key else None
        if existing is None:
            raise
        return existing


def _create(*, channel, cat, title, description, lng, lat, grid, community, address, photos, reporter_name,
            reporter_phone, actor, source_ref, key) -> Event:
    now = timezone.now()
    priority = Priority.URGENT if channel == Channel.EMERGENCY else cat.priority
    event = Event(
        category=cat, channel=channel, priority=priority, title=title, description=description, photos=photos,
        lng=lng, lat=lat, address=address, grid=grid, community=community, reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        reporter_phone_hash=blind_index(reporter_phone, purpose="phone") if reporter_phone else "",
        reporter=actor if is_active_account(actor) else None, source_ref=source_ref, idempotency_key=key,
        state=EventState.PENDING, reported_at=now, updated_at=now,
    )
    new = NewCase(event)
    label = _reporter_label(channel, actor, reporter_name, source_ref)
    new.record("report", event.reporter, from_state="", note=description[:500], photos=photos, lng=lng, lat=lat,
               data={"channel": channel}, label=label, now=now,
               changes={"channel": channel, "category": cat.code, "grid": grid.code, "by": label,
                        "reporter_phone": "***" if reporter_phone else ""})
    new.start_timer(Stage.ACCEPT, now=now, hours=cat.accept_hours)
    if channel == Channel.EMERGENCY:
        system = frozenset({workflow.SYSTEM})
        run("register", event, None, note=texts.NOTE_AUTO_REGISTER, relations=system, mutate=_auto_register,
            now=now, new_case=new)
        try:
            event_dispatch(actor=None, event=event, note=texts.NOTE_AUTO_DISPATCH, system=True, new_case=new)
        except ApplicationError:
            pass  # no unit by the procedure here: it waits, registered, for the command centre to dispatch
    return new.save()


def _auto_register(ctx) -> None:
    ctx.event.registered_at = ctx.now
    ctx.stop_timers([Stage.ACCEPT])


def _reporter_label(channel: str, actor, name: str, source_ref: str) -> str:
    if is_active_account(actor):
        return actor_label(actor)
    if channel == Channel.IOT:
        return f"物联设备 {source_ref}"[:100]
    return f"群众 {mask_name(name)}".strip()


# --- duplicates, 附议, merge --------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicate:
    event: Event
    distance_m: float


def _distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def event_find_duplicates(*, category, lng, lat, now: datetime | None = None, radius_m: int | None = None,
                          days: int | None = None, exclude: Event | None = None, limit: int = 10) -> list[Duplicate]:
    """Open cases of the same category reported within ``radius_m`` (the category's, ~100 m) in the
    last ``days`` (the category's), nearest first: offered to the reporter as "me too"."""
    cat = resolve_category(category)
    lng, lat = clean_point(lng, lat)
    if lng is None:
        return []
    now = now or timezone.now()
    radius = radius_m if radius_m is not None else cat.duplicate_radius_m
    window = days if days is not None else cat.duplicate_days
    dlat = radius / 111_320.0
    dlng = radius / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    qs = Event.objects.filter(
        category=cat, state__in=list(OPEN_STATES), reported_at__gte=now - timedelta(days=window),
        lng__gte=lng - dlng, lng__lte=lng + dlng, lat__gte=lat - dlat, lat__lte=lat + dlat,
    ).select_related("grid", "category")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    found = [Duplicate(e, round(_distance_m(lng, lat, e.lng, e.lat), 1)) for e in qs[:500]]
    found = [d for d in found if d.distance_m <= radius]
    return sorted(found, key=lambda d: (d.distance_m, d.event.pk))[:limit]


def event_join(*, event: Event, name: str = "", phone: str, note: str = "", photos=(), channel: str = Channel.RESIDENT,
               actor=None) -> EventSupporter:
    """附议 ("me too"): a supporter of an open case. The same phone joins a case once (a second
    "me too" returns the first); the reporter's own phone is not a supporter."""
    phone = phone_normalise(phone)
    if not phone or contact_phone_error(phone):
        raise ApplicationError(contact_phone_error(phone) if phone else _("请留下联系电话。"), field="phone")
    note = (note or "").strip()[:500]
    photos = clean_photos(photos)
    phone_hash = blind_index(phone, purpose="phone")
    name = (name or "").strip()[:50]
    with transaction.atomic():
        existing = EventSupporter.objects.filter(event_id=event.pk, phone_hash=phone_hash).first()
        if existing is not None:
            return existing
        if Event.objects.filter(pk=event.pk, reporter_phone_hash=phone_hash).exists():
            raise ApplicationError(_("您已是该事件的上报人。"), field="phone")
        holder: dict = {}

        def mutate(ctx) -> dict:
            holder["supporter"] = EventSupporter.objects.create(
                event=ctx.event, name=name, phone=phone, phone_hash=phone_hash, channel=channel, note=note,
                photos=photos, created_at=ctx.now)
            ctx.event.supporter_count += 1
            return {"supporters": ctx.event.supporter_count}

        run("join", event, actor if is_active_account(actor) else None, note=note, photos=photos, mutate=mutate,
            relations=frozenset({workflow.PUBLIC}), label=f"{texts.ACTOR_PUBLIC} {mask_name(name)}".strip(), bump=False)
    return holder["supporter"]


def event_merge(*, actor, duplicate: Event, master: Event, note: str = "") -> Event:
    """合并: the operator declares ``duplicate`` a repeat of ``master``: it becomes 作废 with the
    reason 重复 and a link to the master, and its reporter joins the master as a supporter."""
    if duplicate.pk == master.pk:
        raise ApplicationError(_("不能与自身合并。"), field="master")
    with transaction.atomic():
        # Lock both in id order, so two merges of the same pair cannot deadlock.
        for pk in sorted([duplicate.pk, master.pk]):
            list(Event.objects.select_for_update(of=("self",)).filter(pk=pk))
        target = Event.objects.get(pk=master.pk)
        if target.state not in OPEN_STATES:
            raise ApplicationError(_("主事件已办结、作废或不予立案，不能作为合并对象。"), field="master")
        if target.duplicate_of_id is not None:
            raise ApplicationError(_("主事件本身已被合并。"), field="master")
        if workflow.COMMAND not in _relations(target, actor):
            raise PermissionDeniedError(_("您无权处理主事件。"), field="master")

        def mutate(ctx) -> dict:
            ctx.event.duplicate_of_id = target.pk
            void_step(ctx)
            ctx.event.reason = "重复"
            return {"duplicate_of": target.pk, "master": target.number}

        reason = f"重复：与 {target.number} 为同一问题。{(note or '').strip()}".strip()
        run("merge", duplicate, actor, note=reason, mutate=mutate)
        dup = Event.objects.get(pk=duplicate.pk)
        if dup.reporter_phone_hash and not EventSupporter.objects.filter(
                event_id=target.pk, phone_hash=dup.reporter_phone_hash).exists() \
                and dup.reporter_phone_hash != target.reporter_phone_hash:
            EventSupporter.objects.create(event=target, name=dup.reporter_name, phone=dup.reporter_phone,
                                          phone_hash=dup.reporter_phone_hash, channel=dup.channel,
                                          note=f"由 {dup.number} 合并", created_at=timezone.now())
            Event.objects.filter(pk=target.pk).update(supporter_count=target.supporter_count + 1)
            master.supporter_count = target.supporter_count + 1
    return duplicate


def _relations(event: Event, actor) -> frozenset[str]:
    from ._engine import relations_of

    return relations_of(event, actor)
