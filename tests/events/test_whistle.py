"""吹哨报到 (a 2 working-hour report deadline by default) and 督办."""

from datetime import date

import pytest

from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.models import AuditLog
from jiceng.events import services
from jiceng.events.choices import WhistleState
from jiceng.events.models import EventTransition, Supervision, Whistle
from jiceng.events.rollup import rollup_verify
from jiceng.events.selectors import whistle_list, whistle_stats
from tests.events.conftest import at
from tests.events.factories import report, to_dispatched, to_handling

MARCH = (date(2025, 3, 1), date(2025, 4, 1))


def test_one_department_reports_in_time_the_other_is_flagged(world, clock):
    w = world
    ev = to_handling(w, report(w))
    urban_call, housing_call = services.whistle_blow(actor=w.east, event=ev, departments=[w.d_urban, w.d_housing],
                                                     reason="违建与占道交织，需城管、住建到场")
    assert urban_call.due_at == housing_call.due_at == at(2025, 3, 3, 11, 0)

    def counts(row):  # called = in time + late + unanswered and late + waiting
        return (row.called, row.reported_in_time, row.reported_late, row.unanswered_late, row.waiting)

    rows = {r.department.kind: r for r in whistle_stats(actor=w.county, start=MARCH[0], end=MARCH[1])}
    assert counts(rows["urban"]) == counts(rows["housing"]) == (1, 0, 0, 0, 1)  # both still within the time
    clock.move_to(at(2025, 3, 3, 10, 0))
    services.whistle_report(actor=w.urban, whistle=urban_call, note="已到场")
    services.whistle_feedback(actor=w.urban, whistle=urban_call, feedback="已拆除违规遮阳棚")
    assert services.process_due_timers(now=at(2025, 3, 3, 10, 59))["fired"] == 0
    assert services.process_due_timers(now=at(2025, 3, 3, 11, 0))["fired"] == 1
    housing_call.refresh_from_db()
    urban_call.refresh_from_db()
    assert (urban_call.state, urban_call.late) == (WhistleState.DONE, False)
    assert (housing_call.state, housing_call.late) == (WhistleState.CALLED, True)
    assert EventTransition.objects.filter(event=ev, action="whistle_late").count() == 1

    rows = {r.department.kind: r for r in whistle_stats(actor=w.county, start=MARCH[0], end=MARCH[1])}
    assert (rows["urban"].called, rows["urban"].reported_in_time, rows["urban"].late) == (1, 1, 0)
    assert (rows["housing"].called, rows["housing"].unanswered_late, rows["housing"].late) == (1, 1, 1)
    assert counts(rows["urban"]) == (1, 1, 0, 0, 0) and counts(rows["housing"]) == (1, 0, 0, 1, 0)
    assert list(whistle_list(actor=w.county, start=MARCH[0], end=MARCH[1], department=w.d_housing,
                             kind="unanswered_late")) == [housing_call]

    clock.move_to(at(2025, 3, 3, 11, 30))
    services.whistle_report(actor=w.housing, whistle=housing_call)  # late, and it stays counted late
    rows = {r.department.kind: r for r in whistle_stats(actor=w.county, start=MARCH[0], end=MARCH[1])}
    assert (rows["housing"].reported_late, rows["housing"].unanswered_late, rows["housing"].late) == (1, 0, 1)
    assert [r.department for r in whistle_stats(actor=w.urban, start=MARCH[0], end=MARCH[1])] == [w.d_urban]
    assert ev.__class__.objects.get(pk=ev.pk).whistle_count == 1
    assert rollup_verify() == []


def test_who_may_blow_and_who_may_report(world, clock):
    w = world
    ev = to_dispatched(w, report(w))
    for not_allowed in (w.bob, w.county, w.wang, w.urban):
        with pytest.raises(PermissionDeniedError):
            services.whistle_blow(actor=not_allowed, event=ev, departments=[w.d_urban], reason="x")
    (call,) = services.whistle_blow(actor=w.alice, event=ev, departments=[w.d_urban], reason="请城管协助")
    with pytest.raises(ApplicationError):  # one open call per department
        services.whistle_blow(actor=w.east, event=ev, departments=[w.d_urban], reason="再吹")
    with pytest.raises(ApplicationError):
        services.whistle_blow(actor=w.east, event=ev, departments=[], reason="x")
    for not_called in (w.housing, w.alice, w.county):
        with pytest.raises(PermissionDeniedError):
            services.whistle_report(actor=not_called, whistle=call)
    with pytest.raises(ApplicationError):
        services.whistle_feedback(actor=w.urban, whistle=call, feedback="先反馈")
    services.whistle_report(actor=w.urban, whistle=call)
    with pytest.raises(ApplicationError):
        services.whistle_report(actor=w.urban, whistle=call)


def test_a_suspended_case_stops_the_whistle_clock(world, clock):
    w = world
    ev = to_handling(w, report(w))
    (call,) = services.whistle_blow(actor=w.east, event=ev, departments=[w.d_civil], reason="低保核查")
    clock.move_to(at(2025, 3, 3, 10, 0))
    services.event_suspend(actor=w.alice, event=ev, reason="等待当事人")
    clock.move_to(at(2025, 3, 3, 15, 0))  # suspended 10:00 → 15:00: 2 + 1 = 3 working hours
    services.event_resume(actor=w.alice, event=ev)
    call.refresh_from_db()
    assert call.due_at == at(2025, 3, 3, 16, 0)
    assert services.process_due_timers(now=at(2025, 3, 3, 15, 59))["fired"] == 0


def test_closing_the_case_cancels_unanswered_calls(world, clock):
    from tests.events.factories import PHOTO

    w = world
    ev = to_handling(w, report(w))
    (call,) = services.whistle_blow(actor=w.east, event=ev, departments=[w.d_police], reason="需公安到场")
    services.event_submit(actor=w.alice, event=ev, note="已处置", photos=[PHOTO])
    services.event_verify(actor=w.wang, event=ev)
    call.refresh_from_db()
    assert call.state == WhistleState.CANCELLED
    assert services.process_due_timers(now=at(2025, 3, 4, 9, 0))["fired"] == 0


def test_supervision_by_superiors(world, clock):
    w = world
    ev = to_handling(w, report(w))
    note = services.event_supervise(actor=w.county, event=ev, note="请于今日办结",
                                    respond_by=at(2025, 3, 3, 17, 0))
    assert isinstance(note, Supervision) and note.handler_region == w.c.a
    row = EventTransition.objects.get(event=ev, action="supervise")
    assert AuditLog.objects.get(pk=row.audit_id).action == "event.supervise"
    for not_allowed in (w.alice, w.wang, w.urban, w.bob):
        with pytest.raises(PermissionDeniedError):
            services.event_supervise(actor=not_allowed, event=ev, note="x")
    with pytest.raises(ApplicationError):
        services.event_supervise(actor=w.east, event=ev, note="x", respond_by=at(2025, 3, 3, 8, 0))
    version = ev.__class__.objects.get(pk=ev.pk).version
    assert version == ev.version  # a note does not make anyone's copy stale
    assert Whistle.objects.count() == 0


def test_the_in_time_rate_reads_with_one_decimal_like_every_rate_on_the_page():
    from django.template import Context, Template

    from jiceng.events.selectors import WhistleRow

    row = WhistleRow(department=None, called=151, reported_in_time=129, reported_late=2, unanswered_late=0,
                     waiting=20)
    assert row.in_time_rate == 0.8543  # the API: four places
    shown = Template("{{ r.in_time_percent|floatformat:1 }}%").render(Context({"r": row}))
    assert shown == "85.4%"  # 129 / 151 = 85.43 %
