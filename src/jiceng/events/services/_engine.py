"""The one place a case changes: lock, check the workflow table, change, write the timeline row and
the audit record, move the rollup — all in the caller's transaction."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.audit import AuditEntry, audit_record, audit_records
from jiceng.core.errors import ApplicationError, ConflictError
from jiceng.regions.choices import RegionLevel

from .. import rollup, texts, workflow
from ..choices import WhistleState
from ..models import Event, EventTransition, Timer, Whistle
from ..units import ancestor_regions
from ..worktime import WorkCalendar
from . import timers

# Fields a transition may write (personal fields and the idempotency key never change here).
_FROZEN = {"id", "reporter_name", "reporter_phone", "reporter_phone_hash", "idempotency_key", "version",
           "updated_at"}
MUTABLE_FIELDS = [f.attname for f in Event._meta.concrete_fields if f.attname not in _FROZEN]
MAX_PHOTOS = 9


@dataclass
class Ctx:
    """What a change step sees: the locked, fresh case, the actor, the time and the calendar."""

    event: Event
    actor: Any
    now: datetime
    relations: frozenset[str]
    from_state: str = ""
    note: str = ""
    photos: list[str] = field(default_factory=list)
    new_case: NewCase | None = None
    _calendar: WorkCalendar | None = None

    @property
    def calendar(self) -> WorkCalendar:
        if self._calendar is None:
            self._calendar = WorkCalendar.from_db()
        return self._calendar

    @property
    def category(self):
        return self.event.category

    def start_timer(self, stage: str, *, hours=None, due_at: datetime | None = None) -> Timer:
        """Start a stage clock (by the category's procedure, or to a kept deadline)."""
        if self.new_case is not None:
            return self.new_case.start_timer(stage, now=self.now, hours=hours, due_at=due_at)
        return timers.timer_start(self.event, stage, now=self.now, calendar=self.calendar, hours=hours, due_at=due_at)

    def stop_timers(self, stages) -> None:
        stages = {str(s) for s in stages}
        if self.new_case is None:
            timers.timers_stop(self.event, stages, now=self.now)
            return
        for timer in self.new_case.timers:
            if timer.stage in stages and timer.stopped_at is None:
                timer.stopped_at, timer.paused_at = self.now, None


def clean_photos(photos) -> list[str]:
    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS:
        raise ApplicationError(_("照片最多%(n)s张。") % {"n": MAX_PHOTOS}, field="photos")
    for p in photos:
        if not isinstance(p, str) or not p.strip() or len(p) > 300:
            raise ApplicationError(_("照片须为已上传文件的地址（不超过300字符）。"), field="photos")
    return [p.strip() for p in photos]


def clean_point(lng, lat) -> tuple[float | None, float | None]:
    if lng is None and lat is None:
        return None, None
    try:
        lng_f, lat_f = float(lng), float(lat)
    except (TypeError, ValueError) as exc:
        raise ApplicationError(_("经纬度须为数字。"), field="location") from exc
    if isinstance(lng, bool) or isinstance(lat, bool) or not (math.isfinite(lng_f) and math.isfinite(lat_f)):
        raise ApplicationError(_("经纬度须为数字。"), field="location")
    if not (-180 <= lng_f <= 180 and -90 <= lat_f <= 90):
        raise ApplicationError(_("经纬度超出范围。"), field="location")
    return lng_f, lat_f


def lock(event: Event, *, expected_version: int | None) -> Event:
    """The case's row, locked for this transaction (SELECT … FOR UPDATE on PostgreSQL; SQLite's
    IMMEDIATE transactions already serialise writers), checked against the version the caller saw."""
    fresh = (Event.objects.select_for_update(of=("self",))
             .select_related("category", "grid", "community", "handler_region", "handler_department")
             .get(pk=event.pk))
    if expected_version is not None and fresh.version != expected_version:
        raise ConflictError(_("该事件刚刚已被他人处理，请刷新后查看最新状态再操作。"), field="version")
    return fresh


def relations_of_many(events: list[Event], actor) -> dict[int, frozenset[str]]:
    """The actor's relations to each case, by case id, in two queries whatever the number of cases:
    who acted as its handler (they never verify or rate it) and which departments a whistle calls."""
    if actor is None or not events:
        return {e.pk: frozenset() for e in events}
    ids = [e.pk for e in events]
    handlers: dict[int, set[int]] = {pk: set() for pk in ids}
    for event_id, actor_id in EventTransition.objects.filter(
            event_id__in=ids, action__in=workflow.HANDLER_ACTIONS, actor__isnull=False).values_list("event_id", "actor_id"):
        handlers[event_id].add(actor_id)
    called: dict[int, set[int]] = {pk: set() for pk in ids}
    for event_id, department_id in Whistle.objects.filter(
            event_id__in=ids, state__in=[WhistleState.CALLED, WhistleState.REPORTED]).values_list("event_id", "department_id"):
        called[event_id].add(department_id)
    out = {}
    for e in events:
        if e.handled_by_id:
            handlers[e.pk].add(e.handled_by_id)
        out[e.pk] = workflow.relations(e, actor, handler_ids=frozenset(handlers[e.pk]),
                                       called_department_ids=frozenset(called[e.pk]))
    return out


def relations_of(event: Event, actor) -> frozenset[str]:
    return relations_of_many([event], actor)[event.pk]


def _write(fresh: Event, *, old_version: int | None, now: datetime) -> None:
    values = {f: getattr(fresh, f) for f in MUTABLE_FIELDS}
    values["updated_at"] = now
    qs = Event.objects.filter(pk=fresh.pk)
    if old_version is not None:
        qs = qs.filter(version=old_version)
        values["version"] = old_version + 1
    if qs.update(**values) != 1:
        raise ConflictError(_("该事件刚刚已被他人处理，请刷新后查看最新状态再操作。"), field="version")
    if old_version is not None:
        fresh.version = old_version + 1
    fresh.updated_at = now


def _copy_back(src: Event, dst: Event) -> None:
    if dst is src:
        return
    for f in Event._meta.concrete_fields:
        setattr(dst, f.attname, getattr(src, f.attname))
    for name in ("category", "grid", "community", "handler_region", "handler_department"):
        if Event._meta.get_field(name).is_cached(src):
            setattr(dst, name, getattr(src, name))


def actor_label(actor, default: str = texts.ACTOR_SYSTEM) -> str:
    if actor is None:
        return default
    return (getattr(actor, "full_name", "") or actor.username)[:100]


def run(
    action: str,
    event: Event,
    actor,
    *,
    note: str = "",
    photos=(),
    lng=None,
    lat=None,
    mutate: Callable[[Ctx], dict | None] | None = None,
    relations: frozenset[str] | None = None,
    label: str = "",
    bump: bool = True,
    now: datetime | None = None,
    new_case: NewCase | None = None,
) -> Event:
    """Take ``action`` on ``event`` as ``actor``. ``mutate`` changes the locked case (its return
    value goes into the timeline row and the audit record). ``bump`` is False for notes, which
    neither change the state nor make other people's copies stale. The caller's instance is
    updated in place and returned.

    With ``new_case`` the step applies to a case not yet saved (``new_case.event``): nothing is
    locked or written; the timeline row, the audit record and the timers wait in ``new_case`` for
    its one ``save``. A step that fails leaves the unsaved case as it was before the step."""
    now = now or timezone.now()
    photos = clean_photos(photos)
    lng, lat = clean_point(lng, lat)
    note = (note or "").strip()
    if len(note) > 2000:
        raise ApplicationError(_("意见不超过2000字。"), field="note")
    if new_case is not None:
        return new_case.step(action, actor, note=note, photos=photos, lng=lng, lat=lat, mutate=mutate,
                             relations=relations, label=label, now=now)
    with transaction.atomic():
        system = relations is not None and workflow.SYSTEM in relations
        fresh = lock(event, expected_version=event.version if bump and not system else None)
        rels = relations if relations is not None else relations_of(fresh, actor)
        t = _check(action, fresh, rels, note, actor)
        before = rollup.contributions(fresh)
        from_state = fresh.state
        old_version = fresh.version
        if t.target not in (None, "="):
            fresh.state = t.target
        ctx = Ctx(event=fresh, actor=actor, now=now, relations=rels, from_state=from_state, note=note,
                  photos=photos)
        extra = (mutate(ctx) if mutate is not None else None) or {}
        _write(fresh, old_version=old_version if bump else None, now=now)
        rollup.apply(rollup.delta(before, rollup.contributions(fresh)))
        # The audit record last but one: it takes the chain's lock, held until the commit, so that
        # every audited write of the province waits on it as briefly as it can.
        entry = audit_record(actor=actor, action=f"event.{action}", obj=fresh,
                             changes=_changes(from_state, fresh.state, note, extra, actor, label))
        EventTransition.objects.create(
            event=fresh, action=action, from_state=from_state, to_state=fresh.state, actor=actor,
            actor_label=label or actor_label(actor), at=now, note=note, photos=photos, lng=lng, lat=lat,
            data=_plain(extra), audit_id=entry.pk,
        )
        _copy_back(fresh, event)
    return event


def _check(action: str, event: Event, relations: frozenset[str], note: str, actor=None):
    t = workflow.check(action, state=event.state, relations=relations)
    refusal = workflow.case_refusal(action, event, actor)
    if refusal:
        raise ApplicationError(refusal, field="state")
    if t.needs_reason and not note:
        raise ApplicationError(_("请填写%(action)s的原因或意见。") % {"action": t.label}, field="note")
    return t


def _changes(from_state: str, to_state: str, note: str, extra: dict, actor, label: str) -> dict[str, Any]:
    changes: dict[str, Any] = {"state": [from_state, to_state]} if to_state != from_state else {}
    if note:
        changes["note"] = note[:500]
    changes.update(extra)
    if actor is None:
        changes["by"] = label or texts.ACTOR_SYSTEM
    return changes


@dataclass
class NewCase:
    """A case being created (采集), with the steps of its first moment — for an emergency call, 立案
    and 派遣 by the procedure — taken on the unsaved row through the same workflow table and the
    same step functions as any later change, then written at once by ``save``: one insert of the
    case, one of its timeline rows, one of its timers, one chained batch of audit records and one
    rollup delta (from nothing to the case as saved)."""

    event: Event
    steps: list[tuple[EventTransition, AuditEntry]] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    calendar: WorkCalendar = field(default_factory=WorkCalendar.from_db)  # reads the year only when used

    def start_timer(self, stage: str, *, now: datetime, hours=None, due_at: datetime | None = None) -> Timer:
        """A stage clock of the new case, to be written by ``save``."""
        timer = timers.timer_new(self.event, stage, now=now, calendar=self.calendar, hours=hours, due_at=due_at)
        self.timers.append(timer)
        return timer

    def record(self, action: str, actor, *, from_state: str, note: str = "", photos=(), lng=None, lat=None,
               data: dict | None = None, changes: dict | None = None, label: str = "", now: datetime) -> None:
        """A timeline row and its audit record, to be written by ``save``."""
        self.steps.append((
            EventTransition(action=action, from_state=from_state, to_state=self.event.state, actor=actor,
                            actor_label=label or actor_label(actor), at=now, note=note, photos=list(photos),
                            lng=lng, lat=lat, data=_plain(data or {})),
            AuditEntry(actor=actor, action=f"event.{action}", changes=changes or {}),
        ))

    def step(self, action: str, actor, *, note: str, photos: list[str], lng, lat, mutate, relations, label: str,
             now: datetime) -> Event:
        if relations is None:
            raise ValueError("a step on a new case names its relations (the case has no history yet)")
        ev = self.event
        t = _check(action, ev, relations, note, actor)
        saved = {f.attname: getattr(ev, f.attname) for f in Event._meta.concrete_fields}
        saved_timers = [(timer, timer.stopped_at, timer.paused_at) for timer in self.timers]
        from_state = ev.state
        if t.target not in (None, "="):
            ev.state = t.target
        ctx = Ctx(event=ev, actor=actor, now=now, relations=relations, from_state=from_state, note=note,
                  photos=photos, new_case=self, _calendar=self.calendar)
        try:
            extra = (mutate(ctx) if mutate is not None else None) or {}
        except Exception:
            for name, value in saved.items():
                setattr(ev, name, value)
            self.timers = [timer for timer, *_ in saved_timers]
            for timer, stopped_at, paused_at in saved_timers:
                timer.stopped_at, timer.paused_at = stopped_at, paused_at
            raise
        ev.updated_at = now
        self.record(action, actor, from_state=from_state, note=note, photos=photos, lng=lng, lat=lat, data=extra,
                    changes=_changes(from_state, ev.state, note, extra, actor, label), label=label, now=now)
        return ev

    def save(self) -> Event:
        """Write the case and everything its steps produced (inside the caller's transaction)."""
        ev = self.event
        ev.save(force_insert=True)
        for timer in self.timers:
            timer.event = ev
        Timer.objects.bulk_create(self.timers)
        street = ancestor_regions(ev.grid).get(RegionLevel.STREET)
        rollup.apply(rollup.delta({}, rollup.contributions(ev)),
                     streets={ev.grid_id: street.pk} if street is not None else None)
        # The audit records last but one (the chain's lock is held until the commit; see ``run``).
        entries = audit_records([replace(entry, obj=ev) for _step, entry in self.steps])
        transitions = []
        for (transition, _entry), entry in zip(self.steps, entries, strict=True):
            transition.event, transition.audit_id = ev, entry.pk
            transitions.append(transition)
        EventTransition.objects.bulk_create(transitions)
        return ev


def _plain(data: dict) -> dict:
    """Timeline data as JSON (model instances by id, dates as ISO text)."""
    return json.loads(json.dumps(data, default=lambda v: getattr(v, "pk", None) or str(v), ensure_ascii=False))
