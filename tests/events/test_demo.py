"""The demo generator: deterministic, consistent with the rollup and the workflow, and numbers that
look like the reports."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction

from jiceng.events.choices import CLOSED_STATES
from jiceng.events.demo import generate_demo_events
from jiceng.events.models import Event, EventTransition, Timer, Whistle
from jiceng.events.rollup import rollup_verify
from jiceng.events.selectors import event_numbers, whistle_stats

NOW = datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
YEAR = (date(2025, 1, 1), date(2026, 1, 1))


def _generate(world, seed=7, count=3000):
    return generate_demo_events(county_region=world.c.county, year_start=date(2025, 1, 1), count=count, seed=seed,
                                now=NOW)


def test_a_year_of_cases_looks_like_the_reports(world):
    result = _generate(world)
    assert result["events"] == Event.objects.count() == 3000
    assert rollup_verify() == []
    n = event_numbers(actor=world.county, start=YEAR[0], end=YEAR[1])
    assert 0.92 <= n["close_rate"].value <= 0.98, n["close_rate"].as_dict()
    assert 0.92 <= n["satisfaction_rate"].value <= 0.98, n["satisfaction_rate"].as_dict()
    assert 0.80 <= n["on_time_rate"].value <= 0.97, n["on_time_rate"].as_dict()
    assert n["overdue"].numerator > 0 and n["returned"].numerator > 0 and n["reopened"].numerator > 0
    assert n["whistled"].numerator > 0 and n["suspended"].numerator > 0
    for key in ("registered", "closed", "closed_on_time", "rated", "overdue", "due", "returned"):
        assert n[key].cases.count() == n[key].numerator, key
    assert whistle_stats(actor=world.county, start=YEAR[0], end=YEAR[1])
    assert Whistle.objects.filter(late=True).exists()
    open_cases = Event.objects.exclude(state__in=[*CLOSED_STATES, "rejected", "void"])
    assert Timer.objects.filter(event__in=open_cases, stopped_at__isnull=True).exists()


def test_what_is_open_at_the_end_is_mostly_recent_and_seldom_overdue(world):
    """A command centre's open cases are mostly the last days' (still being accepted, dispatched,
    handled or checked, inside their deadlines), plus a thin tail of old, overdue ones. Expected (the
    full demo; this year of 3,000 cases, about 8 a day, is noisier): well over half of the last three
    days' cases open, about 0.5 % of those older than three months (the slow end of the 1.4 % stuck
    for months), about half the open cases from the last fortnight, under 1 % of all cases open and
    overdue."""
    from datetime import timedelta

    _generate(world)
    finished = [*CLOSED_STATES, "rejected", "void"]
    events = list(Event.objects.values_list("reported_at", "state", "overdue_at"))
    is_open = [(NOW - reported, state not in finished, overdue) for reported, state, overdue in events]

    def open_share(lo, hi):
        group = [o for age, o, _ in is_open if timedelta(days=lo) <= age < timedelta(days=hi)]
        return sum(group) / len(group)

    assert open_share(0, 3) > 0.4
    assert 0.15 < open_share(3, 7) < 0.75
    assert open_share(30, 90) < 0.05
    assert open_share(90, 400) < 0.02
    opened = [(age, overdue) for age, o, overdue in is_open if o]
    recent = [overdue for age, overdue in opened if age < timedelta(days=14)]
    assert len(recent) / len(opened) > 0.35
    assert sum(1 for overdue in recent if overdue) / len(recent) < 0.3  # most not yet overdue
    overdue_open = sum(1 for _, overdue in opened if overdue)
    assert 0 < overdue_open < 0.02 * len(events)  # some, not thousands in a year of 100,000
    recent_states = set(Event.objects.exclude(state__in=finished).filter(
        reported_at__gte=NOW - timedelta(days=14)).values_list("state", flat=True))
    assert len(recent_states) >= 3, recent_states  # at various stages
    handling = Event.objects.filter(state="handling")
    assert set(Timer.objects.filter(event__in=handling, stage="handle", stopped_at__isnull=True)
               .values_list("event_id", flat=True)) == set(handling.values_list("pk", flat=True))


def test_every_closed_case_was_verified_and_timelines_run_forward(world):
    _generate(world, count=800)
    closed_ids = set(Event.objects.filter(state__in=list(CLOSED_STATES)).values_list("pk", flat=True))
    last_closing: dict[int, str] = {}
    previous: dict[int, object] = {}
    for event_id, action, to_state, from_state, at in EventTransition.objects.order_by("at", "id").values_list(
            "event_id", "action", "to_state", "from_state", "at"):
        if to_state == "closed" and from_state != "closed":
            last_closing[event_id] = action
        assert previous.get(event_id) is None or previous[event_id] <= at
        previous[event_id] = at
    assert closed_ids and all(last_closing[pk] == "verify" for pk in closed_ids)
    for ev in Event.objects.filter(state__in=list(CLOSED_STATES)):
        assert ev.reported_at <= ev.registered_at <= ev.first_dispatched_at <= ev.signed_at <= ev.handled_at \
            <= ev.closed_at


def test_the_same_seed_gives_the_same_cases(world):
    def summary(seed):
        with transaction.atomic():
            result = _generate(world, seed=seed, count=400)
            rows = list(Event.objects.order_by("id").values_list("category_id", "grid_id", "state", "reported_at"))
            transaction.set_rollback(True)
        return result["states"], [r[:3] for r in rows]

    assert summary(3) == summary(3)
    assert summary(3) != summary(4)


def test_report_times_spread_over_the_days_up_to_the_end_and_never_pile_up_at_it():
    import random
    from datetime import timedelta

    from jiceng.events.demo import _report_times

    tz = ZoneInfo("Asia/Shanghai")
    start = datetime(2026, 1, 1, tzinfo=tz)
    for end in (datetime(2026, 1, 11, tzinfo=tz), datetime(2026, 1, 11, 9, 30, tzinfo=tz)):  # midnight, mid-morning
        times = _report_times(random.Random(3), start, end, 5000)
        assert times == sorted(times) and start <= times[0] and times[-1] < end
        assert len({t.replace(second=0, microsecond=0) for t in times[-50:]}) > 40  # no heap at the last minute
        night = [t for t in times if t.hour < 7 or t.hour >= 20]
        assert 0.10 < len(night) / len(times) < 0.25  # about 18% at night, on the day drawn
        assert times[-1] > end - timedelta(hours=6)


def test_every_demo_photo_is_a_file_the_product_serves_and_fits_its_case(world):
    """The three pictures show rubbish by a bin, then the street cleared: only cases of 垃圾乱堆乱放
    (or the 市容环境 group) carry them; an elderly resident's meal request has no photo."""
    from django.conf import settings
    from django.contrib.staticfiles import finders

    from jiceng.events.demo.world import PHOTO_CATEGORIES

    _generate(world, count=1000)
    urls = set()
    codes = set()
    for code, photos in [*Event.objects.values_list("category__code", "photos"),
                         *EventTransition.objects.values_list("event__category__code", "photos")]:
        urls.update(photos or [])
        if photos:
            codes.add(code)
    assert codes and codes <= PHOTO_CATEGORIES, codes
    assert Event.objects.exclude(category__code__in=PHOTO_CATEGORIES).exclude(photos=[]).count() == 0
    assert Event.objects.filter(category__code="MSFW-WLFW").exists()
    assert len(urls) == 3  # reported, handled, verified
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    for url in urls:
        assert url.startswith(prefix) and finders.find(url.removeprefix(prefix)), url


def test_nobody_rates_or_verifies_a_case_they_handled(world):
    from jiceng.events.workflow import HANDLER_ACTIONS

    _generate(world, count=1500)
    handled = set(EventTransition.objects.filter(action__in=list(HANDLER_ACTIONS), actor__isnull=False)
                  .values_list("event_id", "actor_id"))
    judged = list(EventTransition.objects.filter(action__in=["rate", "verify", "verify_fail"], actor__isnull=False)
                  .values_list("event_id", "actor_id", "action"))
    assert judged and [j for j in judged if (j[0], j[1]) in handled] == []
