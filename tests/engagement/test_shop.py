"""积分超市: redeem, cancel, collect; nothing half-done on bad input."""

from __future__ import annotations

import pytest

from jiceng.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from jiceng.core.models import AuditLog
from jiceng.engagement import services
from jiceng.engagement.choices import EntryKind, RedemptionStatus
from jiceng.engagement.models import PointEntry, Redemption, ShopItem
from jiceng.engagement.selectors import points_ledger_mismatches, redemptions, shop_items


@pytest.fixture
def shop(eng):
    alice = eng.county.alice
    shop = services.shop_create(actor=alice, community=eng.county.a, name="甲社区振兴超市")
    soap = services.shop_item_create(actor=alice, shop=shop, name="肥皂", price=4, stock=2)
    rice = services.shop_item_create(actor=alice, shop=shop, name="大米", price=25, stock=10)
    for _ in range(2):  # 张三 has 20 points
        services.points_award(actor=alice, rule=eng.r_volunteer, resident=eng.zhang)
    return shop, soap, rice


def stock(item) -> int:
    return ShopItem.objects.get(pk=item.pk).stock


def test_a_resident_redeems_and_points_and_stock_move_together(eng, shop):
    _shop, soap, _rice = shop
    account = services.account_for(resident=eng.zhang)
    redemption = services.redemption_create(actor=eng.zhang, account=account, item=soap, quantity=2)
    account.refresh_from_db()
    assert (account.balance, stock(soap), redemption.points) == (12, 0, 8)
    assert redemption.entry.kind == EntryKind.REDEEM and redemption.entry.amount == -8
    assert AuditLog.objects.filter(action="shop.redeem", actor_name=f"居民#{eng.zhang.pk}").exists()


def test_redeeming_more_than_the_balance_is_refused_with_nothing_written(eng, shop):
    _shop, _soap, rice = shop
    account = services.account_for(resident=eng.zhang)
    with pytest.raises(ApplicationError) as exc:
        services.redemption_create(actor=eng.zhang, account=account, item=rice)
    assert exc.value.field == "points"
    account.refresh_from_db()
    assert (account.balance, stock(rice)) == (20, 10)
    assert not Redemption.objects.exists() and not PointEntry.objects.filter(kind=EntryKind.REDEEM).exists()


def test_an_item_out_of_stock_is_refused_with_nothing_written(eng, shop):
    _shop, soap, _rice = shop
    account = services.account_for(resident=eng.zhang)
    with pytest.raises(ApplicationError) as exc:
        services.redemption_create(actor=eng.zhang, account=account, item=soap, quantity=3)
    assert exc.value.field == "quantity"
    account.refresh_from_db()
    assert (account.balance, stock(soap)) == (20, 2)


def test_cancelling_gives_back_points_and_stock_once(eng, shop):
    _shop, soap, _rice = shop
    account = services.account_for(resident=eng.zhang)
    redemption = services.redemption_create(actor=eng.county.alice, account=account, item=soap)
    redemption = services.redemption_cancel(actor=eng.zhang, redemption=redemption)
    account.refresh_from_db()
    assert (redemption.status, account.balance, stock(soap)) == (RedemptionStatus.CANCELLED, 20, 2)
    assert redemption.cancel_entry.reverses_id == redemption.entry_id
    with pytest.raises(ConflictError):
        services.redemption_cancel(actor=eng.zhang, redemption=redemption)
    assert points_ledger_mismatches() == []


def test_a_collected_redemption_cannot_be_cancelled(eng, shop):
    _shop, soap, _rice = shop
    account = services.account_for(resident=eng.zhang)
    redemption = services.redemption_create(actor=eng.zhang, account=account, item=soap)
    with pytest.raises(PermissionDeniedError):
        services.redemption_collect(actor=eng.zhang, redemption=redemption)
    services.redemption_collect(actor=eng.county.alice, redemption=redemption)
    with pytest.raises(ConflictError):
        services.redemption_cancel(actor=eng.county.alice, redemption=redemption)


def test_a_resident_cannot_spend_another_residents_points(eng, shop):
    _shop, soap, _rice = shop
    account = services.account_for(resident=eng.zhang)
    with pytest.raises(PermissionDeniedError):
        services.redemption_create(actor=eng.wang, account=account, item=soap)
    with pytest.raises(PermissionDeniedError):
        services.redemption_create(actor=eng.county.bob, account=account, item=soap)


def test_only_the_own_communitys_shop(eng, shop):
    bob = eng.county.bob
    other = services.shop_create(actor=bob, community=eng.county.b, name="乙社区积分超市")
    towel = services.shop_item_create(actor=bob, shop=other, name="毛巾", price=1, stock=5)
    with pytest.raises(ApplicationError) as exc:
        services.redemption_create(actor=eng.zhang, account=services.account_for(resident=eng.zhang), item=towel)
    assert exc.value.field == "item"


def test_restock_and_selectors(eng, shop):
    _shop, soap, _rice = shop
    services.shop_item_restock(actor=eng.county.alice, item=soap, quantity=3)
    assert stock(soap) == 5
    assert [i.name for i in shop_items(community=eng.county.a)] == ["肥皂", "大米"]
    services.redemption_create(actor=eng.zhang, account=services.account_for(resident=eng.zhang), item=soap)
    assert redemptions(actor=eng.county.alice).count() == 1
    assert redemptions(actor=eng.county.bob).count() == 0
