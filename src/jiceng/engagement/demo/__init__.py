"""Demo data for engagement: points charters, ledgers, shops, micro-wishes, 双报到 and activities in
the demo county, plus one resident login (``resident``).

Rows are written in bulk for speed, but in the order the services would write them, so the result
obeys every rule the services keep: each account's cached balance is the sum of its ledger and never
went negative on the way, stock never below zero, one live claim per wish, one award per source record,
sign-ups within capacity. ``tests/engagement/test_demo.py`` checks this with the selectors.

Call after the county, people and organisations are loaded::

    from jiceng.engagement.demo import generate_demo_engagement
    result = generate_demo_engagement(county=county_region, seed=seed, scale=scale)
    result.credential  # accounts.Credential for the resident login
"""

from __future__ import annotations

import random

from django.db import transaction

from jiceng.core.audit import audit_record
from jiceng.regions.models import Region

from .base import EngagementDemo
from .data import (
    ACTIVITIES,
    BATCH,
    EVIDENCE,
    ITEMS,
    MANUAL_AWARDS,
    OFFICE_CLOSES,
    OFFICE_OPENS,
    PARTY,
    PHOTOS_PER_COMMUNITY,
    RESIDENT_USERNAME,
    RULES,
    TEAMS,
    THANKS,
    WISH_COSTS,
    WISHES,
)
from .participation import _Participation
from .points import PHOTO_COLOURS, _Points, demo_photo

__all__ = [
    "ACTIVITIES", "BATCH", "EVIDENCE", "ITEMS", "MANUAL_AWARDS", "OFFICE_CLOSES", "OFFICE_OPENS", "PARTY",
    "PHOTOS_PER_COMMUNITY", "PHOTO_COLOURS", "RESIDENT_USERNAME", "RULES", "TEAMS", "THANKS", "WISHES", "WISH_COSTS",
    "EngagementDemo", "_Generator", "demo_photo", "generate_demo_engagement",
]


def generate_demo_engagement(*, county: Region, seed: int, scale: float) -> EngagementDemo:
    """Create the engagement demo in ``county``; returns counts and the resident login's credential."""
    with transaction.atomic():
        return _Generator(county, random.Random(seed ^ 0x51E0), scale).run()


class _Generator(_Participation, _Points):
    """The run, step by step: the charters and shops (the later steps award by their rules), 双报到,
    activities and wishes (check-outs and thanked wishes earn points), the points recorded by hand, the
    resident login, and last every account's ledger in time order."""

    def run(self) -> EngagementDemo:
        self._load()
        self._rules()
        self._shops()
        self._teams_and_registrations()
        self._activities()
        self._wishes()
        self._manual_points()
        self._resident_account()
        self._write_ledgers()
        audit_record(actor=None, action="demo.engagement", object_type="demo", object_id=self.county.code,
                     object_repr=f"演示县 {self.county.name}：群众参与", changes=dict(self.result.counts))
        return self.result
