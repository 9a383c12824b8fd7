"""The case workflow (立案 → 派遣 → 签收 → 处置 → 反馈 → 核查结案 → 评价, with 退单/审定, 挂起/恢复,
重办, 作废). Each function is one transition of ``workflow.TRANSITIONS``; the engine locks the case,
checks the table, writes the timeline row and the audit record and moves the rollup."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core.errors import ApplicationError, NotFoundError

from .. import texts, workflow
from ..choices import EventState, Rating, RatingSource, Stage, UnsatisfiedAction, WhistleState
from ..models import Event, EventCategory, EventRating, EventTransition, Whistle
from ..units import Unit, check_unit, default_unit, escalation_target
from ._engine import Ctx, run
from .timers import timers_pause, timers_resume

ALL_STAGES = [s.value for s in Stage]
RATING_SALT = "jiceng.events.rating"


def _set_unit(ctx: Ctx, unit: Unit) -> dict:
    ev = ctx.event
    ev.handler_kind = unit.kind
    ev.handler_region = unit.region
    ev.handler_department = unit.department
    ev.dispatched_at = ctx.now
    if ev.first_dispatched_at is None:
        ev.first_dispatched_at = ctx.now
    ctx.stop_timers([Stage.SIGN, Stage.HANDLE])
    ctx.start_timer(Stage.SIGN, hours=ctx.category.sign_hours)
    return {"unit": unit.describe()}


def _cancel_calls(ctx: Ctx) -> None:
    Whistle.objects.filter(event=ctx.event, state=WhistleState.CALLED).update(state=WhistleState.CANCELLED)


def _end_suspension(ctx: Ctx) -> None:
    ev = ctx.event
    if ev.suspended_at is not None:
        ev.suspended_seconds += max(0, int((ctx.now - ev.suspended_at).total_seconds()))
        ev.suspended_at = None
        ev.suspended_from = ""


# --- 立案 / 不予立案 -------------------------------------------------------------------------------


def event_register(*, actor, event: Event, note: str = "", category: EventCategory | None = None,
                   dispatch: bool = False, unit: Unit | None = None) -> Event:
    """立案, optionally correcting the category; with ``dispatch`` also 派遣 (to ``unit`` or by the
    category's procedure) in the same transaction."""

    def mutate(ctx: Ctx) -> dict:
        ev = ctx.event
        extra = {}
        if category is not None and category.pk != ev.category_id:
            if not category.active:
                raise ApplicationError(_("该事项分类已停用。"), field="category")
            extra["category"] = [ev.category.code, category.code]
            ev.category = category
            ev.priority = min(ev.priority, category.priority)
        ev.registered_at = ctx.now
        ctx.stop_timers([Stage.ACCEPT])
        return extra

    with transaction.atomic():
        run("register", event, actor, note=note, mutate=mutate)
        if dispatch:
            event_dispatch(actor=actor, event=event, unit=unit)
    return event


def event_reject(*, actor, event: Event, reason: str) -> Event:
    """不予立案, with the reason told to the reporter."""

    def mutate(ctx: Ctx) -> None:
        ctx.event.reason = ctx.note[:500]
        ctx.stop_timers(ALL_STAGES)

    return run("reject", event, actor, note=reason, mutate=mutate)


# --- 派遣 / 改派 / 升级 / 审定 ------------------------------------------------------------------------


def event_dispatch(*, actor, event: Event, unit: Unit | None = None, note: str = "", system: bool = False,
                   new_case=None) -> Event:
    """派遣 to ``unit``, or by the category's procedure (the case's community, street, county or the
    department of the category's kind) when no unit is given. ``new_case``: a case being created
    (``_engine.NewCase``)."""

    def mutate(ctx: Ctx) -> dict:
        chosen = check_unit(ctx.event, unit) if unit is not None else default_unit(ctx.event)
        return _set_unit(ctx, chosen)

    return run("dispatch", event, actor, note=note, mutate=mutate,
               relations=frozenset({workflow.SYSTEM}) if system else None, new_case=new_case)


def event_redispatch(*, actor, event: Event, unit: Unit, note: str = "") -> Event:
    """改派: the command centre moves a case to another unit."""

    def mutate(ctx: Ctx) -> dict:
        chosen = check_unit(ctx.event, unit)
        current = Unit.of_event(ctx.event)
        if current is not None and current.key == chosen.key:
            raise ApplicationError(_("该事件已由%(name)s处置。") % {"name": chosen.name}, field="unit")
        return _set_unit(ctx, chosen)

    return run("redispatch", event, actor, note=note, mutate=mutate)


def event_escalate(*, actor, event: Event, reason: str) -> Event:
    """上报升级: community → street → county (a department escalates to the county)."""

    def mutate(ctx: Ctx) -> dict:
        return _set_unit(ctx, escalation_target(ctx.event))

    return run("escalate", event, actor, note=reason, mutate=mutate)


def event_rule(*, actor, event: Event, unit: Unit, note: str = "") -> Event:
    """审定: after the category's limit of returns the command centre rules who must take the case;
    it can no longer be returned."""

    def mutate(ctx: Ctx) -> dict:
        ctx.event.returns_locked = True
        return _set_unit(ctx, check_unit(ctx.event, unit))

    return run("rule", event, actor, note=note, mutate=mutate)


# --- 签收 / 退单 / 处置 / 反馈 ------------------------------------------------------------------------


def event_sign(*, actor, event: Event, note: str = "") -> Event:
    """签收: the handling clock starts (a reopened case keeps its original deadline)."""

    def mutate(ctx: Ctx) -> None:
        ev = ctx.event
        ev.signed_at = ctx.now
        ctx.stop_timers([Stage.SIGN, Stage.HANDLE])
        if ev.reopen_count and ev.handle_due_at is not None:
            ctx.start_timer(Stage.HANDLE, due_at=ev.handle_due_at)
        else:
            timer = ctx.start_timer(Stage.HANDLE, hours=ctx.category.handle_hours)
            ev.handle_due_at = timer.due_at

    return run("sign", event, actor, note=note, mutate=mutate)


def event_return(*, actor, event: Event, reason: str) -> Event:
    """退单: the unit sends back a wrongly routed case. When the returns reach the category's limit
    the case waits for the command centre's ruling (待审定)."""

    def mutate(ctx: Ctx) -> dict:
        ev = ctx.event
        returned_by = Unit.of_event(ev)
        ev.return_count += 1
        if ev.first_returned_at is None:
            ev.first_returned_at = ctx.now
        ev.state = EventState.RULING if ev.return_count >= ctx.category.max_returns else EventState.RETURNED
        ev.handler_kind, ev.handler_region, ev.handler_department = "", None, None
        ctx.stop_timers([Stage.SIGN, Stage.HANDLE])
        return {"unit": returned_by.describe() if returned_by else None, "return_count": ev.return_count}

    return run("return", event, actor, note=reason, mutate=mutate)


def event_start(*, actor, event: Event, note: str = "", lng=None, lat=None) -> Event:
    """开始处置 (the handler is on it)."""
    return run("start", event, actor, note=note, lng=lng, lat=lat)


def event_submit(*, actor, event: Event, note: str, photos=(), lng=None, lat=None) -> Event:
    """处置反馈: the handler reports the result (with photos where the category needs them) and the
    case waits for verification."""

    def mutate(ctx: Ctx) -> None:
        ev = ctx.event
        ev.handled_at = ctx.now
        ev.handled_by = ctx.actor
        ctx.stop_timers([Stage.HANDLE])
        ctx.start_timer(Stage.VERIFY, hours=ctx.category.verify_hours)

    return run("submit", event, actor, note=note, photos=photos, lng=lng, lat=lat, mutate=mutate)


# --- 核查结案 / 重办 ----------------------------------------------------------------------------------


def _reopen_here(ctx: Ctx) -> None:
    """Back to 处置中 with the same unit; the original deadline (extended by suspensions) stands."""
    ev = ctx.event
    ev.reopen_count += 1
    ev.reopened_at = ctx.now
    ev.closed_at = None
    ctx.stop_timers([Stage.VERIFY, Stage.HANDLE])
    if ev.handle_due_at is not None:
        ctx.start_timer(Stage.HANDLE, due_at=ev.handle_due_at)


def event_verify(*, actor, event: Event, passed: bool = True, note: str = "", photos=(), lng=None,
                 lat=None) -> Event:
    """核查: a grid worker of the case's grid or staff of its community — never its handler — checks
    on the spot. Passed: 结案 (with a photo where the category needs one). Failed: 重办."""
    if not passed:
        return run("verify_fail", event, actor, note=note, photos=photos, lng=lng, lat=lat,
                   mutate=lambda ctx: _reopen_here(ctx) or {"reopen_count": ctx.event.reopen_count})

    def mutate(ctx: Ctx) -> None:
        ev = ctx.event
        if not ctx.photos and workflow.closing_photo_missing(ev, _submitted_photos(ev)):
            raise ApplicationError(_("该类事件结案须附处置后的现场照片。"), field="photos")
        ev.closed_at = ctx.now
        ctx.stop_timers(ALL_STAGES)
        _cancel_calls(ctx)

    return run("verify", event, actor, note=note, photos=photos, lng=lng, lat=lat, mutate=mutate)


def _submitted_photos(event: Event) -> list:
    last = (EventTransition.objects.filter(event_id=event.pk, action="submit").order_by("-at", "-id")
            .values_list("photos", flat=True).first())
    return last or []


def event_reopen(*, actor, event: Event, reason: str, unit: Unit | None = None) -> Event:
    """重办 of a closed case by the command centre: back to the same unit (处置中), or to ``unit``
    (已派遣). The original handling deadline stands (extended by suspensions)."""

    def mutate(ctx: Ctx) -> dict:
        _reopen_here(ctx)
        if unit is not None:
            ctx.event.state = EventState.DISPATCHED
            return {"reopen_count": ctx.event.reopen_count, **_set_unit(ctx, check_unit(ctx.event, unit))}
        return {"reopen_count": ctx.event.reopen_count}

    return run("reopen", event, actor, note=reason, mutate=mutate)


# --- 评价 -------------------------------------------------------------------------------------------


def rating_token(event: Event) -> str:
    """The reporter's rating link token, given at closure: signed, single-purpose (its own salt),
    bound to this round of the case (a reopened case needs a new link), expiring."""
    if event.state != EventState.CLOSED:
        raise ApplicationError(_("事件结案后才能生成评价链接。"), field="state")
    return signing.TimestampSigner(salt=RATING_SALT).sign(f"{event.pk}:{event.reopen_count}")


def _rating_max_age() -> timedelta:
    return timedelta(days=getattr(settings, "JICENG_EVENT_RATING_DAYS", 30))


def rating_token_read(token: str) -> tuple[Event, int]:
    """(the case a rating link stands for, the round it was given in); a clear error when the link
    is tampered with, expired or names no case."""
    try:
        value = signing.TimestampSigner(salt=RATING_SALT).unsign(token or "", max_age=_rating_max_age())
        pk_s, round_s = value.split(":")
        pk, round_ = int(pk_s), int(round_s)
    except signing.SignatureExpired as exc:
        raise ApplicationError(_("评价链接已过期。"), field="token") from exc
    except (signing.BadSignature, ValueError) as exc:
        raise ApplicationError(_("评价链接无效。"), field="token") from exc
    event = Event.objects.filter(pk=pk).select_related("category").first()
    if event is None:
        raise NotFoundError(_("未找到该事件。"))
    return event, round_


def _rate(event: Event, actor, *, rating: str, comment: str, source: str, relations=None, label="") -> Event:
    if rating not in Rating.values:
        raise ApplicationError(_("评价须为满意、基本满意或不满意。"), field="rating")
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ApplicationError(_("评价意见不超过500字。"), field="comment")

    def mutate(ctx: Ctx) -> dict:
        ev = ctx.event
        ev.rating, ev.rating_comment, ev.rating_source, ev.rated_at = rating, comment, source, ctx.now
        EventRating.objects.create(event=ev, rating=rating, comment=comment, source=source, by=ctx.actor,
                                   round=ev.reopen_count, at=ctx.now)
        return {"rating": rating, "source": source}

    with transaction.atomic():
        run("rate", event, actor, note=comment, mutate=mutate, relations=relations, label=label)
        if rating == Rating.UNSATISFIED and event.category.unsatisfied_action == UnsatisfiedAction.REOPEN:
            run("reopen", event, None, note=texts.NOTE_REOPEN_UNSATISFIED,
                mutate=lambda ctx: _reopen_here(ctx) or {"reopen_count": ctx.event.reopen_count},
                relations=frozenset({workflow.SYSTEM}))
    return event


def event_rate(*, token: str, rating: str, comment: str = "") -> Event:
    """评价 by the reporter through the link given at closure."""
    event, round_ = rating_token_read(token)
    if event.reopen_count != round_ or event.state != EventState.CLOSED:
        raise ApplicationError(_("该评价链接已失效（事件已评价或已重办）。"), field="token")
    return _rate(event, None, rating=rating, comment=comment, source=RatingSource.REPORTER,
                 relations=frozenset({workflow.REPORTER}), label=texts.ACTOR_REPORTER)


def event_rate_callback(*, actor, event: Event, rating: str, comment: str = "") -> Event:
    """回访评价 by command-centre staff who did not handle the case."""
    return _rate(event, actor, rating=rating, comment=comment, source=RatingSource.CALLBACK)


# --- 挂起 / 恢复 / 作废 -------------------------------------------------------------------------------


def event_suspend(*, actor, event: Event, reason: str) -> Event:
    """挂起: every clock of the case stops until it is resumed."""

    def mutate(ctx: Ctx) -> None:
        ev = ctx.event
        ev.suspended_from = ctx.from_state
        ev.suspended_at = ctx.now
        ev.suspend_count += 1
        timers_pause(ev, now=ctx.now, calendar=ctx.calendar)

    return run("suspend", event, actor, note=reason, mutate=mutate)


def event_resume(*, actor, event: Event, note: str = "") -> Event:
    """恢复: back to the state it was in; every deadline moves later by the suspended time."""

    def mutate(ctx: Ctx) -> dict:
        ev = ctx.event
        ev.state = ev.suspended_from or EventState.REGISTERED
        suspended_for = int((ctx.now - ev.suspended_at).total_seconds()) if ev.suspended_at else 0
        _end_suspension(ctx)
        timers_resume(ev, now=ctx.now, calendar=ctx.calendar)
        return {"suspended_seconds": suspended_for}

    return run("resume", event, actor, note=note, mutate=mutate)


def void_step(ctx: Ctx) -> None:
    ctx.event.reason = ctx.note[:500] or ctx.event.reason
    _end_suspension(ctx)
    ctx.stop_timers(ALL_STAGES)
    _cancel_calls(ctx)


def event_void(*, actor, event: Event, reason: str) -> Event:
    """作废 (invalid case) with the reason."""
    return run("void", event, actor, note=reason, mutate=void_step)
