"""Publication freezes results; an appeal leads to a re-review and a new result version."""

from __future__ import annotations

from datetime import date

import pytest

from jiceng.assessment import selectors, services
from jiceng.assessment.choices import AppealState, PeriodState
from jiceng.core.errors import ApplicationError, PermissionDeniedError
from tests.assessment.helpers import close_compute_publish, period, raters

pytestmark = pytest.mark.django_db

DEFINITION = {"groups": [{"code": "s", "name": "评委", "kind": "single", "weight": "100", "max_points": "100"}],
              "indicators": [], "grade_bands": [{"grade": "A", "min": "85"}, {"grade": "B", "min": "0"}],
              "candidate_grade": "A"}


@pytest.fixture
def published(county):
    m = county.county_staff
    scheme = services.scheme_create(actor=m, name="书记考核", subject_type="secretary", period_type="quarter",
                                    region=county.county, definition=DEFINITION)
    p = period(m, scheme, "Q1", date(2026, 1, 1), date(2026, 3, 31))
    alice = services.period_subject_add(actor=m, period=p, obj=county.alice)
    bob = services.period_subject_add(actor=m, period=p, obj=county.bob)
    (judge,) = raters("judge", 1, county.c)
    services.assignment_create(actor=m, period=p, group="s", rater=judge, subjects=[alice, bob])
    services.period_open_scoring(actor=m, period=p)
    services.rating_save(actor=judge, period=p, group="s", subject=alice, score=70, submit=True)
    services.rating_save(actor=judge, period=p, group="s", subject=bob, score=80, submit=True)
    close_compute_publish(m, p)
    return {"m": m, "p": p, "alice": alice, "bob": bob, "judge": judge, "county": county}


def test_published_results_are_frozen(published):
    p, m = published["p"], published["m"]
    with pytest.raises(ApplicationError) as exc:
        services.period_compute(actor=m, period=p)
    assert exc.value.field == "state"
    with pytest.raises(ApplicationError) as exc:
        services.rating_save(actor=published["judge"], period=p, group="s", subject=published["alice"], score=99)
    assert exc.value.field == "state"
    assert [(r.subject.display_name, str(r.total)) for r in selectors.period_results(m, p)] == [
        ("bob", "80.00"), ("alice", "70.00")]


def test_appeal_recompute_makes_a_new_version_and_keeps_the_old(published):
    p, m, alice, bob, judge = (published[k] for k in ("p", "m", "alice", "bob", "judge"))
    county = published["county"]
    with pytest.raises(PermissionDeniedError):  # bob cannot appeal for alice
        services.appeal_file(actor=county.bob, period=p, subject=alice, reason="不服")
    appeal = services.appeal_file(actor=county.alice, period=p, subject=alice, reason="评委漏看了台账")
    services.period_start_rereview(actor=m, period=p)
    # the judge may correct alice's rating (under appeal), not bob's
    services.rating_save(actor=judge, period=p, group="s", subject=alice, score=90, submit=True,
                         note="复核：补看台账")
    with pytest.raises(ApplicationError) as exc:
        services.rating_save(actor=judge, period=p, group="s", subject=bob, score=95, submit=True)
    assert exc.value.field == "state"
    with pytest.raises(ApplicationError) as exc:
        services.period_recompute(actor=m, period=p, reason="")
    assert exc.value.field == "reason"
    made = services.period_recompute(actor=m, period=p, reason="申诉复核：补看台账")
    # alice 70 → 90 (A, rank 1); bob keeps 80 but drops to rank 2: both get version 2
    assert sorted((r.subject.display_name, r.version_no, str(r.total), r.rank) for r in made) == [
        ("alice", 2, "90.00", 1), ("bob", 2, "80.00", 2)]
    # until republished, the published numbers stand
    assert [str(r.total) for r in selectors.period_results(m, p)] == ["80.00", "70.00"]
    services.period_republish(actor=m, period=p, decision="申诉成立")
    p.refresh_from_db()
    appeal.refresh_from_db()
    assert p.state == PeriodState.REPUBLISHED and appeal.state == AppealState.RESOLVED
    now = {r.subject.display_name: (str(r.total), r.rank, r.version_no, r.reason)
           for r in selectors.period_results(m, p)}
    assert now == {"alice": ("90.00", 1, 2, "申诉复核：补看台账"), "bob": ("80.00", 2, 2, "申诉复核：补看台账")}
    current = p.results.get(subject=alice, current=True)
    history = selectors.result_history(county.alice, current)
    assert [(h.version_no, str(h.total), h.current) for h in history] == [(1, "70.00", False), (2, "90.00", True)]
    old = selectors.result_explain(m, history[0])
    assert old["verified"] and old["total"] == "70.00" and old["grade"] == "B" and not old["current"]
    new = selectors.result_explain(county.alice, history[1])
    assert new["verified"] and new["grade"] == "A" and new["reason"] == "申诉复核：补看台账"
    # flags follow the republished results: alice is now A
    assert [f.subject.display_name for f in selectors.period_flags(m, p)] == ["alice"]


def test_a_wrong_deduction_is_withdrawn_in_re_review(county):
    from jiceng.assessment.models import Adjustment

    m = county.county_staff
    definition = {**DEFINITION, "indicators": [{"code": "style", "name": "工作作风", "kind": "deduction",
                                                "max_points": "10"}]}
    scheme = services.scheme_create(actor=m, name="扣分", subject_type="secretary", period_type="quarter",
                                    region=county.county, definition=definition)
    p = period(m, scheme, "Q1", date(2026, 1, 1), date(2026, 3, 31))
    alice = services.period_subject_add(actor=m, period=p, obj=county.alice)
    (judge,) = raters("judge", 1, county.c)
    services.assignment_create(actor=m, period=p, group="s", rater=judge, subjects=[alice])
    services.period_open_scoring(actor=m, period=p)
    services.rating_save(actor=judge, period=p, group="s", subject=alice, score=90, submit=True)
    wrong = services.adjustment_record(actor=m, period=p, subject=alice, indicator="style", points=8,
                                       note="会议缺席", evidence_ref="签到表")
    close_compute_publish(m, p)
    assert str(p.results.get().total) == "82.00"  # 90 − 8
    with pytest.raises(ApplicationError) as exc:  # not outside a re-review
        services.adjustment_withdraw(actor=m, adjustment=wrong, reason="请假已批准")
    assert exc.value.field == "state"
    services.appeal_file(actor=county.alice, period=p, subject=alice, reason="已请假")
    services.period_start_rereview(actor=m, period=p)
    services.adjustment_withdraw(actor=m, adjustment=wrong, reason="请假已批准")
    (new,) = services.period_recompute(actor=m, period=p, reason="撤销误扣")
    services.period_republish(actor=m, period=p, decision="撤销误扣，调整为 90 分")
    assert (new.version_no, str(new.total), new.grade) == (2, "90.00", "A")
    assert Adjustment.objects.get(pk=wrong.pk).withdrawn_reason == "请假已批准"  # kept, not counted
    assert [str(r.total) for r in p.results.order_by("version_no")] == ["82.00", "90.00"]
