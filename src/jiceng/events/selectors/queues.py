"""The work waiting for an actor — 我的待办 and 待我核查 — as the pages list it and as the home page
counts it: one place, so that a count always equals the list its link opens."""

from __future__ import annotations

from django.db.models import F

from ..choices import OPEN_STATES, EventState
from ..models import Event
from .cases import event_actions_many, event_visible

QUEUE_WINDOW = 300  # open cases looked at for 我的待办, overdue first then by deadline
VERIFY_WINDOW = 100  # cases waiting for verification looked at, the longest waiting first
# a called department's steps on a whistle: listed apart, by whistle_pending
WHISTLE_STEPS = frozenset({"whistle_report", "whistle_feedback"})


def event_queue(*, actor) -> list[tuple[Event, list[str]]]:
    """我的待办: the open cases on which the actor may take a step now, each with those steps, overdue
    first then by deadline, of the first ``QUEUE_WINDOW`` open cases it sees."""
    open_cases = event_visible(actor).filter(state__in=list(OPEN_STATES)).order_by(
        F("overdue_at").asc(nulls_last=True), F("handle_due_at").asc(nulls_last=True), "-reported_at")
    window = list(open_cases[:QUEUE_WINDOW])
    allowed = event_actions_many(actor=actor, events=window)
    rows = [(event, [a for a in allowed[event.pk] if a not in WHISTLE_STEPS]) for event in window]
    return [(event, actions) for event, actions in rows if actions]


def verify_queue(*, actor) -> list[tuple[Event, list[str]]]:
    """待我核查: the cases waiting for verification that the actor may verify (a handler of the case
    may not), the longest waiting first, each with the steps it allows."""
    window = list(event_visible(actor).filter(state=EventState.TO_VERIFY)
                  .select_related("grid", "community").order_by("handled_at", "id")[:VERIFY_WINDOW])
    allowed = event_actions_many(actor=actor, events=window)
    return [(event, allowed[event.pk]) for event in window if "verify" in allowed[event.pk]]
