"""``jiceng bootstrap_admins``: the three admin accounts of a new installation, once, with one-time
passwords that must be changed — and a second factor enrolled — at first login."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from jiceng.core.models import AuditLog
from jiceng.people.models import User

pytestmark = pytest.mark.django_db


def bootstrap() -> dict[str, str]:
    out = io.StringIO()
    call_command("bootstrap_admins", "root", "guard", "watcher", stdout=out)
    return dict(re.findall(r"^  (\w+)\t(\S+)$", out.getvalue(), flags=re.M))


def test_three_admin_accounts_with_one_time_passwords():
    passwords = bootstrap()
    assert sorted(User.objects.values_list("username", "role")) == [
        ("guard", "security_admin"), ("root", "system_admin"), ("watcher", "audit_admin")]
    assert len(set(passwords.values())) == 3
    assert AuditLog.objects.filter(action="user.create", changes__source="bootstrap").count() == 3
    assert not any(p in str(list(AuditLog.objects.values_list("changes", flat=True))) for p in passwords.values())


def test_first_login_must_change_the_password_after_enrolling_the_second_factor():
    passwords = bootstrap()
    client = Client()
    client.post(reverse("login"), {"username": "guard", "password": passwords["guard"]})
    assert client.get("/admin/")["Location"].startswith(reverse("accounts:2fa-setup"))
    from tests.accounts.helpers import pass_second_factor

    pass_second_factor(client, User.objects.get(username="guard"))
    assert client.get("/admin/")["Location"].startswith(reverse("accounts:password"))


def test_it_runs_once():
    bootstrap()
    with pytest.raises(CommandError, match="初始化只能执行一次"):
        call_command("bootstrap_admins", "a", "b", "c", stdout=io.StringIO())


def test_three_different_accounts_are_needed():
    with pytest.raises(CommandError, match="三个不同的账号"):
        call_command("bootstrap_admins", "same", "same", "other", stdout=io.StringIO())
    assert not User.objects.exists()
