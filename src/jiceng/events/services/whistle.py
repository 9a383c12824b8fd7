"""吹哨报到 and 督办.

A street (or a community) blows the whistle on a case, naming departments; each must report
(报到) within the category's report deadline (``whistle_hours``, 2 working hours by default) and
then feed back what it did. A call not answered in time is flagged ``late`` by the timers, and the
county sees the count per department (``selectors.whistle_stats``). 督办 is a superior's note.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from jiceng.people.choices import Role
from jiceng.people.models import Department

from ..choices import Stage, WhistleState
from ..models import Event, Supervision, Timer, Whistle
from ._engine import Ctx, run
from .timers import timer_start


def whistle_blow(*, actor, event: Event, departments: list[Department], reason: str) -> list[Whistle]:
    """吹哨: call one or more departments serving the case's area."""
    departments = list({d.pk: d for d in departments or []}.values())
    if not departments:
        raise ApplicationError(_("请选择要吹哨的部门。"), field="departments")
    created: list[Whistle] = []

    def mutate(ctx: Ctx) -> dict:
        ev = ctx.event
        blower = ctx.actor.region
        for dept in departments:
            if not ev.grid.path.startswith(dept.region.path):
                raise ApplicationError(_("%(name)s不负责该事件所在区域。") % {"name": dept.name}, field="departments")
            if Whistle.objects.filter(event=ev, department=dept,
                                      state__in=[WhistleState.CALLED, WhistleState.REPORTED]).exists():
                raise ApplicationError(_("已向%(name)s吹哨，尚未办结。") % {"name": dept.name}, field="departments")
            whistle = Whistle(event=ev, department=dept, blown_by=ctx.actor, blower_region=blower,
                              reason=ctx.note[:500], blown_at=ctx.now, due_at=ctx.now)
            whistle.save()
            timer = timer_start(ev, Stage.WHISTLE, now=ctx.now, calendar=ctx.calendar,
                                hours=ev.category.whistle_hours, whistle=whistle)
            whistle.due_at = timer.due_at
            whistle.save(update_fields=["due_at"])
            created.append(whistle)
        ev.whistle_count += 1
        return {"departments": [d.name for d in departments], "due_at": created[0].due_at.isoformat()}

    run("whistle", event, actor, note=reason, mutate=mutate, bump=False)
    return created


def _whistle_locked(whistle: Whistle) -> Whistle:
    found = Whistle.objects.select_for_update(of=("self",)).select_related("department").filter(
        pk=whistle.pk).first()
    if found is None:
        raise NotFoundError(_("未找到该吹哨记录。"))
    return found


def _check_department(actor, whistle: Whistle) -> None:
    if actor is None or actor.role != Role.DEPARTMENT_STAFF or actor.department_id != whistle.department_id:
        raise PermissionDeniedError(_("只有%(name)s的工作人员可以报到或反馈。") % {"name": whistle.department.name})


def whistle_report(*, actor, whistle: Whistle, note: str = "") -> Whistle:
    """报到: the department acknowledges the call (late if after its deadline)."""
    with transaction.atomic():
        w = _whistle_locked(whistle)
        _check_department(actor, w)
        if w.state != WhistleState.CALLED:
            raise ApplicationError(_("该吹哨已报到或已撤销。"), field="state")

        def mutate(ctx: Ctx) -> dict:
            late = ctx.now > w.due_at
            Whistle.objects.filter(pk=w.pk).update(
                state=WhistleState.REPORTED, reported_at=ctx.now, reported_by=ctx.actor,
                late=w.late or late, late_at=w.late_at or (w.due_at if late else None))
            Timer.objects.filter(whistle=w, stopped_at__isnull=True).update(stopped_at=ctx.now, paused_at=None)
            return {"whistle": w.pk, "department": w.department.name, "late": w.late or late}

        run("whistle_report", w.event, actor, note=note, mutate=mutate, bump=False)
    whistle.refresh_from_db()
    return whistle


def whistle_feedback(*, actor, whistle: Whistle, feedback: str) -> Whistle:
    """部门反馈: what the department did on the case."""
    with transaction.atomic():
        w = _whistle_locked(whistle)
        _check_department(actor, w)
        if w.state != WhistleState.REPORTED:
            raise ApplicationError(_("请先报到，再反馈处置情况。"), field="state")

        def mutate(ctx: Ctx) -> dict:
            Whistle.objects.filter(pk=w.pk).update(state=WhistleState.DONE, feedback=ctx.note, feedback_at=ctx.now,
                                                   feedback_by=ctx.actor)
            return {"whistle": w.pk, "department": w.department.name}

        run("whistle_feedback", w.event, actor, note=feedback, mutate=mutate, bump=False)
    whistle.refresh_from_db()
    return whistle


def event_supervise(*, actor, event: Event, note: str, respond_by: datetime | None = None) -> Supervision:
    """督办 by county or street staff over the case."""
    created: list[Supervision] = []

    def mutate(ctx: Ctx) -> dict:
        ev = ctx.event
        if respond_by is not None and respond_by <= ctx.now:
            raise ApplicationError(_("督办限期须晚于现在。"), field="respond_by")
        created.append(Supervision.objects.create(
            event=ev, by=ctx.actor, at=ctx.now, note=ctx.note, respond_by=respond_by,
            handler_kind=ev.handler_kind, handler_region=ev.handler_region, handler_department=ev.handler_department))
        return {"respond_by": respond_by.isoformat() if respond_by else None}

    run("supervise", event, actor, note=note, mutate=mutate, bump=False)
    return created[0]
