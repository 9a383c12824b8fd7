"""The case page's forms that pick something: 改派 and 审定 (a unit), 吹哨 (departments), 合并 (the
master case), and the called department's 报到 / 部门反馈 from the case page and from 我的待办.
Each is offered only to who may take it in the states where it applies; bad input shows the page
again with the form's error (400) and changes nothing; the wrong actor gets 403 (or 404 when the
case or the whistle is out of sight)."""

from __future__ import annotations

import re

import pytest

from jiceng.events import services
from jiceng.events.choices import EventState, UnitKind, WhistleState
from jiceng.events.models import Event, EventSupporter, EventTransition, Whistle
from jiceng.events.units import Unit
from tests.events.conftest import at
from tests.events.factories import IN_B1, as_user, report, to_dispatched, to_handling


def steps(ev: Event) -> list[str]:
    return list(EventTransition.objects.filter(event=ev).order_by("at", "id").values_list("action", flat=True))


def offered(page: str, action: str) -> bool:
    """Is the action's form on the page (the timeline's rows carry data-action too)?"""
    return re.search(rf'<form[^>]*data-action="{action}"', page) is not None


def unit_values(page: str, action: str) -> set[str]:
    """The option values of the unit select inside one action's form."""
    form = re.search(rf'<form[^>]*data-action="{action}".*?</form>', page, re.S).group(0)
    return set(re.findall(r'<option value="([rd]\d+)"', form))


def to_ruling(w) -> Event:
    """Two returns (the category's limit): the case waits for the command centre's ruling."""
    ev = report(w)
    services.event_register(actor=w.alice, event=ev)
    services.event_dispatch(actor=w.alice, event=ev, unit=Unit.of_department(w.d_urban))
    services.event_return(actor=w.urban, event=ev, reason="非城管职责")
    services.event_dispatch(actor=w.alice, event=ev, unit=Unit.of_department(w.d_housing))
    services.event_return(actor=w.housing, event=ev, reason="非住建职责")
    assert ev.state == EventState.RULING
    return ev


# --- 改派 -----------------------------------------------------------------------------------------


def test_the_command_centre_redispatches_to_a_department(world, clock):
    w = world
    ev = to_dispatched(w, report(w))  # 垃圾乱堆乱放: the community 甲 handles it
    assert (ev.handler_kind, ev.handler_region) == (UnitKind.REGION, w.c.a)
    page = as_user(w.alice).get(f"/events/{ev.pk}/").content.decode()
    # the units serving 甲's grid but the one handling it now: the street, the county, the 4 departments
    assert unit_values(page, "redispatch") == {f"r{w.c.east.pk}", f"r{w.c.county.pk}"} | {
        f"d{d.pk}" for d in (w.d_urban, w.d_housing, w.d_civil, w.d_police)}
    done = as_user(w.alice).post(f"/events/{ev.pk}/redispatch/", {"unit": f"d{w.d_urban.pk}", "note": "占道，城管处理"})
    assert done.status_code == 302 and done["Location"] == f"/events/{ev.pk}/"
    ev.refresh_from_db()
    assert (ev.state, ev.handler_kind, ev.handler_department) == (EventState.DISPATCHED, UnitKind.DEPARTMENT,
                                                                   w.d_urban)
    assert steps(ev) == ["report", "register", "dispatch", "redispatch"]
    row = EventTransition.objects.get(event=ev, action="redispatch")
    assert (row.note, row.data["unit"]["id"], row.actor) == ("占道，城管处理", w.d_urban.pk, w.alice)
    # the department now handles it and sees it; it may not redispatch
    urban_page = as_user(w.urban).get(f"/events/{ev.pk}/").content.decode()
    assert offered(urban_page, "sign") and not offered(urban_page, "redispatch")


def test_redispatch_refusals_change_nothing(world, clock):
    w = world
    ev = to_dispatched(w, report(w))
    version = Event.objects.get(pk=ev.pk).version
    alice = as_user(w.alice)
    for bad in ({"unit": f"r{w.c.b.pk}"},  # 乙社区 does not serve 甲's grid
                {"unit": f"r{w.c.a.pk}"},  # the unit handling it now
                {"unit": "d999999"}, {"unit": ""}):
        answer = alice.post(f"/events/{ev.pk}/redispatch/", bad)
        assert answer.status_code == 400, bad
        assert 'class="field-error"' in answer.content.decode() and offered(answer.content.decode(), "redispatch")
    assert as_user(w.wang).post(f"/events/{ev.pk}/redispatch/", {"unit": f"r{w.c.east.pk}"}).status_code == 403
    assert as_user(w.bob).post(f"/events/{ev.pk}/redispatch/", {"unit": f"r{w.c.east.pk}"}).status_code == 404
    assert "redispatch" not in as_user(w.wang).get(f"/events/{ev.pk}/").content.decode()
    pending = report(w)
    assert not offered(alice.get(f"/events/{pending.pk}/").content.decode(), "redispatch")
    refused = alice.post(f"/events/{pending.pk}/redispatch/", {"unit": f"r{w.c.east.pk}"})
    assert refused.status_code == 400 and "不能改派" in refused.content.decode()
    ev.refresh_from_db()
    pending.refresh_from_db()
    assert (ev.version, ev.handler_region, pending.state) == (version, w.c.a, EventState.PENDING)
    assert "redispatch" not in steps(ev) + steps(pending)


# --- 审定 -----------------------------------------------------------------------------------------


def test_the_ruling_after_too_many_returns(world, clock):
    w = world
    ev = to_ruling(w)
    county = as_user(w.county)
    page = county.get(f"/events/{ev.pk}/").content.decode()
    assert offered(page, "rule") and not offered(page, "dispatch")
    assert f"d{w.d_urban.pk}" in unit_values(page, "rule") and f"r{w.c.a.pk}" in unit_values(page, "rule")
    done = county.post(f"/events/{ev.pk}/rule/", {"unit": f"d{w.d_urban.pk}", "note": "经审定由城管牵头"})
    assert done.status_code == 302
    ev.refresh_from_db()
    assert (ev.state, ev.returns_locked, ev.handler_department) == (EventState.DISPATCHED, True, w.d_urban)
    assert steps(ev)[-1] == "rule"
    assert EventTransition.objects.get(event=ev, action="rule").note == "经审定由城管牵头"
    # ruled: the department may sign but no longer return it
    urban_page = as_user(w.urban).get(f"/events/{ev.pk}/").content.decode()
    assert offered(urban_page, "sign")
    refused = as_user(w.urban).post(f"/events/{ev.pk}/return/", {"note": "还是不归我们"}, follow=True)
    assert "审定" in refused.content.decode()
    assert Event.objects.get(pk=ev.pk).state == EventState.DISPATCHED


def test_rule_refusals(world, clock):
    w = world
    ev = to_ruling(w)
    assert as_user(w.wang).post(f"/events/{ev.pk}/rule/", {"unit": f"r{w.c.a.pk}"}).status_code == 403
    assert as_user(w.urban).post(f"/events/{ev.pk}/rule/", {"unit": f"r{w.c.a.pk}"}).status_code == 404
    bad = as_user(w.alice).post(f"/events/{ev.pk}/rule/", {"unit": f"r{w.c.c.pk}"})  # 丙村: another street
    assert bad.status_code == 400 and 'class="field-error"' in bad.content.decode()
    ev.refresh_from_db()
    assert (ev.state, ev.returns_locked) == (EventState.RULING, False)
    dispatched = to_dispatched(w, report(w))
    assert not offered(as_user(w.alice).get(f"/events/{dispatched.pk}/").content.decode(), "rule")
    refused = as_user(w.alice).post(f"/events/{dispatched.pk}/rule/", {"unit": f"r{w.c.east.pk}"})
    assert refused.status_code == 400 and "不能审定" in refused.content.decode()
    assert Event.objects.get(pk=dispatched.pk).handler_region == w.c.a


# --- 吹哨 -----------------------------------------------------------------------------------------


def test_a_street_blows_the_whistle_naming_two_departments(world, clock):
    w = world
    ev = to_handling(w, report(w))
    east = as_user(w.east)
    page = east.get(f"/events/{ev.pk}/").content.decode()
    assert offered(page, "whistle")
    done = east.post(f"/events/{ev.pk}/whistle/", {"departments": [w.d_urban.pk, w.d_housing.pk],
                                                    "reason": "违建与占道交织，需城管、住建到场"})
    assert done.status_code == 302
    calls = {c.department: c for c in Whistle.objects.filter(event=ev)}
    assert set(calls) == {w.d_urban, w.d_housing}
    assert all((c.state, c.due_at, c.blower_region, c.late) == (WhistleState.CALLED, at(2025, 3, 3, 11, 0), w.c.east,
                                                                 False) for c in calls.values())
    assert steps(ev)[-1] == "whistle" and Event.objects.get(pk=ev.pk).state == EventState.HANDLING
    # the form now offers only the departments without an open call
    page = east.get(f"/events/{ev.pk}/").content.decode()
    assert f'value="{w.d_civil.pk}"' in page and f'name="departments" value="{w.d_urban.pk}"' not in page


def test_whistle_refusals(world, clock):
    w = world
    ev = to_handling(w, report(w))
    assert not offered(as_user(w.county).get(f"/events/{ev.pk}/").content.decode(), "whistle")
    assert as_user(w.county).post(f"/events/{ev.pk}/whistle/", {"departments": [w.d_urban.pk],
                                                                "reason": "x"}).status_code == 403
    east = as_user(w.east)
    for bad in ({"departments": [w.d_urban.pk], "reason": ""}, {"departments": [], "reason": "请协助"},
                {"departments": [999999], "reason": "请协助"}):
        answer = east.post(f"/events/{ev.pk}/whistle/", bad)
        assert answer.status_code == 400 and 'class="field-error"' in answer.content.decode(), bad
    closed_early = report(w)  # 待受理: no whistle before the case is in hand
    refused = east.post(f"/events/{closed_early.pk}/whistle/", {"departments": [w.d_urban.pk], "reason": "请协助"})
    assert refused.status_code == 400 and "不能吹哨" in refused.content.decode()
    assert Whistle.objects.count() == 0 and "whistle" not in steps(ev)


# --- 报到 / 部门反馈, and the whistle walk --------------------------------------------------------


def test_the_whistle_walk_on_pages(world, clock):
    """东街道 calls 城管 and 住建 at 09:00 (report by 11:00). 城管 reports at 10:00 from 我的待办 and
    feeds back; 住建 does not, and at 11:00 the timers flag it late on the case page."""
    w = world
    ev = to_handling(w, report(w))
    as_user(w.east).post(f"/events/{ev.pk}/whistle/", {"departments": [w.d_urban.pk, w.d_housing.pk],
                                                        "reason": "违建与占道交织"})
    urban_call = Whistle.objects.get(event=ev, department=w.d_urban)
    housing_call = Whistle.objects.get(event=ev, department=w.d_housing)

    urban = as_user(w.urban)
    mine = urban.get("/events/mine/").content.decode()
    assert f'data-whistle="{urban_call.pk}"' in mine and f'data-whistle="{housing_call.pk}"' not in mine
    assert f'action="/events/whistles/{urban_call.pk}/report/"' in mine

    clock.move_to(at(2025, 3, 3, 10, 0))
    urban = as_user(w.urban)  # a fresh session: 30 idle minutes end the first
    done = urban.post(f"/events/whistles/{urban_call.pk}/report/", {"note": "已到场", "next": "/events/mine/"})
    assert done.status_code == 302 and done["Location"] == "/events/mine/"
    urban_call.refresh_from_db()
    assert (urban_call.state, urban_call.reported_at, urban_call.late) == (WhistleState.REPORTED, at(2025, 3, 3, 10, 0),
                                                                           False)
    # the feedback needs what was done
    empty = urban.post(f"/events/whistles/{urban_call.pk}/feedback/", {"note": ""})
    assert empty.status_code == 400 and 'class="field-error"' in empty.content.decode()
    assert Whistle.objects.get(pk=urban_call.pk).state == WhistleState.REPORTED
    case_page = urban.get(f"/events/{ev.pk}/").content.decode()
    assert f'action="/events/whistles/{urban_call.pk}/feedback/"' in case_page
    assert f'data-whistle="{housing_call.pk}"' not in case_page  # another department's call
    urban.post(f"/events/whistles/{urban_call.pk}/feedback/", {"note": "已拆除违规遮阳棚"})
    urban_call.refresh_from_db()
    assert (urban_call.state, urban_call.feedback) == (WhistleState.DONE, "已拆除违规遮阳棚")
    assert f'data-whistle="{urban_call.pk}"' not in urban.get("/events/mine/").content.decode()

    assert services.process_due_timers(now=at(2025, 3, 3, 11, 0))["fired"] == 1
    clock.move_to(at(2025, 3, 3, 11, 5))
    page = as_user(w.alice).get(f"/events/{ev.pk}/").content.decode()
    housing_row = re.search(rf'<tr data-whistle="{housing_call.pk}"[^>]*>.*?</tr>', page, re.S).group(0)
    urban_row = re.search(rf'<tr data-whistle="{urban_call.pk}"[^>]*>.*?</tr>', page, re.S).group(0)
    assert 'data-late="1"' in housing_row and "逾期未报到" in housing_row and "待报到" in housing_row
    assert "data-late" not in urban_row and "已反馈" in urban_row and "已拆除违规遮阳棚" in urban_row
    assert 'data-whistle-step' not in page  # alice is no department: no report form for her
    assert [a for a in steps(ev) if a.startswith("whistle")] == ["whistle", "whistle_report", "whistle_feedback",
                                                                  "whistle_late"]

    # 住建 reports late from the case page: it stays flagged
    clock.move_to(at(2025, 3, 3, 11, 30))
    as_user(w.housing).post(f"/events/whistles/{housing_call.pk}/report/", {})
    housing_call.refresh_from_db()
    assert (housing_call.state, housing_call.late) == (WhistleState.REPORTED, True)
    page = as_user(w.alice).get(f"/events/{ev.pk}/").content.decode()
    assert "逾期报到" in re.search(rf'<tr data-whistle="{housing_call.pk}"[^>]*>.*?</tr>', page, re.S).group(0)


def test_whistle_step_refusals(world, clock):
    w = world
    ev = to_handling(w, report(w))
    (call,) = services.whistle_blow(actor=w.east, event=ev, departments=[w.d_urban], reason="请城管协助")
    assert as_user(w.housing).post(f"/events/whistles/{call.pk}/report/", {}).status_code == 404
    assert as_user(w.alice).post(f"/events/whistles/{call.pk}/report/", {}).status_code == 403
    assert as_user(w.urban).post(f"/events/whistles/{call.pk}/done/", {}).status_code == 404
    early = as_user(w.urban).post(f"/events/whistles/{call.pk}/feedback/", {"note": "先反馈"})
    assert early.status_code == 400 and "请先报到" in early.content.decode()
    assert as_user(w.urban).post(f"/events/whistles/{call.pk}/report/", {}).status_code == 302
    again = as_user(w.urban).post(f"/events/whistles/{call.pk}/report/", {})
    assert again.status_code == 400 and "已报到" in again.content.decode()
    away = as_user(w.urban).post(f"/events/whistles/{call.pk}/report/", {"next": "https://evil.example/"})
    assert away.status_code == 400  # refused, and never sent off-site
    call.refresh_from_db()
    assert call.state == WhistleState.REPORTED
    assert steps(ev).count("whistle_report") == 1


# --- 合并 -----------------------------------------------------------------------------------------


def test_a_duplicate_is_merged_into_its_master(world, clock):
    w = world
    master = report(w)
    dup = report(w, reporter_phone="13700137000", reporter_name="王五")
    alice = as_user(w.alice)
    page = alice.get(f"/events/{dup.pk}/").content.decode()
    assert offered(page, "merge") and f'<option value="{master.number}">' in page  # offered as a candidate
    done = alice.post(f"/events/{dup.pk}/merge/", {"master": master.number, "note": "同一堆垃圾"})
    assert done.status_code == 302
    dup.refresh_from_db()
    master.refresh_from_db()
    assert (dup.state, dup.reason, dup.duplicate_of_id) == (EventState.VOID, "重复", master.pk)
    assert master.supporter_count == 1 and EventSupporter.objects.get(event=master).phone == "13700137000"
    assert steps(dup)[-1] == "merge"
    assert EventTransition.objects.get(event=dup, action="merge").note == f"重复：与 {master.number} 为同一问题。同一堆垃圾"
    page = alice.get(f"/events/{dup.pk}/").content.decode()
    assert f'href="/events/{master.pk}/" id="ev-master"' in page and not offered(page, "merge")


@pytest.mark.parametrize("case", ["unknown", "out_of_sight", "itself", "badly_typed"])
def test_merge_refuses_bad_masters(world, clock, case):
    w = world
    master = report(w)
    dup = report(w, reporter_phone="13700137000")
    other = report(w, where=IN_B1)  # 乙社区: alice does not see it
    number = {"unknown": f"{master.number[:8]}9999999", "out_of_sight": other.number, "itself": dup.number,
              "badly_typed": "abc"}[case]
    answer = as_user(w.alice).post(f"/events/{dup.pk}/merge/", {"master": number})
    assert answer.status_code == 400 and offered(answer.content.decode(), "merge")
    assert 'class="field-error"' in answer.content.decode() or 'class="form-errors"' in answer.content.decode()
    dup.refresh_from_db()
    assert (dup.state, dup.duplicate_of_id) == (EventState.PENDING, None)
    assert EventSupporter.objects.count() == 0


def test_merge_refuses_the_wrong_actor_and_a_closed_case(world, clock):
    w = world
    master = report(w)
    dup = report(w, reporter_phone="13700137000")
    assert not offered(as_user(w.wang).get(f"/events/{dup.pk}/").content.decode(), "merge")
    assert as_user(w.wang).post(f"/events/{dup.pk}/merge/", {"master": master.number}).status_code == 403
    assert as_user(w.bob).post(f"/events/{dup.pk}/merge/", {"master": master.number}).status_code == 404
    services.event_void(actor=w.alice, event=dup, reason="无效")
    refused = as_user(w.alice).post(f"/events/{dup.pk}/merge/", {"master": master.number})
    assert refused.status_code == 400 and 'id="ev-refused"' in refused.content.decode()
    assert Event.objects.get(pk=dup.pk).duplicate_of_id is None


def test_my_cases_link_to_the_forms_that_pick(world, clock):
    w = world
    ev = to_ruling(w)
    mine = as_user(w.alice).get("/events/mine/").content.decode()
    assert f'href="/events/{ev.pk}/#act-rule"' in mine
