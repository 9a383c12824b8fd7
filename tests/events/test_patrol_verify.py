"""The grid worker's 核查 card on the patrol page: where the case is (grid · community, not the
unit handling it), what the handler reported doing with its photo — what the worker goes to
check — and a note hint that fits the two verdicts (not the 退单/挂起/作废/上报 of other queues)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.core.models import Attachment
from jiceng.events import services
from jiceng.events.units import Unit
from tests.events.factories import as_user, jpeg, report, to_dispatched

FEEDBACK = "已清运垃圾并冲洗地面"
OTHER_HINT = "退单、挂起、作废、上报等须填写原因"


pytestmark = pytest.mark.usefixtures("fresh_media")


def handled_by_the_street(world, *, photo: bool = True):
    """A 甲社区 case (grid 甲一网格南片) sent to 东街道, which handles it and reports with a photo."""
    ev = report(world)
    services.event_register(actor=world.alice, event=ev)
    services.event_dispatch(actor=world.alice, event=ev, unit=Unit.of_region(world.c.east))
    east = as_user(world.east)
    for step in ("sign", "start"):
        assert east.post(f"/events/{ev.pk}/{step}/", {"note": ""}).status_code == 302
    assert east.post(f"/events/{ev.pk}/submit/", {"note": FEEDBACK, **({"photo": jpeg()} if photo else {})}
                     ).status_code == 302
    ev.refresh_from_db()
    assert ev.state == "to_verify" and ev.handler_name == "东街道"
    return ev


def card(html: str, number: str) -> str:
    start = html.index(number)
    return html[start:html.index("</section>", start)]


def test_the_card_says_grid_and_community_and_shows_the_feedback_and_its_photo(world, clock):
    ev = handled_by_the_street(world)
    wang = as_user(world.wang)
    html = card(wang.get("/events/patrol/").content.decode(), ev.number)
    assert "甲一网格南片 · 甲社区" in html and "甲一网格南片 · 东街道" not in html
    assert FEEDBACK in html
    photo = Attachment.objects.get(owner_id=str(ev.pk), purpose="submit")
    assert re.findall(r'<img src="([^"]+)"', html) == [f"/files/{photo.pk}/"]
    assert wang.get(f"/files/{photo.pk}/").status_code == 200  # the verifier may open it


def test_the_note_hint_fits_the_verdicts(world, clock):
    ev = handled_by_the_street(world)
    html = card(as_user(world.wang).get("/events/patrol/").content.decode(), ev.number)
    assert OTHER_HINT not in html
    assert 'placeholder="核查不通过须写明原因（将退回重办）；通过可写核查情况"' in html
    # the same case on the verifier's 我的待办 has the same hint
    queued = card(as_user(world.wang).get("/events/mine/").content.decode(), ev.number)
    assert 'placeholder="核查不通过须写明原因（将退回重办）；通过可写核查情况"' in queued and OTHER_HINT not in queued
    # 我的待办 keeps its hint for the other steps
    other = to_dispatched(world, report(world))  # alice signs it (or returns it) there
    mine = as_user(world.alice).get("/events/mine/").content.decode()
    assert other.number in mine and OTHER_HINT in mine


def test_the_feedback_of_many_cards_costs_one_query(world, clock):
    handled_by_the_street(world)
    wang = as_user(world.wang)
    with CaptureQueriesContext(connection) as one:
        assert wang.get("/events/patrol/").status_code == 200
    for _ in range(3):
        handled_by_the_street(world)
    with CaptureQueriesContext(connection) as four:
        html = wang.get("/events/patrol/").content.decode()
    assert html.count(FEEDBACK) == 4
    assert len(four) == len(one)


def test_the_patrol_page_is_offered_to_who_can_use_it(world):
    """巡查上报 is a grid worker's; community staff verify there too; county, street and department staff
    have nothing to do on it and are not sent to it."""
    link = 'href="/events/patrol/'
    assert "巡查上报/核查" in as_user(world.wang).get("/events/").content.decode()
    assert "待我核查" in as_user(world.alice).get("/events/").content.decode()
    for user in (world.county, world.east, world.urban):
        assert link not in as_user(user).get("/events/").content.decode()


def test_a_step_taken_on_the_list_says_which_case_it_was_about(world, clock):
    """Back on 待我核查 (a list of cases), the refusal or the confirmation names its case; back on the
    case's own page it need not."""
    ev = handled_by_the_street(world)
    wang = as_user(world.wang)
    refused = wang.post(f"/events/{ev.pk}/verify_fail/", {"note": "", "next": "/events/patrol/"}, follow=True)
    assert refused.redirect_chain[-1][0] == "/events/patrol/"
    shown = [str(m) for m in refused.context["messages"]]
    assert len(shown) == 1 and shown[0].startswith(f"{ev.number}：") and "原因" in shown[0], shown
    on_its_page = wang.post(f"/events/{ev.pk}/verify_fail/", {"note": "", "next": f"/events/{ev.pk}/"}, follow=True)
    assert [str(m) for m in on_its_page.context["messages"]] == [shown[0].removeprefix(f"{ev.number}：")]
    done = wang.post(f"/events/{ev.pk}/verify/", {"note": "现场已清理", "photo": jpeg(), "next": "/events/patrol/"},
                     follow=True)
    ev.refresh_from_db()
    assert ev.state == "closed"
    assert [str(m) for m in done.context["messages"]] == [f"{ev.number}：已核查通过。"]


def test_the_card_says_when_closing_needs_the_checkers_photo(world, clock):
    """垃圾乱堆乱放 closes only with a photo: the handler's feedback had one, or the checker takes one. The
    card says so before the check is refused for it, and only when the feedback had none."""
    with_photo = handled_by_the_street(world)
    without = handled_by_the_street(world, photo=False)
    assert with_photo.category.photo_required
    html = as_user(world.wang).get("/events/patrol/").content.decode()
    assert "ev-photo-needed" not in card(html, with_photo.number)
    assert "该类事件结案须附现场照片，处置反馈未附：核查通过时请拍照上传。" in card(html, without.number)
    refused = as_user(world.wang).post(f"/events/{without.pk}/verify/", {"note": "", "next": "/events/patrol/"},
                                       follow=True)
    assert [str(m) for m in refused.context["messages"]] == [f"{without.number}：该类事件结案须附处置后的现场照片。"]
