"""Login lockout (等保 身份鉴别: 登录失败处理): five wrong passwords lock the account for
JICENG_LOCKOUT_SECONDS, the right password is refused meanwhile, the security admin (and nobody
else) can lift the lock, a flood from one address is throttled, and every step is audited
without the password."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts import services
from jiceng.accounts.models import AccountSecurity
from jiceng.core.errors import PermissionDeniedError
from jiceng.core.models import AuditLog
from tests.factories import PASSWORD

from .helpers import login_verified

pytestmark = pytest.mark.django_db
WRONG = "Wrong-pass-2026"
NOW = timezone.make_aware(timezone.datetime(2026, 3, 2, 9, 0))


def attempt(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def logged_in(client) -> bool:
    return SESSION_KEY in client.session


def fail(client, username, times):
    for _ in range(times):
        response = attempt(client, username, WRONG)
        assert response.status_code == 200
    return response


@time_machine.travel(NOW, tick=False)
def test_five_wrong_passwords_lock_and_the_sixth_attempt_is_refused(county, client):
    fifth = fail(client, "alice", 5)
    assert "账号已锁定，请于 09:30 后重试或联系安全管理员" in fifth.content.decode()
    sixth = attempt(client, "alice", WRONG)
    assert "账号已锁定，请于 09:30 后重试或联系安全管理员" in sixth.content.decode()
    row = AccountSecurity.objects.get(user=county.alice)
    assert row.locked_until == NOW + timedelta(seconds=1800)
    assert row.failed_logins == 5  # the refused sixth attempt never reached the password check


def test_four_wrong_passwords_only_show_the_usual_error(county, client):
    response = fail(client, "alice", 4)
    assert "请输入一个正确的" in response.content.decode()
    assert "锁定" not in response.content.decode()
    assert not AccountSecurity.objects.get(user=county.alice).is_locked()


@time_machine.travel(NOW, tick=False)
def test_right_password_after_the_lock_is_refused(county, client):
    fail(client, "alice", 5)
    response = attempt(client, "alice", PASSWORD)
    assert response.status_code == 200 and not logged_in(client)
    assert "账号已锁定" in response.content.decode()


def test_the_lock_runs_out_after_the_lockout_period(county, client):
    with time_machine.travel(NOW, tick=False):
        fail(client, "alice", 5)
    with time_machine.travel(NOW + timedelta(seconds=1799), tick=False):
        attempt(client, "alice", PASSWORD)
        assert not logged_in(client)
    with time_machine.travel(NOW + timedelta(seconds=1801), tick=False):
        assert attempt(client, "alice", PASSWORD).status_code == 302 and logged_in(client)
    assert AccountSecurity.objects.get(user=county.alice).failed_logins == 0


def test_a_successful_login_resets_the_count(county, client):
    fail(client, "alice", 4)
    assert attempt(client, "alice", PASSWORD).status_code == 302
    Client().post(reverse("login"), {"username": "alice", "password": WRONG})
    assert AccountSecurity.objects.get(user=county.alice).failed_logins == 1


def test_unlock_by_the_security_admin_lets_the_account_in(county, client):
    fail(client, "alice", 5)
    services.account_unlock(actor=county.secadmin, user=county.alice)
    assert attempt(client, "alice", PASSWORD).status_code == 302 and logged_in(client)


@pytest.mark.parametrize("role", ["sysadmin", "auditor", "county_staff", "bob"])
def test_other_roles_cannot_unlock(county, client, role):
    fail(client, "alice", 5)
    with pytest.raises(PermissionDeniedError):
        services.account_unlock(actor=getattr(county, role), user=county.alice)
    assert AccountSecurity.objects.get(user=county.alice).is_locked()


def test_the_security_admin_cannot_unlock_their_own_account(county):
    with pytest.raises(PermissionDeniedError):
        services.account_unlock(actor=county.secadmin, user=county.secadmin)


def test_locked_accounts_are_listed_and_unlocked_in_the_back_office_by_the_security_admin(county, client):
    fail(client, "alice", 5)
    admin = login_verified(Client(), county.secadmin)
    url = reverse("admin:accounts_accountsecurity_changelist")
    page = admin.get(url)
    assert page.status_code == 200 and "alice" in page.content.decode()
    row = AccountSecurity.objects.get(user=county.alice)
    response = admin.post(url, {"action": "unlock", "_selected_action": [row.pk]})
    assert response.status_code == 302
    assert not AccountSecurity.objects.get(user=county.alice).is_locked()
    entry = AuditLog.objects.filter(action="account.unlock").get()
    assert (entry.actor_name, entry.object_repr) == ("secadmin", "alice")


@pytest.mark.parametrize("role", ["sysadmin", "auditor"])
def test_the_locked_account_list_is_hidden_from_the_other_admins(county, role):
    admin = login_verified(Client(), getattr(county, role))
    assert admin.get(reverse("admin:accounts_accountsecurity_changelist")).status_code == 403


def test_lock_failures_and_unlock_are_audited_without_the_password(county, client):
    fail(client, "alice", 5)
    attempt(client, "alice", PASSWORD)
    services.account_unlock(actor=county.secadmin, user=county.alice)
    actions = list(AuditLog.objects.order_by("id").values_list("action", flat=True))
    assert actions.count("login.failed") == 6  # five wrong passwords, one refused while locked
    assert actions.count("account.lock") == 1 and actions.count("account.unlock") == 1
    reasons = [e.changes["reason"] for e in AuditLog.objects.filter(action="login.failed").order_by("id")]
    assert reasons == ["bad_password"] * 5 + ["locked"]
    every_record = str(list(AuditLog.objects.values_list("changes", "object_repr")))
    assert WRONG not in every_record and PASSWORD not in every_record


def test_an_unknown_user_name_locks_the_same_way(county, client):
    """The lock message must not tell an attacker which user names exist."""
    response = fail(client, "nobody", 5)
    assert "账号已锁定" in response.content.decode()
    entry = AuditLog.objects.filter(action="login.failed").last()
    assert entry.changes["reason"] == "unknown_user" and entry.object_repr == "nobody"


def test_one_address_is_throttled_after_the_limit_per_minute(county, settings):
    settings.JICENG_LOGIN_IP_LIMIT = 3
    with time_machine.travel(NOW, tick=False):
        attacker = Client(REMOTE_ADDR="198.51.100.7")
        for name in ("u1", "u2", "u3"):
            attempt(attacker, name, WRONG)
        response = attempt(attacker, "alice", PASSWORD)
        assert not logged_in(attacker)
        assert "登录失败次数过多" in response.content.decode()
        # Someone else, from another address, is not affected.
        other = Client(REMOTE_ADDR="198.51.100.8")
        assert attempt(other, "alice", PASSWORD).status_code == 302
    assert AuditLog.objects.filter(action="login.throttle", object_id="198.51.100.7").count() == 1
    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        assert attempt(attacker, "alice", PASSWORD).status_code == 302


def test_the_django_admin_login_obeys_the_lock_too(county, client):
    fail(client, "secadmin", 5)
    other = Client()
    response = other.post("/admin/login/", {"username": "secadmin", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 200 and not logged_in(other)
