"""The scheduled command, the audit chain after engagement writes, and fixed query counts per list."""

from __future__ import annotations

from io import StringIO

import time_machine
from django.core.management import call_command

from jiceng.core.audit import verify_chain
from jiceng.engagement import services
from jiceng.engagement.choices import ClaimStatus, RegistrationKind, WishCategory
from jiceng.engagement.models import PointEntry, WishClaim
from jiceng.engagement.selectors import unit_ranking, volunteer_ranking, wish_stats_by_claimant, wish_wall

from .conftest import at


def test_engagement_tick_expires_lapses_and_checks_the_ledger(eng):
    alice = eng.county.alice
    short = services.point_rule_create(actor=alice, community=eng.county.a, code="short", name="限时", points=4,
                                       expires_after_days=2)
    services.points_award(actor=alice, rule=short, resident=eng.zhang, now=at(1))
    wish = services.wish_post(actor=eng.zhang, resident=eng.zhang, category=WishCategory.LIVING, description="台灯")
    services.wish_review(actor=alice, wish=wish, approve=True)
    claim = services.wish_claim(actor=eng.li, wish=wish, resident=eng.li, days=1, now=at(1))
    out = StringIO()
    with time_machine.travel(at(5), tick=False):
        call_command("engagement_tick", stdout=out)
    assert "积分过期 1 笔；心愿认领超期释放 1 个。" in out.getvalue()
    assert "一致" in out.getvalue()
    assert PointEntry.objects.get(kind="expire").amount == -4
    assert WishClaim.objects.get(pk=claim.pk).status == ClaimStatus.LAPSED
    assert verify_chain() == []


def test_lists_take_a_fixed_number_of_queries(eng, django_assert_num_queries):
    alice = eng.county.alice
    team = services.team_create(actor=alice, community=eng.county.a, name="红骑先锋队")
    for i in range(3):
        wish = services.wish_post(actor=eng.zhang, resident=eng.zhang, category=WishCategory.LIVING,
                                  description=f"心愿{i}")
        services.wish_review(actor=alice, wish=wish, approve=True)
        if i == 0:
            services.wish_claim(actor=eng.li, wish=wish, resident=eng.li)
        if i == 1:
            services.wish_claim(actor=alice, wish=wish, team=team)
    act = services.activity_create(actor=alice, community=eng.county.a, title="清扫", starts_at=at(10, 9),
                                   ends_at=at(10, 12), capacity=5)
    for kind, who in ((RegistrationKind.PARTY_MEMBER, {"resident": eng.li}),
                      (RegistrationKind.HELPER, {"worker": eng.courier})):
        reg = services.registration_create(actor=alice, community=eng.county.a, kind=kind, **who)
        s = services.signup_create(actor=alice, activity=act, registration=reg, now=at(1))
        services.signup_check_in(actor=alice, signup=s, now=at(10, 9))
        services.signup_check_out(actor=alice, signup=s, now=at(10, 10))
    with django_assert_num_queries(2):
        wall = wish_wall(community=eng.county.a)
    assert sorted(r["claimant"] for r in wall) == ["", "李*", "红骑先锋队"]
    # restrict() asks for the actor's scope paths (no query for region staff), then one grouped query
    with django_assert_num_queries(1):
        assert len(volunteer_ranking(actor=alice, region=eng.county.a)) == 2
    with django_assert_num_queries(1):
        assert unit_ranking(actor=alice, region=eng.county.a) == []
    with django_assert_num_queries(1):
        assert len(wish_stats_by_claimant(actor=alice, region=eng.county.a)) == 2
