"""Random earn / deduct / redeem / cancel / correct / expire sequences keep the ledger honest:
balance == SUM(entries) >= 0, the unspent credits add up to the balance, nothing past its validity
stays unspent after an expiry run, and stock >= 0 with stock + reserved == what was stocked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from jiceng.core.errors import ApplicationError
from jiceng.engagement import services
from jiceng.engagement.choices import EntryKind, RedemptionStatus
from jiceng.engagement.models import PointAccount, PointEntry, Redemption, ShopItem
from jiceng.engagement.selectors import points_ledger_sum

from .conftest import at

STOCK = 6

ops = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(0, 2)),
        st.tuples(st.just("deduct"), st.just(0)),
        st.tuples(st.just("redeem"), st.integers(1, 3)),
        st.tuples(st.just("cancel"), st.integers(0, 10)),
        st.tuples(st.just("correct"), st.integers(0, 20)),
        st.tuples(st.just("wait"), st.integers(1, 20)),
        st.tuples(st.just("expire"), st.just(0)),
    ),
    max_size=25,
)


class Rollback(Exception):
    pass


@pytest.fixture
def world(eng):
    alice = eng.county.alice
    rules = [
        services.point_rule_create(actor=alice, community=eng.county.a, code="d5", name="五天", points=6,
                                   expires_after_days=5),
        services.point_rule_create(actor=alice, community=eng.county.a, code="d12", name="十二天", points=4,
                                   expires_after_days=12),
        eng.r_volunteer,  # +10, never expires
    ]
    shop = services.shop_create(actor=alice, community=eng.county.a, name="超市")
    item = services.shop_item_create(actor=alice, shop=shop, name="香皂", price=3, stock=STOCK)
    return eng, rules, item


def check(account: PointAccount, item: ShopItem, now) -> None:
    account.refresh_from_db()
    item.refresh_from_db()
    assert account.balance == points_ledger_sum(account) >= 0
    assert sum(left for _credit, left in services.unspent_credits(account)) == account.balance
    reserved = sum(r.quantity for r in Redemption.objects.filter(item=item).exclude(status=RedemptionStatus.CANCELLED))
    assert item.stock >= 0 and item.stock + reserved == STOCK


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=ops)
def test_random_ledger_sequences(world, sequence):
    eng, rules, item = world
    alice = eng.county.alice
    try:
        with transaction.atomic():
            account = services.account_for(resident=eng.zhang)
            now = at(1)
            for op, arg in sequence:
                try:
                    if op == "earn":
                        services.points_award(actor=alice, rule=rules[arg], resident=eng.zhang, now=now)
                    elif op == "deduct":
                        services.points_award(actor=alice, rule=eng.r_litter, resident=eng.zhang, now=now)
                    elif op == "redeem":
                        services.redemption_create(actor=eng.zhang, account=account, item=item, quantity=arg, now=now)
                    elif op == "cancel":
                        open_ = list(Redemption.objects.filter(account=account, status=RedemptionStatus.RESERVED))
                        if open_:
                            services.redemption_cancel(actor=eng.zhang, redemption=open_[arg % len(open_)], now=now)
                    elif op == "correct":
                        candidates = list(PointEntry.objects.filter(
                            account=account, kind__in=[EntryKind.AWARD, EntryKind.DEDUCT]).order_by("id"))
                        if candidates:
                            services.points_correct(actor=alice, entry=candidates[arg % len(candidates)],
                                                    note="更正", now=now)
                    elif op == "wait":
                        now += timedelta(days=arg)
                    elif op == "expire":
                        if services.points_expire(now=now):
                            event("expire wrote entries")
                        assert all(left == 0 for credit, left in services.unspent_credits(account)
                                   if credit.expires_at is not None and credit.expires_at <= now)
                    event(f"{op} done")
                except ApplicationError:
                    event(f"{op} refused")  # refused as a whole: the invariants below must still hold
                check(account, item, now)
            raise Rollback
    except Rollback:
        pass
