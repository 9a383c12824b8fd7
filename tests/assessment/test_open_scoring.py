"""开始评分 (/assessment/periods/<id>/open/, the API's open_scoring): refused for a period with nothing to
score — it would sit in 评分中 and could no longer be deleted — and confirmed on a page that counts what the
period has.

The 张家口 scheme: 镇街党政正职评价, 评委打分 and 社区书记互评 are all scored by raters. The round here: two
secretaries (alice, bob); the street leader rates both (2 tasks) and the peer group has each rate the other
(alice → bob, bob → alice: 2 tasks); no judge yet. 2 subjects, 2 + 2 = 4 rating tasks, 评委打分 with none.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from django.test import Client

from jiceng.assessment import services
from jiceng.assessment.templates import zhangjiakou_secretary_scheme_create
from jiceng.core.errors import ApplicationError
from jiceng.core.models import AuditLog
from jiceng.people.choices import Role
from tests.assessment.helpers import period
from tests.assessment.test_api import as_user
from tests.factories import make_user

pytestmark = pytest.mark.django_db
API = "/api/assessment"


@pytest.fixture
def draft(county):
    m = county.county_staff
    scheme = zhangjiakou_secretary_scheme_create(actor=m, region=county.county)
    p = period(m, scheme, "2026年第四季度", date(2026, 10, 1), date(2026, 12, 31))
    return SimpleNamespace(manager=m, scheme=scheme, period=p)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def opened(p) -> list[AuditLog]:
    return list(AuditLog.objects.filter(action="assessment.period_open_scoring", object_id=str(p.pk)))


def test_a_period_without_subjects_cannot_start_scoring(draft):
    p = draft.period
    with pytest.raises(ApplicationError) as exc:
        services.period_open_scoring(actor=draft.manager, period=p)
    assert exc.value.field == "subjects"
    assert exc.value.message == "本考核期还没有考核对象，不能开始评分。请先添加考核对象。"
    # the page refuses it with the same words, the API with 400 naming the field
    page = browser(draft.manager).post(f"/assessment/periods/{p.pk}/open/")
    assert page.status_code == 400
    assert '<div class="form-errors" id="as-open-refused"><p>本考核期还没有考核对象，不能开始评分。请先添加考核对象。</p>' in (
        page.content.decode())
    answer = as_user(draft.manager).post(f"{API}/periods/{p.pk}/transitions/open_scoring", {},
                                         content_type="application/json")
    assert answer.status_code == 400 and answer.json()["field"] == "subjects"
    p.refresh_from_db()
    assert p.state == "draft" and opened(p) == []
    assert services.period_delete_refusal(p) == ""  # still a draft that may be deleted


def test_subjects_without_any_rating_task_cannot_start_when_raters_score_the_scheme(draft, county):
    p = draft.period
    services.period_subject_add(actor=draft.manager, period=p, obj=county.alice)
    answer = as_user(draft.manager).post(f"{API}/periods/{p.pk}/transitions/open_scoring", {},
                                         content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["field"] == "assignments"
    assert answer.json()["message"] == ("本考核期还没有评分任务，不能开始评分：“镇街党政正职评价、评委打分、社区书记互评”"
                                        "要由评分人评分。请先添加评分人。")
    # nor from the ranking page's old button (a stale page): the message, the state unchanged
    client = browser(draft.manager)
    page = client.post(f"/assessment/periods/{p.pk}/transition/", {"action": "open_scoring"}, follow=True)
    assert "本考核期还没有评分任务，不能开始评分" in page.content.decode()
    p.refresh_from_db()
    assert p.state == "draft" and opened(p) == []


def test_a_scheme_scored_only_automatically_needs_no_rater(county):
    """An indicators group whose only leaf is automatic: nobody rates it, so a subject is enough."""
    m = county.county_staff
    definition = {"groups": [{"code": "auto", "name": "自动指标", "kind": "indicators", "weight": "100",
                              "max_points": "10"}],
                  "indicators": [{"code": "grids", "name": "负责网格数", "group": "auto", "kind": "auto",
                                  "auto_key": "people.assigned_grids", "auto_target": "1", "max_points": "10"}]}
    scheme = services.scheme_create(actor=m, name="自动", subject_type="community", period_type="month",
                                    region=county.county, definition=definition)
    p = period(m, scheme, "1月", date(2026, 1, 1), date(2026, 1, 31))
    services.period_subject_add(actor=m, period=p, obj=county.a)
    done = services.period_transition(actor=m, period=p, action="open_scoring")
    assert done.period.state == "scoring_open"
    assert done.message == "已开始评分：1 个考核对象，0 项评分任务。"


def test_the_confirmation_page_counts_subjects_and_tasks_then_opens(draft, county):
    p, m = draft.period, draft.manager
    subjects = [services.period_subject_add(actor=m, period=p, obj=u) for u in (county.alice, county.bob)]
    leader = make_user("street_leader", Role.STREET_STAFF, county.east)
    services.assignment_create(actor=m, period=p, group="leaders", rater=leader, subjects=subjects)
    services.peer_assignments_create(actor=m, period=p, group="peers")
    client = browser(m)

    ranking = client.get(f"/assessment/periods/{p.pk}/").content.decode()
    assert f'href="/assessment/periods/{p.pk}/open/">开始评分</a>' in ranking
    assert 'value="open_scoring"' not in ranking  # no longer a button that opens at once

    page = client.get(f"/assessment/periods/{p.pk}/open/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "本期有 2 个考核对象。" in html and "评分任务 4 项（评分人 × 考核对象）。" in html
    assert [(r["group"].code, r["raters"], r["tasks"]) for r in page.context["summary"]["groups"]] == [
        ("leaders", 1, 2), ("judges", 0, 0), ("peers", 2, 2)]
    assert "“评委打分”还没有评分任务" in html and "仍然开始评分" in html  # a warning, not a refusal
    assert ('<nav class="breadcrumb"><a href="/assessment/">考核</a><span class="sep">/</span>社区书记季度考核排名'
            f'<span class="sep">/</span><a href="/assessment/periods/{p.pk}/">2026年第四季度</a>') in html

    answer = client.post(f"/assessment/periods/{p.pk}/open/", follow=True)
    assert answer.redirect_chain == [(f"/assessment/periods/{p.pk}/", 302)]
    assert '<li class="msg success">已开始评分：2 个考核对象，4 项评分任务。</li>' in answer.content.decode()
    p.refresh_from_db()
    assert p.state == "scoring_open"
    (record,) = opened(p)
    assert record.changes == {"state": ["draft", "scoring_open"]}
    assert services.period_delete_refusal(p) == "考核期为“评分中”：只有草稿（开始评分前）可以删除。"

    # asked again: the page says why not, and nothing is recorded twice
    again = client.get(f"/assessment/periods/{p.pk}/open/").content.decode()
    assert "考核期为“评分中”，不能开始评分。" in again and "<form" not in again.split('id="as-open"')[1]
    assert client.post(f"/assessment/periods/{p.pk}/open/").status_code == 400
    assert len(opened(p)) == 1


def test_only_the_schemes_managers_reach_the_page(draft, county):
    assert browser(county.alice).get(f"/assessment/periods/{draft.period.pk}/open/").status_code == 404
    stranger = make_user("erin", Role.STREET_STAFF, county.west)
    assert browser(stranger).get(f"/assessment/periods/{draft.period.pk}/open/").status_code == 404


def test_the_api_says_what_opening_did(draft, county):
    p, m = draft.period, draft.manager
    subjects = [services.period_subject_add(actor=m, period=p, obj=u) for u in (county.alice, county.bob)]
    services.assignment_create(actor=m, period=p, group="judges", rater=make_user("judge", Role.COMMUNITY_STAFF, county.c),
                               subjects=subjects)
    body = as_user(m).post(f"{API}/periods/{p.pk}/transitions/open_scoring", {}, content_type="application/json")
    assert body.status_code == 200
    assert (body.json()["state"], body.json()["message"]) == ("scoring_open", "已开始评分：2 个考核对象，2 项评分任务。")
    assert len(opened(p)) == 1
