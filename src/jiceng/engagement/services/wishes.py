"""微心愿: post → review (publish / reject) → claim → fulfil → thank.

One claimant at a time: the wish row is locked while it is claimed, and a partial unique index on
live claims refuses a second one even if that lock were bypassed. A claim not fulfilled by its
deadline lapses (``wish_claims_lapse``) and the wish goes back on the wall.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from jiceng.people.models import Resident
from jiceng.regions.models import Organisation

from ..choices import ClaimStatus, RuleSource, WishCategory, WishStatus
from ..models import VolunteerTeam, Wish, WishClaim
from ._common import (
    actor_fields,
    audit,
    community_of,
    full_clean,
    is_resident,
    require_staff,
    require_staff_or_self,
)
from .points import points_award_for_source
from .volunteering import PARTY_STATUSES

DEFAULT_CLAIM_DAYS = 14
MAX_CLAIM_DAYS = 90


@transaction.atomic
def wish_post(*, actor, resident: Resident, category: str, description: str, estimated_cost=0,
              photo: str = "", now: datetime | None = None) -> Wish:
    """A resident posts on their own community's wall (or a worker posts for them)."""
    community = community_of(resident.grid)
    require_staff_or_self(actor, community, resident)
    if category not in WishCategory.values:
        raise ApplicationError(_("未知的心愿类别。"), field="category")
    description = (description or "").strip()
    if not description:
        raise ApplicationError(_("请填写心愿内容。"), field="description")
    try:
        cost = Decimal(str(estimated_cost))
    except InvalidOperation as exc:
        raise ApplicationError(_("预估金额须为数字。"), field="estimated_cost") from exc
    if not cost.is_finite() or cost < 0:
        raise ApplicationError(_("预估金额不能为负数。"), field="estimated_cost")
    wish = Wish(community=community, resident=resident, category=category, description=description,
                estimated_cost=cost, photo=(photo or "").strip(), created_at=now or timezone.now(),
                **actor_fields(actor))
    full_clean(wish)
    wish.save()
    audit(actor, "wish.post", wish, {"category": [None, category], "estimated_cost": [None, cost]})
    return wish


@transaction.atomic
def wish_review(*, actor, wish: Wish, approve: bool, reason: str = "", now: datetime | None = None) -> Wish:
    """The community (its staff, not a grid worker) publishes the wish on its wall, or rejects it with
    a reason the wisher sees."""
    require_staff(actor, wish.community, managers_only=True)
    wish = Wish.objects.select_for_update().get(pk=wish.pk)
    if wish.status != WishStatus.SUBMITTED:
        raise ConflictError(_("该心愿已审核。"), field="status")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ApplicationError(_("请填写未通过原因。"), field="reason")
    before = wish.status
    if approve:
        wish.status, wish.published_at = WishStatus.PUBLISHED, now or timezone.now()
    else:
        wish.status, wish.reject_reason = WishStatus.REJECTED, reason[:200]
    wish.save(update_fields=["status", "published_at", "reject_reason"])
    audit(actor, "wish.review", wish, {"status": [before, wish.status], "reason": [None, reason or None]})
    return wish


def _check_claimant(actor, wish: Wish, resident, organisation, team) -> None:
    if sum(x is not None for x in (resident, organisation, team)) != 1:
        raise ApplicationError(_("认领方须为一位党员/志愿者、一个单位或一支服务队。"), field="claimant")
    if is_resident(actor):
        if resident is None or resident.pk != actor.pk:
            raise PermissionDeniedError(_("居民只能以本人名义认领。"))
    else:
        require_staff(actor, wish.community)
    if resident is not None:
        if resident.pk == wish.resident_id:
            raise ApplicationError(_("不能认领自己的心愿。"), field="resident")
        if resident.political_status not in PARTY_STATUSES and not resident.is_volunteer \
                and not resident.registrations.filter(active=True).exists():
            raise ApplicationError(_("认领人须为党员、志愿者或已报到人员。"), field="resident")
    if team is not None and not team.active:
        raise ApplicationError(_("该服务队已停用。"), field="team")


@transaction.atomic
def wish_claim(*, actor, wish: Wish, resident: Resident | None = None, organisation: Organisation | None = None,
               team: VolunteerTeam | None = None, days: int = DEFAULT_CLAIM_DAYS,
               now: datetime | None = None) -> WishClaim:
    _check_claimant(actor, wish, resident, organisation, team)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 < days <= MAX_CLAIM_DAYS:
        raise ApplicationError(_("完成期限须为 1–%(max)s 天。") % {"max": MAX_CLAIM_DAYS}, field="days")
    wish = Wish.objects.select_for_update().get(pk=wish.pk)
    if wish.status == WishStatus.CLAIMED:
        raise ConflictError(_("该心愿已被认领。"), field="wish")
    if wish.status != WishStatus.PUBLISHED:
        raise ApplicationError(_("该心愿不在待认领状态。"), field="wish")
    now = now or timezone.now()
    claim = WishClaim(wish=wish, resident=resident, organisation=organisation, team=team, claimed_at=now,
                      deadline=now + timedelta(days=days), **actor_fields(actor))
    try:
        with transaction.atomic():
            claim.save(force_insert=True)
    except IntegrityError as exc:
        raise ConflictError(_("该心愿已被认领。"), field="wish") from exc
    wish.status = WishStatus.CLAIMED
    wish.save(update_fields=["status"])
    audit(actor, "wish.claim", claim, {"wish": [None, wish.pk], "claimant": [None, claim.claimant_name],
                                       "deadline": [None, claim.deadline]})
    return claim


def _lock_claim(claim: WishClaim) -> tuple[Wish, WishClaim]:
    """Lock order: the wish, then the claim."""
    wish = Wish.objects.select_for_update().get(pk=claim.wish_id)
    return wish, WishClaim.objects.select_for_update().get(pk=claim.pk)


def _require_claimant_or_staff(actor, claim: WishClaim) -> None:
    if is_resident(actor):
        if claim.resident_id != actor.pk:
            raise PermissionDeniedError(_("只有认领人本人可以操作。"))
        return
    require_staff(actor, claim.wish.community)


def _release(wish: Wish, claim: WishClaim, status: str, now: datetime) -> None:
    claim.status, claim.closed_at = status, now
    claim.save(update_fields=["status", "closed_at"])
    wish.status = WishStatus.PUBLISHED
    wish.save(update_fields=["status"])


@transaction.atomic
def wish_claim_withdraw(*, actor, claim: WishClaim, now: datetime | None = None) -> WishClaim:
    _require_claimant_or_staff(actor, claim)
    wish, claim = _lock_claim(claim)
    if claim.status != ClaimStatus.ACTIVE:
        raise ConflictError(_("该认领已结束。"), field="status")
    _release(wish, claim, ClaimStatus.WITHDRAWN, now or timezone.now())
    audit(actor, "wish.claim_withdraw", claim, {"status": [ClaimStatus.ACTIVE, ClaimStatus.WITHDRAWN]})
    return claim


@transaction.atomic
def wish_fulfil(*, actor, claim: WishClaim, photo: str, now: datetime | None = None) -> WishClaim:
    """The claimant (or a worker) reports the wish fulfilled, with a photo, before the deadline."""
    _require_claimant_or_staff(actor, claim)
    photo = (photo or "").strip()
    if not photo:
        raise ApplicationError(_("请上传完成照片。"), field="photo")
    wish, claim = _lock_claim(claim)
    now = now or timezone.now()
    if claim.status != ClaimStatus.ACTIVE:
        raise ConflictError(_("该认领已结束。"), field="status")
    if now > claim.deadline:
        raise ApplicationError(_("已超过完成期限。"), field="deadline")
    claim.status, claim.fulfilled_at, claim.fulfilment_photo = ClaimStatus.FULFILLED, now, photo
    claim.save(update_fields=["status", "fulfilled_at", "fulfilment_photo"])
    wish.status = WishStatus.FULFILLED
    wish.save(update_fields=["status"])
    audit(actor, "wish.fulfil", claim, {"status": [ClaimStatus.ACTIVE, ClaimStatus.FULFILLED], "photo": [None, photo]})
    return claim


@transaction.atomic
def wish_thank(*, actor, wish: Wish, message: str = "", now: datetime | None = None) -> Wish:
    """The wisher confirms and thanks. This is when a ``wish.fulfilled`` rule awards the claimant
    (a resident's or a unit's account; teams hold no account)."""
    require_staff_or_self(actor, wish.community, wish.resident)
    wish = Wish.objects.select_for_update().get(pk=wish.pk)
    if wish.status != WishStatus.FULFILLED:
        raise ApplicationError(_("心愿尚未实现。"), field="status")
    now = now or timezone.now()
    wish.status, wish.thanks, wish.thanked_at = WishStatus.THANKED, (message or "").strip()[:300], now
    wish.save(update_fields=["status", "thanks", "thanked_at"])
    claim = wish.claims.get(status=ClaimStatus.FULFILLED)
    entry = None
    if claim.resident_id or claim.organisation_id:
        entry = points_award_for_source(actor=actor, source=RuleSource.WISH_FULFILLED, source_type="wish",
                                        source_id=str(wish.pk), resident=claim.resident,
                                        organisation=claim.organisation, note="认领微心愿并完成", now=now)
    audit(actor, "wish.thank", wish, {"status": [WishStatus.FULFILLED, WishStatus.THANKED],
                                      "points_entry": [None, entry.pk if entry else None]})
    return wish


def wish_claims_lapse(*, now: datetime | None = None, actor=None) -> int:
    """Free wishes whose claim passed its deadline unfulfilled (run by the scheduler). One short
    transaction per claim; the state is re-checked under the lock."""
    now = now or timezone.now()
    ids = list(WishClaim.objects.filter(status=ClaimStatus.ACTIVE, deadline__lt=now).values_list("id", flat=True))
    lapsed = 0
    for claim_id in ids:
        with transaction.atomic():
            claim = WishClaim.objects.get(pk=claim_id)
            wish, claim = _lock_claim(claim)
            if claim.status != ClaimStatus.ACTIVE or claim.deadline >= now:
                continue
            _release(wish, claim, ClaimStatus.LAPSED, now)
            audit(actor, "wish.claim_lapse", claim, {"status": [ClaimStatus.ACTIVE, ClaimStatus.LAPSED]})
            lapsed += 1
    return lapsed
