"""What a resident sees once the case is handled: the tracking link and the follow page show the
public steps with the handler's feedback and the feedback and closure photos (through signed
addresses bound to the case, since stored photos are otherwise served to staff only), never a
staff member's name or an internal note; the rating link names the case and what was done, and
once used says so instead of offering the form again."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.core import signing
from django.test import Client

from jiceng.core.models import Attachment
from jiceng.events import services
from jiceng.events.models import Event
from jiceng.events.tracking import PHOTO_SALT, tracking_token
from tests.events.factories import IN_A1_1, PHONE, as_user, jpeg, report, to_dispatched

FEEDBACK = "已更换楼道灯，灯具型号LED-12W"
RETURN_REASON = "张主任说这事不归我们管"
SUPERVISION = "县里王科长督办：周五前办结"
VERIFY_FAIL = "复查时灯仍不亮，刘晓梅请重新处理"


pytestmark = pytest.mark.usefixtures("fresh_media")


def handled_case(world) -> Event:
    """A resident's case (with the resident's photo) returned once, supervised, handled, failed at
    verification, handled again and closed — each step through the case page."""
    answer = Client().post("/events/report/", {
        "category": "SRHJ-LJDF", "description": "楼道灯不亮", "lng": IN_A1_1["lng"], "lat": IN_A1_1["lat"],
        "address": "城南路12号", "reporter_name": "张三", "reporter_phone": PHONE, "website": "", "photo": jpeg()})
    assert answer.status_code == 302
    ev = Event.objects.get()
    world.alice.full_name = "刘晓梅"
    world.alice.save()
    alice, amy = as_user(world.alice), as_user(world.amy)
    to_dispatched(world, ev)
    assert alice.post(f"/events/{ev.pk}/return/", {"note": RETURN_REASON}).status_code == 302
    ev.refresh_from_db()
    services.event_dispatch(actor=world.alice, event=ev)
    services.event_supervise(actor=world.county, event=ev, note=SUPERVISION)
    for step in ("sign", "start"):
        assert alice.post(f"/events/{ev.pk}/{step}/", {"note": ""}).status_code == 302
    assert alice.post(f"/events/{ev.pk}/submit/", {"note": "第一次处理", "photo": jpeg()}).status_code == 302
    assert amy.post(f"/events/{ev.pk}/verify_fail/", {"note": VERIFY_FAIL}).status_code == 302
    assert alice.post(f"/events/{ev.pk}/submit/", {"note": FEEDBACK, "photo": jpeg((200, 200, 0))}).status_code == 302
    assert amy.post(f"/events/{ev.pk}/verify/", {"note": "现场核实", "photo": jpeg((0, 200, 0))}).status_code == 302
    ev.refresh_from_db()
    assert ev.state == "closed"
    return ev


def photo_urls(html: str) -> list[str]:
    return re.findall(r'<img src="(/events/track/photo/[^"]+/)"', html)


def test_the_tracking_link_shows_what_was_done_and_nothing_internal(world, clock):
    ev = handled_case(world)
    page = Client().get("/events/track/?" + urlencode({"t": tracking_token(ev)}))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="ev-steps"' in html
    assert FEEDBACK in html and "第一次处理" in html
    for internal in (RETURN_REASON, SUPERVISION, VERIFY_FAIL, "现场核实", "刘晓梅", "amy"):
        assert internal not in html
    # the photos of the two feedbacks and of the verification (3), not the resident's own report photo
    urls = photo_urls(html)
    stored = {a.purpose: a for a in Attachment.objects.filter(owner_id=str(ev.pk))}
    assert len(urls) == 3 and len(set(urls)) == 3
    assert Attachment.objects.filter(owner_id=str(ev.pk)).count() == 4
    served = [Client().get(u) for u in urls]
    assert [r.status_code for r in served] == [200, 200, 200]
    assert {r["Content-Type"] for r in served} == {"image/jpeg"}
    assert stored["report"].pk.hex not in html and f"/files/{stored['report'].pk}/" not in html
    # the stored address itself stays closed to anyone without a login
    assert Client().get(f"/files/{stored['verify'].pk}/").status_code == 404


def test_a_photo_address_serves_only_the_cases_feedback_and_closure_photos(world, clock):
    ev = handled_case(world)
    own = Attachment.objects.get(owner_id=str(ev.pk), purpose="report")
    closing = Attachment.objects.get(owner_id=str(ev.pk), purpose="verify")
    signer = signing.TimestampSigner(salt=PHOTO_SALT)
    # even correctly signed, the resident's report photo is not one the page may show
    assert Client().get(f"/events/track/photo/{signer.sign(f'{ev.pk}:{own.pk.hex}')}/").status_code == 404
    # bound to its case: the closure photo under another case's number is refused
    other = report(world)
    assert Client().get(f"/events/track/photo/{signer.sign(f'{other.pk}:{closing.pk.hex}')}/").status_code == 404
    good = signer.sign(f"{ev.pk}:{closing.pk.hex}")
    assert Client().get(f"/events/track/photo/{good}/").status_code == 200
    assert Client().get(f"/events/track/photo/{good[:-1]}x/").status_code == 404
    # another salt (a tracking token) opens nothing
    assert Client().get(f"/events/track/photo/{tracking_token(ev)}/").status_code == 404


def test_the_photo_address_expires(world, clock):
    ev = handled_case(world)
    html = Client().get("/events/track/?" + urlencode({"t": tracking_token(ev)})).content.decode()
    url = photo_urls(html)[-1]
    clock.shift(2 * 3600 - 5)
    assert Client().get(url).status_code == 200
    clock.shift(10)
    assert Client().get(url).status_code == 404


def test_the_follow_page_shows_the_same_feedback(world, clock):
    ev = handled_case(world)
    html = Client().post("/events/follow/", {"number": ev.number, "phone": PHONE}).content.decode()
    assert FEEDBACK in html and len(photo_urls(html)) == 3
    assert RETURN_REASON not in html and SUPERVISION not in html and "刘晓梅" not in html


def test_the_rating_page_names_the_case_and_what_was_done(world, clock):
    ev = handled_case(world)
    token = services.rating_token(ev)
    page = Client().get("/events/rate/?" + urlencode({"token": token}))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="ev-rate-case"' in html
    assert ev.number in html and ev.title in html and FEEDBACK in html
    assert "第一次处理" not in html  # what was done in the end: the latest feedback
    assert len(photo_urls(html)) == 2  # that feedback's photo and the closure photo
    assert 'name="rating"' in html and VERIFY_FAIL not in html and "刘晓梅" not in html


def test_a_used_rating_link_says_so_with_the_rating_and_offers_no_form(world, clock):
    ev = handled_case(world)
    token = services.rating_token(ev)
    assert Client().post("/events/rate/", {"token": token, "rating": "basic", "comment": ""}).status_code == 200
    again = Client().get("/events/rate/?" + urlencode({"token": token}))
    html = again.content.decode()
    assert again.status_code == 200 and 'id="ev-already-rated"' in html
    assert "该事件已评价：基本满意" in html and ev.number in html
    assert 'name="rating"' not in html and "<form method=\"post\" class=\"card\">" not in html
    # a second submission changes nothing and shows the same
    twice = Client().post("/events/rate/", {"token": token, "rating": "unsatisfied", "comment": "其实不亮"})
    assert twice.status_code == 400 and 'id="ev-already-rated"' in twice.content.decode()
    ev.refresh_from_db()
    assert ev.rating == "basic" and ev.state == "rated" and ev.ratings.count() == 1


def test_a_bad_rating_link_says_so_on_opening(world, clock):
    page = Client().get("/events/rate/?token=nonsense")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="ev-rate-link-error"' in html and "评价链接无效" in html
    assert 'name="rating"' not in html


def test_the_reporter_reads_why_the_case_was_not_taken(world, clock):
    ev = report(world)
    page = as_user(world.alice).get(f"/events/{ev.pk}/").content.decode()
    assert "这段文字会告知反映人" in page  # the staff member is told before writing it
    services.event_reject(actor=world.alice, event=ev, reason="属于物业服务合同纠纷，请联系物业或拨打12345")
    html = Client().get("/events/track/?" + urlencode({"t": tracking_token(ev)})).content.decode()
    assert "不予立案" in html and "属于物业服务合同纠纷，请联系物业或拨打12345" in html


def test_the_public_api_gives_the_same_steps_as_the_page(world, clock):
    ev = handled_case(world)
    body = {"number": f" {ev.number[:8]} {ev.number[8:]} ", "phone": f"+86 {PHONE[:3]}-{PHONE[3:7]}-{PHONE[7:]}"}
    answer = Client().post("/api/events/public/follow", body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    steps = answer.json()["steps"]
    html = Client().get("/events/track/?" + urlencode({"t": tracking_token(ev)})).content.decode()
    page_steps = re.findall(r'<li data-action="(\w+)"><time>[^<]*</time> <strong>([^<]+)</strong>', html)
    assert [(s["action"], s["label"]) for s in steps] == page_steps and len(steps) > 5
    assert FEEDBACK in [s["note"] for s in steps]
    for internal in (RETURN_REASON, SUPERVISION, VERIFY_FAIL):
        assert internal not in answer.content.decode()
    photos = [u for s in steps for u in s["photos"]]
    assert len(photos) == 3 and all(Client().get(u).status_code == 200 for u in photos)
    tracked = Client().post("/api/events/public/track", {"token": tracking_token(ev)}, content_type="application/json")
    assert [s["action"] for s in tracked.json()["steps"]] == [s["action"] for s in steps]
