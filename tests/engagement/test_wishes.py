"""微心愿: post → publish → claim → fulfil → thank; one claimant; lapsing claims; the public wall."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from jiceng.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from jiceng.engagement import services
from jiceng.engagement.choices import ClaimStatus, RegistrationKind, WishCategory, WishStatus
from jiceng.engagement.models import PointAccount, Wish, WishClaim
from jiceng.engagement.selectors import wish_stats_by_claimant, wish_stats_by_community, wish_wall, wishes

from .conftest import at


def published(eng, description="想要一台收音机", **kw) -> Wish:
    wish = services.wish_post(actor=eng.zhang, resident=eng.zhang, category=WishCategory.LIVING,
                              description=description, estimated_cost="80.50", **kw)
    return services.wish_review(actor=eng.county.alice, wish=wish, approve=True)


def test_a_wish_walked_from_post_to_thanks(eng):
    alice = eng.county.alice
    wish = services.wish_post(actor=eng.zhang, resident=eng.zhang, category=WishCategory.LIVING,
                              description="想要一台收音机", estimated_cost="80.50", photo="wishes/1.jpg", now=at(1))
    assert (wish.status, wish.community, wish.estimated_cost) == (WishStatus.SUBMITTED, eng.county.a, Decimal("80.50"))
    assert wish_wall(community=eng.county.a) == []  # not on the wall before review

    wish = services.wish_review(actor=alice, wish=wish, approve=True, now=at(2))
    assert wish.status == WishStatus.PUBLISHED

    claim = services.wish_claim(actor=eng.li, wish=wish, resident=eng.li, days=7, now=at(3))
    assert (claim.deadline, Wish.objects.get(pk=wish.pk).status) == (at(10), WishStatus.CLAIMED)

    with pytest.raises(ApplicationError) as exc:
        services.wish_fulfil(actor=eng.li, claim=claim, photo="", now=at(5))
    assert exc.value.field == "photo"
    claim = services.wish_fulfil(actor=eng.li, claim=claim, photo="wishes/1-done.jpg", now=at(5))
    assert claim.status == ClaimStatus.FULFILLED

    with pytest.raises(PermissionDeniedError):
        services.wish_thank(actor=eng.wang, wish=wish, message="谢谢")
    wish = services.wish_thank(actor=eng.zhang, wish=wish, message="谢谢李书记！", now=at(6))
    assert (wish.status, wish.thanks) == (WishStatus.THANKED, "谢谢李书记！")
    # 甲's wish.fulfilled rule: +20 to the claimant
    assert PointAccount.objects.get(resident=eng.li).balance == 20

    [row] = wish_wall(community=eng.county.a)
    assert (row["wisher"], row["claimant"], row["status"]) == ("张*", "李*", WishStatus.THANKED)
    assert not {"resident", "resident_id", "address", "phone"} & set(row)


def test_rejection_needs_a_reason_and_keeps_it_off_the_wall(eng):
    wish = services.wish_post(actor=eng.county.alice, resident=eng.zhang, category=WishCategory.OTHER,
                              description="想要一部新手机")
    with pytest.raises(ApplicationError) as exc:
        services.wish_review(actor=eng.county.alice, wish=wish, approve=False)
    assert exc.value.field == "reason"
    wish = services.wish_review(actor=eng.county.alice, wish=wish, approve=False, reason="超出微心愿范围")
    assert (wish.status, wish.reject_reason) == (WishStatus.REJECTED, "超出微心愿范围")
    assert wish_wall(community=eng.county.a) == []


def test_residents_post_only_their_own_and_staff_only_in_scope(eng):
    with pytest.raises(PermissionDeniedError):
        services.wish_post(actor=eng.wang, resident=eng.zhang, category=WishCategory.LIVING, description="x")
    with pytest.raises(PermissionDeniedError):
        services.wish_post(actor=eng.county.bob, resident=eng.zhang, category=WishCategory.LIVING, description="x")
    wish = services.wish_post(actor=eng.gridder, resident=eng.zhang, category=WishCategory.LIVING, description="x")
    with pytest.raises(PermissionDeniedError):  # a grid worker posts for residents; the community reviews
        services.wish_review(actor=eng.gridder, wish=wish, approve=True)
    with pytest.raises(ApplicationError) as exc:
        services.wish_post(actor=eng.zhang, resident=eng.zhang, category=WishCategory.LIVING, description="x",
                           estimated_cost="-1")
    assert exc.value.field == "estimated_cost"


def test_only_one_claimant_at_a_time(eng):
    wish = published(eng)
    services.wish_claim(actor=eng.li, wish=wish, resident=eng.li)
    with pytest.raises(ConflictError) as exc:
        services.wish_claim(actor=eng.county.alice, wish=wish, organisation=eng.unit)
    assert exc.value.field == "wish"
    assert WishClaim.objects.filter(wish=wish).count() == 1


def test_the_database_refuses_a_second_live_claim(eng):
    """Even a writer that skips the service's row lock cannot add a second live claim."""
    wish = published(eng)
    services.wish_claim(actor=eng.li, wish=wish, resident=eng.li)
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        WishClaim.objects.create(wish=wish, organisation=eng.unit, claimed_at=now, deadline=now + timedelta(days=1))


def test_a_withdrawn_claim_frees_the_wish_for_another(eng):
    wish = published(eng)
    claim = services.wish_claim(actor=eng.li, wish=wish, resident=eng.li)
    services.wish_claim_withdraw(actor=eng.li, claim=claim)
    services.wish_claim(actor=eng.county.alice, wish=wish, organisation=eng.unit)
    assert Wish.objects.get(pk=wish.pk).status == WishStatus.CLAIMED


def test_claimant_must_be_party_member_volunteer_or_registered(eng):
    wish = published(eng)
    with pytest.raises(ApplicationError) as exc:
        services.wish_claim(actor=eng.county.alice, wish=wish, resident=eng.zhao)
    assert exc.value.field == "resident"
    with pytest.raises(ApplicationError):  # not one's own wish
        services.wish_claim(actor=eng.county.alice, wish=wish, resident=eng.zhang)
    with pytest.raises(PermissionDeniedError):  # a resident claims in their own name only
        services.wish_claim(actor=eng.li, wish=wish, resident=eng.wang)
    services.registration_create(actor=eng.county.bob, community=eng.county.b, kind=RegistrationKind.VOLUNTEER,
                                 resident=eng.zhao)
    services.wish_claim(actor=eng.zhao, wish=wish, resident=eng.zhao)


def test_a_lapsed_claim_frees_the_wish(eng):
    wish = published(eng)
    with time_machine.travel(at(1), tick=False):
        claim = services.wish_claim(actor=eng.li, wish=wish, resident=eng.li, days=3)
    with time_machine.travel(at(4, 8, 59), tick=False):
        assert services.wish_claims_lapse() == 0
    with time_machine.travel(at(4, 9, 1), tick=False):
        with pytest.raises(ApplicationError) as exc:
            services.wish_fulfil(actor=eng.li, claim=claim, photo="late.jpg")
        assert exc.value.field == "deadline"
        assert services.wish_claims_lapse() == 1
        assert services.wish_claims_lapse() == 0
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.LAPSED
    assert Wish.objects.get(pk=wish.pk).status == WishStatus.PUBLISHED
    team = services.team_create(actor=eng.county.alice, community=eng.county.a, name="红骑先锋队")
    with time_machine.travel(at(5), tick=False):
        services.wish_claim(actor=eng.county.alice, wish=wish, team=team)
    assert Wish.objects.get(pk=wish.pk).status == WishStatus.CLAIMED


def test_a_unit_claimant_earns_on_its_own_account(eng):
    wish = published(eng)
    claim = services.wish_claim(actor=eng.county.alice, wish=wish, organisation=eng.unit)
    services.wish_fulfil(actor=eng.county.alice, claim=claim, photo="done.jpg")
    services.wish_thank(actor=eng.county.alice, wish=wish)  # a worker confirms for an elderly wisher
    assert PointAccount.objects.get(organisation=eng.unit).balance == 20


def test_statistics_per_community_and_per_claimant(eng):
    """Hand count in 甲: 4 posted, 1 rejected, 3 on the wall; 李四 fulfils 2 (1 thanked), 甲物业 holds 1.
    In 乙: 1 posted, still waiting for review."""
    alice = eng.county.alice
    w1, w2, w3 = published(eng, "收音机"), published(eng, "轮椅"), published(eng, "书包")
    rejected = services.wish_post(actor=eng.zhang, resident=eng.zhang, category=WishCategory.OTHER, description="车")
    services.wish_review(actor=alice, wish=rejected, approve=False, reason="不符合")
    services.wish_post(actor=eng.zhao, resident=eng.zhao, category=WishCategory.LIVING, description="台灯")
    for w in (w1, w2):
        c = services.wish_claim(actor=eng.li, wish=w, resident=eng.li)
        services.wish_fulfil(actor=eng.li, claim=c, photo="done.jpg")
    services.wish_thank(actor=eng.zhang, wish=w1)
    services.wish_claim(actor=alice, wish=w3, organisation=eng.unit)

    rows = {r["community__name"]: r for r in wish_stats_by_community(actor=eng.county.county_staff,
                                                                      region=eng.county.county)}
    a = rows["甲社区"]
    assert (a["posted"], a["published"], a["rejected"], a["claimed"], a["fulfilled"], a["thanked"]) == (4, 3, 1, 1, 2, 1)
    assert a["fulfilment_rate"] == pytest.approx(2 / 3)
    assert (rows["乙社区"]["posted"], rows["乙社区"]["fulfilment_rate"]) == (1, None)
    assert [r["community__name"] for r in wish_stats_by_community(actor=alice, region=eng.county.county)] == ["甲社区"]

    claimants = wish_stats_by_claimant(actor=alice, region=eng.county.a)
    assert [(c["name"], c["claims"], c["fulfilled"]) for c in claimants] == [("李四", 2, 2), ("甲物业", 1, 0)]
    assert wishes(actor=eng.county.bob, region=eng.county.a).count() == 0
