"""The case workflow through the services: every state, the refusals (by state and by actor), the
handler who may neither verify nor rate, the return limit and the ruling."""

from datetime import timedelta

import pytest

from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.models import AuditLog
from jiceng.events import services, workflow
from jiceng.events.choices import EventState as S
from jiceng.events.choices import Rating, UnitKind
from jiceng.events.models import Event, EventRating, EventTransition, Timer
from jiceng.events.rollup import rollup_verify
from jiceng.events.selectors import event_actions, event_visible
from jiceng.events.services._engine import relations_of
from jiceng.events.units import Unit
from tests.events.factories import PHOTO, report, to_closed, to_dispatched, to_handling, to_verify


def states(ev: Event) -> list[str]:
    return list(EventTransition.objects.filter(event=ev).order_by("at", "id").values_list("to_state", flat=True))


def test_one_case_walks_through_every_state(world, clock):
    w = world
    ev = report(w)
    assert ev.state == S.PENDING and ev.grid == w.c.a1_1 and ev.community == w.c.a
    services.event_register(actor=w.alice, event=ev, note="属实，立案")
    assert ev.state == S.REGISTERED and ev.registered_at is not None

    services.event_dispatch(actor=w.alice, event=ev, unit=Unit.of_department(w.d_urban))
    assert (ev.state, ev.handler_kind, ev.handler_department) == (S.DISPATCHED, UnitKind.DEPARTMENT, w.d_urban)
    services.event_return(actor=w.urban, event=ev, reason="不属于城管职责")
    assert (ev.state, ev.return_count, ev.handler_kind) == (S.RETURNED, 1, "")

    services.event_dispatch(actor=w.alice, event=ev)  # by the procedure: 垃圾乱堆乱放 → the community
    assert (ev.state, ev.handler_region) == (S.DISPATCHED, w.c.a)
    clock.shift(timedelta(minutes=30))
    services.event_sign(actor=w.alice, event=ev)
    assert ev.state == S.SIGNED and ev.handle_due_at is not None

    services.event_suspend(actor=w.alice, event=ev, reason="等待物业到场")
    assert (ev.state, ev.suspended_from) == (S.SUSPENDED, S.SIGNED)
    clock.shift(timedelta(hours=1))
    services.event_resume(actor=w.alice, event=ev)
    assert (ev.state, ev.suspended_seconds) == (S.SIGNED, 3600)

    services.event_start(actor=w.alice, event=ev)
    services.event_submit(actor=w.alice, event=ev, note="已清理", photos=[PHOTO])
    assert ev.state == S.TO_VERIFY
    services.event_verify(actor=w.wang, event=ev, passed=False, note="还有一袋没清走")
    assert (ev.state, ev.reopen_count) == (S.HANDLING, 1)
    services.event_submit(actor=w.alice, event=ev, note="已全部清走", photos=[PHOTO])
    services.event_verify(actor=w.wang, event=ev, note="现场已清理")
    assert ev.state == S.CLOSED and ev.closed_at is not None

    token = services.rating_token(ev)
    services.event_rate(token=token, rating=Rating.SATISFIED, comment="很快")
    ev.refresh_from_db()
    assert (ev.state, ev.rating) == (S.RATED, Rating.SATISFIED)

    assert states(ev) == [S.PENDING, S.REGISTERED, S.DISPATCHED, S.RETURNED, S.DISPATCHED, S.SIGNED, S.SUSPENDED,
                          S.SIGNED, S.HANDLING, S.TO_VERIFY, S.HANDLING, S.TO_VERIFY, S.CLOSED, S.RATED]
    rows = list(EventTransition.objects.filter(event=ev))
    audit = {a.pk: a for a in AuditLog.objects.filter(pk__in=[r.audit_id for r in rows])}
    assert all(r.audit_id in audit and audit[r.audit_id].action == f"event.{r.action}" for r in rows)
    assert not Timer.objects.filter(event=ev, stopped_at__isnull=True).exists()
    assert rollup_verify() == []


def test_rejected_and_void_cases(world):
    w = world
    rejected = report(w)
    services.event_reject(actor=w.alice, event=rejected, reason="非本辖区事务")
    assert (rejected.state, rejected.reason) == (S.REJECTED, "非本辖区事务")
    voided = report(w, where={"lng": 118.5, "lat": 27.6})
    services.event_register(actor=w.alice, event=voided)
    services.event_void(actor=w.alice, event=voided, reason="测试数据")
    assert voided.state == S.VOID
    assert not Timer.objects.filter(event__in=[rejected, voided], stopped_at__isnull=True).exists()
    assert rollup_verify() == []


def test_reasons_are_required(world):
    ev = report(world)
    with pytest.raises(ApplicationError) as err:
        services.event_reject(actor=world.alice, event=ev, reason="  ")
    assert err.value.field == "note"


@pytest.mark.parametrize("action", ["sign", "start", "submit", "verify", "resume", "rule"])
def test_actions_not_allowed_from_pending_are_refused(world, action):
    w = world
    ev = report(w)
    calls = {
        "sign": lambda: services.event_sign(actor=w.alice, event=ev),
        "start": lambda: services.event_start(actor=w.alice, event=ev),
        "submit": lambda: services.event_submit(actor=w.alice, event=ev, note="x"),
        "verify": lambda: services.event_verify(actor=w.wang, event=ev),
        "resume": lambda: services.event_resume(actor=w.alice, event=ev),
        "rule": lambda: services.event_rule(actor=w.alice, event=ev, unit=Unit.of_region(w.c.a)),
    }
    with pytest.raises(ApplicationError) as err:
        calls[action]()
    assert err.value.field == "state" and "待受理" in err.value.message
    assert Event.objects.get(pk=ev.pk).state == S.PENDING


def test_a_closed_case_cannot_be_voided_or_suspended(world):
    w = world
    ev = to_closed(w, report(w))
    for call in (lambda: services.event_void(actor=w.alice, event=ev, reason="x"),
                 lambda: services.event_suspend(actor=w.alice, event=ev, reason="x")):
        with pytest.raises(ApplicationError) as err:
            call()
        assert err.value.field == "state"


def test_only_the_command_centre_registers(world):
    w = world
    ev = report(w)
    for outsider in (w.bob, w.carol, w.wang, w.urban, w.c.sysadmin, w.west):
        with pytest.raises(PermissionDeniedError):
            services.event_register(actor=outsider, event=ev)
    for insider in (w.county, w.east, w.alice):
        assert workflow.COMMAND in relations_of(ev, insider)
    services.event_register(actor=w.east, event=ev)
    assert ev.state == S.REGISTERED


def test_only_the_handling_unit_signs(world):
    w = world
    ev = to_dispatched(w, report(w))  # handled by 甲 community
    for outsider in (w.bob, w.east, w.county, w.urban, w.zhao):
        with pytest.raises(PermissionDeniedError):
            services.event_sign(actor=outsider, event=ev)
    services.event_sign(actor=w.wang, event=ev)  # a grid worker of 甲 is part of the unit
    assert ev.state == S.SIGNED


def test_a_department_case_is_signed_by_that_department_only(world):
    w = world
    ev = report(w, category="SRHJ-ZDJY")  # 占道经营 → 城管
    to_dispatched(w, ev)
    assert ev.handler_department == w.d_urban
    with pytest.raises(PermissionDeniedError):
        services.event_sign(actor=w.housing, event=ev)
    with pytest.raises(PermissionDeniedError):
        services.event_sign(actor=w.alice, event=ev)
    services.event_sign(actor=w.urban, event=ev)


def test_the_handler_can_neither_verify_nor_rate_their_own_case(world):
    w = world
    ev = to_verify(w, report(w), handler=w.wang)  # the grid worker signed, handled and submitted
    with pytest.raises(PermissionDeniedError):
        services.event_verify(actor=w.wang, event=ev)
    for not_a_verifier in (w.east, w.county, w.li, w.zhao, w.bob):
        with pytest.raises(PermissionDeniedError):
            services.event_verify(actor=not_a_verifier, event=ev)
    services.event_verify(actor=w.alice, event=ev, note="核查通过")  # community staff, not the handler
    with pytest.raises(PermissionDeniedError):
        services.event_rate_callback(actor=w.wang, event=ev, rating=Rating.SATISFIED)
    services.event_rate_callback(actor=w.county, event=ev, rating=Rating.BASIC, comment="回访")
    assert ev.state == S.RATED and ev.rating_source == "callback"


def test_community_staff_who_handled_cannot_verify_but_a_colleague_can(world):
    w = world
    ev = to_verify(w, report(w), handler=w.alice)
    with pytest.raises(PermissionDeniedError):
        services.event_verify(actor=w.alice, event=ev)
    services.event_verify(actor=w.amy, event=ev)
    assert ev.state == S.CLOSED
    with pytest.raises(PermissionDeniedError):
        services.event_rate_callback(actor=w.alice, event=ev, rating=Rating.SATISFIED)


def test_closure_needs_a_photo_when_the_category_says_so(world):
    w = world
    ev = to_handling(w, report(w))
    services.event_submit(actor=w.alice, event=ev, note="已清理（未拍照）")
    with pytest.raises(ApplicationError) as err:
        services.event_verify(actor=w.wang, event=ev)
    assert err.value.field == "photos"
    services.event_verify(actor=w.wang, event=ev, photos=[PHOTO])
    assert ev.state == S.CLOSED


def test_returns_up_to_the_limit_then_the_ruling(world):
    w = world
    ev = report(w)  # 垃圾乱堆乱放: at most 2 returns
    services.event_register(actor=w.alice, event=ev)
    services.event_dispatch(actor=w.alice, event=ev, unit=Unit.of_department(w.d_urban))
    services.event_return(actor=w.urban, event=ev, reason="非城管职责")
    assert ev.state == S.RETURNED
    services.event_dispatch(actor=w.alice, event=ev, unit=Unit.of_department(w.d_housing))
    services.event_sign(actor=w.housing, event=ev)
    services.event_return(actor=w.housing, event=ev, reason="非住建职责")
    assert (ev.state, ev.return_count) == (S.RULING, 2)
    with pytest.raises(ApplicationError) as err:  # no plain dispatch while a ruling is due
        services.event_dispatch(actor=w.alice, event=ev)
    assert err.value.field == "state"
    with pytest.raises(PermissionDeniedError):
        services.event_rule(actor=w.urban, event=ev, unit=Unit.of_department(w.d_urban))
    services.event_rule(actor=w.county, event=ev, unit=Unit.of_department(w.d_urban), note="经审定由城管牵头")
    assert (ev.state, ev.returns_locked, ev.handler_department) == (S.DISPATCHED, True, w.d_urban)
    with pytest.raises(ApplicationError) as err:
        services.event_return(actor=w.urban, event=ev, reason="还是不归我们")
    assert "审定" in err.value.message
    services.event_sign(actor=w.urban, event=ev)
    assert ev.state == S.SIGNED


def test_unsatisfied_rating_reopens_or_is_recorded_per_category(world):
    w = world
    ev = to_closed(w, report(w))  # 垃圾乱堆乱放: 不满意 → 重办
    services.event_rate(token=services.rating_token(ev), rating=Rating.UNSATISFIED, comment="又堆上了")
    ev.refresh_from_db()
    assert (ev.state, ev.reopen_count, ev.rating) == (S.HANDLING, 1, Rating.UNSATISFIED)
    dispute = to_closed(w, report(w, category="MDJF-LLJF", where={"lng": 118.2, "lat": 27.2}))  # record only
    services.event_rate_callback(actor=w.county, event=dispute, rating=Rating.UNSATISFIED)
    assert (dispute.state, dispute.reopen_count) == (S.RATED, 0)
    assert EventRating.objects.count() == 2
    assert rollup_verify() == []


def test_the_rating_link_is_single_use_and_bound_to_the_round(world):
    w = world
    ev = to_closed(w, report(w))
    token = services.rating_token(ev)
    with pytest.raises(ApplicationError):
        services.event_rate(token=token + "x", rating=Rating.SATISFIED)
    with pytest.raises(ApplicationError):
        services.event_rate(token=token, rating="great")
    services.event_rate(token=token, rating=Rating.UNSATISFIED)  # → 重办
    with pytest.raises(ApplicationError) as err:
        services.event_rate(token=token, rating=Rating.SATISFIED)
    assert err.value.field == "token"


def test_the_rating_link_expires(world, clock):
    w = world
    ev = to_closed(w, report(w))
    token = services.rating_token(ev)
    clock.shift(timedelta(days=31))
    with pytest.raises(ApplicationError) as err:
        services.event_rate(token=token, rating=Rating.SATISFIED)
    assert "过期" in err.value.message


def test_escalation_goes_up_the_tree(world):
    w = world
    ev = to_dispatched(w, report(w))
    services.event_escalate(actor=w.alice, event=ev, reason="社区无力处置")
    assert ev.handler_region == w.c.east
    services.event_escalate(actor=w.east, event=ev, reason="需县级协调")
    assert ev.handler_region == w.c.county
    with pytest.raises(ApplicationError):
        services.event_escalate(actor=w.county, event=ev, reason="再升")


def test_the_command_centre_that_would_receive_an_escalation_cannot_take_it_and_is_not_offered_it(world):
    """上报升级 goes to the level above the handling unit; the command centre of that level takes a case
    back with 改派 instead (the county escalating a county department's case to 松川县 itself)."""
    w = world
    ev = to_dispatched(w, report(w))  # 甲社区 handles it: the street above is 东街道
    assert "escalate" not in event_actions(actor=w.east, event=ev)
    with pytest.raises(ApplicationError) as err:
        services.event_escalate(actor=w.east, event=ev, reason="收回")
    assert err.value.field == "state" and "改派" in err.value.message
    assert "escalate" in event_actions(actor=w.alice, event=ev) and "escalate" in event_actions(actor=w.county, event=ev)
    services.event_redispatch(actor=w.county, event=ev, unit=Unit.of_department(w.d_urban))
    assert "escalate" not in event_actions(actor=w.county, event=ev)  # a county department: the county is above it
    assert "escalate" in event_actions(actor=w.urban, event=ev)  # the department itself asks the county
    before = (ev.handler_kind, ev.handler_department_id, EventTransition.objects.filter(event=ev).count())
    with pytest.raises(ApplicationError):
        services.event_escalate(actor=w.county, event=ev, reason="再升")
    ev.refresh_from_db()
    assert (ev.handler_kind, ev.handler_department_id, EventTransition.objects.filter(event=ev).count()) == before
    services.event_escalate(actor=w.urban, event=ev, reason="需县级协调")
    assert (ev.handler_kind, ev.handler_region) == (UnitKind.REGION, w.c.county)


def test_a_ruled_case_offers_no_return(world):
    w = world
    ev = report(w)
    services.event_register(actor=w.alice, event=ev)
    services.event_dispatch(actor=w.alice, event=ev, unit=Unit.of_department(w.d_urban))
    assert "return" in event_actions(actor=w.urban, event=ev)
    services.event_return(actor=w.urban, event=ev, reason="非城管职责")
    services.event_dispatch(actor=w.alice, event=ev, unit=Unit.of_department(w.d_urban))
    services.event_return(actor=w.urban, event=ev, reason="仍非城管职责")
    services.event_rule(actor=w.county, event=ev, unit=Unit.of_department(w.d_urban), note="经审定由城管牵头")
    assert "return" not in event_actions(actor=w.urban, event=ev) and "sign" in event_actions(actor=w.urban, event=ev)


def test_a_stale_copy_is_a_conflict(world):
    w = world
    ev = to_dispatched(w, report(w))
    stale = Event.objects.get(pk=ev.pk)
    services.event_sign(actor=w.alice, event=ev)
    from jiceng.core.errors import ConflictError

    with pytest.raises(ConflictError):
        services.event_sign(actor=w.wang, event=stale)


def test_visibility_by_role(world):
    w = world
    a_case = report(w)
    b_case = report(w, where={"lng": 119.5, "lat": 27.5})
    dept_case = to_dispatched(w, report(w, category="SRHJ-ZDJY", where={"lng": 118.3, "lat": 27.3}))
    seen = {u.username: set(event_visible(u).values_list("pk", flat=True)) for u in
            (w.alice, w.bob, w.east, w.county, w.wang, w.li, w.urban, w.housing, w.c.sysadmin, w.c.auditor)}
    assert seen["alice"] == {a_case.pk, dept_case.pk}
    assert seen["bob"] == {b_case.pk}
    assert seen["east"] == seen["county"] == {a_case.pk, b_case.pk, dept_case.pk}
    assert seen["wang"] == {a_case.pk, dept_case.pk}
    assert seen["li"] == set()
    assert seen["urban"] == {dept_case.pk}
    assert seen["housing"] == seen["sysadmin"] == seen["auditor"] == set()
    services.whistle_blow(actor=w.alice, event=dept_case, departments=[w.d_housing], reason="涉及违建")
    assert set(event_visible(w.housing).values_list("pk", flat=True)) == {dept_case.pk}


def test_actions_offered_match_the_table(world):
    w = world
    ev = to_dispatched(w, report(w))
    assert set(event_actions(actor=w.alice, event=ev)) >= {"sign", "return", "redispatch", "suspend", "void"}
    assert "sign" not in event_actions(actor=w.bob, event=ev)


def _case_in(w, state: str) -> Event:
    """A 甲-community case brought to ``state`` through the services."""
    ev = report(w)
    if state == S.PENDING:
        return ev
    if state == S.REJECTED:
        return services.event_reject(actor=w.alice, event=ev, reason="不受理")
    services.event_register(actor=w.alice, event=ev)
    if state == S.REGISTERED:
        return ev
    if state == S.VOID:
        return services.event_void(actor=w.alice, event=ev, reason="作废")
    if state == S.SUSPENDED:
        return services.event_suspend(actor=w.alice, event=ev, reason="等待")
    services.event_dispatch(actor=w.alice, event=ev)
    if state == S.DISPATCHED:
        return ev
    if state in (S.RETURNED, S.RULING):
        services.event_return(actor=w.alice, event=ev, reason="退")
        if state == S.RULING:
            services.event_dispatch(actor=w.alice, event=ev)
            services.event_return(actor=w.alice, event=ev, reason="再退")
        return ev
    services.event_sign(actor=w.alice, event=ev)
    if state == S.SIGNED:
        return ev
    services.event_start(actor=w.alice, event=ev)
    if state == S.HANDLING:
        return ev
    services.event_submit(actor=w.alice, event=ev, note="已处置", photos=[PHOTO])
    if state == S.TO_VERIFY:
        return ev
    services.event_verify(actor=w.wang, event=ev)
    if state == S.CLOSED:
        return ev
    return services.event_rate_callback(actor=w.county, event=ev, rating=Rating.SATISFIED)


def test_every_action_is_refused_in_every_state_the_table_does_not_list(world):
    """For each state and each state-changing action the table does not allow from it, the service
    refuses with field "state" and changes nothing (the county, command centre for every case, acts)."""
    w = world
    a = Unit.of_region(w.c.a)
    calls = {
        "register": lambda ev: services.event_register(actor=w.county, event=ev),
        "reject": lambda ev: services.event_reject(actor=w.county, event=ev, reason="x"),
        "dispatch": lambda ev: services.event_dispatch(actor=w.county, event=ev),
        "redispatch": lambda ev: services.event_redispatch(actor=w.county, event=ev, unit=Unit.of_region(w.c.east)),
        "escalate": lambda ev: services.event_escalate(actor=w.county, event=ev, reason="x"),
        "sign": lambda ev: services.event_sign(actor=w.county, event=ev),
        "return": lambda ev: services.event_return(actor=w.county, event=ev, reason="x"),
        "rule": lambda ev: services.event_rule(actor=w.county, event=ev, unit=a),
        "start": lambda ev: services.event_start(actor=w.county, event=ev),
        "submit": lambda ev: services.event_submit(actor=w.county, event=ev, note="x"),
        "verify": lambda ev: services.event_verify(actor=w.county, event=ev),
        "verify_fail": lambda ev: services.event_verify(actor=w.county, event=ev, passed=False, note="x"),
        "rate": lambda ev: services.event_rate_callback(actor=w.county, event=ev, rating=Rating.SATISFIED),
        "reopen": lambda ev: services.event_reopen(actor=w.county, event=ev, reason="x"),
        "suspend": lambda ev: services.event_suspend(actor=w.county, event=ev, reason="x"),
        "resume": lambda ev: services.event_resume(actor=w.county, event=ev),
        "void": lambda ev: services.event_void(actor=w.county, event=ev, reason="x"),
    }
    refused = 0
    for state in S:
        ev = _case_in(w, state)
        assert ev.state == state
        for action, call in calls.items():
            if state in workflow.transition(action).sources:
                continue
            fresh = Event.objects.get(pk=ev.pk)
            with pytest.raises(ApplicationError) as err:
                call(fresh)
            assert err.value.field == "state", (state, action, err.value.message)
            assert Event.objects.get(pk=ev.pk).version == fresh.version
            refused += 1
    assert refused > 150
    assert rollup_verify() == []
