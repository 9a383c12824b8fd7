"""The generator's state and clock: the county's communities with a sample of their residents, units
and helpers (``_load``), moments in the past (in office hours where a worker records them), and each
account's ledger, filled by the steps and written last."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from jiceng.demo.accounts import Credential
from jiceng.people.choices import WorkerKind
from jiceng.people.models import GridWorker, Resident
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Organisation, Region

from .data import OFFICE_CLOSES, OFFICE_OPENS


@dataclass
class EngagementDemo:
    counts: dict[str, int] = field(default_factory=dict)
    credential: Credential | None = None


class _Ledger:
    """Entries of one account in time order, with the running balance kept non-negative."""

    def __init__(self, community_id: int, resident_id: int | None = None, organisation_id: int | None = None):
        self.community_id, self.resident_id, self.organisation_id = community_id, resident_id, organisation_id
        self.rows: list[dict] = []

    def add(self, **row) -> dict:
        self.rows.append(row)
        return row

    def ordered(self) -> list[dict]:
        self.rows.sort(key=lambda r: r["created_at"])
        return self.rows


class _Base:
    """What every step reads. The steps add what later ones read: ``rules`` and ``items``
    (``points``), ``teams``, ``registrations`` and ``signup_awards`` (``participation``)."""

    def __init__(self, county: Region, rng: random.Random, scale: float):
        self.county, self.rng, self.scale = county, rng, max(scale, 0.05)
        self.now = timezone.localtime().replace(microsecond=0)
        self.result = EngagementDemo()
        self.ledgers: dict[tuple[str, int], _Ledger] = {}
        self.photos_taken: dict[int, int] = {}

    def n(self, base: float) -> int:
        return max(1, round(base * self.scale))

    def ago(self, days_max: float, days_min: float = 0) -> datetime:
        return self.now - timedelta(seconds=self.rng.uniform(days_min * 86400, days_max * 86400))

    def office_ago(self, days_max: float, days_min: float = 0) -> datetime:
        """Like ``ago``, at a time of the working day (08:30–17:30 local): what a community worker
        records (points awarded, deducted) happens in office hours, not at two in the morning."""
        return self.in_office(self.ago(days_max, days_min))

    def in_office(self, t: datetime, *, not_before: datetime | None = None) -> datetime:
        """``t`` moved to office hours: the same day, or the next one when it must not go earlier
        than ``not_before``; ``t`` itself when the move would pass now."""
        local = timezone.localtime(t)
        if OFFICE_OPENS <= local.time() <= OFFICE_CLOSES:
            return t
        # a minute that starts and ends within the hours: 08:30:00 … 17:29:59 (17:30 and its seconds are after)
        minute = self.rng.randint(OFFICE_OPENS.hour * 60 + OFFICE_OPENS.minute,
                                  OFFICE_CLOSES.hour * 60 + OFFICE_CLOSES.minute - 1)
        moved = local.replace(hour=minute // 60, minute=minute % 60, second=self.rng.randint(0, 59), microsecond=0)
        if not_before is not None and moved < not_before:
            moved += timedelta(days=1)
        return moved if moved <= self.now else t

    def ledger(self, community_id: int, *, resident_id=None, organisation_id=None) -> _Ledger:
        key = ("r", resident_id) if resident_id else ("o", organisation_id)
        if key not in self.ledgers:
            self.ledgers[key] = _Ledger(community_id, resident_id, organisation_id)
        return self.ledgers[key]

    def _load(self) -> None:
        rng = self.rng
        self.communities = list(Region.objects.filter(path__startswith=self.county.path,
                                                      level=RegionLevel.COMMUNITY).order_by("path"))
        by_path = {c.path: c for c in self.communities}
        depth = len([p for p in self.communities[0].path.split("/") if p]) if self.communities else 0

        def community_of(path: str) -> Region | None:
            parts = [p for p in path.split("/") if p]
            return by_path.get("/" + "/".join(parts[:depth]) + "/")

        # A sample of residents per community (the demo needs hundreds, not the whole population).
        self.people: dict[int, list[tuple[int, str, str, bool]]] = {c.pk: [] for c in self.communities}
        per_community = self.n(160)
        rows = Resident.objects.filter(grid__path__startswith=self.county.path).values_list(
            "id", "name", "political_status", "is_volunteer", "grid__path").order_by("id")
        for rid, name, status, volunteer, path in rows.iterator(chunk_size=5000):
            community = community_of(path)
            if community is None:
                continue
            bucket = self.people[community.pk]
            if len(bucket) < per_community:
                bucket.append((rid, name, status, volunteer))
            elif rng.random() < 0.02:
                bucket[rng.randrange(len(bucket))] = (rid, name, status, volunteer)
        self.orgs: dict[int, list[int]] = {c.pk: [] for c in self.communities}
        for oid, path in Organisation.objects.filter(grid__path__startswith=self.county.path).values_list(
                "id", "grid__path"):
            community = community_of(path)
            if community is not None and len(self.orgs[community.pk]) < 8:
                self.orgs[community.pk].append(oid)
        self.helpers: dict[int, list[int]] = {c.pk: [] for c in self.communities}
        for wid, cid in GridWorker.objects.filter(community__in=self.communities, kind=WorkerKind.SPECIAL,
                                                  active=True).values_list("id", "community_id"):
            self.helpers[cid].append(wid)
