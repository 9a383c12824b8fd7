"""Small builders for assessment tests, going through the real services."""

from __future__ import annotations

from datetime import date

from jiceng.assessment import services
from jiceng.people.choices import Role
from tests.factories import make_user

ALL = {"de": "excellent", "neng": "excellent", "qin": "excellent", "ji": "excellent", "lian": "excellent"}


def ballot(*levels: str) -> dict:
    """Answers for 德能勤绩廉 in order; ballot('excellent') fills all five with one level."""
    codes = ["de", "neng", "qin", "ji", "lian"]
    if len(levels) == 1:
        levels = levels * 5
    return dict(zip(codes, levels, strict=True))


def raters(prefix: str, n: int, region) -> list:
    """Plain raters: community staff of a community outside the schemes' management."""
    return [make_user(f"{prefix}{i}", Role.COMMUNITY_STAFF, region) for i in range(1, n + 1)]


def period(actor, scheme, label: str, start: date, end: date, **kwargs):
    return services.period_create(actor=actor, scheme=scheme, label=label, starts_on=start, ends_on=end, **kwargs)


def close_compute_publish(actor, p, published_on: date | None = None):
    """Through to 公布. ``force``: a group nobody was given a score in counts 0 (the tests rate only what
    they are about; ``test_zero_sheets`` is about that confirmation)."""
    services.period_close_scoring(actor=actor, period=p)
    services.period_compute(actor=actor, period=p, force=True)
    services.period_publish(actor=actor, period=p, published_on=published_on or p.ends_on)
    p.refresh_from_db()
    return p
