"""Sessions (等保 身份鉴别: 登录连接超时自动退出; ASVS V3): a new session id at login, the idle and the
absolute timeout, and a person ending their other sessions."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.models import SessionEnd, UserSession
from jiceng.core.models import AuditLog
from tests.factories import PASSWORD

from .helpers import login_verified

pytestmark = pytest.mark.django_db
T0 = timezone.make_aware(timezone.datetime(2026, 3, 2, 8, 0))
IDLE = 1800
API = "/api/regions/"


def login_form(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def test_login_gives_the_session_a_new_id(county, client):
    client.get(reverse("login"))
    client.session.save()  # an anonymous session, as a fixation attacker would plant
    before = client.session.session_key
    login_form(client, county.alice)
    after = client.cookies["sessionid"].value
    assert before and after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_a_login_is_listed_with_its_address_and_browser(county):
    client = Client(REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="Mozilla/5.0 测试浏览器")
    login_form(client, county.alice)
    row = UserSession.objects.get(user=county.alice)
    assert (row.ip, row.user_agent, row.session_key) == ("192.0.2.10", "Mozilla/5.0 测试浏览器",
                                                         client.cookies["sessionid"].value)
    assert AuditLog.objects.filter(action="login", actor_name="alice").count() == 1


def test_idle_timeout_logs_a_page_out_with_a_message(county, client):
    with time_machine.travel(T0, tick=False):
        login_form(client, county.alice)
    with time_machine.travel(T0 + timedelta(seconds=IDLE - 60), tick=False):
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(T0 + timedelta(seconds=2 * IDLE - 120), tick=False):
        assert client.get(reverse("home")).status_code == 200  # activity kept it alive
    with time_machine.travel(T0 + timedelta(seconds=3 * IDLE), tick=False):
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next=/"
        assert SESSION_KEY not in client.session
        page = client.get(response["Location"]).content.decode()
        assert "已超过 30 分钟未操作，请重新登录" in page
    row = UserSession.objects.get(user=county.alice)
    assert row.end_reason == SessionEnd.IDLE and row.ended_at is not None
    assert AuditLog.objects.filter(action="session.expire", changes__reason="idle").exists()


def test_idle_timeout_answers_the_api_with_401(county, client):
    with time_machine.travel(T0, tick=False):
        login_form(client, county.alice)
        assert client.get(API).status_code == 200
    with time_machine.travel(T0 + timedelta(seconds=IDLE + 1), tick=False):
        response = client.get(API)
        assert response.status_code == 401
        assert response.json()["code"] == "session_expired"
        assert client.get(API).status_code == 401  # logged out for good


def test_absolute_timeout_ends_even_a_busy_session_after_12_hours(county, client, settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    with time_machine.travel(T0, tick=False):
        login_form(client, county.alice)
    at = T0
    while at < T0 + timedelta(hours=12) - timedelta(minutes=25):
        at += timedelta(minutes=25)
        with time_machine.travel(at, tick=False):
            assert client.get(reverse("home")).status_code == 200, at
    with time_machine.travel(T0 + timedelta(hours=12, seconds=1), tick=False):
        response = client.get(reverse("home"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert "登录已超过 12 小时" in client.get(response["Location"]).content.decode()
    assert UserSession.objects.get(user=county.alice).end_reason == SessionEnd.ABSOLUTE


def test_the_sessions_page_lists_the_persons_own_sessions_only(county):
    laptop = login_form(Client(HTTP_USER_AGENT="laptop"), county.alice)
    login_form(Client(HTTP_USER_AGENT="phone"), county.alice)
    login_form(Client(HTTP_USER_AGENT="bobs-pc"), county.bob)
    html = laptop.get(reverse("accounts:sessions")).content.decode()
    assert "laptop" in html and "phone" in html and "bobs-pc" not in html
    assert "当前会话" in html


def test_ending_another_session_logs_it_out(county):
    laptop = login_form(Client(HTTP_USER_AGENT="laptop"), county.alice)
    phone = login_form(Client(HTTP_USER_AGENT="phone"), county.alice)
    phone_row = UserSession.objects.get(user_agent="phone")
    response = laptop.post(reverse("accounts:sessions"), {"session": [phone_row.pk]})
    assert response.status_code == 302
    assert phone.get(reverse("home")).status_code == 302  # back to the login
    assert laptop.get(reverse("home")).status_code == 200
    assert not Session.objects.filter(session_key=phone_row.session_key).exists()
    phone_row.refresh_from_db()
    assert phone_row.end_reason == SessionEnd.ENDED
    assert AuditLog.objects.filter(action="session.end", actor_name="alice").count() == 1


def test_end_all_other_sessions_keeps_this_one(county):
    clients = [login_form(Client(HTTP_USER_AGENT=f"b{i}"), county.alice) for i in range(3)]
    clients[0].post(reverse("accounts:sessions"), {"end": "others"})
    assert [c.get(reverse("home")).status_code for c in clients] == [200, 302, 302]


def test_nobody_can_end_someone_elses_session(county):
    alice = login_form(Client(), county.alice)
    bob = login_form(Client(), county.bob)
    bobs = UserSession.objects.get(user=county.bob)
    alice.post(reverse("accounts:sessions"), {"session": [bobs.pk]})
    assert bob.get(reverse("home")).status_code == 200


def test_logout_ends_the_listed_session(county, client):
    login_form(client, county.alice)
    client.post(reverse("logout"))
    row = UserSession.objects.get(user=county.alice)
    assert row.end_reason == SessionEnd.LOGOUT
    assert AuditLog.objects.filter(action="logout", actor_name="alice").exists()


def test_an_admin_session_times_out_in_the_back_office_too(county, client):
    with time_machine.travel(T0, tick=False):
        login_verified(client, county.secadmin)
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(T0 + timedelta(seconds=IDLE + 1), tick=False):
        response = client.get("/admin/")
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
