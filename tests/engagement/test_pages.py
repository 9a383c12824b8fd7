"""Engagement pages: the resident's phone pages, the staff pages, the public wall.

Named users: 张三 (resident of 甲社区, with a login), alice (甲社区's staff, may), bob (乙社区's staff,
must see nothing of 甲), the grid worker of 甲 (may check in, may not review wishes).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jiceng.engagement import selectors, services
from jiceng.engagement.choices import RegistrationKind, WishStatus
from jiceng.engagement.models import Redemption, Signup, Wish
from jiceng.people.services import resident_account_create
from tests.factories import PASSWORD


@pytest.fixture
def zhang_user(eng):
    return resident_account_create(actor=eng.county.alice, resident=eng.zhang, username="zhang", password=PASSWORD)


@pytest.fixture
def shop(eng):
    s = services.shop_create(actor=eng.county.alice, community=eng.county.a, name="振兴超市")
    return services.shop_item_create(actor=eng.county.alice, shop=s, name="洗衣粉", price=10, stock=3)


def _give(eng, resident, n: int = 1):
    """Award 垃圾分类 (+5, needs evidence) n times."""
    for _ in range(n):
        services.points_award(actor=eng.county.alice, rule=eng.r_sort, resident=resident, evidence="photo/1.jpg")


# --- resident ------------------------------------------------------------------------------------


def test_the_resident_sees_their_balance_wishes_and_the_rules(eng, zhang_user, login):
    _give(eng, eng.zhang, 2)
    client = login(zhang_user)
    page = client.get(reverse("engagement-me")).content.decode()
    assert 'id="balance">10<' in page and "张三" in page
    page = client.get(reverse("engagement-me-points")).content.decode()
    assert "垃圾分类" in page and "+5" in page and "乱扔垃圾" in page


def test_a_resident_posts_a_wish_and_bad_input_shows_the_error(eng, zhang_user, login):
    client = login(zhang_user)
    bad = client.post(reverse("engagement-me-wish-new"), {"category": "living", "description": "", "estimated_cost": "-1"})
    assert bad.status_code == 400 and "field-error" in bad.content.decode()
    assert not Wish.objects.exists()
    ok = client.post(reverse("engagement-me-wish-new"), {"category": "study", "description": "一个书包",
                                                         "estimated_cost": "80"})
    assert ok.status_code == 302
    wish = Wish.objects.get()
    assert wish.resident == eng.zhang and wish.community == eng.county.a and wish.status == WishStatus.SUBMITTED


def test_a_resident_redeems_and_a_short_balance_is_refused(eng, zhang_user, shop, login):
    client = login(zhang_user)
    client.post(reverse("engagement-me-redeem", args=[shop.pk]), {"quantity": 1})
    assert not Redemption.objects.exists()  # balance 0
    _give(eng, eng.zhang, 3)
    client.post(reverse("engagement-me-redeem", args=[shop.pk]), {"quantity": 1})
    redemption = Redemption.objects.get()
    assert redemption.points == 10
    eng.zhang.point_account.refresh_from_db()
    assert eng.zhang.point_account.balance == 5
    assert selectors.points_ledger_mismatches() == []


def test_a_resident_registers_signs_up_and_checks_in_with_the_qr_token(eng, zhang_user, login):
    now = timezone.now()
    activity = services.activity_create(actor=eng.county.alice, community=eng.county.a, title="清扫楼道",
                                        starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(hours=2),
                                        capacity=5)
    client = login(zhang_user)
    client.post(reverse("engagement-me-register"))
    client.post(reverse("engagement-me-signup", args=[activity.pk]))
    signup = Signup.objects.get()
    token = services.activity_checkin_token(actor=eng.county.alice, activity=activity)
    page = client.get(reverse("engagement-me-checkin"), {"token": token}).content.decode()
    assert "清扫楼道" in page
    client.post(reverse("engagement-me-checkin"), {"token": token})
    signup.refresh_from_db()
    assert signup.checked_in_at is not None
    bad = client.post(reverse("engagement-me-checkin"), {"token": "forged"})
    assert bad.status_code == 400


def test_staff_pages_refuse_a_resident_and_resident_pages_refuse_staff(eng, zhang_user, login):
    client = login(zhang_user)
    assert client.get(reverse("engagement-staff-wishes")).status_code == 403
    client = login(eng.county.alice)
    assert client.get(reverse("engagement-me")).status_code == 403


def test_anonymous_users_are_sent_to_log_in(eng, client):
    assert client.get(reverse("engagement-me")).status_code == 302
    assert client.get(reverse("engagement-staff")).status_code == 302


# --- staff ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["engagement-staff", "engagement-staff-wishes", "engagement-staff-accounts",
                                  "engagement-staff-shops", "engagement-staff-activities",
                                  "engagement-staff-rankings", "engagement-staff-award"])
def test_staff_pages_render(eng, login, name):
    assert login(eng.county.alice).get(reverse(name)).status_code == 200


def test_alice_reviews_a_wish_bob_gets_404(eng, login):
    wish = services.wish_post(actor=eng.county.alice, resident=eng.zhang, category="living", description="米面油")
    assert login(eng.county.bob).post(reverse("engagement-staff-wish-review", args=[wish.pk]),
                                      {"approve": "1"}).status_code == 404
    page = login(eng.county.alice).get(reverse("engagement-staff-wishes"), {"status": "submitted"}).content.decode()
    assert "米面油" in page
    login(eng.county.alice).post(reverse("engagement-staff-wish-review", args=[wish.pk]), {"approve": "1"})
    wish.refresh_from_db()
    assert wish.status == WishStatus.PUBLISHED


def test_a_grid_worker_may_not_review(eng, login):
    wish = services.wish_post(actor=eng.county.alice, resident=eng.zhang, category="living", description="米面油")
    assert login(eng.gridder).post(reverse("engagement-staff-wish-review", args=[wish.pk]),
                                   {"approve": "1"}).status_code == 403


def test_awarding_without_required_evidence_shows_the_error(eng, login):
    client = login(eng.county.alice)
    bad = client.post(reverse("engagement-staff-award"), {"rule": eng.r_sort.pk, "resident": eng.zhang.pk})
    assert bad.status_code == 400 and "佐证" in bad.content.decode()
    out_of_scope = client.post(reverse("engagement-staff-award"), {"rule": eng.r_sort.pk, "resident": eng.zhao.pk,
                                                                   "evidence": "x.jpg"})
    assert out_of_scope.status_code == 400
    ok = client.post(reverse("engagement-staff-award"), {"rule": eng.r_sort.pk, "resident": eng.zhang.pk,
                                                         "evidence": "x.jpg"})
    assert ok.status_code == 302
    assert client.get(ok["Location"]).status_code == 200
    assert login(eng.county.bob).get(ok["Location"]).status_code == 404


def test_staff_create_an_activity_check_in_and_out_and_see_the_points(eng, login):
    client = login(eng.county.alice)
    now = timezone.localtime()
    bad = client.post(reverse("engagement-staff-activities"), {
        "community": eng.county.a.pk, "title": "义诊", "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "capacity": 3})
    assert bad.status_code == 400 and "结束时间" in bad.content.decode()
    ok = client.post(reverse("engagement-staff-activities"), {
        "community": eng.county.a.pk, "title": "义诊", "starts_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "capacity": 3})
    assert ok.status_code == 302
    activity = eng.county.a.activities.get()
    reg = services.registration_create(actor=eng.county.alice, community=eng.county.a,
                                       kind=RegistrationKind.VOLUNTEER, resident=eng.wang)
    signup = services.signup_create(actor=eng.county.alice, activity=activity, registration=reg)
    assert login(eng.county.bob).get(reverse("engagement-staff-activity", args=[activity.pk])).status_code == 404
    client = login(eng.county.alice)
    client.post(reverse("engagement-staff-signup", args=[signup.pk, "check-in"]))
    signup.refresh_from_db()
    assert signup.checked_in_at is not None
    Signup.objects.filter(pk=signup.pk).update(checked_in_at=activity.starts_at)  # as if an hour ago
    client.post(reverse("engagement-staff-signup", args=[signup.pk, "check-out"]))
    signup.refresh_from_db()
    assert signup.checked_out_at is not None and signup.points_entry.amount == 10
    qr = client.get(reverse("engagement-staff-activity-qr", args=[activity.pk])).content.decode()
    assert 'src="data:image/svg+xml' in qr and "<script" not in qr.split("</footer>")[0]
    assert login(eng.county.bob).get(reverse("engagement-staff-activity-qr", args=[activity.pk])).status_code == 404


def test_staff_shop_restock_and_collect(eng, shop, login):
    _give(eng, eng.zhang, 2)
    account = services.account_for(resident=eng.zhang)
    r = services.redemption_create(actor=eng.county.alice, account=account, item=shop)
    client = login(eng.county.alice)
    assert "洗衣粉" in client.get(reverse("engagement-staff-shops")).content.decode()
    client.post(reverse("engagement-staff-item-restock", args=[shop.pk]), {"quantity": 5})
    shop.refresh_from_db()
    assert shop.stock == 7
    assert login(eng.county.bob).post(reverse("engagement-staff-redemption", args=[r.pk, "collect"])).status_code == 404
    login(eng.county.alice).post(reverse("engagement-staff-redemption", args=[r.pk, "collect"]))
    r.refresh_from_db()
    assert r.status == "collected"


# --- public wall ---------------------------------------------------------------------------------


def test_the_public_wall_needs_no_login_and_shows_only_masked_names(eng, client):
    eng.zhang.phone = "13800138000"
    eng.zhang.save()
    wish = services.wish_post(actor=eng.county.alice, resident=eng.zhang, category="study", description="一个书包")
    services.wish_review(actor=eng.county.alice, wish=wish, approve=True)
    services.wish_claim(actor=eng.county.alice, wish=wish, resident=eng.li)
    hidden = services.wish_post(actor=eng.county.alice, resident=eng.wang, category="living", description="未审核的")
    page = client.get(reverse("engagement-wall", args=[eng.county.a.pk])).content.decode()
    assert "一个书包" in page and "张*" in page and "李*" in page
    assert "张三" not in page and "李四" not in page and hidden.description not in page
    assert "13800138000" not in page and "/people/residents/" not in page and "甲一网格" not in page
    assert client.get(reverse("engagement-wall", args=[eng.county.a1.pk])).status_code == 404


def test_a_grid_worker_checks_volunteers_in_at_their_community(eng, login):
    now = timezone.now()
    activity = services.activity_create(actor=eng.county.alice, community=eng.county.a, title="巡河",
                                        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1),
                                        capacity=3)
    reg = services.registration_create(actor=eng.county.alice, community=eng.county.a,
                                       kind=RegistrationKind.VOLUNTEER, resident=eng.wang)
    signup = services.signup_create(actor=eng.county.alice, activity=activity, registration=reg)
    client = login(eng.gridder)
    assert "巡河" in client.get(reverse("engagement-staff-activities")).content.decode()
    assert client.get(reverse("engagement-staff-activity", args=[activity.pk])).status_code == 200
    client.post(reverse("engagement-staff-signup", args=[signup.pk, "check-in"]))
    signup.refresh_from_db()
    assert signup.checked_in_at is not None
    assert client.post(reverse("engagement-staff-signup", args=[signup.pk, "bogus"])).status_code == 404
