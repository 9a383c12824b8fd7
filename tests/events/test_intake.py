"""Intake: channels, places, bad input, idempotency, duplicates, 附议 and merging."""

from datetime import timedelta

import pytest
from django.db import connection

from jiceng.core.audit import verify_chain
from jiceng.core.crypto import blind_index
from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.models import AuditLog
from jiceng.events import services
from jiceng.events.choices import Channel, EventState, Priority, Stage
from jiceng.events.models import Event, EventSupporter, EventTransition, Timer
from jiceng.events.rollup import rollup_verify
from jiceng.people.choices import DepartmentKind
from jiceng.people.models import Department
from tests.events.conftest import at
from tests.events.factories import IN_A1_1, IN_A1_2, IN_B1, IN_C1, OUTSIDE, PHONE, pt, report


def test_a_resident_report_is_located_and_encrypted(world, clock):
    ev = report(world)
    assert (ev.state, ev.channel, ev.grid, ev.community) == (EventState.PENDING, Channel.RESIDENT,
                                                              world.c.a1_1, world.c.a)
    with connection.cursor() as cur:
        cur.execute("SELECT reporter_phone, reporter_name FROM events_event WHERE id = %s", [ev.pk])
        phone_cipher, name_cipher = cur.fetchone()
    assert phone_cipher.startswith("enc:v1:") and PHONE not in phone_cipher and "张三" not in name_cipher
    assert ev.reporter_phone_hash == blind_index(PHONE, purpose="phone")
    assert Event.objects.get(pk=ev.pk).reporter_phone == PHONE
    # 受理时限 2 working hours from Monday 09:00 → 11:00.
    accept = Timer.objects.get(event=ev, stage=Stage.ACCEPT)
    assert accept.due_at == at(2025, 3, 3, 11, 0)
    row = EventTransition.objects.get(event=ev)
    assert (row.action, row.actor_label) == ("report", "群众 张*")
    assert AuditLog.objects.get(pk=row.audit_id).action == "event.report"


def test_the_number_reads_date_and_id(world, clock):
    ev = report(world)
    assert ev.number == f"20250303{ev.pk:07d}"


@pytest.mark.parametrize("where, grid", [(IN_A1_2, "A1-2"), (IN_B1, "B1"), (IN_C1, "C1")])
def test_the_point_decides_grid_and_community(world, where, grid):
    ev = report(world, where=where)
    assert ev.grid.code == grid
    assert ev.grid.path.startswith(ev.community.path)


def test_a_place_outside_the_county_is_refused(world):
    with pytest.raises(ApplicationError) as err:
        report(world, where=OUTSIDE)
    assert err.value.field == "location" and "不在本县" in err.value.message
    assert not Event.objects.exists()


@pytest.mark.parametrize("bad, field", [
    ({"category": "NOPE"}, "category"),
    ({"description": ""}, "description"),
    ({"description": "长" * 2001}, "description"),
    ({"reporter_phone": "12345"}, "reporter_phone"),
    ({"reporter_phone": ""}, "reporter_phone"),
    ({"lng": "east", "lat": 27.5}, "location"),
    ({"lng": 200.0, "lat": 27.5}, "location"),
    ({"lng": None, "lat": None}, "location"),
    ({"photos": ["x"] * 10}, "photos"),
    ({"channel": "fax"}, "channel"),
])
def test_bad_input_is_refused_with_the_field(world, bad, field):
    with pytest.raises(ApplicationError) as err:
        report(world, **bad)
    assert err.value.field == field
    assert not Event.objects.exists()


def test_a_disabled_category_is_refused(world):
    from jiceng.events.services import category_update

    category_update(actor=world.county, category=world.cat("SRHJ-XGG"), active=False)
    with pytest.raises(ApplicationError):
        report(world, category="SRHJ-XGG")


def test_a_double_submission_makes_one_case(world):
    first = report(world, idempotency_key="form-123")
    again = report(world, idempotency_key="form-123")
    other = report(world, idempotency_key="form-124")
    assert first.pk == again.pk != other.pk
    assert Event.objects.count() == 2
    assert EventTransition.objects.filter(event=first).count() == 1


def test_patrol_reports_need_a_grid_worker_in_their_area(world):
    w = world
    ev = services.event_create(channel=Channel.PATROL, category="AQYH-DDCCD", description="楼道电动车充电",
                               actor=w.wang, **IN_A1_2, photos=["media/p1.jpg"])
    assert ev.reporter == w.wang and ev.grid == w.c.a1_2  # another grid of wang's own community
    with pytest.raises(PermissionDeniedError):
        services.event_create(channel=Channel.PATROL, category="AQYH-DDCCD", description="x", actor=w.wang, **IN_B1)
    with pytest.raises(PermissionDeniedError):
        services.event_create(channel=Channel.PATROL, category="AQYH-DDCCD", description="x", actor=w.alice,
                              **IN_A1_1)


def test_hotline_operators_may_choose_a_grid(world):
    w = world
    ev = services.event_create(channel=Channel.HOTLINE, category="MSFW-WLFW", description="老人想申请助餐",
                               actor=w.county, grid=w.c.c1, address="丙村3组", reporter_phone=PHONE)
    assert (ev.grid, ev.community) == (w.c.c1, w.c.c)
    with pytest.raises(PermissionDeniedError):
        services.event_create(channel=Channel.HOTLINE, category="MSFW-WLFW", description="x", actor=None,
                              grid=w.c.c1)
    with pytest.raises(ApplicationError):
        services.event_create(channel=Channel.HOTLINE, category="MSFW-WLFW", description="x", actor=w.county,
                              grid=w.c.c)  # a village is not a grid


def test_iot_alarms_need_a_device(world):
    ev = services.event_create(channel=Channel.IOT, category="AQYH-RQAQ", source_ref="GAS-0042", **IN_B1)
    assert ev.state == EventState.PENDING and ev.title.startswith("燃气安全隐患")
    assert EventTransition.objects.get(event=ev).actor_label == "物联设备 GAS-0042"
    with pytest.raises(ApplicationError):
        services.event_create(channel=Channel.IOT, category="AQYH-RQAQ", **IN_B1)


def test_an_emergency_call_is_registered_and_dispatched_at_once(world):
    ev = services.event_create(channel=Channel.EMERGENCY, category="JNHJ-DJQZ", description="独居老人摔倒",
                               reporter_phone=PHONE, **IN_A1_1)
    assert (ev.state, ev.priority, ev.handler_region) == (EventState.DISPATCHED, Priority.URGENT, world.c.a)
    # 急难呼救 runs on calendar hours: sign within 15 minutes, day or night.
    sign = Timer.objects.get(event=ev, stage=Stage.SIGN)
    assert sign.due_at - sign.started_at == timedelta(minutes=15)
    assert list(EventTransition.objects.filter(event=ev).values_list("action", flat=True)) == [
        "report", "register", "dispatch"]


def test_an_emergency_call_is_written_at_once_with_every_record_of_its_steps(world, django_assert_max_num_queries):
    # 采集 + 立案 + 派遣 run on the unsaved case and are written together: one insert per table.
    with django_assert_max_num_queries(14):
        ev = services.event_create(channel=Channel.EMERGENCY, category="JNHJ-DJQZ", description="独居老人摔倒",
                                   reporter_phone=PHONE, **IN_A1_1)
    audits = list(AuditLog.objects.filter(object_type="events.event", object_id=str(ev.pk)).order_by("id"))
    assert [a.action for a in audits] == ["event.report", "event.register", "event.dispatch"]
    assert audits[1].changes["state"] == ["pending", "registered"]
    assert audits[2].changes["unit"]["id"] == world.c.a.pk
    assert verify_chain() == []  # chained to each other and to what came before
    steps = list(EventTransition.objects.filter(event=ev).order_by("id"))
    assert [(s.action, s.from_state, s.to_state, s.audit_id) for s in steps] == [
        ("report", "", "pending", audits[0].pk), ("register", "pending", "registered", audits[1].pk),
        ("dispatch", "registered", "dispatched", audits[2].pk)]
    timers = {t.stage: t for t in Timer.objects.filter(event=ev)}
    assert set(timers) == {Stage.ACCEPT, Stage.SIGN}
    assert timers[Stage.ACCEPT].stopped_at is not None and timers[Stage.SIGN].stopped_at is None
    saved = Event.objects.get(pk=ev.pk)
    assert (saved.state, saved.handler_region_id) == (EventState.DISPATCHED, world.c.a.pk)
    assert saved.registered_at is not None and saved.first_dispatched_at is not None
    assert rollup_verify() == []


def test_an_emergency_call_with_no_unit_by_the_procedure_waits_registered(world):
    # 意外伤害 goes to the emergency department, and this county has none: the dispatch step fails
    # and leaves the unsaved case as it was before it; the case is registered for the command centre.
    assert not Department.objects.filter(kind=DepartmentKind.EMERGENCY).exists()
    ev = services.event_create(channel=Channel.EMERGENCY, category="JNHJ-YWSG", description="路口有人受伤",
                               reporter_phone=PHONE, **IN_A1_1)
    saved = Event.objects.get(pk=ev.pk)
    assert (saved.state, saved.handler_kind, saved.first_dispatched_at) == (EventState.REGISTERED, "", None)
    assert list(EventTransition.objects.filter(event=ev).order_by("id").values_list("action", flat=True)) == [
        "report", "register"]
    assert list(Timer.objects.filter(event=ev).values_list("stage", flat=True)) == [Stage.ACCEPT]
    assert AuditLog.objects.filter(object_id=str(ev.pk), action="event.dispatch").count() == 0
    assert rollup_verify() == []


def test_likely_duplicates_are_offered(world, clock):
    w = world
    near = report(w)
    far = report(w, where=pt(0.5, 0.51))  # ~1.1 km north
    report(w, category="SRHJ-XGG")  # another category
    closed = report(w)
    services.event_reject(actor=w.alice, event=closed, reason="重复")
    found = services.event_find_duplicates(category="SRHJ-LJDF", **pt(0.5004, 0.5003))
    assert [d.event.pk for d in found] == [near.pk]
    assert 40 < found[0].distance_m < 60
    assert far.pk not in [d.event.pk for d in found]
    clock.shift(timedelta(days=4))  # the category looks back 3 days
    assert services.event_find_duplicates(category="SRHJ-LJDF", **IN_A1_1) == []


def test_me_too_adds_a_supporter_once(world):
    ev = report(world)
    first = services.event_join(event=ev, name="李四", phone="13900139000", note="我也看到了")
    again = services.event_join(event=ev, name="李四", phone="13900139000")
    assert first.pk == again.pk
    ev.refresh_from_db()
    assert ev.supporter_count == 1
    with pytest.raises(ApplicationError):
        services.event_join(event=ev, phone=PHONE)  # the reporter
    with pytest.raises(ApplicationError):
        services.event_join(event=ev, phone="")
    assert EventTransition.objects.filter(event=ev, action="join").count() == 1


def test_merge_voids_the_duplicate_and_links_it(world):
    w = world
    master = report(w)
    dup = report(w, reporter_phone="13700137000", reporter_name="王五")
    services.event_merge(actor=w.alice, duplicate=dup, master=master)
    dup.refresh_from_db()
    master.refresh_from_db()
    assert (dup.state, dup.reason, dup.duplicate_of_id) == (EventState.VOID, "重复", master.pk)
    assert master.supporter_count == 1
    assert EventSupporter.objects.get(event=master).phone == "13700137000"
    with pytest.raises(ApplicationError):
        services.event_merge(actor=w.alice, duplicate=master, master=dup)
    other = report(w, where=IN_B1)
    with pytest.raises(PermissionDeniedError):
        services.event_merge(actor=w.bob, duplicate=other, master=master)  # bob may not touch 甲's case
