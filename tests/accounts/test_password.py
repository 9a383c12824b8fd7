"""Password ageing and change (等保 身份鉴别: 口令定期更换): after JICENG_PASSWORD_MAX_AGE_DAYS a session
reaches only the password page; the change goes through Django's validators (three character
classes among them) and restarts the password's age; other sessions are logged out."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.models import AccountSecurity
from jiceng.core.models import AuditLog
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
NEW = "Neuer-Pass-2026"


def password_login(client, username, password=PASSWORD):
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:300]
    return client


def change(client, old=PASSWORD, new=NEW, new2=None):
    return client.post(reverse("accounts:password"),
                       {"old_password": old, "new_password": new, "new_password2": new2 or new})


def test_a_password_older_than_90_days_forces_the_change_page(county):
    later = county.alice.date_joined + timedelta(days=90, minutes=1)
    with time_machine.travel(later, tick=False):
        client = password_login(Client(), "alice")
        response = client.get(reverse("home"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:password"))
        assert client.get("/api/regions/").status_code == 403
        page = client.get(response["Location"])
        assert page.status_code == 200 and "密码已超过有效期" in page.content.decode()


def test_a_password_younger_than_90_days_does_not(county):
    with time_machine.travel(county.alice.date_joined + timedelta(days=89), tick=False):
        assert password_login(Client(), "alice").get(reverse("home")).status_code == 200


def test_changing_the_password_lets_the_person_in_and_restarts_the_age(county):
    later = county.alice.date_joined + timedelta(days=100)
    with time_machine.travel(later, tick=False):
        client = password_login(Client(), "alice")
        response = change(client)
        assert response.status_code == 302
        assert client.get(reverse("home")).status_code == 200
        assert AccountSecurity.objects.get(user=county.alice).password_changed_at == timezone.now()
    with time_machine.travel(later + timedelta(days=89), tick=False):
        assert password_login(Client(), "alice", NEW).get(reverse("home")).status_code == 200
    entry = AuditLog.objects.get(action="password.change")
    assert entry.changes["password"] == ["***", "***"] and NEW not in str(entry.changes)


def field_errors(response) -> str:
    return " ".join(re.findall(r'<p class="field-error">([^<]*)</p>', response.content.decode()))


@pytest.mark.parametrize(("new", "message"), [
    ("Short1A", "8"),  # Django 5.2's "too short" message has no zh-hans translation yet
    ("alllowercaseletters", "至少 3 类"),
    ("Password123", "太常见"),
])
def test_the_new_password_must_pass_the_validators(county, new, message):
    client = password_login(Client(), "alice")
    response = change(client, new=new)
    assert response.status_code == 200 and message in field_errors(response)
    assert not AuditLog.objects.filter(action="password.change").exists()


def test_the_current_password_must_be_right(county):
    response = change(password_login(Client(), "alice"), old="Not-the-pass-1")
    assert "当前密码不正确" in response.content.decode()


def test_the_two_new_passwords_must_match(county):
    response = change(password_login(Client(), "alice"), new2="Other-Pass-2026")
    assert "两次输入的新密码不一致" in response.content.decode()


def test_changing_the_password_logs_out_the_other_sessions(county):
    here = password_login(Client(), "alice")
    there = password_login(Client(), "alice")
    change(here)
    assert here.get(reverse("home")).status_code == 200
    assert there.get(reverse("home")).status_code == 302
