"""Events pages: the console, a case's page and its action forms, my cases, the grid worker's
patrol page and the residents' pages (report, follow, rate) without a login."""

from __future__ import annotations

import io
import random
import re
from urllib.parse import quote

import pytest
from django.test import Client
from PIL import Image

from jiceng.events import services
from jiceng.events.models import Event
from tests.events.conftest import at
from tests.events.factories import (
    IN_A1_1,
    IN_B1,
    PHONE,
    as_user,
    jpeg,
    report,
    to_closed,
    to_handling,
    to_verify,
)

pytestmark = pytest.mark.usefixtures("fresh_media")


def report_form(**extra) -> dict:
    return {"category": "SRHJ-LJDF", "description": "楼下垃圾堆了三天", "lng": IN_A1_1["lng"], "lat": IN_A1_1["lat"],
            "address": "3 号楼", "reporter_name": "张三", "reporter_phone": PHONE, "website": "", **extra}


def test_the_console_lists_the_cases_in_scope_with_queues_and_the_map(world, clock):
    ev = report(world)
    page = as_user(world.alice).get("/events/")
    assert page.status_code == 200
    assert ev.number in page.content.decode() and 'id="events-map"' in page.content.decode()
    assert ev.number not in as_user(world.bob).get("/events/").content.decode()
    points = as_user(world.alice).get("/events/map.geojson").json()["features"]
    assert [p["properties"]["number"] for p in points] == [ev.number]
    assert as_user(world.bob).get("/events/map.geojson").json()["features"] == []
    assert Client().get("/events/").status_code == 302


def test_the_console_counts_its_list_only_to_the_cap_and_says_so(world, clock, monkeypatch):
    """A province's year is tens of millions of cases: the console counts its list to a cap (here 3
    of 4 cases, pages of 30: one page) and says "3+" and how to reach the older ones; under the cap
    the count is exact and nothing is said."""
    from jiceng.events import views

    cases = [report(world) for _ in range(4)]
    alice = as_user(world.alice)
    exact = alice.get("/events/").content.decode()
    assert '<span id="ev-total">共 4 件</span>' in exact and 'id="ev-capped"' not in exact
    monkeypatch.setattr(views, "CONSOLE_COUNT_CAP", 3)
    capped = alice.get("/events/").content.decode()
    assert "共 3+ 件</span>" in capped and 'id="ev-capped"' in capped and "最近的 3 件" in capped
    shown = [c for c in cases if f'href="/events/{c.pk}/"' in capped]
    assert len(shown) == 3 and cases[0] not in shown  # the newest three (the list is newest first)


def test_the_case_page_offers_the_actors_actions_and_they_work(world, clock):
    ev = report(world)
    alice = as_user(world.alice)
    page = alice.get(f"/events/{ev.pk}/").content.decode()
    assert 'data-action="register"' in page and "上报" in page
    assert as_user(world.bob).get(f"/events/{ev.pk}/").status_code == 404
    alice.post(f"/events/{ev.pk}/register/", {"note": "属实"})
    alice.post(f"/events/{ev.pk}/sign/", {})
    alice.post(f"/events/{ev.pk}/start/", {})
    done = alice.post(f"/events/{ev.pk}/submit/", {"note": "已清理", "photo": jpeg()}, follow=True)
    assert "已处置反馈" in done.content.decode()
    ev.refresh_from_db()
    assert ev.state == "to_verify"
    page = alice.get(f"/events/{ev.pk}/").content.decode()
    assert "/files/" in page and "处置反馈" in page
    refused = alice.post(f"/events/{ev.pk}/verify/", {})
    assert refused.status_code == 403


def test_registering_says_where_the_procedure_dispatched_the_case(world, clock):
    ev = report(world)
    done = as_user(world.alice).post(f"/events/{ev.pk}/register/", {"note": "属实"}, follow=True)
    ev.refresh_from_db()
    assert ev.state == "dispatched"
    assert f"已立案。案件已派往{ev.handler_name}，等待签收。" in done.content.decode()


def test_the_escalate_button_names_where_the_case_goes_and_the_county_has_none(world, clock):
    ev = to_handling(world, report(world))  # 甲社区 handles it
    assert ">上报升级至东街道</button>" in as_user(world.alice).get(f"/events/{ev.pk}/").content.decode()
    services.event_escalate(actor=world.alice, event=ev, reason="需街道协调")
    services.event_escalate(actor=world.east, event=ev, reason="需县级协调")
    ev.refresh_from_db()
    assert ev.handler_region == world.c.county
    page = as_user(world.county).get(f"/events/{ev.pk}/").content.decode()
    assert 'class="ev-action" data-action="sign"' in page
    assert 'class="ev-action" data-action="escalate"' not in page  # nothing above the county


def test_the_verifier_gets_each_verdict_once_on_the_case_page(world, clock):
    ev = to_verify(world, report(world))
    page = as_user(world.wang).get(f"/events/{ev.pk}/").content.decode()
    assert page.count(f'action="/events/{ev.pk}/verify_fail/"') == 1
    assert page.count(f'action="/events/{ev.pk}/verify/"') == 1


def test_a_refused_step_is_a_message_not_an_error(world, clock):
    ev = report(world)
    answer = as_user(world.alice).post(f"/events/{ev.pk}/reject/", {"note": ""}, follow=True)
    assert answer.status_code == 200
    ev.refresh_from_db()
    assert ev.state == "pending"


def test_my_cases_and_the_patrol_page(world, clock):
    ev = to_verify(world, report(world))
    assert ev.number in as_user(world.wang).get("/events/mine/").content.decode()
    patrol = as_user(world.wang).get("/events/patrol/").content.decode()
    assert ev.number in patrol
    # one note for the case, a button per verdict; the map opens on wang's own grid
    assert patrol.count('name="note"') == 1
    assert f'formaction="/events/{ev.pk}/verify/"' in patrol and f'formaction="/events/{ev.pk}/verify_fail/"' in patrol
    west, south, east, north = (float(v) for v in re.search(r'data-bounds="([^"]+)"', patrol).group(1).split(","))
    assert west <= IN_A1_1["lng"] <= east and south <= IN_A1_1["lat"] <= north
    assert 'data-bounds' not in as_user(world.county).get("/events/patrol/").content.decode()  # the county: all of it
    as_user(world.wang).post(f"/events/{ev.pk}/verify/", {"note": "现场已清理", "next": "/events/patrol/"})
    ev.refresh_from_db()
    assert ev.state == "closed"
    made = as_user(world.wang).post("/events/patrol/", {**report_form(), "description": "井盖缺失", "photo": jpeg()})
    assert made.status_code == 302
    assert Event.objects.filter(channel="patrol").count() == 1


def noisy_jpeg(side: int = 120) -> io.BytesIO:
    """A photo of random noise: JPEG cannot squeeze it, so it is several kilobytes."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), random.Random(7).randbytes(side * side * 3)).save(out, "JPEG", quality=95)
    out.seek(0)
    out.name = "big.jpg"
    return out


@pytest.mark.parametrize("who", ["resident", "worker"])
def test_a_photo_over_the_limit_is_a_field_error_and_no_case_is_filed(world, clock, settings, who):
    settings.JICENG_UPLOAD_MAX_BYTES = 4096
    client, url = (Client(), "/events/report/") if who == "resident" else (as_user(world.wang), "/events/patrol/")
    before = Event.objects.count()
    answer = client.post(url, {**report_form(), "photo": noisy_jpeg()})
    page = answer.content.decode()
    assert answer.status_code == 200 and "图片不能超过" in page
    assert "楼下垃圾堆了三天" in page  # what was typed is still there
    assert Event.objects.count() == before
    # the same form with the photo left out files the case
    assert client.post(url, report_form()).status_code == 302 and Event.objects.count() == before + 1


def test_a_resident_reports_follows_and_rates_without_a_login(world, clock):
    answer = Client().post("/events/report/", {**report_form(), "photo": jpeg()})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    ev = Event.objects.get()
    assert answer["Location"].startswith("/events/track/?t=") and ev.number not in answer["Location"]
    follow = Client().get(answer["Location"]).content.decode()
    assert ev.number in follow and "待受理" in follow and 'id="ev-new"' in follow
    assert 'id="ev-rate-link"' not in follow
    to_closed(world, ev)
    # the same tracking link now offers the rating link
    follow = Client().get(answer["Location"]).content.decode()
    token = services.rating_token(Event.objects.get())
    assert f'href="/events/rate/?token={quote(token)}"' in follow
    assert Client().get(f"/events/rate/?token={token}").status_code == 200
    rated = Client().post("/events/rate/", {"token": token, "rating": "satisfied", "comment": "很快"})
    assert "感谢您的评价" in rated.content.decode()
    assert 'href="/events/follow/"' in rated.content.decode() and 'href="/events/report/"' in rated.content.decode()
    assert Event.objects.get().state == "rated"
    bad = Client().post("/events/rate/", {"token": "x", "rating": "satisfied"})
    assert bad.status_code == 400 and "form-errors" in bad.content.decode()
    # without its link the page says how to rate instead of a form that cannot work
    bare = Client().get("/events/rate/").content.decode()
    assert 'id="ev-rate-no-link"' in bare and 'href="/events/follow/"' in bare and "<form" not in bare.split("</header>")[-1]
    # a form sent without the token says so
    empty = Client().post("/events/rate/?token=x", {"token": "", "rating": "satisfied"})
    assert empty.status_code == 400 and "评价链接无效或已过期" in empty.content.decode()


def test_the_honeypot_and_the_rate_limit(world, clock, settings):
    assert Client().post("/events/report/", report_form(website="http://spam")).status_code == 400
    settings.JICENG_PUBLIC_RATE_PER_PHONE = 1
    assert Client().post("/events/report/", report_form()).status_code == 302
    assert Client().post("/events/report/", report_form()).status_code == 429
    assert Event.objects.count() == 1


def test_an_unknown_case_number_is_said_so(world):
    page = Client().post("/events/follow/", {"number": "202503030000099", "phone": PHONE})
    assert page.status_code == 400 and "未找到该案件，或电话与上报时不符" in page.content.decode()


def test_the_timeline_says_what_each_step_decided(world, clock):
    ev = to_closed(world, report(world))
    services.event_rate_callback(actor=world.county, event=Event.objects.get(pk=ev.pk), rating="basic")
    page = as_user(world.alice).get(f"/events/{ev.pk}/").content.decode()
    steps = dict(re.findall(r'<li data-action="(\w+)">(.*?)</li>', page, re.S))
    assert '<span class="ev-detail">派往 甲社区</span>' in steps["dispatch"]
    assert '<span class="ev-detail">基本满意（回访评价）</span>' in steps["rate"]
    assert "ev-detail" not in steps["sign"]


def test_the_console_map_carries_its_note_and_the_list_address_for_the_bubbles(world, clock):
    report(world)
    page = as_user(world.county).get("/events/?channel=resident").content.decode()
    # the note the map shows when it draws bubbles (tests/events/test_console_map.py counts them)
    assert 'id="events-map-note" hidden' in page and "{total}" in page and "{limit}" in page
    assert 'data-list-url="/events/?channel=resident"' in page
    assert 'data-url="/events/map.geojson?channel=resident"' in page


def test_the_console_filters_by_region_and_channel_and_its_map_follows(world, clock):
    in_a = report(world)
    in_b = report(world, where=IN_B1)
    hotline = report(world, channel="hotline", actor=world.county)
    county = as_user(world.county)
    page = county.get(f"/events/?region={world.c.b.pk}").content.decode()
    assert in_b.number in page and in_a.number not in page and "共 1 件" in page
    assert f'data-url="/events/map.geojson?region={world.c.b.pk}"' in page
    points = county.get(f"/events/map.geojson?region={world.c.b.pk}").json()
    assert [p["properties"]["number"] for p in points["features"]] == [in_b.number] and points["total"] == 1
    page = county.get("/events/?channel=hotline").content.decode()
    assert hotline.number in page and in_a.number not in page
    # a region outside the viewer's scope is not a choice: a form error, not someone else's cases
    page = as_user(world.bob).get(f"/events/?region={world.c.a.pk}").content.decode()
    assert "field-error" in page and in_a.number not in page
    # a community's staff filter by their grids
    alice = as_user(world.alice).get("/events/").content.decode()
    assert f'<option value="{world.c.a1_1.pk}">' in alice and f'<option value="{world.c.b.pk}">' not in alice


def test_the_console_filters_by_the_day_reported_both_days_included(world, clock):
    made = {}
    for day in (3, 4, 5):  # March 2025, late in each day
        clock.move_to(at(2025, 3, day, 23, 30))
        made[day] = report(world)
    county = as_user(world.county)
    page = county.get("/events/?reported_from=2025-03-04&reported_to=2025-03-04").content.decode()
    assert "共 1 件" in page and made[4].number in page and made[3].number not in page and made[5].number not in page
    page = county.get("/events/?reported_from=2025-03-04&reported_to=2025-03-05").content.decode()
    assert "共 2 件" in page and made[3].number not in page
    assert 'type="date" name="reported_from"' in page and 'value="2025-03-04"' in page  # kept on the form
    api = county.get("/api/events/cases?reported_from=2025-03-04&reported_to=2025-03-04").json()
    assert [c["number"] for c in api["items"]] == [made[4].number]  # the API's 止（含） as well
    assert "field-error" in county.get("/events/?reported_from=2025-13-01").content.decode()


def test_each_console_tile_counts_what_the_list_it_opens_shows(world, clock):
    from jiceng.events.models import Timer

    once_late = report(world)  # ran late at some stage, on time now
    late_now = report(world)  # its acceptance clock has fired and still runs
    on_time = report(world)
    Event.objects.filter(pk=once_late.pk).update(overdue_at=at(2025, 3, 3, 9, 30))
    Timer.objects.filter(event=late_now, stopped_at__isnull=True).update(fired_at=at(2025, 3, 3, 9, 30))
    county = as_user(world.county)
    page = county.get("/events/").content.decode()
    tiles = dict(re.findall(r'data-queue="(\w+)" href="\?queue=\w+"><strong>(\d+)</strong>', page))
    assert tiles == {"accept": "3", "handle": "0", "verify": "0", "late": "1"}
    for key, n in tiles.items():
        listed = county.get(f"/events/?queue={key}").content.decode()
        assert f"共 {n} 件" in listed, key
    late = county.get("/events/?queue=late").content.decode()
    assert late_now.number in late and once_late.number not in late and on_time.number not in late
    assert 'class="chip"' in late and "超期未办结" in late
    # 只看曾超期 is the other question: a deadline missed at any stage
    ever = county.get("/events/?overdue=on&open_only=on").content.decode()
    assert "共 1 件" in ever and once_late.number in ever
    # the map follows the queue too
    points = county.get("/events/map.geojson?queue=late").json()["features"]
    assert [p["properties"]["number"] for p in points] == [late_now.number]


def test_an_action_address_opened_by_get_goes_back_to_the_case(world, clock):
    ev = report(world)
    answer = as_user(world.alice).get(f"/events/{ev.pk}/register/")
    assert answer.status_code == 302 and answer["Location"] == f"/events/{ev.pk}/"
    assert Event.objects.get(pk=ev.pk).state == "pending"  # a GET changes nothing
    assert as_user(world.bob).get(f"/events/{ev.pk}/register/").status_code == 302  # the case page then says 404
    assert as_user(world.bob).get(f"/events/{ev.pk}/").status_code == 404
    answer = Client().get("/events/report/join/")
    assert answer.status_code == 302 and answer["Location"] == "/events/report/"


def test_the_login_page_shows_residents_the_way_to_report_and_follow(db):
    page = Client().get("/login/").content.decode()
    assert 'id="for-residents"' in page and 'href="/events/report/"' in page and 'href="/events/follow/"' in page


def test_the_patrol_map_draws_the_workers_own_grids_and_offers_to_locate(world, clock):
    page = as_user(world.wang).get("/events/patrol/").content.decode()
    assert 'data-own-url="/events/patrol/grids.geojson"' in page and 'id="pick-locate"' in page
    grids = as_user(world.wang).get("/events/patrol/grids.geojson").json()["features"]
    assert [(g["id"], g["properties"]["name"]) for g in grids] == [(world.c.a1_1.pk, "甲一网格南片")]
    assert grids[0]["geometry"]["type"] == "Polygon"
    assert Client().get("/events/patrol/grids.geojson").status_code == 302
    # the county sees the whole tree: no own ground to draw
    assert "data-own-url" not in as_user(world.county).get("/events/patrol/").content.decode()


def test_a_closed_case_that_ran_late_is_not_flagged_like_an_open_overdue_one(world, clock):
    from django.utils import timezone

    from tests.events.factories import to_closed

    late_open, late_closed = report(world, description="开着超期"), to_closed(world, report(world, description="办结超期"))
    Event.objects.filter(pk__in=[late_open.pk, late_closed.pk]).update(overdue_at=timezone.now())
    page = as_user(world.county).get("/events/").content.decode()
    rows = {pk: page[page.index(f'href="/events/{pk}/"') - 40:page.index("</tr>", page.index(f'href="/events/{pk}/"'))]
            for pk in (late_open.pk, late_closed.pk)}
    assert 'class="row-warn"' in rows[late_open.pk] and ">超期</span>" in rows[late_open.pk]
    assert 'class="row-warn"' not in rows[late_closed.pk] and ">曾超期</span>" in rows[late_closed.pk]
    assert ">超期</span>" not in rows[late_closed.pk]


def test_the_public_form_says_everything_wrong_at_once_in_words_a_resident_understands(world, clock):
    """An empty form with a bad phone: the phone's error comes with the others (not on the next try),
    one sentence about the missing point instead of "required" under 经度 and 纬度, the chosen photo is
    said to need choosing again, and nothing is saved."""
    answer = Client().post("/events/report/", {"reporter_phone": "123", "photo": jpeg()})
    page = answer.content.decode()
    assert Event.objects.count() == 0
    assert "请填写11位手机号，或带区号的固定电话" in page
    assert page.count("请在地图上点选问题所在的位置") == 1
    assert "请重新选择照片" in page
    assert "问题类型：" in page and "问题类型:" not in page  # a Chinese colon after a label
    # at the top, what to correct, each a link to its field (the point: to the map), once
    summary = page[page.index('id="form-summary"'):]
    summary = summary[:summary.index("</div>")]
    assert 'role="alert"' in page[page.index('<div class="form-errors form-summary"'):][:120]
    for target in ("#id_reporter_phone", "#pick-map", "#id_photo", "#id_category", "#id_description"):
        assert f'href="{target}"' in summary, target
    assert summary.count('href="#pick-map"') == 1
    fine = Client().post("/events/report/", report_form(reporter_phone="138-0013-8000"))
    assert fine.status_code == 302 and Event.objects.get().reporter_phone == "13800138000"


def test_a_wrong_console_filter_shows_its_error_and_no_cases_not_all_of_them(world, clock):
    report(world)
    client = as_user(world.county)
    page = client.get("/events/?reported_from=2025-03-05&reported_to=2025-03-01").content.decode()
    assert "结束日期不能早于开始日期。" in page and 'href="/events/' + str(Event.objects.get().pk) + '/"' not in page
    assert 'href="/events/' + str(Event.objects.get().pk) + '/"' in client.get("/events/").content.decode()
    bad_date = client.get("/events/?reported_from=2025-13-45").content.decode()
    assert 'class="field-error"' in bad_date and f'href="/events/{Event.objects.get().pk}/"' not in bad_date
    assert client.get("/events/map.geojson?reported_from=2025-13-45").json()["features"] == []


def test_a_patrol_report_says_its_number_and_links_to_the_case(world, clock):
    client = as_user(world.wang)
    page = client.post("/events/patrol/", report_form(), follow=True).content.decode()
    ev = Event.objects.get()
    assert f'已上报，案件编号 {ev.number}。 <a href="/events/{ev.pk}/">查看案件</a>' in page
