"""Engagement API: staff within scope, residents for themselves, errors in the one shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from jiceng.engagement import selectors, services
from jiceng.engagement.choices import RegistrationKind
from jiceng.engagement.models import Signup
from jiceng.people.services import resident_account_create
from tests.factories import PASSWORD

API = "/api/engagement"


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def zhang_client(eng):
    user = resident_account_create(actor=eng.county.alice, resident=eng.zhang, username="zhang", password=PASSWORD)
    return as_user(user)


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_a_resident_posts_a_wish_staff_review_and_the_wall_masks_names(eng, zhang_client):
    created = post(zhang_client, f"{API}/wishes", {"category": "study", "description": "一个书包", "estimated_cost": 80})
    assert created.status_code == 201, created.content
    wish = created.json()
    assert wish["status"] == "submitted" and wish["community"]["id"] == eng.county.a.pk
    assert post(as_user(eng.county.bob), f"{API}/wishes/{wish['id']}/review", {"approve": True}).status_code == 404
    assert post(as_user(eng.gridder), f"{API}/wishes/{wish['id']}/review", {"approve": True}).status_code in (403, 404)
    reviewed = post(as_user(eng.county.alice), f"{API}/wishes/{wish['id']}/review", {"approve": True})
    assert reviewed.json()["status"] == "published"
    claim = post(as_user(eng.county.alice), f"{API}/wishes/{wish['id']}/claim", {"organisation": eng.unit.pk})
    assert claim.status_code == 201 and claim.json()["claimant"] == "甲物业"
    again = post(as_user(eng.county.alice), f"{API}/wishes/{wish['id']}/claim", {"resident": eng.li.pk})
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    wall = as_user(eng.county.bob).get(f"{API}/communities/{eng.county.a.pk}/wall").json()
    assert wall[0]["wisher"] == "张*" and "张三" not in str(wall)
    mine = zhang_client.get(f"{API}/wishes").json()
    assert mine["count"] == 1


def test_bad_input_is_400_with_the_field(eng):
    alice = as_user(eng.county.alice)
    body = post(alice, f"{API}/wishes", {"category": "nope", "description": "x"}).json()
    assert body["code"] == "invalid" and body["field"] == "category"
    body = post(alice, f"{API}/wishes", {"category": "living", "description": "x", "resident": eng.zhao.pk}).json()
    assert body["field"] == "resident"  # 赵六 is bob's
    body = post(alice, f"{API}/awards", {"rule": eng.r_sort.pk, "resident": eng.zhang.pk}).json()
    assert body["field"] == "evidence"
    assert post(alice, f"{API}/rules", {"community": eng.county.a.pk, "code": "x", "name": "零分",
                                        "points": True}).status_code == 400


def test_award_statement_and_correction(eng):
    alice = as_user(eng.county.alice)
    entry = post(alice, f"{API}/awards", {"rule": eng.r_sort.pk, "resident": eng.zhang.pk, "evidence": "a.jpg"})
    assert entry.status_code == 201 and entry.json()["amount"] == 5
    account = alice.get(f"{API}/accounts").json()["items"][0]
    assert account["balance"] == 5 and account["owner"] == "张三"
    statement = alice.get(f"{API}/accounts/{account['id']}/statement").json()
    assert statement["count"] == 1 and statement["items"][0]["rule"] == "垃圾分类"
    assert as_user(eng.county.bob).get(f"{API}/accounts/{account['id']}/statement").status_code == 404
    fixed = post(alice, f"{API}/entries/{entry.json()['id']}/correct", {"note": "记错人了"})
    assert fixed.status_code == 201 and fixed.json()["amount"] == -5
    assert selectors.points_ledger_mismatches() == []


def test_resident_sees_only_their_own_account(eng, zhang_client):
    services.points_award(actor=eng.county.alice, rule=eng.r_sort, resident=eng.wang, evidence="a.jpg")
    wang_account = services.account_for(resident=eng.wang)
    accounts = zhang_client.get(f"{API}/accounts").json()
    assert accounts["count"] == 1 and accounts["items"][0]["owner"] == "张三"
    assert zhang_client.get(f"{API}/accounts/{wang_account.pk}/statement").status_code == 404
    assert post(zhang_client, f"{API}/awards", {"rule": eng.r_sort.pk, "resident": eng.zhang.pk,
                                                "evidence": "x"}).status_code == 403


def test_shop_redemption_cancel_and_collect(eng, zhang_client):
    alice = as_user(eng.county.alice)
    shop = post(alice, f"{API}/shops", {"community": eng.county.a.pk, "name": "振兴超市"}).json()
    item = post(alice, f"{API}/shops/{shop['id']}/items", {"name": "洗衣粉", "price": 5, "stock": 1}).json()
    assert post(as_user(eng.county.bob), f"{API}/shops/{shop['id']}/items",
                {"name": "x", "price": 1}).status_code == 404
    short = post(zhang_client, f"{API}/redemptions", {"item": item["id"]})
    assert short.status_code == 400 and short.json()["field"] == "points"
    services.points_award(actor=eng.county.alice, rule=eng.r_sort, resident=eng.zhang, evidence="a.jpg")
    ok = post(zhang_client, f"{API}/redemptions", {"item": item["id"]})
    assert ok.status_code == 201 and ok.json()["points"] == 5
    assert post(zhang_client, f"{API}/redemptions/{ok.json()['id']}/collect").status_code == 403
    cancelled = post(zhang_client, f"{API}/redemptions/{ok.json()['id']}/cancel", {})
    assert cancelled.json()["status"] == "cancelled"
    again = post(zhang_client, f"{API}/redemptions", {"item": item["id"]}).json()
    assert post(alice, f"{API}/redemptions/{again['id']}/collect").json()["status"] == "collected"
    items = zhang_client.get(f"{API}/items", {"community": eng.county.a.pk}).json()
    assert items[0]["stock"] == 0


def test_activity_signup_check_in_out_and_rankings(eng, zhang_client):
    alice = as_user(eng.county.alice)
    now = timezone.now()
    activity = post(alice, f"{API}/activities", {
        "community": eng.county.a.pk, "title": "清扫楼道", "capacity": 2,
        "starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat()})
    assert activity.status_code == 201, activity.content
    aid = activity.json()["id"]
    refused = post(zhang_client, f"{API}/activities/{aid}/signups")
    assert refused.status_code == 400 and refused.json()["field"] == "registration"
    services.registration_create(actor=eng.zhang, community=eng.county.a, kind=RegistrationKind.VOLUNTEER,
                                 resident=eng.zhang)
    signup = post(zhang_client, f"{API}/activities/{aid}/signups")
    assert signup.status_code == 201
    sid = signup.json()["id"]
    assert post(zhang_client, f"{API}/signups/{sid}/check-in", {}).json()["field"] == "token"
    assert post(as_user(eng.county.bob), f"{API}/signups/{sid}/check-in", {}).status_code == 404
    assert post(alice, f"{API}/signups/{sid}/check-in", {}).json()["checked_in_at"]
    Signup.objects.filter(pk=sid).update(checked_in_at=now - timedelta(hours=1))
    token = services.activity_checkin_token(actor=eng.county.alice, activity=eng.county.a.activities.get())
    out = post(zhang_client, f"{API}/signups/{sid}/check-out", {"token": token}).json()
    assert out["minutes"] >= 59
    assert zhang_client.get(f"{API}/accounts").json()["items"][0]["balance"] == 10
    roster = alice.get(f"{API}/activities/{aid}/signups").json()
    assert roster[0]["volunteer"] == "张三"
    ranking = alice.get(f"{API}/rankings/volunteers", {"region": eng.county.a.pk}).json()
    assert ranking[0]["name"] == "张三" and ranking[0]["person_times"] == 1
    assert alice.get(f"{API}/rankings/units", {"region": eng.county.a.pk}).json() == []
    assert alice.get(f"{API}/rankings/volunteers", {"region": eng.county.b.pk}).status_code == 404


def test_anonymous_is_401(eng):
    assert Client().get(f"{API}/wishes").status_code == 401


def test_registrations_by_staff_and_by_the_resident(eng, zhang_client):
    alice = as_user(eng.county.alice)
    unit = post(alice, f"{API}/registrations", {"community": eng.county.a.pk, "kind": "unit",
                                                "organisation": eng.unit.pk})
    assert unit.status_code == 201 and unit.json()["registrant"] == "甲物业"
    again = post(alice, f"{API}/registrations", {"community": eng.county.a.pk, "kind": "unit",
                                                 "organisation": eng.unit.pk})
    assert again.status_code == 409
    assert post(zhang_client, f"{API}/registrations", {"community": eng.county.a.pk,
                                                       "kind": "party_member"}).status_code == 400  # 群众
    mine = post(zhang_client, f"{API}/registrations", {"community": eng.county.a.pk, "kind": "volunteer"})
    assert mine.status_code == 201 and mine.json()["registrant"] == "张三"
    assert zhang_client.get(f"{API}/registrations").json()["count"] == 1
    assert alice.get(f"{API}/registrations").json()["count"] == 2
    assert as_user(eng.county.bob).get(f"{API}/registrations").json()["count"] == 0


def test_times_outside_reason_are_400_not_500(eng):
    alice = as_user(eng.county.alice)
    body = post(alice, f"{API}/activities", {"community": eng.county.a.pk, "title": "x", "capacity": 1,
                                             "starts_at": "0001-01-01T00:00:00", "ends_at": "0001-01-01T01:00:00"})
    assert body.status_code == 400 and body.json()["field"] == "starts_at"
    assert alice.get(f"{API}/rankings/volunteers", {"region": eng.county.a.pk,
                                                    "since": "9999-12-31T23:59:59"}).status_code == 400
