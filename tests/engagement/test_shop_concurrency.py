"""50 residents' phones hitting 兑换 at once: no overspend, no oversell, ledger == balance.

Each thread has its own database connection (Django gives one per thread) and closes it at the end.
SQLite serialises writers by locking the whole file, so this test proves something only on PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from jiceng.core.errors import ApplicationError
from jiceng.engagement import services
from jiceng.engagement.choices import EntryKind, RegistrationKind, RuleSource, WishCategory
from jiceng.engagement.models import PointAccount, PointEntry, Redemption, Signup, WishClaim
from jiceng.engagement.selectors import points_ledger_mismatches
from jiceng.people.services import resident_create
from tests.factories import small_county

THREADS = 50

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
                       reason="needs PostgreSQL row locks"),
]


def _redeem_at_once(county, name: str, points: int, price: int, stock: int) -> tuple:
    alice = county.alice
    resident = resident_create(actor=alice, name=name, grid=county.a1_1)
    rule = services.point_rule_create(actor=alice, community=county.a, code=f"big{points}", name="大额奖励",
                                      points=points, source=RuleSource.MANUAL)
    services.points_award(actor=alice, rule=rule, resident=resident)
    shop = services.shop_create(actor=alice, community=county.a, name=f"振兴超市{points}")
    item = services.shop_item_create(actor=alice, shop=shop, name="大米", price=price, stock=stock)
    account = PointAccount.objects.get(resident=resident)

    outcomes = _at_once(lambda _i: services.redemption_create(actor=resident, account=account, item=item),
                        list(range(THREADS)))
    return outcomes, account, item


def test_concurrent_redemptions(transactional_db):
    """Two runs of 50 threads, one resident and one item each (one database flush for both)."""
    county = small_county()
    scenarios = [
        ("张三", 100, 7, 50, 14),  # the balance runs out first: 14 × 7 = 98
        ("李四", 1000, 3, 20, 20),  # the stock runs out first
    ]
    for name, points, price, stock, expected in scenarios:
        outcomes, account, item = _redeem_at_once(county, name, points, price, stock)
        account.refresh_from_db()
        item.refresh_from_db()
        assert len(outcomes) == THREADS
        assert outcomes.count("ok") == expected
        assert set(outcomes) <= {"ok", "points", "quantity"}
        assert Redemption.objects.filter(account=account).count() == expected
        assert item.stock == stock - expected >= 0
        assert account.balance == points - expected * price >= 0
        assert PointEntry.objects.filter(account=account, kind=EntryKind.REDEEM).count() == expected
    assert points_ledger_mismatches() == []


def _at_once(fn, args: list) -> list[str]:
    """Run fn(arg) for every arg in its own thread (own connection, closed at the end), all released
    together; return each call's outcome: "ok" or the refusing ApplicationError's field."""
    barrier = threading.Barrier(len(args))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(arg):
        try:
            barrier.wait()
            fn(arg)
            result = "ok"
        except ApplicationError as exc:
            result = exc.field or "error"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(arg,)) for arg in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


def test_fifty_residents_race_for_stock_places_and_a_wish(transactional_db):
    """50 residents, each able to pay, one item with 20 in stock: the item's row lock is what holds.
    Then the same 50 sign up at once for an activity with 7 places: the activity's lock holds. Then 49
    race to claim one wish: one claimant."""
    county = small_county()
    alice = county.alice
    rule = services.point_rule_create(actor=alice, community=county.a, code="big", name="大额奖励", points=50)
    shop = services.shop_create(actor=alice, community=county.a, name="振兴超市")
    item = services.shop_item_create(actor=alice, shop=shop, name="食用油", price=30, stock=20)
    accounts = []
    for i in range(THREADS):
        resident = resident_create(actor=alice, name=f"居民{i}", grid=county.a1_1)
        services.points_award(actor=alice, rule=rule, resident=resident)
        accounts.append(PointAccount.objects.get(resident=resident))

    outcomes = _at_once(lambda account: services.redemption_create(actor=account.resident, account=account,
                                                                   item=item), accounts)
    item.refresh_from_db()
    assert outcomes == ["ok"] * 20 + ["quantity"] * 30
    assert item.stock == 0
    assert Redemption.objects.filter(item=item).count() == 20
    assert sorted(PointAccount.objects.values_list("balance", flat=True)) == [20] * 20 + [50] * 30
    assert points_ledger_mismatches() == []

    start = timezone.now() + timedelta(days=1)
    act = services.activity_create(actor=alice, community=county.a, title="清扫", starts_at=start,
                                   ends_at=start + timedelta(hours=2), capacity=7)
    regs = [services.registration_create(actor=alice, community=county.a, kind=RegistrationKind.VOLUNTEER,
                                         resident=account.resident) for account in accounts]
    outcomes = _at_once(lambda reg: services.signup_create(actor=reg.resident, activity=act, registration=reg), regs)
    assert outcomes == ["capacity"] * 43 + ["ok"] * 7
    assert Signup.objects.filter(activity=act).count() == 7

    # and 49 of them (all registered volunteers) try to claim the 50th's wish at the same moment
    wisher = accounts[0].resident
    wish = services.wish_post(actor=wisher, resident=wisher, category=WishCategory.LIVING, description="助浴")
    services.wish_review(actor=alice, wish=wish, approve=True)
    outcomes = _at_once(lambda a: services.wish_claim(actor=a.resident, wish=wish, resident=a.resident),
                        accounts[1:])
    assert outcomes == ["ok"] + ["wish"] * 48
    assert WishClaim.objects.filter(wish=wish).count() == 1
