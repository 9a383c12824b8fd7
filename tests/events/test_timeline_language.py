"""What the system writes into a case's timeline — who acted (系统, 上报人, 群众 张*) and its notes (an
emergency call registered and dispatched by its procedure, a deadline near or passed, a department
late to report) — is stored in Chinese and shown in the page's language; a note a person typed is
shown as typed."""

import re

from django.conf import settings

from jiceng.events import services
from jiceng.events.choices import Channel
from jiceng.events.models import EventTransition
from tests.events.conftest import at
from tests.events.factories import IN_A1_1, PHONE, as_user, report, to_handling, urban_in_time_housing_late


def timeline(client, ev) -> str:
    page = client.get(f"/events/{ev.pk}/").content.decode()
    return re.search(r'<ol class="ev-timeline">(.*?)</ol>', page, re.S).group(1)


def english(user):
    client = as_user(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def test_system_entries_follow_the_page_language(world, clock):
    w = world
    call = services.event_create(channel=Channel.EMERGENCY, category="JNHJ-DJQZ", description="独居老人摔倒",
                                 reporter_name="张三", reporter_phone=PHONE, **IN_A1_1)
    assert list(EventTransition.objects.filter(event=call).values_list("actor_label", "note")) == [
        ("群众 张*", "独居老人摔倒"), ("系统", "急难呼救，自动立案。"), ("系统", "急难呼救，按处置程序自动派遣。")]
    chinese, en = timeline(as_user(w.alice), call), timeline(english(w.alice), call)
    assert "急难呼救，自动立案。" in chinese and "<strong>系统</strong>" in chinese and "<strong>群众 张*</strong>" in chinese
    assert "Emergency call: registered automatically." in en and "急难呼救" not in en
    assert "Emergency call: dispatched automatically by its procedure." in en
    assert "<strong>System</strong>" in en and "<strong>Resident 张*</strong>" in en
    assert "独居老人摔倒" in en  # the reporter's own words, as typed
    from django.utils import translation

    from jiceng.events.texts import shown_actor

    with translation.override("en"):  # a reporter who left no name: 群众 alone
        assert (shown_actor("群众"), shown_actor("群众 张*")) == ("Resident", "Resident 张*")

    late = to_handling(w, report(w))
    services.process_due_timers(now=at(2025, 3, 4, 16, 0))  # 75 % of the handling time: the warning
    services.process_due_timers(now=at(2025, 3, 5, 11, 0))  # the deadline
    en = timeline(english(w.alice), late)
    assert "Handle stage: deadline near (due 03-05 11:00)" in en
    assert "Handle stage: overdue (due 03-05 11:00)" in en
    assert "处置环节已超时（时限 03-05 11:00）" in timeline(as_user(w.alice), late)


def test_a_department_late_to_report_is_named_in_the_page_language(world, clock):
    ev, _, housing = urban_in_time_housing_late(world, clock)
    name = housing.department.name
    assert f"{name}未在时限内报到" in timeline(as_user(world.alice), ev)
    assert f"{name} did not report in time" in timeline(english(world.alice), ev)
    assert ("System", f"{name} did not report in time") in api_timeline(world.alice, ev, "en")


def api_timeline(user, ev, language: str) -> list[tuple[str, str]]:
    """The case's timeline through the API, in the language chosen as on the pages (the language cookie;
    Chinese without it, whatever the client's Accept-Language)."""
    client = as_user(user)
    if language != "zh-hans":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    steps = client.get(f"/api/events/cases/{ev.pk}", HTTP_ACCEPT_LANGUAGE="en").json()["timeline"]
    return [(s["actor"], s["note"]) for s in steps]


def test_the_api_timeline_speaks_the_request_language_as_the_page_does(world, clock):
    call = services.event_create(channel=Channel.EMERGENCY, category="JNHJ-DJQZ", description="独居老人摔倒",
                                 reporter_name="张三", reporter_phone=PHONE, **IN_A1_1)
    assert api_timeline(world.alice, call, "zh-hans") == [
        ("群众 张*", "独居老人摔倒"), ("系统", "急难呼救，自动立案。"), ("系统", "急难呼救，按处置程序自动派遣。")]
    assert api_timeline(world.alice, call, "en") == [
        ("Resident 张*", "独居老人摔倒"), ("System", "Emergency call: registered automatically."),
        ("System", "Emergency call: dispatched automatically by its procedure.")]
