"""The list-time filter: this year's times without the year, other years' with it."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.template import Context, Template

SHANGHAI = ZoneInfo("Asia/Shanghai")


def render(value) -> str:
    return Template("{% load moments %}{{ v|moment }}").render(Context({"v": value}))


def test_this_years_time_drops_the_year_and_last_years_keeps_it(time_machine):
    time_machine.move_to(datetime(2026, 11, 24, 12, 0, tzinfo=SHANGHAI))
    assert render(datetime(2026, 3, 5, 8, 7, tzinfo=SHANGHAI)) == "03-05 08:07"
    assert render(datetime(2025, 11, 26, 0, 44, tzinfo=SHANGHAI)) == "2025-11-26 00:44"
    # shown in the project's zone: 2025-12-31 17:30 UTC is already 2026 in Beijing
    assert render(datetime(2025, 12, 31, 17, 30, tzinfo=ZoneInfo("UTC"))) == "01-01 01:30"
    assert render(None) == ""
