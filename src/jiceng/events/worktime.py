"""Working time (工作时): deadlines counted over workdays and working hours.

A day is a workday when it is Monday–Friday, unless the calendar (``CalendarDay``) says otherwise:
a holiday on a weekday (放假) or a make-up workday on a weekend (调休上班). Working hours come from
``settings.JICENG_WORK_HOURS`` (default ``08:30-12:00,14:00-17:30``) in the project's time zone.
Calendar-hour (自然时) clocks simply add wall-clock time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from .choices import Clock

DEFAULT_HOURS = "08:30-12:00,14:00-17:30"
_MAX_DAYS = 800  # a deadline further than this is a configuration error, not a deadline


def parse_hours(spec: str) -> tuple[tuple[time, time], ...]:
    """``"08:30-12:00,14:00-17:30"`` → ((08:30, 12:00), (14:00, 17:30)); windows must be ordered."""
    windows: list[tuple[time, time]] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            start_s, end_s = part.split("-")
            start = time.fromisoformat(start_s.strip())
            end = time.fromisoformat(end_s.strip())
        except ValueError as exc:
            raise ValueError(f"working hours must look like 08:30-12:00,14:00-17:30, got {spec!r}") from exc
        if end <= start or (windows and start < windows[-1][1]):
            raise ValueError(f"working hours must be increasing, non-overlapping windows: {spec!r}")
        windows.append((start, end))
    if not windows:
        raise ValueError("at least one working-hours window is needed")
    return tuple(windows)


def _db_loader(year: int) -> dict[date, bool]:
    from .models import CalendarDay

    rows = CalendarDay.objects.filter(day__year=year).values_list("day", "is_workday")
    return dict(rows)


class WorkCalendar:
    """Workdays and working hours. Exceptions are loaded one year at a time, on first use."""

    def __init__(self, *, overrides: dict[date, bool] | None = None, hours: str | None = None,
                 tz: str | None = None, loader: Callable[[int], dict[date, bool]] | None = None):
        self.windows = parse_hours(hours or getattr(settings, "JICENG_WORK_HOURS", DEFAULT_HOURS))
        self.tz = ZoneInfo(tz or settings.TIME_ZONE)
        self._overrides: dict[date, bool] = dict(overrides or {})
        self._loader = loader
        self._years: set[int] = set()
        self._day_cache: dict[date, list[tuple[datetime, datetime]]] = {}

    @classmethod
    def from_db(cls) -> WorkCalendar:
        return cls(loader=_db_loader)

    def _ensure(self, year: int) -> None:
        if self._loader is not None and year not in self._years:
            self._years.add(year)
            for day, is_workday in self._loader(year).items():
                self._overrides.setdefault(day, is_workday)

    def is_workday(self, day: date) -> bool:
        self._ensure(day.year)
        override = self._overrides.get(day)
        if override is not None:
            return override
        return day.weekday() < 5

    def day_windows(self, day: date) -> list[tuple[datetime, datetime]]:
        cached = self._day_cache.get(day)
        if cached is None:
            if self.is_workday(day):
                cached = [(datetime.combine(day, a, tzinfo=self.tz), datetime.combine(day, b, tzinfo=self.tz))
                          for a, b in self.windows]
            else:
                cached = []
            self._day_cache[day] = cached
        return cached

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment ``seconds`` of working time after ``start`` (``start`` itself when zero)."""
        remaining = timedelta(seconds=max(0.0, float(seconds)))
        if not remaining:
            return start
        local = start.astimezone(self.tz)
        day = local.date()
        for _ in range(_MAX_DAYS):
            for win_start, win_end in self.day_windows(day):
                begin = max(win_start, local)
                if begin >= win_end:
                    continue
                available = win_end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(start.tzinfo)
                remaining -= available
            day += timedelta(days=1)
        raise ValueError("deadline too far in working time (check the working calendar)")

    def between(self, start: datetime, end: datetime) -> int:
        """Working seconds in [start, end) (0 when end ≤ start)."""
        if end <= start:
            return 0
        a, b = start.astimezone(self.tz), end.astimezone(self.tz)
        total = timedelta()
        day = a.date()
        while day <= b.date():
            for win_start, win_end in self.day_windows(day):
                lo, hi = max(win_start, a), min(win_end, b)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return int(total.total_seconds())


def clock_add(clock: str, start: datetime, seconds: float, calendar: WorkCalendar) -> datetime:
    if clock == Clock.CALENDAR:
        return start + timedelta(seconds=float(seconds))
    return calendar.add(start, seconds)


def clock_between(clock: str, start: datetime, end: datetime, calendar: WorkCalendar) -> int:
    if clock == Clock.CALENDAR:
        return max(0, int((end - start).total_seconds()))
    return calendar.between(start, end)
