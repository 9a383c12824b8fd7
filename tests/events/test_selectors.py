"""Reads: timeline, filters, the live overdue list, actions offered."""

import pytest

from jiceng.core.errors import NotFoundError
from jiceng.events import services
from jiceng.events.selectors import (
    event_filter,
    event_get,
    event_timeline,
    event_timers,
    event_visible,
    overdue_open,
)
from tests.events.conftest import at
from tests.events.factories import IN_B1, report, to_handling


def test_the_timeline_is_in_order_and_scoped(world, clock):
    ev = to_handling(world, report(world))
    assert [r.action for r in event_timeline(actor=world.alice, event=ev)] == [
        "report", "register", "dispatch", "sign", "start"]
    with pytest.raises(NotFoundError):
        event_timeline(actor=world.bob, event=ev)
    with pytest.raises(NotFoundError):
        event_get(actor=world.urban, pk=ev.pk)
    assert [t.stage for t in event_timers(event=ev)] == ["accept", "sign", "handle"]


def test_one_filter_for_lists(world, clock):
    a = report(world)
    b = report(world, where=IN_B1, category="SRHJ-XGG")
    qs = event_visible(world.county)
    assert list(event_filter(qs, q=a.number)) == [a]
    assert list(event_filter(qs, region=world.c.b)) == [b]
    assert list(event_filter(qs, category=world.cat("SRHJ"))) == [b, a]
    assert list(event_filter(qs, category=world.cat("SRHJ-XGG"))) == [b]
    assert list(event_filter(qs, state="pending", open_only=True)) == [b, a]
    assert list(event_filter(qs, overdue=True)) == []


def test_the_live_overdue_list(world, clock):
    ev = to_handling(world, report(world))  # handling deadline Wednesday 11:00
    assert list(overdue_open(actor=world.county, now=at(2025, 3, 5, 10, 0))) == []
    assert list(overdue_open(actor=world.county, now=at(2025, 3, 5, 11, 1))) == [ev]
    services.process_due_timers(now=at(2025, 3, 5, 11, 1))
    assert list(overdue_open(actor=world.east, now=at(2025, 3, 5, 11, 1))) == [ev]
    assert list(overdue_open(actor=world.bob, now=at(2025, 3, 5, 11, 1))) == []
