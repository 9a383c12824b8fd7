"""Following a case without a login, without letting anyone enumerate case numbers: a signed,
single-purpose, expiring tracking link, or the number together with the phone given when
reporting. A number alone opens nothing; a wrong phone reads exactly like an unknown number."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core import signing
from django.db import connection
from django.test import Client

from jiceng.core.errors import ApplicationError, NotFoundError
from jiceng.events import services
from jiceng.events.models import Event
from jiceng.events.tracking import (
    TRACKING_SALT,
    event_by_number_and_phone,
    event_by_tracking_token,
    tracking_token,
)
from tests.events.factories import PHONE, report, to_closed

pytestmark = pytest.mark.usefixtures("fresh_limits")

API = "/api/events"
OTHER_PHONE = "13900139000"


def post(url, body):
    return Client().post(url, body, content_type="application/json")


def track_url(token: str) -> str:
    return "/events/track/?" + urlencode({"t": token})


def test_the_number_alone_opens_nothing(world, clock):
    ev = report(world)
    assert post(f"{API}/public/follow", {"number": ev.number}).status_code == 400  # the phone is required
    page = Client().post("/events/follow/", {"number": ev.number})
    assert page.status_code == 400 and "待受理" not in page.content.decode()
    # the old GET by number is gone
    assert Client().get(f"{API}/public/cases/{ev.number}").status_code in (404, 405)
    assert ev.title not in Client().get(f"/events/follow/?number={ev.number}").content.decode()


def test_a_wrong_phone_reads_exactly_like_an_unknown_number(world, clock):
    ev = report(world)
    wrong = post(f"{API}/public/follow", {"number": ev.number, "phone": OTHER_PHONE})
    unknown = post(f"{API}/public/follow", {"number": "20250303" + "9" * 7, "phone": PHONE})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    right = post(f"{API}/public/follow", {"number": ev.number, "phone": " 138 0013 8000 "})
    assert right.status_code == 200 and right.json()["number"] == ev.number


def test_a_supporter_follows_with_their_phone_but_is_not_offered_the_rating(world, clock):
    ev = report(world)
    services.event_join(event=ev, name="李四", phone=OTHER_PHONE)
    to_closed(world, ev)
    supporter = post(f"{API}/public/follow", {"number": ev.number, "phone": OTHER_PHONE}).json()
    reporter = post(f"{API}/public/follow", {"number": ev.number, "phone": PHONE}).json()
    assert supporter["state"] == reporter["state"] == "closed"
    assert supporter["rating_token"] == ""
    assert reporter["rating_token"] == services.rating_token(Event.objects.get(pk=ev.pk))
    # the offered token rates the case
    rated = post(f"{API}/public/rate", {"token": reporter["rating_token"], "rating": "satisfied"})
    assert rated.status_code == 200 and rated.json()["state"] == "rated"
    again = post(f"{API}/public/follow", {"number": ev.number, "phone": PHONE}).json()
    assert again["state"] == "rated" and again["rating_token"] == ""


def test_the_report_answer_carries_a_tracking_link_that_works(world, clock):
    from tests.events.factories import IN_A1_1

    made = post(f"{API}/public/cases", {"category": "SRHJ-LJDF", "description": "路灯不亮", "reporter_phone": PHONE,
                                        **IN_A1_1})
    assert made.status_code == 201
    body = made.json()
    assert body["tracking_url"] == track_url(body["tracking_token"])
    tracked = post(f"{API}/public/track", {"token": body["tracking_token"]})
    assert tracked.status_code == 200 and tracked.json()["number"] == body["number"]
    page = Client().get(body["tracking_url"])
    assert page.status_code == 200 and body["number"] in page.content.decode()


def test_a_tampered_or_foreign_token_is_refused(world, clock):
    ev, other = report(world), report(world, description="另一处垃圾")
    token = tracking_token(ev)
    forged = token.replace(f"{ev.pk}:", f"{other.pk}:", 1)
    for bad in (forged, token[:-2] + "xx", "", services.rating_token(to_closed(world, other))):
        answer = post(f"{API}/public/track", {"token": bad or "x"})
        assert answer.status_code == 400 and answer.json()["field"] == "token", bad
        page = Client().get(track_url(bad))
        assert page.status_code == 400 and 'id="ev-status"' not in page.content.decode()
    # and a tracking token is no rating token (its own salt)
    assert post(f"{API}/public/rate", {"token": tracking_token(other), "rating": "satisfied"}).status_code == 400


def test_the_tracking_link_expires(world, clock, settings):
    settings.JICENG_EVENT_TRACKING_DAYS = 365
    ev = report(world)
    token = tracking_token(ev)
    clock.shift(timedelta(days=364))
    assert event_by_tracking_token(token) == (ev, True)
    clock.shift(timedelta(days=2))
    with pytest.raises(ApplicationError, match="已过期"):
        event_by_tracking_token(token)
    page = Client().get(track_url(token))
    assert page.status_code == 400 and "已过期" in page.content.decode()


def test_a_token_signed_with_another_salt_is_refused(world, clock):
    ev = report(world)
    foreign = signing.TimestampSigner(salt="something.else").sign(str(ev.pk))
    with pytest.raises(ApplicationError):
        event_by_tracking_token(foreign)
    assert signing.TimestampSigner(salt=TRACKING_SALT).unsign(tracking_token(ev)) == str(ev.pk)


def test_numbers_beyond_seven_digit_ids_still_work(world, clock):
    """A province files more than 9,999,999 cases: the number grows a digit and stays followable."""
    report(world)
    big = 12_345_678
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT setval(pg_get_serial_sequence('events_event', 'id'), %s)", [big - 1])
        else:
            cur.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = 'events_event'", [big - 1])
    ev = report(world, description="另一处垃圾")
    assert ev.pk == big
    assert len(ev.number) == 16
    found, is_reporter = event_by_number_and_phone(ev.number, PHONE)
    assert found.pk == big and is_reporter
    assert post(f"{API}/public/follow", {"number": ev.number, "phone": PHONE}).status_code == 200
    with pytest.raises(NotFoundError):
        event_by_number_and_phone(ev.number[:-1], PHONE)


# --- "me too" from the report page ---------------------------------------------------------------


def test_the_report_page_offers_open_cases_nearby_without_their_text(world, clock):
    from tests.events.factories import IN_A1_1, IN_B1

    ev = report(world, description="3号楼下垃圾堆了三天，张三家门口")
    page = Client().get("/events/report/").content.decode()
    assert 'hx-get="/events/report/nearby/"' in page
    near = Client().get("/events/report/nearby/", {"category": "SRHJ-LJDF", **IN_A1_1}).content.decode()
    assert ev.number in near and "我也遇到" in near
    assert "张三" not in near and "3号楼" not in near  # the category, state, time and distance only
    assert ev.number not in Client().get("/events/report/nearby/", {"category": "SRHJ-LJDF", **IN_B1}).content.decode()
    assert Client().get("/events/report/nearby/", {"category": "NOPE", **IN_A1_1}).content.decode().strip() == ""
    assert Client().get("/events/report/nearby/", {"category": "SRHJ-LJDF", "lng": "x"}).status_code == 200


def test_joining_from_the_report_page_follows_the_case_as_a_supporter(world, clock):
    ev = report(world)
    answer = Client().post("/events/report/join/", {"number": ev.number, "phone": OTHER_PHONE, "name": "李四"})
    assert answer.status_code == 302 and answer["Location"].startswith("/events/track/?t=")
    assert ev.supporters.get().name == "李四"
    page = Client().get(answer["Location"]).content.decode()
    assert 'id="ev-joined"' in page and ev.number in page
    to_closed(world, ev)
    assert 'id="ev-rate-link"' not in Client().get(answer["Location"]).content.decode()  # the rating is the reporter's


def test_a_bad_join_is_a_form_error_and_records_nothing(world, clock):
    ev = report(world)
    bad_phone = Client().post("/events/report/join/", {"number": ev.number, "phone": "123"})
    assert bad_phone.status_code == 400 and 'class="field-error"' in bad_phone.content.decode()
    unknown = Client().post("/events/report/join/", {"number": "20250303" + "9" * 7, "phone": OTHER_PHONE})
    assert unknown.status_code == 400 and "未找到该案件编号" in unknown.content.decode()
    assert not ev.supporters.exists()


SPELLINGS = ("13800138000", "138 0013 8000", "138-0013-8000", "+8613800138000", "+86 138 0013 8000",
             "+86-138-0013-8000", "0086 13800138000", "008613800138000", "8613800138000", "(138)0013.8000",
             "138－0013－8000")


def spaced(number: str) -> str:
    """A case number as pasted from a message: spaces around it and inside it."""
    return f"  {number[:4]} {number[4:8]} {number[8:12]}\t{number[12:]} "


@pytest.mark.parametrize("phone", SPELLINGS)
def test_the_follow_page_takes_the_phone_and_number_as_people_type_them(world, clock, phone):
    ev = report(world)
    page = Client().post("/events/follow/", {"number": spaced(ev.number), "phone": phone})
    html = page.content.decode()
    assert page.status_code == 200, html[-3000:]
    assert 'id="ev-status"' in html and ev.number in html and "待受理" in html


@pytest.mark.parametrize("phone", ["+86 139 0013 8000", "138-0013-800", "+87 13800138000", "86 13800138001"])
def test_another_phone_in_any_spelling_is_still_not_found(world, clock, phone):
    ev = report(world)
    page = Client().post("/events/follow/", {"number": spaced(ev.number), "phone": phone})
    assert page.status_code == 400 and 'id="ev-status"' not in page.content.decode()


def test_the_api_follow_matches_the_phone_the_same_way(world, clock):
    ev = report(world)
    for phone in ("138-0013-8000", "+86 13800138000", "0086-138-0013-8000"):
        answer = post(f"{API}/public/follow", {"number": ev.number, "phone": phone})
        assert answer.status_code == 200 and answer.json()["number"] == ev.number


def test_a_phone_typed_with_a_country_code_is_stored_as_its_eleven_digits(world, clock):
    from tests.events.factories import IN_A1_1

    page = Client().post("/events/report/", {"category": "SRHJ-LJDF", "description": "路灯不亮", "website": "",
                                             "reporter_phone": "+86 138-0013-8000", **IN_A1_1})
    assert page.status_code == 302
    ev = Event.objects.get()
    assert ev.reporter_phone == PHONE
    # the reporter is matched in any spelling, also when saying "me too" on their own case
    with pytest.raises(ApplicationError, match="上报人"):
        services.event_join(event=ev, phone="0086 13800138000")
    joined = services.event_join(event=ev, phone="139-0013-9000")
    assert joined.phone == OTHER_PHONE
    assert services.event_join(event=ev, phone="+86 139 0013 9000").pk == joined.pk  # once per phone


def test_a_spaced_number_is_found_for_me_too(world, clock):
    ev = report(world)
    page = Client().post("/events/report/join/", {"number": spaced(ev.number), "phone": "+86 139-0013-9000"})
    assert page.status_code == 302 and page["Location"].startswith("/events/track/?t=")
    assert ev.supporters.get().phone == OTHER_PHONE


def test_a_wrong_phone_is_said_for_the_form_not_for_the_number(world, clock):
    ev = report(world)
    page = Client().post("/events/follow/", {"number": ev.number, "phone": "13911112222"})
    html = page.content.decode()
    assert page.status_code == 400 and "未找到该案件" in html
    number_field = html[html.index('name="number"'):html.index('name="phone"')]
    assert "未找到该案件" not in number_field  # it may be the phone as well: the form says it, not a field


def test_a_resident_with_only_a_landline_reports_and_follows_with_it(world, clock):
    """Many older residents have only a fixed line: the public form takes it with its area code,
    stores its digits, and the follow page finds the case with the number typed another way."""
    from tests.events.factories import IN_A1_1

    bad = Client().post("/events/report/", {"category": "SRHJ-LJDF", "description": "路灯不亮", "website": "",
                                            "reporter_phone": "8888 6666", **IN_A1_1})
    assert "带区号的固定电话" in bad.content.decode() and not Event.objects.exists()
    page = Client().post("/events/report/", {"category": "SRHJ-LJDF", "description": "路灯不亮", "website": "",
                                             "reporter_phone": "0591-8765 4321", **IN_A1_1})
    assert page.status_code == 302
    ev = Event.objects.get()
    assert ev.reporter_phone == "059187654321"
    found = Client().post("/events/follow/", {"number": ev.number, "phone": "(0591) 87654321"})
    assert found.status_code == 200 and 'id="ev-status"' in found.content.decode()
    answer = post(f"{API}/public/follow", {"number": ev.number, "phone": "+86 591 8765 4321"})
    assert answer.status_code == 200 and answer.json()["number"] == ev.number
    # the API's intake takes it too, and refuses a number without its area code at the field
    refused = post(f"{API}/public/cases", {"category": "SRHJ-LJDF", "description": "路灯不亮",
                                            "reporter_phone": "87654321", **IN_A1_1})
    assert refused.status_code == 400 and "reporter_phone" in refused.content.decode()
