"""Two people act on one case at once: exactly one wins, the other gets a conflict."""

import threading

import pytest
from django.db import connection, connections

from jiceng.core.errors import ApplicationError, ConflictError
from jiceng.events import services
from jiceng.events.choices import EventState
from jiceng.events.models import Event, EventTransition
from tests.events.factories import report, to_dispatched


def test_the_second_of_two_signers_gets_a_conflict(world):
    """What SQLite relies on: both loaded version n; the first to write makes it n + 1."""
    w = world
    ev = to_dispatched(w, report(w))
    seen_by_alice, seen_by_wang = Event.objects.get(pk=ev.pk), Event.objects.get(pk=ev.pk)
    services.event_sign(actor=w.alice, event=seen_by_alice)
    with pytest.raises(ConflictError):
        services.event_sign(actor=w.wang, event=seen_by_wang)
    assert EventTransition.objects.filter(event=ev, action="sign").count() == 1


def test_two_registrations_one_wins(world):
    w = world
    ev = report(w)
    seen_by_alice, seen_by_east = Event.objects.get(pk=ev.pk), Event.objects.get(pk=ev.pk)
    services.event_register(actor=w.east, event=seen_by_east)
    with pytest.raises(ConflictError):
        services.event_register(actor=w.alice, event=seen_by_alice)
    fresh = Event.objects.get(pk=ev.pk)
    with pytest.raises(ApplicationError):  # with a fresh copy the state itself refuses
        services.event_register(actor=w.alice, event=fresh)


def _race(calls) -> list:
    """Run the calls in threads (each its own database connection), released together."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            loaded = call["load"]()
            barrier.wait(timeout=10)
            call["act"](loaded)
            results[i] = "ok"
        except (ConflictError, ApplicationError) as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_threads_sign_at_once_on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("two concurrent writers need PostgreSQL; on SQLite the version check above is the guard")
    from tests.events.factories import build_world

    w = build_world()
    ev = to_dispatched(w, report(w))
    for _ in range(3):  # a few rounds, since a race may go either way
        ev = to_dispatched(w, report(w))
        load = lambda pk=ev.pk: Event.objects.get(pk=pk)  # noqa: E731
        results = _race([
            {"load": load, "act": lambda e: services.event_sign(actor=w.alice, event=e)},
            {"load": load, "act": lambda e: services.event_sign(actor=w.wang, event=e)},
        ])
        assert sorted(r == "ok" for r in results) == [False, True], results
        loser = next(r for r in results if r != "ok")
        assert isinstance(loser, ConflictError)
        assert Event.objects.get(pk=ev.pk).state == EventState.SIGNED
        assert EventTransition.objects.filter(event=ev, action="sign").count() == 1
        assert Event.objects.get(pk=ev.pk).version == ev.version + 1
