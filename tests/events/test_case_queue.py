"""The case page's 常用语 (each action's form offers the category's own templates first, then the
general ones, as buttons that fill the note; static script, no inline code), and "my cases" in
pages of twenty, overdue first."""

from __future__ import annotations

import html
import re

import pytest

from jiceng.events.models import ResponseTemplate
from tests.events.factories import as_user, report, to_dispatched, to_verify

pytestmark = pytest.mark.django_db


def buttons(page: str, action: str) -> list[str]:
    """The template titles inside the form of one action, in order."""
    start = page.index(f'data-action="{action}"')
    form = page[start:page.index("</form>", start)]
    return [html.unescape(part.split(">", 1)[1].split("<", 1)[0])
            for part in form.split('class="btn ev-tpl"')[1:]]


def test_the_register_form_offers_the_general_templates(world, clock):
    ev = report(world)
    page = as_user(world.alice).get(f"/events/{ev.pk}/").content.decode()
    assert buttons(page, "register") == ["受理立案"]
    assert "您反映的问题已受理立案" in page and "events/events-case.js" in page


def test_the_category_templates_come_first_then_the_general_ones(world, clock):
    ev = report(world, category="AQYH-DDCCD")
    to_dispatched(world, ev)
    from jiceng.events import services

    services.event_sign(actor=world.alice, event=ev)
    services.event_start(actor=world.alice, event=ev)
    page = as_user(world.alice).get(f"/events/{ev.pk}/").content.decode()
    assert buttons(page, "submit") == ["已清理", "已处置完毕"]


def test_a_template_text_is_escaped(world, clock):
    ResponseTemplate.objects.create(action="register", title="<b>x</b>", text='"><script>alert(1)</script>')
    ev = report(world)
    page = as_user(world.alice).get(f"/events/{ev.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_the_handler_sees_the_verify_templates_only_when_verifying(world, clock):
    ev = report(world)
    to_verify(world, ev)
    page = as_user(world.wang).get(f"/events/{ev.pk}/").content.decode()
    assert buttons(page, "verify") == ["核查通过"] and buttons(page, "verify_fail") == ["核查未通过"]


def test_my_cases_come_twenty_a_page_overdue_first(world, clock):
    from datetime import timedelta

    from django.utils import timezone

    from jiceng.events.models import Event

    cases = [report(world, description=f"第{i}处垃圾") for i in range(25)]
    late = cases[7]
    Event.objects.filter(pk=late.pk).update(overdue_at=timezone.now() - timedelta(hours=1))
    client = as_user(world.alice)
    first = client.get("/events/mine/").content.decode()
    assert first.count('class="card ev-queue-item"') == 20
    assert first.index(late.number) < min(first.index(c.number) for c in cases if c.number in first and c != late)
    assert "第 1 / 2 页，共 25 件" in first
    second = client.get("/events/mine/?page=2").content.decode()
    assert second.count('class="card ev-queue-item"') == 5


def test_the_queue_asks_for_everyones_actions_at_once_and_agrees_with_the_case_page(world, clock,
                                                                                   django_assert_max_num_queries):
    from jiceng.events import selectors, services
    from tests.events.factories import to_closed, to_handling

    w = world
    cases = [report(w), to_dispatched(w, report(w)), to_handling(w, report(w)), to_verify(w, report(w)),
             to_closed(w, report(w))]
    services.whistle_blow(actor=w.alice, event=cases[2], departments=[w.d_urban], reason="需要城管到场")
    events = list(selectors.event_visible(w.alice).order_by("id"))
    for actor in (w.alice, w.wang, w.county, w.urban, w.east):
        many = selectors.event_actions_many(actor=actor, events=events)
        assert many == {e.pk: selectors.event_actions(actor=actor, event=e) for e in events}
    assert "whistle_report" in selectors.event_actions_many(actor=w.urban, events=events)[cases[2].pk]
    client = as_user(w.alice)
    with django_assert_max_num_queries(12):  # not a few per case
        assert client.get("/events/mine/").status_code == 200


def test_each_queued_case_has_one_note_and_a_button_per_step(world, clock):
    w = world
    ev = to_dispatched(w, report(w))  # 甲社区 may sign it, or return it
    client = as_user(w.alice)
    page = client.get("/events/mine/?page=1").content.decode()
    start = page.index(f'href="/events/{ev.pk}/"')
    card = page[start:page.index("</section>", start)]
    assert card.count("<textarea") == 1 and card.count('class="ev-action ev-queue-form"') == 1
    assert f'formaction="/events/{ev.pk}/sign/"' in card and f'formaction="/events/{ev.pk}/return/"' in card
    assert 'name="next" value="/events/mine/?page=1"' in card
    done = client.post(f"/events/{ev.pk}/sign/", {"note": "已签收", "next": "/events/mine/?page=1"})
    assert done.status_code == 302 and done["Location"] == "/events/mine/?page=1"
    ev.refresh_from_db()
    assert ev.state == "signed"


def test_the_queue_holds_the_cases_that_are_the_actors_job_not_every_case_it_oversees(world, clock):
    """我的待办 lists a case where a step is the viewer's job (受理, 派遣, 审定, 签收, 处置, 核查); the
    county's powers over every open case (督办, 改派, 挂起 …) make none of them a to-do."""
    from jiceng.events import services
    from jiceng.events.selectors.queues import event_queue
    from jiceng.events.units import Unit
    from tests.events.factories import to_handling

    w = world
    pending = report(w)  # waits for 受理 by any command centre over it
    with_community = to_handling(w, report(w))  # 甲社区 handles it
    with_urban = report(w)
    services.event_register(actor=w.alice, event=with_urban)
    services.event_dispatch(actor=w.alice, event=with_urban, unit=Unit.of_department(w.d_urban))
    to_check = to_verify(w, report(w))

    def queued(actor) -> set[int]:
        return {e.pk for e, _ in event_queue(actor=actor).rows}

    assert queued(w.county) == {pending.pk}
    assert queued(w.alice) == {pending.pk, with_community.pk}  # alice handled to_check: she may not verify it
    assert queued(w.urban) == {with_urban.pk}
    assert queued(w.wang) == {with_community.pk, to_check.pk}  # a member of 甲社区's unit, and its verifier
    # the county oversees them all and could supervise each: the case page still offers it
    from jiceng.events.selectors import event_actions

    assert "supervise" in event_actions(actor=w.county, event=with_community)
    page = as_user(w.county).get("/events/mine/").content.decode()
    assert page.count('class="card ev-queue-item"') == 1 and pending.number in page
    assert 'data-truncated="1"' not in page


def test_a_queue_longer_than_its_window_says_so(world, clock, monkeypatch):
    from jiceng.events.selectors import queues

    for i in range(3):
        report(world, description=f"第{i}处垃圾")
    assert not queues.event_queue(actor=world.county).truncated
    monkeypatch.setattr(queues, "QUEUE_WINDOW", 2)
    queue = queues.event_queue(actor=world.county)
    assert (len(queue), queue.truncated) == (2, True)
    page = as_user(world.county).get("/events/mine/").content.decode()
    assert 'data-truncated="1"' in page and page.count('class="card ev-queue-item"') == 2


def test_a_staff_home_opens_with_the_work_its_pages_list(world, clock):
    """The department's home says how many cases and whistles wait for it — the numbers of 我的待办."""
    from jiceng.events import services
    from jiceng.events.units import Unit
    from tests.events.factories import to_handling

    w = world
    ev = report(w)
    services.event_register(actor=w.alice, event=ev)
    services.event_dispatch(actor=w.alice, event=ev, unit=Unit.of_department(w.d_urban))
    services.whistle_blow(actor=w.alice, event=to_handling(w, report(w)), departments=[w.d_urban],
                          reason="需要城管到场")
    page = as_user(w.urban).get("/").content.decode()
    assert 'id="my-work"' in page
    assert re.search(r'data-count="queue"[^>]*><span class="num">1</span>', page)
    assert re.search(r'data-count="whistles"[^>]*><span class="num">1</span>', page)
    county = as_user(w.county).get("/").content.decode()
    assert re.search(r'data-count="queue"[^>]*><span class="num">0</span>', county)
    assert 'data-count="whistles"' not in county


def test_a_departments_window_holds_only_its_own_cases(world, clock, monkeypatch):
    """The 300 most urgent candidates of a department are cases it handles — not the county's pending
    ones it can see but never accept (they filled the window and hid its own)."""
    from jiceng.events import services
    from jiceng.events.selectors import queues
    from jiceng.events.units import Unit

    own = report(world)
    services.event_register(actor=world.alice, event=own)
    services.event_dispatch(actor=world.alice, event=own, unit=Unit.of_department(world.d_urban))
    for i in range(3):
        report(world, description=f"第{i}处垃圾")  # pending: the command centre's, not the department's
    monkeypatch.setattr(queues, "QUEUE_WINDOW", 1)
    queue = queues.event_queue(actor=world.urban)
    assert [e.pk for e, _ in queue.rows] == [own.pk] and not queue.truncated
