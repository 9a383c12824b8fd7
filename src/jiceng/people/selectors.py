"""Reads of people, narrowed to the actor's scope; the numbers on screens come from here."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from jiceng.core.crypto import blind_index
from jiceng.core.scope import get_scoped_or_404, restrict
from jiceng.core.validators import contact_phone_error, phone_normalise
from jiceng.regions.choices import RegionKind, RegionLevel
from jiceng.regions.models import House, Region

from .choices import WorkerKind
from .models import GridWorker, Resident


def resident_visible(actor) -> QuerySet[Resident]:
    # the house's building is part of every masked resident (``services.masked``)
    return restrict(Resident.objects.select_related("grid", "house__unit__building"), actor)


def worker_visible(actor) -> QuerySet[GridWorker]:
    return restrict(GridWorker.objects.select_related("community"), actor)


def resident_get(*, actor, pk: int) -> Resident:
    return get_scoped_or_404(Resident.objects.select_related("grid", "house__unit__building"), actor, pk=pk)


def worker_get(*, actor, pk: int) -> GridWorker:
    return get_scoped_or_404(GridWorker.objects.select_related("community"), actor, pk=pk)


def house_options(*, actor, grid: Region | None = None) -> QuerySet[House]:
    """Houses the actor may see, for a resident's 房屋 (building, unit, room order); with ``grid``
    those of its buildings only, as a resident's house lies in the resident's grid."""
    qs = restrict(House.objects.select_related("unit__building"), actor)
    if grid is not None:
        qs = qs.filter(unit__building__grid=grid)
    return qs.order_by("unit__building__code", "unit__name", "room")


def _as_phone(q: str) -> str | None:
    """``q`` as a whole phone number — a mobile, or a fixed line with its area code (a resident's
    may be one) — as stored, when it is one, however typed."""
    phone = phone_normalise(q.strip())
    return phone if contact_phone_error(phone) is None else None


def resident_filter(qs: QuerySet[Resident], *, q: str = "", region: Region | None = None, tag: str = "",
                    residence_type: str = "", political_status: str = "", is_volunteer: bool | None = None
                    ) -> QuerySet[Resident]:
    """One filter for pages, API and exports. ``q`` is a name fragment, or an exact ID number or
    phone (matched by keyed hash, never by decrypting)."""
    q = (q or "").strip()
    if q:
        if _as_phone(q):
            qs = qs.filter(phone_hash=blind_index(_as_phone(q), purpose="phone"))
        elif len(q) == 18 and q[:17].isdigit():
            qs = qs.filter(id_number_hash=blind_index(q, purpose="id_number"))
        else:
            qs = qs.filter(name__contains=q)
    if region is not None:
        qs = qs.filter(grid__path__startswith=region.path)
    if tag:
        from .services import tag_token

        qs = qs.filter(tag_tokens__contains=tag_token(tag))
    if residence_type:
        qs = qs.filter(residence_type=residence_type)
    if political_status:
        qs = qs.filter(political_status=political_status)
    if is_volunteer is not None:
        qs = qs.filter(is_volunteer=is_volunteer)
    return qs


def _workers_of_region(region: Region) -> QuerySet[GridWorker]:
    """The one rule for "a region's grid workers", as ids for a subquery: those assigned to a grid
    in the region's subtree (sub-grids included), and for a community or above also those belonging
    to its communities. A 特聘 worker of another community who covers one of its grids counts too.
    A subquery rather than a join keeps each worker once without DISTINCT (which, with the model's
    ordering, used to split counts by name)."""
    q = Q(assignments__grid__path__startswith=region.path)
    if region.level <= RegionLevel.COMMUNITY:
        q |= Q(community__path__startswith=region.path)
    return GridWorker.objects.filter(q).values("pk")


RESIDENT_SEARCH_LIMIT = 20
_FRAGMENT_CHECK_LIMIT = 500  # name matches decrypted at most, to narrow them by a number fragment


def resident_search(*, actor, q: str, limit: int = RESIDENT_SEARCH_LIMIT) -> list[Resident]:
    """Residents in the actor's scope for a picker: a name fragment, optionally with the last digits
    of the phone or ID number (as the masked forms show them, e.g. ``张三 0011``), or a complete
    phone or ID number (matched by keyed hash). A fragment alone finds nothing: numbers are
    encrypted, and only the name's matches are decrypted to compare their last digits. The caller
    shows the matches masked."""
    if _as_phone(q or ""):  # a whole phone number however it was typed (138-1234-5678, +86 …)
        return list(resident_filter(resident_visible(actor).order_by("name", "id"), q=q)[:limit])
    words = (q or "").replace("*", " ").split()
    digits = [w for w in words if w.isdigit() or (len(w) == 18 and w[:17].isdigit())]
    names = [w for w in words if w not in digits]
    qs = resident_visible(actor).order_by("name", "id")
    exact = [d for d in digits if len(d) in (11, 18)]
    if exact and not names:
        return list(resident_filter(qs, q=exact[0])[:limit])
    if not names:
        return []
    for name in names:
        qs = qs.filter(name__contains=name)
    fragments = [d.upper() for d in digits]
    if not fragments:
        return list(qs[:limit])
    found = []
    for resident in qs[:_FRAGMENT_CHECK_LIMIT]:
        numbers = ((resident.phone or ""), (resident.id_number or "").upper())
        if all(any(n.endswith(f) or (len(f) >= 11 and n == f) for n in numbers) for f in fragments):
            found.append(resident)
            if len(found) == limit:
                break
    return found


def worker_filter(qs: QuerySet[GridWorker], *, q: str = "", region: Region | None = None, kind: str = "",
                  active: bool | None = None) -> QuerySet[GridWorker]:
    q = (q or "").strip()
    if q:
        if _as_phone(q):
            qs = qs.filter(phone_hash=blind_index(_as_phone(q), purpose="phone"))
        else:
            qs = qs.filter(name__contains=q)
    if region is not None:
        qs = qs.filter(pk__in=_workers_of_region(region))
    if kind:
        qs = qs.filter(kind=kind)
    if active is not None:
        qs = qs.filter(active=active)
    return qs


@dataclass(frozen=True)
class StaffingRatio:
    """专职网格员（社区工作者）配备率 of one community: workers ÷ residents × 10,000."""

    community: Region
    full_time_workers: int
    residents: int
    standard: int
    applies: bool

    @property
    def per_10k(self) -> float | None:
        if self.residents == 0:
            return None
        return round(self.full_time_workers * 10000 / self.residents, 1)

    @property
    def below_standard(self) -> bool:
        ratio = self.per_10k
        return self.applies and ratio is not None and ratio < self.standard


def _standard_for(community: Region, ancestors: dict[str, Region]) -> int:
    if community.staffing_standard:
        return community.staffing_standard
    for path in reversed(community.ancestor_paths()):
        node = ancestors.get(path)
        if node is not None and node.staffing_standard:
            return node.staffing_standard
    return settings.JICENG_STAFFING_STANDARD


def staffing_ratios(*, actor, region: Region) -> list[StaffingRatio]:
    """Per community under ``region`` (or the community itself). The standard (每万城镇常住人口
    不少于 N 名) applies to urban communities (社区), not villages (村). Three queries in all."""
    communities = list(
        restrict(Region.objects.all(), actor)
        .filter(path__startswith=region.path, level=RegionLevel.COMMUNITY)
        .order_by("path")
    )
    if not communities:
        return []
    ids = [c.pk for c in communities]
    workers = dict(
        restrict(GridWorker.objects.all(), actor)
        .filter(community_id__in=ids, active=True, kind=WorkerKind.FULL_TIME)
        .values_list("community_id").annotate(n=Count("id"))
    )
    residents_by_community: dict[int, int] = {}
    rows = (restrict(Resident.objects.all(), actor).filter(grid__path__startswith=region.path)
            .values("grid__path").annotate(n=Count("id")))
    by_path = {c.path: c.pk for c in communities}
    for row in rows:
        parts = row["grid__path"].split("/")
        community_path = "/".join(parts[: communities[0].depth + 2]) + "/"
        cid = by_path.get(community_path)
        if cid is not None:
            residents_by_community[cid] = residents_by_community.get(cid, 0) + row["n"]
    ancestor_paths = {p for c in communities for p in c.ancestor_paths()}
    ancestors = {r.path: r for r in Region.objects.filter(path__in=ancestor_paths)}
    return [
        StaffingRatio(
            community=c,
            full_time_workers=workers.get(c.pk, 0),
            residents=residents_by_community.get(c.pk, 0),
            standard=_standard_for(c, ancestors),
            applies=c.kind != RegionKind.VILLAGE,
        )
        for c in communities
    ]


def region_people_counts(*, actor, region: Region) -> dict[str, int]:
    """Residents, grid workers (by kind) in the region's subtree, within the actor's scope. The
    worker numbers are those of ``worker_filter(worker_visible(actor), region=region, active=True)``,
    the list each number links to."""
    residents = restrict(Resident.objects.all(), actor).filter(grid__path__startswith=region.path).count()
    # the same selector as the worker list these numbers link to (?region=…&active=1[&kind=…])
    workers = worker_filter(worker_visible(actor), region=region, active=True)
    by_kind = dict(workers.order_by().values_list("kind").annotate(n=Count("id")))
    return {
        "residents": residents,
        "workers": sum(by_kind.values()),
        "workers_full_time": by_kind.get(WorkerKind.FULL_TIME, 0),
        "workers_part_time": by_kind.get(WorkerKind.PART_TIME, 0),
        "workers_special": by_kind.get(WorkerKind.SPECIAL, 0),
    }


def department_visible(actor) -> QuerySet:
    """Departments serving the actor's area: those inside its scope and those of the regions above
    it (a community's staff work with their county's departments). Not personal data."""
    from jiceng.core.scope import scope_q

    from .models import Department

    q = scope_q(Department, actor)
    if q is None:
        return Department.objects.none()
    qs = Department.objects.select_related("region")
    if not q:  # the whole tree
        return qs
    above: set[str] = set()
    for path in actor.scope_paths(personal=False):
        parts = [p for p in path.split("/") if p]
        above.update("/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts)))
    if above:
        q |= Q(region__path__in=sorted(above))
    return qs.filter(q)
