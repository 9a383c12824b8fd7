"""The work waiting for an actor — 我的待办 and 待我核查 — as the pages list it and as the home page
counts it: one place, so that a count always equals the list its link opens."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, Q

from jiceng.people.choices import REGION_STAFF_ROLES, Role

from .. import workflow
from ..choices import EventState, UnitKind
from ..models import Event
from .cases import event_actions_many, event_visible

QUEUE_WINDOW = 300  # cases looked at for 我的待办, overdue first then by deadline
# The steps that are someone's job: a case waits in 我的待办 of whoever may take one of them. The
# command centre's other powers (改派, 上报升级, 挂起, 作废, 合并, 督办, 吹哨, 回访) can be used on any open
# case it oversees and make none of them a to-do.
DUTY_ACTIONS = frozenset({"register", "reject", "dispatch", "rule", "sign", "return", "start", "submit", "verify",
                          "verify_fail"})
# the states with a duty for the command centre or the verifier; in the others only the handler has one
_WAITING_STATES = (EventState.PENDING, EventState.REGISTERED, EventState.RETURNED, EventState.RULING,
                   EventState.TO_VERIFY)
_HANDLER_STATES = (EventState.DISPATCHED, EventState.SIGNED, EventState.HANDLING)
VERIFY_WINDOW = 100  # cases waiting for verification looked at, the longest waiting first
# a called department's steps on a whistle: listed apart, by whistle_pending
WHISTLE_STEPS = frozenset({"whistle_report", "whistle_feedback"})


@dataclass
class Queue:
    """我的待办: (case, the steps the actor may take on it) for the cases with a step that is the
    actor's job; ``truncated`` when more cases than ``QUEUE_WINDOW`` were waiting and only the most
    urgent were looked at."""

    rows: list = field(default_factory=list)
    truncated: bool = False

    def __len__(self) -> int:
        return len(self.rows)


def _handled_by(actor) -> Q:
    """The cases the actor's unit is handling (``workflow.in_handling_unit`` as a filter)."""
    unit = workflow.own_unit(actor)
    if unit is None:
        return Q(pk__in=[])
    kind, pk = unit
    if kind == UnitKind.DEPARTMENT:
        return Q(handler_kind=kind, handler_department_id=pk)
    return Q(handler_kind=kind, handler_region_id=pk)


def _waiting_states(actor) -> list[str]:
    """The states in which a case waits for the actor's role whoever handles it: the command centre's
    (受理, 派遣, 审定) and the verifier's (核查) — a grid worker only verifies, a department neither."""
    if actor.role in REGION_STAFF_ROLES:
        return list(_WAITING_STATES)
    if actor.role == Role.GRID_WORKER:
        return [EventState.TO_VERIFY]
    return []


def event_queue(*, actor) -> Queue:
    """我的待办: the open cases on which a step is the actor's job now (``DUTY_ACTIONS``), each with
    all the steps the actor may take, overdue first then by deadline, of the first ``QUEUE_WINDOW``
    cases that could hold one (waiting for the command centre or the verifier, or with the actor's
    unit)."""
    waiting = event_visible(actor).filter(
        Q(state__in=_waiting_states(actor)) | (Q(state__in=list(_HANDLER_STATES)) & _handled_by(actor))).order_by(
        F("overdue_at").asc(nulls_last=True), F("handle_due_at").asc(nulls_last=True), "-reported_at")
    window = list(waiting[:QUEUE_WINDOW + 1])
    truncated = len(window) > QUEUE_WINDOW
    window = window[:QUEUE_WINDOW]
    allowed = event_actions_many(actor=actor, events=window)
    rows = [(event, [a for a in allowed[event.pk] if a not in WHISTLE_STEPS]) for event in window]
    return Queue(rows=[(event, actions) for event, actions in rows if DUTY_ACTIONS.intersection(actions)],
                 truncated=truncated)


def verify_queue(*, actor) -> list[tuple[Event, list[str]]]:
    """待我核查: the cases waiting for verification that the actor may verify (a handler of the case
    may not), the longest waiting first, each with the steps it allows."""
    window = list(event_visible(actor).filter(state=EventState.TO_VERIFY)
                  .select_related("grid", "community", "category").order_by("handled_at", "id")[:VERIFY_WINDOW])
    allowed = event_actions_many(actor=actor, events=window)
    return [(event, allowed[event.pk]) for event in window if "verify" in allowed[event.pk]]
