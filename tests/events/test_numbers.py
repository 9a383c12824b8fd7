"""The command centre's numbers on the small hand-counted fixture of tests/events/march.py (March
2025, 甲社区; the cases and the figures worked by hand are in its docstring): the selectors by hand,
the periods, the breakdowns, the scope, and the rollup against a recount."""

from datetime import date

from jiceng.events.rollup import rollup_rebuild, rollup_verify
from jiceng.events.selectors import event_counters, event_numbers, event_numbers_by, event_numbers_for_period
from jiceng.events.selectors.numbers import event_numbers_from_records
from tests.events.march import MARCH


def pks(*evs) -> set[int]:
    return {e.pk for e in evs}


def test_march_numbers_by_hand(world, march):
    n = event_numbers(actor=world.county, start=MARCH[0], end=MARCH[1])
    e = march
    expected = {
        "registered": (6, None), "closed": (5, None), "close_rate": (5, 6), "closed_on_time": (4, None),
        "on_time_rate": (4, 5), "rated": (4, None), "satisfaction_rate": (3, 4), "unsatisfied": (1, None),
        "dispatched": (6, None), "returned": (1, None), "return_rate": (1, 6), "reopened": (1, None),
        "suspended": (1, None), "overdue": (2, None), "overdue_handle": (2, None), "due": (7, None),
        "closed_flow": (6, None),
    }
    for key, (num, den) in expected.items():
        assert (n[key].numerator, n[key].denominator) == (num, den), key
    assert n["close_rate"].value == round(5 / 6, 4) and n["close_rate"].display == "83.3%"
    assert n["on_time_rate"].value == 0.8 and n["satisfaction_rate"].value == 0.75
    assert n["avg_total_hours"].value == 49.1
    # every number lists exactly the cases it counts
    assert set(n["registered"].cases.values_list("pk", flat=True)) == pks(e["E1"], e["E2"], e["E3"], e["E4"],
                                                                           e["E5"], e["E6"])
    assert set(n["closed_on_time"].cases.values_list("pk", flat=True)) == pks(e["E1"], e["E3"], e["E4"], e["E6"])
    assert set(n["satisfaction_rate"].cases.values_list("pk", flat=True)) == pks(e["E1"], e["E2"], e["E3"])
    assert set(n["satisfaction_rate"].base.values_list("pk", flat=True)) == pks(e["E1"], e["E2"], e["E3"], e["E6"])
    assert set(n["overdue"].cases.values_list("pk", flat=True)) == pks(e["E2"], e["E5"])
    assert set(n["due"].cases.values_list("pk", flat=True)) == pks(*[e[f"E{i}"] for i in range(7)])
    assert e["E0"].pk in set(n["closed_flow"].cases.values_list("pk", flat=True))
    for key, number in n.items():
        if number.kind == "count" or number.kind == "ratio":
            assert number.cases.count() == number.numerator, key
        if number.base is not None:
            assert number.base.count() == number.denominator, key
    assert n["registered"].params == {"metric": "registered", "start": "2025-03-01", "end": "2025-04-01",
                                      "region": None, "category": None, "department": None}
    assert "立案" in n["registered"].definition


def test_february_and_the_period_helper(world, march):
    feb = event_numbers_for_period(actor=world.county, period="month", day=date(2025, 2, 14))
    assert (feb["registered"].numerator, feb["closed"].numerator, feb["due"].numerator,
            feb["closed_flow"].numerator) == (1, 1, 0, 0)
    q1 = event_numbers_for_period(actor=world.county, period="quarter", day=date(2025, 3, 31))
    assert q1["registered"].numerator == 7 and q1["due"].numerator == 7
    day = event_numbers_for_period(actor=world.county, period="day", day=date(2025, 3, 6))
    assert day["closed_flow"].numerator == 2  # E2 and E4


def test_the_same_question_gives_the_same_number_everywhere(world, march):
    by_region = event_numbers_by(actor=world.county, by="region", region=world.c.a1, start=MARCH[0], end=MARCH[1])
    assert [(r.label, r.numbers["registered"].numerator) for r in by_region] == [("甲一网格南片", 5),
                                                                                 ("甲一网格北片", 1)]
    south = event_numbers(actor=world.county, region=world.c.a1_1, start=MARCH[0], end=MARCH[1])
    for key in ("close_rate", "on_time_rate", "satisfaction_rate", "due"):
        same = by_region[0].numbers[key]
        assert (south[key].numerator, south[key].denominator) == (same.numerator, same.denominator)
        assert south[key].params == same.params
    by_cat = {r.key.code: r.numbers["registered"].numerator
              for r in event_numbers_by(actor=world.county, by="category", start=MARCH[0], end=MARCH[1])}
    assert by_cat["SRHJ"] == 5 and by_cat["MDJF"] == 1 and sum(by_cat.values()) == 6
    by_dept = event_numbers_by(actor=world.county, by="department", start=MARCH[0], end=MARCH[1])
    assert [(r.label, r.numbers["registered"].numerator) for r in by_dept] == [("属地处置", 6)]
    by_month = event_numbers_by(actor=world.county, by="month", start=date(2025, 1, 1), end=date(2026, 1, 1))
    assert [(r.label, r.numbers["registered"].numerator) for r in by_month] == [("2025-02", 1), ("2025-03", 6)]
    for row in by_month:
        for number in row.numbers.values():
            if number.kind != "hours":
                assert number.cases.count() == number.numerator


def test_numbers_follow_the_actor_scope(world, march):
    assert event_numbers(actor=world.bob, start=MARCH[0], end=MARCH[1])["registered"].numerator == 0
    assert event_numbers(actor=world.wang, start=MARCH[0], end=MARCH[1])["registered"].numerator == 5
    assert event_numbers(actor=world.urban, start=MARCH[0], end=MARCH[1])["registered"].numerator == 0
    assert event_numbers(actor=world.c.sysadmin, start=MARCH[0], end=MARCH[1])["registered"].numerator == 0
    assert event_numbers(actor=world.east, start=MARCH[0], end=MARCH[1])["registered"].numerator == 6


def test_the_rollup_equals_a_recount(world, march):
    assert rollup_verify() == []
    for actor in (world.county, world.wang, world.bob):
        for start, end in (MARCH, (date(2025, 2, 1), date(2025, 3, 4))):
            assert event_counters(actor=actor, start=start, end=end) == event_numbers_from_records(
                actor=actor, start=start, end=end)
    rows = rollup_rebuild()
    assert rows > 0 and rollup_verify() == []
