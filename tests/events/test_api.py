"""Events API: a case from the resident's report to the rating, through HTTP only; scope, the
workflow's refusals, the public endpoints' limits and the numbers that explain themselves."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from jiceng.events import services
from jiceng.events.models import Event
from tests.events.factories import IN_A1_1, OUTSIDE, PHONE, as_user

pytestmark = pytest.mark.usefixtures("fresh_limits")

API = "/api/events"


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def public_report(client=None, **extra):
    body = {"category": "SRHJ-LJDF", "description": "楼下垃圾堆了三天没人清理", "reporter_phone": PHONE,
            "reporter_name": "张三", **IN_A1_1, **extra}
    return post(client or Client(), f"{API}/public/cases", body)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_a_resident_report_goes_through_every_step_to_the_rating(world, clock, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    created = public_report()
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    assert created.json()["state"] == "pending" and len(number) == 15
    pk = int(number[8:])

    alice, wang = as_user(world.alice), as_user(world.wang)
    registered = post(alice, f"{API}/cases/{pk}/register", {"dispatch": True})
    assert registered.status_code == 200, registered.content
    assert registered.json()["state"] == "dispatched" and registered.json()["handler"] == world.c.a.name
    assert post(alice, f"{API}/cases/{pk}/sign").json()["state"] == "signed"
    assert post(alice, f"{API}/cases/{pk}/start").json()["state"] == "handling"

    photo = alice.post(f"{API}/cases/{pk}/photos", {"file": io.BytesIO(jpeg())}, format="multipart")
    assert photo.status_code == 201, photo.content
    url = photo.json()["url"]
    assert url.startswith("/files/")
    submitted = post(alice, f"{API}/cases/{pk}/submit", {"note": "已清理完毕", "photos": [url]})
    assert submitted.json()["state"] == "to_verify", submitted.content

    # the handler may not verify its own work; the grid worker may
    refused = post(alice, f"{API}/cases/{pk}/verify", {"passed": True})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    closed = post(wang, f"{API}/cases/{pk}/verify", {"passed": True, "note": "现场已清理"})
    assert closed.json()["state"] == "closed", closed.content

    token = services.rating_token(Event.objects.get(pk=pk))
    rated = post(Client(), f"{API}/public/rate", {"token": token, "rating": "satisfied"})
    assert rated.status_code == 200 and rated.json()["state"] == "rated"
    followed = post(Client(), f"{API}/public/follow", {"number": number, "phone": PHONE})
    assert followed.status_code == 200 and followed.json()["state_label"] == "已评价"
    tracked = post(Client(), f"{API}/public/track", {"token": created.json()["tracking_token"]})
    assert tracked.json()["state"] == "rated" and tracked.json()["rating_token"] == ""

    detail = alice.get(f"{API}/cases/{pk}").json()
    assert [s["action"] for s in detail["timeline"]] == [
        "report", "register", "dispatch", "sign", "start", "submit", "verify", "rate"]
    assert detail["timeline"][5]["photos"] == [url]


def test_other_communities_cannot_see_the_case_and_wrong_steps_are_refused(world, clock):
    pk = int(public_report().json()["number"][8:])
    assert as_user(world.bob).get(f"{API}/cases/{pk}").status_code == 404
    assert post(as_user(world.bob), f"{API}/cases/{pk}/register").status_code == 404
    assert as_user(world.bob).get(f"{API}/cases").json()["count"] == 0
    # not now: signing a case not yet dispatched
    early = post(as_user(world.alice), f"{API}/cases/{pk}/sign")
    assert early.status_code == 400 and early.json()["field"] == "state"
    # a reason is required to reject
    assert post(as_user(world.alice), f"{API}/cases/{pk}/reject", {"reason": ""}).status_code == 400
    rejected = post(as_user(world.alice), f"{API}/cases/{pk}/reject", {"reason": "不属于受理范围"})
    assert rejected.json()["state"] == "rejected"


def test_the_list_filters_by_state_region_and_overdue(world, clock):
    first = int(public_report().json()["number"][8:])
    public_report(reporter_phone="13900139000")
    post(as_user(world.alice), f"{API}/cases/{first}/register")
    alice = as_user(world.alice)
    assert alice.get(f"{API}/cases").json()["count"] == 2
    assert [c["id"] for c in alice.get(f"{API}/cases?state=registered").json()["items"]] == [first]
    assert alice.get(f"{API}/cases?region={world.c.a1_1.pk}").json()["count"] == 2
    assert alice.get(f"{API}/cases?overdue=true").json()["count"] == 0
    assert alice.get(f"{API}/cases?region={world.c.b.pk}").status_code == 404  # out of scope


def test_staff_intake_checks_the_channel(world, clock):
    body = {"channel": "patrol", "category": "SRHJ-LJDF", "description": "井盖缺失", **IN_A1_1}
    made = post(as_user(world.wang), f"{API}/cases", body)
    assert made.status_code == 201 and made.json()["channel"] == "patrol"
    assert post(as_user(world.alice), f"{API}/cases", body).status_code == 403
    assert post(Client(), f"{API}/cases", body).status_code == 401


def test_public_intake_rejects_the_honeypot_and_places_outside_the_county(world, clock):
    assert public_report(website="http://spam").status_code == 400
    outside = public_report(**OUTSIDE)
    assert outside.status_code == 400 and outside.json()["field"] == "location"
    assert Event.objects.count() == 0


def test_public_intake_is_rate_limited_per_phone(world, clock, settings):
    settings.JICENG_PUBLIC_RATE_PER_PHONE = 2
    assert public_report().status_code == 201
    assert public_report().status_code == 201
    third = public_report()
    assert third.status_code == 429 and third.json()["code"] == "rate_limited"
    assert public_report(reporter_phone="13900139000").status_code == 201


def test_public_intake_is_rate_limited_per_ip(world, clock, settings):
    settings.JICENG_PUBLIC_RATE_PER_IP = 1
    assert public_report().status_code == 201
    assert public_report(reporter_phone="13900139000").status_code == 429


def test_a_bad_rating_token_is_refused(world, clock):
    response = post(Client(), f"{API}/public/rate", {"token": "nonsense", "rating": "satisfied"})
    assert response.status_code in (400, 404)


def test_numbers_carry_numerator_denominator_and_the_cases_behind(world, clock):
    pk = int(public_report().json()["number"][8:])
    public_report(reporter_phone="13900139000")
    post(as_user(world.alice), f"{API}/cases/{pk}/register", {"dispatch": True})
    rows = as_user(world.alice).get(f"{API}/numbers?start=2025-03-01&end=2025-04-01")
    assert rows.status_code == 200, rows.content
    by_key = {r["key"]: r for r in rows.json()}
    assert by_key["registered"]["numerator"] == 1
    assert by_key["close_rate"]["numerator"] == 0 and by_key["close_rate"]["denominator"] == 1
    cases = as_user(world.alice).get(by_key["registered"]["cases"])
    assert [c["id"] for c in cases.json()["items"]] == [pk]
    assert as_user(world.alice).get(f"{API}/numbers/nope/cases?start=2025-03-01&end=2025-04-01").status_code == 404
