"""A refused request (403) is a security event (等保 安全审计: 重要安全事件, 事件是否成功): it is in the
audit log with who, when, from where, what they asked for (never the query string, which carries
searches) and why it was refused — once per caller and URL every few minutes, so a loop cannot
flood the chain. And the server's log says it in one line, without a traceback."""

import logging
import sys

import pytest
from django.test import Client
from django.urls import reverse

from jiceng.core.api_tokens import api_token_create
from jiceng.core.logs import ClientErrorsBrief
from jiceng.core.models import AuditLog
from jiceng.people.services import resident_account_create, resident_create

pytestmark = pytest.mark.django_db


def denials():
    return list(AuditLog.objects.filter(action="access.denied").order_by("id"))


def test_a_resident_opening_a_staff_page_is_recorded_once_per_url(county):
    resident = resident_create(actor=county.alice, name="居民甲", grid=county.a1_1)
    account = resident_account_create(actor=county.alice, resident=resident, username="jumin", password="Wq-7731-Zk")
    client = Client(REMOTE_ADDR="10.1.2.3")
    assert client.login(username="jumin", password="Wq-7731-Zk")
    console = reverse("events:console")
    assert client.get(console + "?q=13900001111").status_code == 403
    assert client.get(console + "?q=张三").status_code == 403  # the same URL moments later: not again
    assert client.get(reverse("resident-list")).status_code == 403
    first, second = denials()
    assert (first.actor_id, first.actor_role, first.ip, first.object_type) == (account.pk, "resident", "10.1.2.3", "url")
    assert first.object_repr == f"GET {console}"  # no query string
    assert first.changes == {"status": 403, "reason": "这是工作人员使用的页面。"}
    assert second.object_repr == f"GET {reverse('resident-list')}"
    assert "13900001111" not in str(first.changes) + first.object_repr


def test_a_refused_api_call_is_recorded_with_the_message_the_caller_got(county):
    _, token = api_token_create(actor=county.alice, user=county.alice, name="对接")
    response = Client().post("/api/regions/", {"code": "A2", "name": "甲二网格", "level": 5, "parent": county.a.pk},
                             content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 403
    (record,) = denials()
    assert (record.actor_id, record.channel, record.object_repr) == (county.alice.pk, "api", "POST /api/regions/")
    assert record.changes == {"status": 403, "reason": response.json()["message"]}


def test_a_failed_csrf_check_is_recorded_without_an_actor(county):
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.9.9.9")
    assert client.post(reverse("login"), {"username": "alice", "password": "x"}).status_code == 403
    (record,) = denials()
    assert (record.actor_id, record.actor_name, record.ip) == (None, "system", "10.9.9.9")
    assert record.object_repr == f"POST {reverse('login')}"


def test_an_allowed_request_and_a_missing_page_are_not_denials(county, login):
    client = login(county.alice)
    assert client.get(reverse("events:console")).status_code == 200
    assert client.get("/no-such-page/").status_code == 404
    assert denials() == []


def _record(status: int) -> logging.LogRecord:
    try:
        raise PermissionError("refused")
    except PermissionError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden: %s", ("/x/",), exc_info)
    record.status_code = status
    return record


def test_the_log_keeps_a_refusal_to_one_line_but_a_server_error_keeps_its_traceback():
    refused, failed = _record(403), _record(500)
    assert ClientErrorsBrief().filter(refused) and ClientErrorsBrief().filter(failed)
    assert refused.exc_info is None and logging.Formatter().format(refused) == "Forbidden: /x/"
    assert failed.exc_info is not None and "Traceback" in logging.Formatter().format(failed)


def test_the_servers_logging_uses_the_filter():
    from jiceng import settings as base

    assert base.LOGGING["handlers"]["console"]["filters"] == ["client_errors_brief"]
    assert base.LOGGING["filters"]["client_errors_brief"]["()"] == "jiceng.core.logs.ClientErrorsBrief"


def test_asking_for_a_record_outside_ones_scope_is_recorded_though_the_answer_is_404(county, login):
    """bob (乙社区) tries the id of a resident of 甲社区: a 404, as for an id that does not exist — but
    the record exists, so the attempt is a security event; an id that exists nowhere is not."""
    resident = resident_create(actor=county.alice, name="居民甲", grid=county.a1_1)
    client = login(county.bob)
    assert client.get(reverse("resident-detail", args=[resident.pk])).status_code == 404
    assert client.get(reverse("resident-detail", args=[resident.pk + 1000])).status_code == 404
    _, token = api_token_create(actor=county.bob, user=county.bob, name="对接")
    answer = Client().get(f"/api/people/residents/{resident.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 404
    page, api = denials()
    assert (page.actor_id, page.object_repr, page.changes) == (
        county.bob.pk, f"GET {reverse('resident-detail', args=[resident.pk])}",
        {"status": 404, "reason": "未找到该记录，或您无权查看。", "out_of_scope": [f"people.resident pk={resident.pk}"]})
    assert (api.channel, api.changes["reason"], api.changes["out_of_scope"]) == (
        "api", answer.json()["message"], [f"people.resident pk={resident.pk}"])
    assert client.get(reverse("resident-detail", args=[resident.pk])).status_code == 404
    assert len(denials()) == 2  # the same URL again within minutes: not again
