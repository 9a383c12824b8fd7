"""The monthly rollup (month × street): kept by the same delta as the daily one, so after every change
month rows = their days folded by street = a recount; the numbers use it for whole months of a
street-or-larger question and give the same answer as the records.

Cases across two streets (东街道: 甲 and 乙社区; 西镇: 丙村) and the month edges of 31 Jan / 1 Feb and
31 Mar / 1 Apr 2025 (local time: 31 Jan 23:30 in 松溪 is 15:30 UTC, still January)."""

import importlib
from collections import Counter
from datetime import date

import pytest
from django.apps import apps

from jiceng.core.errors import ApplicationError
from jiceng.events import rollup, services
from jiceng.events.choices import Rating
from jiceng.events.models import EventRollupMonth
from jiceng.events.rollup import COUNTERS, rollup_rebuild, rollup_verify
from jiceng.events.selectors import event_counters, event_numbers, event_numbers_by
from jiceng.events.selectors.numbers import Question, event_numbers_from_records
from jiceng.regions.services import region_update
from tests.events.conftest import at
from tests.events.factories import IN_A1_1, IN_A1_2, IN_B1, IN_C1, PHOTO, _worker, report

PERIODS = [
    (date(2025, 1, 1), date(2026, 1, 1)),  # the year: months only
    (date(2025, 2, 1), date(2025, 3, 1)),  # one month
    (date(2025, 1, 1), date(2025, 4, 1)),  # a quarter
    (date(2025, 1, 31), date(2025, 4, 2)),  # whole Feb and Mar, a day either side
    (date(2025, 1, 15), date(2025, 3, 10)),  # part, whole, part
    (date(2025, 3, 31), date(2025, 4, 1)),  # one day
    (date(2025, 2, 10), date(2025, 2, 20)),  # inside a month
]


def _daily_folded() -> dict:
    days = rollup._table(*rollup._DAILY)
    return {k: Counter({c: n for c, n in v.items() if n}) for k, v in rollup.monthly(days).items()}


def assert_exact():
    assert rollup_verify() == []
    assert rollup._table(*rollup._MONTHLY) == _daily_folded()


def close(w, ev, *, handler, verifier):
    services.event_sign(actor=handler, event=ev)
    services.event_start(actor=handler, event=ev)
    services.event_submit(actor=handler, event=ev, note="已处置", photos=[PHOTO])
    services.event_verify(actor=verifier, event=ev, note="核查")


@pytest.fixture
def months(world, clock):
    """Nine cases in both streets, registered on both sides of two month edges, moved along after
    each step with the tables checked."""
    w = world
    chen = _worker(w.carol, "chen", w.c.c, w.c.c1)  # verifies 丙村's cases
    clock.move_to(at(2025, 1, 31, 23, 30))
    jan_a, jan_c = report(w), report(w, where=IN_C1)
    services.event_register(actor=w.alice, event=jan_a, dispatch=True)
    services.event_register(actor=w.carol, event=jan_c, dispatch=True)
    assert_exact()
    clock.move_to(at(2025, 2, 1, 0, 30))
    feb_b = report(w, where=IN_B1, category="MDJF-LLJF")
    feb_c = report(w, where=IN_C1)
    dup = report(w, where=IN_C1)
    services.event_register(actor=w.bob, event=feb_b, dispatch=True)
    services.event_register(actor=w.carol, event=feb_c, dispatch=True)
    services.event_register(actor=w.carol, event=dup)
    assert_exact()
    services.event_merge(actor=w.carol, duplicate=dup, master=feb_c)  # registered, then void: leaves the rollup
    assert_exact()
    close(w, jan_a, handler=w.alice, verifier=w.wang)  # January cohort, closed in February
    clock.move_to(at(2025, 3, 31, 23, 0))
    mar_a = report(w, where=IN_A1_2)
    services.event_register(actor=w.alice, event=mar_a, dispatch=True)
    close(w, feb_c, handler=w.carol, verifier=chen)
    services.event_rate_callback(actor=w.county, event=feb_c, rating=Rating.UNSATISFIED)  # 不满意: reopened
    assert_exact()
    clock.move_to(at(2025, 4, 1, 9, 0))
    close(w, mar_a, handler=w.alice, verifier=w.li)
    apr_a = report(w, where=IN_A1_1)
    services.event_register(actor=w.alice, event=apr_a, dispatch=True)
    services.event_suspend(actor=w.alice, event=apr_a, reason="等待业主")
    assert_exact()
    clock.move_to(at(2025, 4, 2, 10, 0))
    services.event_resume(actor=w.alice, event=apr_a)
    services.event_submit(actor=w.carol, event=feb_c, note="再次处置", photos=[PHOTO])
    services.event_verify(actor=chen, event=feb_c, note="核查")  # closed again, in April: March loses it
    assert_exact()
    return {"jan_a": jan_a, "jan_c": jan_c, "feb_b": feb_b, "feb_c": feb_c, "mar_a": mar_a, "apr_a": apr_a}


def test_month_rows_are_the_days_folded_by_street(world, months):
    rows = {(r.month, r.street_id) for r in EventRollupMonth.objects.all()}
    east, west = world.c.east.pk, world.c.west.pk
    assert {(date(2025, 1, 1), east), (date(2025, 1, 1), west), (date(2025, 2, 1), east), (date(2025, 2, 1), west),
            (date(2025, 3, 1), east), (date(2025, 4, 1), east), (date(2025, 4, 1), west)} <= rows
    jan_east = EventRollupMonth.objects.filter(month=date(2025, 1, 1), street=world.c.east)
    assert sum(r.registered for r in jan_east) == 1  # 31 Jan 23:30 local is January
    assert_exact()


def test_rebuild_writes_both_tables_and_the_migration_fills_from_days(world, months):
    before = rollup._table(*rollup._MONTHLY)
    EventRollupMonth.objects.all().delete()
    assert any(line.startswith("月 ") for line in rollup_verify())
    rollup_rebuild()
    assert rollup._table(*rollup._MONTHLY) == before
    EventRollupMonth.objects.all().delete()
    migration = importlib.import_module("jiceng.events.migrations.0002_rollup_month")
    migration.fill_from_daily(apps, None)
    assert rollup._table(*rollup._MONTHLY) == before
    assert_exact()


@pytest.mark.parametrize("start, end", PERIODS)
def test_numbers_equal_the_records_at_every_level(world, months, start, end):
    w = world
    questions = [(w.county, {}), (w.county, {"region": w.c.county}), (w.county, {"region": w.c.east}),
                 (w.county, {"region": w.c.west}), (w.county, {"region": w.c.a}), (w.county, {"region": w.c.b1}),
                 (w.county, {"category": w.cat("SRHJ-LJDF")}), (w.county, {"category": w.cat("SRHJ")}),
                 (w.county, {"region": w.c.east, "category": w.cat("MDJF")}),
                 (w.east, {}), (w.west, {"region": w.c.county}), (w.east, {"region": w.c.west}),
                 (w.alice, {}), (w.alice, {"region": w.c.east}), (w.wang, {}), (w.urban, {})]
    for actor, dims in questions:
        assert event_counters(actor=actor, start=start, end=end, **dims) == event_numbers_from_records(
            actor=actor, start=start, end=end, **dims), (actor.username, dims)


def test_whole_months_of_a_street_or_above_come_from_the_month_rows(world, months):
    w = world
    year = (date(2025, 1, 1), date(2026, 1, 1))
    assert Question(actor=w.county, start=year[0], end=year[1], region=w.c.county).rollup_parts()[0] == []
    daily, monthly = Question(actor=w.east, start=date(2025, 1, 31), end=date(2025, 4, 2)).rollup_parts()
    assert len(daily) == 2 and monthly is not None
    assert Question(actor=w.county, start=year[0], end=year[1], region=w.c.a).rollup_parts()[1] is None
    assert Question(actor=w.alice, start=year[0], end=year[1]).rollup_parts()[1] is None  # a community's scope
    assert Question(actor=w.county, start=date(2025, 2, 10), end=date(2025, 2, 20)).rollup_parts()[1] is None
    numbers = event_numbers(actor=w.county, start=year[0], end=year[1], region=w.c.county)
    assert numbers["registered"].numerator == 6
    assert numbers["registered"].numerator == numbers["registered"].cases.count()


@pytest.mark.parametrize("start, end", [PERIODS[0], PERIODS[3], PERIODS[4], PERIODS[6]])
@pytest.mark.parametrize("by", ["region", "category", "department", "month", "day"])
def test_breakdowns_add_up_like_the_records(world, months, by, start, end):
    w = world
    rows = event_numbers_by(actor=w.county, by=by, start=start, end=end, region=w.c.county)
    total = Counter()
    for row in rows:
        sub = {c: 0 for c in COUNTERS}
        for number in row.numbers.values():
            assert number.numerator == sum(1 for _ in number.cases) or number.kind != "count"
        sub_q = {"region": row.key if by == "region" else w.c.county,
                 "category": row.key if by == "category" else None,
                 "department": row.key if by == "department" else None}
        if by in ("region", "category"):
            sub = event_numbers_from_records(actor=w.county, start=start, end=end, **sub_q)
            assert {k: n.numerator for k, n in row.numbers.items()} == {
                k: n.numerator for k, n in event_numbers(actor=w.county, start=start, end=end, **sub_q).items()}
            assert row.numbers["registered"].numerator == sub["registered"]
        total["registered"] += row.numbers["registered"].numerator
        total["closed_flow"] += row.numbers["closed_flow"].numerator
    whole = event_numbers_from_records(actor=w.county, start=start, end=end, region=w.c.county)
    assert total == Counter({"registered": whole["registered"], "closed_flow": whole["closed_flow"]})


def test_a_street_code_change_moves_no_number(world, months):
    """Paths are rewritten under a new code; the month rows are keyed by the street's id, so every
    answer stays exact. A region's parent cannot be changed, so a grid never changes street."""
    w = world
    region_update(actor=w.c.sysadmin, region=w.c.east, code="350724009")
    w.c.east.refresh_from_db()
    w.county.refresh_from_db()
    assert w.c.east.path.endswith("/350724009/")
    for start, end in PERIODS:
        for region in (w.c.county, w.c.east, w.c.west):
            assert event_counters(actor=w.county, start=start, end=end, region=region) == event_numbers_from_records(
                actor=w.county, start=start, end=end, region=region)
    assert_exact()
    with pytest.raises(ApplicationError):
        region_update(actor=w.c.sysadmin, region=w.c.a, parent=w.c.west)
