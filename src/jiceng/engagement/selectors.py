"""Every non-trivial read in engagement, narrowed to what the actor may see (``core.scope.restrict``).

Figures come with what they count: the statistics return numerators and denominators, the rankings the
minutes and person-times behind each place.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, CharField, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from jiceng.core.masking import mask_name
from jiceng.core.scope import restrict
from jiceng.people.models import Resident
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region

from .choices import ClaimStatus, RedemptionStatus, SignupStatus, WishStatus
from .models import PointAccount, PointEntry, PointRule, Redemption, Shop, ShopItem, Signup, Wish, WishClaim

WALL_STATUSES = (WishStatus.PUBLISHED, WishStatus.CLAIMED, WishStatus.FULFILLED, WishStatus.THANKED)


def community_name_of_grid(grid: str) -> Case:
    """The name of the community/village a grid lookup (``resident__grid``) lies in, inside the same query:
    a grid sits at most three levels (一级 to 三级网格) below its community, so the community is the grid itself
    or one of its first three ancestors; "" when there is none. Rankings name several teams and units called
    alike (红骑先锋队 in many communities) and tell them apart by it without a query per row."""
    whens = []
    for up in range(4):
        node = grid + "__parent" * up
        whens.append(When(**{f"{node}__level": RegionLevel.COMMUNITY}, then=F(f"{node}__name")))
    return Case(*whens, default=Value(""), output_field=CharField())


# --- points ------------------------------------------------------------------------------------------


def points_ledger_sum(account: PointAccount) -> int:
    return account.entries.aggregate(total=Coalesce(Sum("amount"), 0))["total"]


def points_ledger_mismatches() -> list[dict]:
    """Accounts whose cached balance differs from the sum of their ledger (should always be empty)."""
    rows = (PointAccount.objects.annotate(ledger=Coalesce(Sum("entries__amount"), 0))
            .exclude(balance=F("ledger")).values("id", "balance", "ledger"))
    return list(rows)


def point_accounts(*, actor, region: Region | None = None) -> QuerySet[PointAccount]:
    qs = PointAccount.objects.select_related("community", "resident", "organisation")
    if region is not None:
        qs = qs.filter(community__path__startswith=region.path)
    return restrict(qs, actor)


def point_statement(*, actor, account: PointAccount) -> QuerySet[PointEntry]:
    """An account's ledger, newest first, for an actor who may see it (a resident: their own)."""
    qs = PointEntry.objects.filter(account=account).select_related("rule", "actor_user").order_by("-id")
    if isinstance(actor, Resident):
        return qs if account.resident_id == actor.pk else qs.none()
    return restrict(qs, actor)


def point_rules(*, community: Region) -> QuerySet[PointRule]:
    """A community's charter is public to its residents."""
    return PointRule.objects.filter(community=community, active=True).order_by("-points", "code")


def shop_items(*, community: Region) -> QuerySet[ShopItem]:
    return (ShopItem.objects.filter(shop__community=community, shop__active=True, active=True)
            .select_related("shop").order_by("shop__name", "price"))


def redeem_blocker(*, item: ShopItem, balance: int) -> str:
    """Why a resident cannot redeem one of an item now ("" if they can), shown beside the greyed button."""
    if item.stock < 1:
        return _("库存不足")
    if item.price > balance:
        return _("积分不足，还差 %(n)s 分") % {"n": item.price - balance}
    return ""


def shop_overview(*, actor, region: Region | None = None) -> QuerySet[Shop]:
    """The shops of the actor's communities (optionally under one street or community), each with its
    number of items on the shelf (``n_items``) and of redemptions waiting to be collected (``n_pending``):
    a county has dozens of shops, so its page lists them in one table and opens each on its own page."""
    qs = for_staff(Shop.objects.select_related("community", "community__parent"), actor)
    if region is not None:
        qs = qs.filter(community__path__startswith=region.path)
    return qs.annotate(
        n_items=Count("items", filter=Q(items__active=True), distinct=True),
        n_pending=Count("items__redemptions", filter=Q(items__redemptions__status=RedemptionStatus.RESERVED),
                        distinct=True),
    ).order_by("community__path", "name", "id")


def pending_redemptions(*, actor, region: Region | None = None, shop: Shop | None = None) -> QuerySet[Redemption]:
    """Redemptions waiting to be handed over, oldest first (who has waited longest is served first)."""
    qs = for_staff(Redemption.objects.select_related(
        "item", "item__shop", "account__community", "account__resident", "account__organisation"),
        actor, "account__community").filter(status=RedemptionStatus.RESERVED)
    if region is not None:
        qs = qs.filter(account__community__path__startswith=region.path)
    if shop is not None:
        qs = qs.filter(item__shop=shop)
    return qs.order_by("created_at", "id")


def shop_filter_regions(*, actor) -> list[Region]:
    """The streets and communities a shops list can be narrowed to: the actor's communities and the
    streets above them, in tree order."""
    communities = list(staff_communities(actor=actor)[:1000])
    streets = Region.objects.filter(pk__in={c.parent_id for c in communities if c.parent_id})
    return sorted([*streets, *communities], key=lambda r: r.path)


def redemptions(*, actor, region: Region | None = None) -> QuerySet[Redemption]:
    qs = Redemption.objects.select_related("item", "item__shop", "account", "account__resident")
    if region is not None:
        qs = qs.filter(account__community__path__startswith=region.path)
    return restrict(qs, actor)


# --- wishes -------------------------------------------------------------------------------------------


def wishes(*, actor, region: Region | None = None, status: str | None = None) -> QuerySet[Wish]:
    qs = Wish.objects.select_related("community", "resident")
    if region is not None:
        qs = qs.filter(community__path__startswith=region.path)
    if status:
        qs = qs.filter(status=status)
    return restrict(qs, actor)


def _claimant_public_name(claim: WishClaim | None) -> str:
    if claim is None:
        return ""
    if claim.resident_id:
        return mask_name(claim.resident.name)
    return str(claim.organisation or claim.team)


def wish_wall(*, community: Region) -> list[dict]:
    """The public wall: no personal data beyond a masked name (no resident id, address, phone)."""
    rows = list(Wish.objects.filter(community=community, status__in=WALL_STATUSES)
                .select_related("resident").order_by("-published_at", "-id"))
    live = {c.wish_id: c for c in WishClaim.objects.filter(
        wish__in=rows, status__in=(ClaimStatus.ACTIVE, ClaimStatus.FULFILLED)).select_related(
        "resident", "organisation", "team")}
    return [
        {"id": w.id, "category": w.get_category_display(), "description": w.description,
         "estimated_cost": w.estimated_cost, "status": w.status, "status_label": w.get_status_display(),
         "wisher": mask_name(w.resident.name), "published_at": w.published_at,
         "claimant": _claimant_public_name(live.get(w.id)), "thanks": w.thanks}
        for w in rows
    ]


def wish_stats_by_community(*, actor, region: Region) -> list[dict]:
    """Per community: posted, on the wall, claimed now, fulfilled (incl. thanked), thanked; the
    fulfilment rate is fulfilled / published-ever."""
    qs = wishes(actor=actor, region=region).values("community_id", "community__name").annotate(
        posted=Count("id"),
        published=Count("id", filter=Q(status__in=WALL_STATUSES)),
        rejected=Count("id", filter=Q(status=WishStatus.REJECTED)),
        claimed=Count("id", filter=Q(status=WishStatus.CLAIMED)),
        fulfilled=Count("id", filter=Q(status__in=(WishStatus.FULFILLED, WishStatus.THANKED))),
        thanked=Count("id", filter=Q(status=WishStatus.THANKED)),
    ).order_by("community__path")
    out = []
    for row in qs:
        row["fulfilment_rate"] = (row["fulfilled"] / row["published"]) if row["published"] else None
        out.append(row)
    return out


def wish_stats_by_claimant(*, actor, region: Region) -> list[dict]:
    """Per claimant (resident, unit or team): claims, fulfilled, lapsed — most fulfilled first. Each with
    its community/village (``community``): a team's own, a unit's or a resident's that of their grid."""
    qs = restrict(WishClaim.objects.filter(wish__community__path__startswith=region.path), actor)
    rows = qs.annotate(
        resident_community=community_name_of_grid("resident__grid"),
        organisation_community=community_name_of_grid("organisation__grid"),
    ).values("resident_id", "resident__name", "resident_community", "organisation_id", "organisation__name",
             "organisation_community", "team_id", "team__name", "team__community__name").annotate(
        claims=Count("id"),
        fulfilled=Count("id", filter=Q(status=ClaimStatus.FULFILLED)),
        lapsed=Count("id", filter=Q(status=ClaimStatus.LAPSED)),
    )
    out = []
    for r in rows:
        if r["resident_id"]:
            kind, key, name, community = "resident", r["resident_id"], r["resident__name"], r["resident_community"]
        elif r["organisation_id"]:
            kind, key, name, community = ("organisation", r["organisation_id"], r["organisation__name"],
                                          r["organisation_community"])
        else:
            kind, key, name, community = "team", r["team_id"], r["team__name"], r["team__community__name"]
        out.append({"kind": kind, "id": key, "name": name, "community": community or "", "claims": r["claims"],
                    "fulfilled": r["fulfilled"], "lapsed": r["lapsed"]})
    out.sort(key=lambda r: (-r["fulfilled"], -r["claims"], r["kind"], r["id"]))
    return out


# --- volunteering ---------------------------------------------------------------------------------------


def _served(actor, region: Region, since: datetime | None, until: datetime | None) -> QuerySet[Signup]:
    """Sign-ups that were served: checked out, with the activity starting in [since, until)."""
    qs = Signup.objects.filter(activity__community__path__startswith=region.path, status=SignupStatus.SIGNED_UP,
                               checked_out_at__isnull=False)
    if since is not None:
        qs = qs.filter(activity__starts_at__gte=since)
    if until is not None:
        qs = qs.filter(activity__starts_at__lt=until)
    return restrict(qs, actor)


def volunteer_ranking(*, actor, region: Region, since: datetime | None = None, until: datetime | None = None,
                      limit: int = 20) -> list[dict]:
    """Volunteers (residents and 特聘 helpers) by hours served, then person-times; each with the
    community/village they registered with (names repeat across a county)."""
    rows = (_served(actor, region, since, until)
            .values("registration_id", "registration__kind", "registration__resident__name",
                    "registration__worker__name", "registration__community__name")
            .annotate(minutes=Sum("minutes"), person_times=Count("id"))
            .order_by("-minutes", "-person_times", "registration_id")[:limit])
    return [{"registration_id": r["registration_id"], "kind": r["registration__kind"],
             "name": r["registration__resident__name"] or r["registration__worker__name"],
             "community": r["registration__community__name"],
             "minutes": r["minutes"], "hours": round(r["minutes"] / 60, 1), "person_times": r["person_times"]}
            for r in rows]


def unit_ranking(*, actor, region: Region, since: datetime | None = None, until: datetime | None = None,
                 limit: int = 20) -> list[dict]:
    """双报到 units by the hours their people served in their name, then person-times; each with the
    community/village the unit lies in."""
    rows = (_served(actor, region, since, until).filter(organisation__isnull=False)
            .annotate(unit_community=community_name_of_grid("organisation__grid"))
            .values("organisation_id", "organisation__name", "unit_community")
            .annotate(minutes=Sum("minutes"), person_times=Count("id"),
                      people=Count("registration", distinct=True))
            .order_by("-minutes", "-person_times", "organisation_id")[:limit])
    return [{"organisation_id": r["organisation_id"], "name": r["organisation__name"],
             "community": r["unit_community"], "minutes": r["minutes"],
             "hours": round(r["minutes"] / 60, 1), "person_times": r["person_times"], "people": r["people"]}
            for r in rows]


def volunteer_totals(*, actor, region: Region, since: datetime | None = None,
                     until: datetime | None = None) -> dict:
    """The headline numbers: person-times, volunteers, hours (the 双报到 report counts 人次)."""
    agg = _served(actor, region, since, until).aggregate(
        person_times=Count("id"), people=Count("registration", distinct=True),
        minutes=Coalesce(Sum("minutes"), 0))
    return {**agg, "hours": round(agg["minutes"] / 60, 1)}


# --- for the pages and the API ---------------------------------------------------------------------


def resident_community(resident: Resident) -> Region:
    """The community whose wall, shops and activities a resident uses (that of their grid)."""
    from .services._common import community_of

    return community_of(resident.grid)


def with_signed_up(qs: QuerySet) -> QuerySet:
    """Activities with the number of live sign-ups (``n_signed_up``), in the same query."""
    return qs.annotate(n_signed_up=Count("signups", filter=Q(signups__status=SignupStatus.SIGNED_UP)))


def activity_signed_up(activity) -> int:
    if hasattr(activity, "n_signed_up"):
        return activity.n_signed_up
    return activity.signups.filter(status=SignupStatus.SIGNED_UP).count()


def resident_signups(*, resident: Resident) -> QuerySet[Signup]:
    """A resident's own sign-ups, newest activity first, with the hours served."""
    return (Signup.objects.filter(registration__resident=resident).select_related("activity", "points_entry")
            .order_by("-activity__starts_at", "-id"))


def staff_communities(*, actor) -> QuerySet[Region]:
    """The communities a staff account acts in (``services._common.staff_covers``): those under a region
    staff's node, or those that contain a grid worker's grids."""
    from jiceng.regions.choices import RegionLevel

    from .services._common import is_staff

    qs = Region.objects.filter(level=RegionLevel.COMMUNITY)
    if not is_staff(actor):
        return qs.none()
    paths = actor.scope_paths(personal=True)
    if "/" in paths:
        return qs
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(path__startswith=path)
        q |= Q(path__in=Region(path=path).ancestor_paths())
    return qs.filter(q).order_by("path")


def checkin_token_activity(token: str) -> int | None:
    """The activity a (fresh, valid) check-in token names, or None: the check-in page shows which
    activity a scanned code is for; the service checks the token again when it writes."""
    from django.core import signing

    from .services.volunteering import CHECKIN_SALT, CHECKIN_TOKEN_MAX_AGE

    try:
        data = signing.loads(token, salt=CHECKIN_SALT, max_age=CHECKIN_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    activity = data.get("a") if isinstance(data, dict) else None
    return activity if isinstance(activity, int) else None


def for_staff(qs: QuerySet, actor, community_lookup: str = "community") -> QuerySet:
    """Records of the communities a staff account acts in. Unlike ``restrict`` this lets a grid worker
    see their community's activities, wishes and shops (stored per community, not per grid), as the
    services let them act there."""
    return qs.filter(**{f"{community_lookup}__in": staff_communities(actor=actor)})


def staff_get(qs: QuerySet, actor, pk: int, community_lookup: str = "community"):
    """One record for a staff page; out of the actor's communities is indistinguishable from missing."""
    from jiceng.core.errors import NotFoundError

    obj = for_staff(qs, actor, community_lookup).filter(pk=pk).first()
    if obj is None:
        raise NotFoundError(_("未找到该记录，或您无权查看。"))
    return obj
