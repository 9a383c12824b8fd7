"""Points cases found by the hypothesis test and kept as plain examples."""

from __future__ import annotations

from datetime import timedelta

from jiceng.engagement import services
from jiceng.engagement.selectors import points_ledger_mismatches
from tests.engagement.conftest import at


def test_points_returned_by_a_cancellation_after_expiry_expire_too(eng):
    """earn 6 (valid 5 days), redeem 4, wait 5 days, expire (2 expire), cancel the redemption (4 come back
    on the expired award), expire again: those 4 expire too, and a third run writes nothing."""
    alice = eng.county.alice
    rule = services.point_rule_create(actor=alice, community=eng.county.a, code="five", name="五天", points=6,
                                      expires_after_days=5)
    shop = services.shop_create(actor=alice, community=eng.county.a, name="超市")
    item = services.shop_item_create(actor=alice, shop=shop, name="香皂", price=4, stock=5)
    services.points_award(actor=alice, rule=rule, resident=eng.zhang, now=at(1))
    account = services.account_for(resident=eng.zhang)
    redemption = services.redemption_create(actor=eng.zhang, account=account, item=item, now=at(1))
    later = at(1) + timedelta(days=5)
    assert services.points_expire(now=later) == 1
    services.redemption_cancel(actor=eng.zhang, redemption=redemption, now=later)
    assert services.points_expire(now=later) == 1
    account.refresh_from_db()
    assert account.balance == 0
    assert all(left == 0 for _, left in services.unspent_credits(account))
    assert services.points_expire(now=later) == 0
    assert points_ledger_mismatches() == []
