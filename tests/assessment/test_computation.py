"""Automatic indicators, annual reconciliation of routine results, grade quotas and ranking."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from jiceng.assessment import registry, selectors, services
from jiceng.assessment.compute import assign_grades, competition_ranks
from jiceng.core.errors import ApplicationError
from jiceng.people.choices import WorkerKind
from jiceng.people.models import GridAssignment, GridWorker
from tests.assessment.helpers import close_compute_publish, period, raters

BANDS = [{"grade": "优秀", "min": "90"}, {"grade": "称职", "min": "75"}, {"grade": "基本称职", "min": "60"},
         {"grade": "不称职", "min": "0"}]


def test_competition_ranking_shows_ties():
    assert competition_ranks({"a": Decimal(90), "b": Decimal(80), "c": Decimal(80), "d": Decimal(70)}) == {
        "a": 1, "b": 2, "c": 2, "d": 4}


def test_quota_is_applied_by_rank_and_a_tie_at_the_cut_moves_down_together():
    totals = {"a": Decimal(95), "b": Decimal(95), "c": Decimal(92), "d": Decimal(70), "e": Decimal(50)}
    # 20% of 5 = 1 优秀 place, but a and b tie for it: neither can take it alone → both 称职 with c
    assert assign_grades(BANDS, {"优秀": "20"}, totals) == {
        "a": "称职", "b": "称职", "c": "称职", "d": "基本称职", "e": "不称职"}
    # 40% of 5 = 2 places: a and b keep 优秀, c (third) moves down
    assert assign_grades(BANDS, {"优秀": "40"}, totals) == {
        "a": "优秀", "b": "优秀", "c": "称职", "d": "基本称职", "e": "不称职"}
    # no quota: thresholds only
    assert assign_grades(BANDS, {}, totals)["c"] == "优秀"


@pytest.mark.django_db
def test_builtin_automatic_indicator_and_a_registered_one(county):
    m = county.county_staff
    w1 = GridWorker.objects.create(name="网格员一", kind=WorkerKind.FULL_TIME, community=county.a)
    w2 = GridWorker.objects.create(name="网格员二", kind=WorkerKind.FULL_TIME, community=county.a)
    GridAssignment.objects.create(worker=w1, grid=county.a1_1)
    GridAssignment.objects.create(worker=w1, grid=county.a1_2)
    GridAssignment.objects.create(worker=w2, grid=county.a1)
    calls = []

    def closure_rate(subject, start, end):
        calls.append((subject.display_name, start, end))
        return Decimal("0.9"), {"closed": 9, "total": 10, "event_ids": [1, 2]}

    registry.register("tests.closure_rate", closure_rate, label="结案率")
    try:
        definition = {"groups": [{"code": "q", "name": "量化", "kind": "indicators", "weight": "100",
                                  "max_points": "20"}],
                      "indicators": [
                          {"code": "grids", "name": "负责网格数", "group": "q", "kind": "auto",
                           "auto_key": "people.assigned_grids", "auto_target": "2", "max_points": "10"},
                          {"code": "closure", "name": "结案率", "group": "q", "kind": "auto",
                           "auto_key": "tests.closure_rate", "max_points": "10"}]}
        scheme = services.scheme_create(actor=m, name="网格员", subject_type="grid_worker", period_type="month",
                                        region=county.county, definition=definition)
        p = period(m, scheme, "3月", date(2026, 3, 1), date(2026, 3, 31))
        s1 = services.period_subject_add(actor=m, period=p, obj=w1)
        services.period_subject_add(actor=m, period=p, obj=w2)
        services.period_open_scoring(actor=m, period=p)
        close_compute_publish(m, p)
    finally:
        registry.unregister("tests.closure_rate")
    assert ("网格员一", date(2026, 3, 1), date(2026, 3, 31)) in calls
    # w1: 2 grids / target 2 → 10; 0.9 × 10 = 9 → 19 of 20 → 95.  w2: 1/2 × 10 = 5; + 9 = 14 → 70
    totals = {r.subject.display_name: str(r.total) for r in selectors.period_results(m, p)}
    assert totals == {"网格员一": "95.00", "网格员二": "70.00"}
    ex = selectors.result_explain(m, p.results.get(subject=s1))
    assert ex["indicators"]["grids"]["explanation"]["grid_ids"] == [county.a1_1.pk, county.a1_2.pk]
    assert ex["indicators"]["closure"]["explanation"]["event_ids"] == [1, 2] and ex["verified"]


@pytest.mark.django_db
def test_routine_results_are_reconciled_into_the_annual(county):
    m = county.county_staff
    single = {"groups": [{"code": "s", "name": "评分", "kind": "single", "weight": "100", "max_points": "100"}],
              "indicators": []}
    routine = services.scheme_create(actor=m, name="双月考核", subject_type="community", period_type="bimonth",
                                     region=county.county, definition=single)
    annual = services.scheme_create(actor=m, name="年度考核", subject_type="community", period_type="year",
                                    region=county.county, definition={**single, "routine_weight": "40"})
    (r,) = raters("r", 1, county.c)

    def run(scheme, label, start, end, score, **kw):
        p = period(m, scheme, label, start, end, **kw)
        s = services.period_subject_add(actor=m, period=p, obj=county.a)
        services.assignment_create(actor=m, period=p, group="s", rater=r, subjects=[s])
        services.period_open_scoring(actor=m, period=p)
        services.rating_save(actor=r, period=p, group="s", subject=s, score=score, submit=True)
        return close_compute_publish(m, p)

    jan = run(routine, "1-2月", date(2026, 1, 1), date(2026, 2, 28), 80)
    mar = run(routine, "3-4月", date(2026, 3, 1), date(2026, 4, 30), 90)
    year = run(annual, "2026 年度", date(2026, 1, 1), date(2026, 12, 31), 70, routine_periods=[jan, mar])
    other = services.scheme_create(actor=m, name="街道年度", subject_type="street", period_type="year",
                                   region=county.county, definition=single)
    with pytest.raises(ApplicationError) as exc:  # routine results of another subject type cannot be folded in
        period(m, other, "2026", date(2026, 1, 1), date(2026, 12, 31), routine_periods=[jan])
    assert exc.value.field == "routine_periods"
    # routine average (80 + 90) / 2 = 85; annual 70 × 60% + 85 × 40% = 42 + 34 = 76
    result = year.results.get()
    assert str(result.total) == "76.00"
    ex = selectors.result_explain(m, result)
    assert [x["total"] for x in ex["routine"]] == ["80.00", "90.00"]
    assert "年度折算：70 × 60% + 平时平均 85 × 40% = 76" in ex["lines"]
