"""双报到 and volunteering: registration, capacity, check-in window, QR token, points, rankings."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from jiceng.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from jiceng.engagement import services
from jiceng.engagement.choices import EntryKind, RegistrationKind
from jiceng.engagement.models import PointAccount, PointEntry
from jiceng.engagement.selectors import unit_ranking, volunteer_ranking, volunteer_totals
from jiceng.people.choices import WorkerKind
from jiceng.people.services import grid_worker_create

from .conftest import at

REG = RegistrationKind


def activity(eng, day=10, start=9, end=12, capacity=10, title="清扫楼道"):
    return services.activity_create(actor=eng.county.alice, community=eng.county.a, title=title,
                                    starts_at=at(day, start), ends_at=at(day, end), capacity=capacity)


def register(eng, kind, **who):
    return services.registration_create(actor=eng.county.alice, community=eng.county.a, kind=kind, **who)


def test_registration_rules(eng):
    a = eng.county.a
    alice = eng.county.alice
    with pytest.raises(ApplicationError) as exc:
        register(eng, REG.PARTY_MEMBER, resident=eng.zhang)
    assert exc.value.field == "resident"
    with pytest.raises(ApplicationError) as exc:
        register(eng, REG.UNIT, resident=eng.li)
    assert exc.value.field == "organisation"
    register(eng, REG.PARTY_MEMBER, resident=eng.li)
    with pytest.raises(ConflictError):
        register(eng, REG.PARTY_MEMBER, resident=eng.li)
    register(eng, REG.UNIT, organisation=eng.unit)
    helper = register(eng, REG.HELPER, worker=eng.courier)
    assert helper.registrant_name == "快递小哥"
    # a resident registers themselves as a volunteer, but cannot register a unit
    services.registration_create(actor=eng.wang, community=a, kind=REG.VOLUNTEER, resident=eng.wang)
    with pytest.raises(PermissionDeniedError):
        services.registration_create(actor=eng.wang, community=a, kind=REG.UNIT, organisation=eng.unit)
    with pytest.raises(PermissionDeniedError):
        services.registration_create(actor=eng.county.bob, community=a, kind=REG.VOLUNTEER, resident=eng.zhang)
    party_worker = grid_worker_create(actor=alice, name="骑手党员", kind=WorkerKind.SPECIAL, community=a,
                                      grids=[eng.county.a1], occupation="外卖骑手", is_party_member=True)
    assert register(eng, REG.PARTY_MEMBER, worker=party_worker).worker == party_worker
    with pytest.raises(ApplicationError):
        register(eng, REG.PARTY_MEMBER, worker=eng.courier)  # already registered, and not a party member


def test_capacity_is_enforced(eng):
    act = activity(eng, capacity=2)
    regs = [register(eng, REG.PARTY_MEMBER, resident=eng.li), register(eng, REG.VOLUNTEER, resident=eng.wang),
            register(eng, REG.HELPER, worker=eng.courier)]
    services.signup_create(actor=eng.county.alice, activity=act, registration=regs[0], now=at(1))
    with pytest.raises(ConflictError):
        services.signup_create(actor=eng.county.alice, activity=act, registration=regs[0], now=at(1))
    services.signup_create(actor=eng.wang, activity=act, registration=regs[1], now=at(1))
    with pytest.raises(ApplicationError) as exc:
        services.signup_create(actor=eng.county.alice, activity=act, registration=regs[2], now=at(1))
    assert exc.value.field == "capacity"


def test_check_in_outside_the_time_window_is_refused(eng):
    act = activity(eng)  # 10th, 09:00–12:00; check-in opens 08:30
    signup = services.signup_create(actor=eng.county.alice, activity=act,
                                    registration=register(eng, REG.PARTY_MEMBER, resident=eng.li), now=at(1))
    for too_early_or_late in (at(10, 8, 29), at(10, 12, 1), at(11)):
        with pytest.raises(ApplicationError) as exc:
            services.signup_check_in(actor=eng.gridder, signup=signup, now=too_early_or_late)
        assert exc.value.field == "checked_in_at"
    signup = services.signup_check_in(actor=eng.gridder, signup=signup, now=at(10, 8, 30))
    assert signup.checked_in_at == at(10, 8, 30)


def test_check_out_counts_hours_inside_the_window_and_awards_points(eng):
    act = activity(eng)
    signup = services.signup_create(actor=eng.county.alice, activity=act,
                                    registration=register(eng, REG.PARTY_MEMBER, resident=eng.li), now=at(1))
    with pytest.raises(ApplicationError):
        services.signup_check_out(actor=eng.gridder, signup=signup, now=at(10, 10))
    services.signup_check_in(actor=eng.gridder, signup=signup, now=at(10, 8, 40))
    signup = services.signup_check_out(actor=eng.gridder, signup=signup, now=at(10, 12, 30))
    assert signup.minutes == 180  # 09:00–12:00: before the start and after the end do not count
    assert (signup.points_entry.kind, signup.points_entry.amount) == (EntryKind.AWARD, 10)
    assert signup.points_entry.rule == eng.r_volunteer
    assert PointAccount.objects.get(resident=eng.li).balance == 10
    with pytest.raises(ConflictError):
        services.signup_check_out(actor=eng.gridder, signup=signup, now=at(10, 12, 40))


def test_no_rule_no_points_and_helpers_without_an_account(eng):
    services.point_rule_set_active(actor=eng.county.alice, rule=eng.r_volunteer, active=False)
    act = activity(eng)
    s1 = services.signup_create(actor=eng.county.alice, activity=act,
                                registration=register(eng, REG.PARTY_MEMBER, resident=eng.li), now=at(1))
    s2 = services.signup_create(actor=eng.county.alice, activity=act,
                                registration=register(eng, REG.HELPER, worker=eng.courier), now=at(1))
    for s in (s1, s2):
        services.signup_check_in(actor=eng.gridder, signup=s, now=at(10, 9))
        s = services.signup_check_out(actor=eng.gridder, signup=s, now=at(10, 10))
        assert (s.minutes, s.points_entry) == (60, None)
    assert not PointEntry.objects.exists()


def test_a_volunteer_checks_in_with_the_workers_qr_token(eng):
    act = activity(eng)
    other = activity(eng, title="义诊")
    signup = services.signup_create(actor=eng.li, activity=act,
                                    registration=register(eng, REG.PARTY_MEMBER, resident=eng.li), now=at(1))
    with pytest.raises(PermissionDeniedError):
        services.activity_checkin_token(actor=eng.li, activity=act)
    with time_machine.travel(at(10, 9), tick=False):
        token = services.activity_checkin_token(actor=eng.gridder, activity=act)
        wrong = services.activity_checkin_token(actor=eng.gridder, activity=other)
    with time_machine.travel(at(10, 9, 2), tick=False):
        with pytest.raises(ApplicationError) as exc:
            services.signup_check_in(actor=eng.li, signup=signup)
        assert exc.value.field == "token"
        with pytest.raises(ApplicationError, match="不属于"):
            services.signup_check_in(actor=eng.li, signup=signup, token=wrong)
        with pytest.raises(ApplicationError, match="无效"):
            services.signup_check_in(actor=eng.li, signup=signup, token=token[:-2] + "xx")
        with pytest.raises(PermissionDeniedError):
            services.signup_check_in(actor=eng.wang, signup=signup, token=token)
    with time_machine.travel(at(10, 9, 6), tick=False):
        with pytest.raises(ApplicationError, match="过期"):
            services.signup_check_in(actor=eng.li, signup=signup, token=token)
    with time_machine.travel(at(10, 9, 10), tick=False):
        fresh = services.activity_checkin_token(actor=eng.gridder, activity=act)
        signup = services.signup_check_in(actor=eng.li, signup=signup, token=fresh)
    assert signup.checked_in_at == at(10, 9, 10)


def test_staff_of_another_community_cannot_check_in(eng):
    act = activity(eng)
    signup = services.signup_create(actor=eng.county.alice, activity=act,
                                    registration=register(eng, REG.PARTY_MEMBER, resident=eng.li), now=at(1))
    with pytest.raises(PermissionDeniedError):
        services.signup_check_in(actor=eng.county.bob, signup=signup, now=at(10, 9))


def test_rankings_computed_by_hand(eng):
    """Two activities in 甲 on the 10th (09–12) and the 12th (14–16):
    李四 for 甲物业: 10th 09:00–12:00 (180) + 12th 14:00–15:00 (60) = 240 min, 2 person-times
    王五: 10th 10:00–11:30 (90) + 12th 14:00–16:00 (120) = 210 min, 2 person-times
    快递小哥 for 甲物业: 10th 09:00–11:00 (120), 1 person-time
    张三 signed up on the 12th but never came: not counted.
    Volunteers: 李四 240, 王五 210, 快递小哥 120. Units: 甲物业 360 min, 3 person-times, 2 people."""
    alice = eng.county.alice
    first = activity(eng, day=10, start=9, end=12)
    second = activity(eng, day=12, start=14, end=16, title="敬老院探访")
    li = register(eng, REG.PARTY_MEMBER, resident=eng.li)
    wang = register(eng, REG.VOLUNTEER, resident=eng.wang)
    courier = register(eng, REG.HELPER, worker=eng.courier)
    zhang = register(eng, REG.VOLUNTEER, resident=eng.zhang)
    register(eng, REG.UNIT, organisation=eng.unit)
    plan = [
        (first, li, eng.unit, at(10, 9), at(10, 12)),
        (second, li, eng.unit, at(12, 14), at(12, 15)),
        (first, wang, None, at(10, 10), at(10, 11, 30)),
        (second, wang, None, at(12, 14), at(12, 16)),
        (first, courier, eng.unit, at(10, 9), at(10, 11)),
    ]
    for act, reg, unit, check_in, check_out in plan:
        s = services.signup_create(actor=alice, activity=act, registration=reg, organisation=unit, now=at(1))
        services.signup_check_in(actor=alice, signup=s, now=check_in)
        services.signup_check_out(actor=alice, signup=s, now=check_out)
    services.signup_create(actor=alice, activity=second, registration=zhang, now=at(1))

    county = eng.county.county
    ranking = volunteer_ranking(actor=eng.county.county_staff, region=county)
    assert [(r["name"], r["minutes"], r["person_times"]) for r in ranking] == [
        ("李四", 240, 2), ("王五", 210, 2), ("快递小哥", 120, 1)]
    assert ranking[0]["hours"] == 4.0
    units = unit_ranking(actor=alice, region=eng.county.a)
    assert [(u["name"], u["minutes"], u["person_times"], u["people"]) for u in units] == [("甲物业", 360, 3, 2)]
    assert volunteer_totals(actor=alice, region=county) == {"person_times": 5, "people": 3, "minutes": 570,
                                                            "hours": 9.5}
    only_12th = volunteer_ranking(actor=alice, region=county, since=at(11), until=at(13))
    assert [(r["name"], r["minutes"]) for r in only_12th] == [("王五", 120), ("李四", 60)]
    assert volunteer_ranking(actor=eng.county.bob, region=county) == []
    # each resident volunteer earned 10 points per served activity
    assert PointAccount.objects.get(resident=eng.li).balance == 20
    assert PointAccount.objects.get(resident=eng.wang).balance == 20
    assert first.starts_at + timedelta(hours=3) == first.ends_at
