"""Working-time arithmetic over the calendar (hand-counted against a 2025 wall calendar)."""

from datetime import date

import pytest

from jiceng.events.worktime import WorkCalendar, parse_hours
from tests.events.conftest import at

H = 3600


def cal(**overrides) -> WorkCalendar:
    return WorkCalendar(hours="08:30-12:00,14:00-17:30", tz="Asia/Shanghai", overrides=overrides.get("days"))


def test_it_adds_within_a_morning():
    assert cal().add(at(2025, 3, 3, 9, 0), 2 * H) == at(2025, 3, 3, 11, 0)


def test_it_skips_the_lunch_break():
    # 3 h from 10:00 Monday: 2 h until noon, 1 h after 14:00.
    assert cal().add(at(2025, 3, 3, 10, 0), 3 * H) == at(2025, 3, 3, 15, 0)


def test_a_full_working_day_is_seven_hours():
    assert cal().add(at(2025, 3, 3, 8, 30), 7 * H) == at(2025, 3, 3, 17, 30)


def test_it_skips_the_weekend():
    # Friday 16:30 + 2 h: 1 h on Friday, 1 h from Monday 08:30.
    assert cal().add(at(2025, 3, 7, 16, 30), 2 * H) == at(2025, 3, 10, 9, 30)


def test_a_start_out_of_hours_waits_for_the_next_window():
    assert cal().add(at(2025, 3, 3, 12, 30), 1 * H) == at(2025, 3, 3, 15, 0)
    assert cal().add(at(2025, 3, 8, 10, 0), 1 * H) == at(2025, 3, 10, 9, 30)  # Saturday


def test_holidays_and_make_up_workdays():
    # 2025 劳动节: 1–5 May off (Thu 1, Fri 2, Mon 5 are weekdays), Sunday 27 April a make-up workday.
    days = {date(2025, 5, 1): False, date(2025, 5, 2): False, date(2025, 5, 5): False, date(2025, 4, 27): True}
    c = cal(days=days)
    assert c.add(at(2025, 4, 26, 9, 0), 1 * H) == at(2025, 4, 27, 9, 30)  # Saturday → the Sunday workday
    assert c.add(at(2025, 4, 30, 17, 0), 1 * H) == at(2025, 5, 6, 9, 0)  # Wednesday → Tuesday 6 May


def test_between_counts_working_seconds_only():
    c = cal()
    assert c.between(at(2025, 3, 3, 11, 0), at(2025, 3, 3, 15, 0)) == 2 * H
    assert c.between(at(2025, 3, 7, 17, 0), at(2025, 3, 10, 9, 0)) == 1 * H
    assert c.between(at(2025, 3, 3, 15, 0), at(2025, 3, 3, 11, 0)) == 0


def test_between_inverts_add():
    c = cal()
    start = at(2025, 3, 6, 15, 10)
    for seconds in (1, 600, 2 * H, 7 * H, 23 * H + 17):
        assert c.between(start, c.add(start, seconds)) == seconds


def test_bad_working_hours_are_refused():
    with pytest.raises(ValueError):
        parse_hours("12:00-08:30")
    with pytest.raises(ValueError):
        parse_hours("08:30-12:00,11:00-13:00")
