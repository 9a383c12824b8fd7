"""Two factors (等保 身份鉴别: 两种或两种以上组合的鉴别技术): the three admin roles must pass TOTP after
the password — until then they reach only the 2FA pages and logout, and never /admin/ — other staff
may turn it on; codes are good once; recovery codes are shown once, hashed at rest, good once."""

import re
import time
from datetime import timedelta
from urllib.parse import unquote

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts import services, totp
from jiceng.accounts.models import AccountSecurity, RecoveryCode, TotpDevice
from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.models import AuditLog
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
T0 = timezone.make_aware(timezone.datetime(2026, 3, 2, 8, 0))


def password_login(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def code_for(user, at=None):
    secret = TotpDevice.objects.get(user=user).secret
    return totp.totp(totp.secret_bytes(secret), time.time() if at is None else at)


def enrol(client, user) -> list[str]:
    """Walk the setup page; returns the recovery codes it shows."""
    page = client.get(reverse("accounts:2fa-setup"))
    assert page.status_code == 200
    response = client.post(reverse("accounts:2fa-setup"), {"code": code_for(user)})
    assert response.status_code == 200
    return re.findall(r"<code>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</code>", response.content.decode())


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
def test_admin_without_totp_cannot_reach_the_back_office(county, client, role):
    password_login(client, getattr(county, role))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:2fa-setup"))
    assert unquote(response["Location"]).endswith("next=/admin/")
    assert client.get(reverse("home")).status_code == 302  # nor any other page
    assert client.get("/admin/people/user/").status_code == 302


def test_admin_without_totp_gets_401_from_the_api(county, client):
    password_login(client, county.sysadmin)
    response = client.get("/api/regions/")
    assert response.status_code == 401 and response.json()["code"] == "second_factor_required"


def test_enrolment_shows_the_secret_the_uri_and_a_qr_code(county, client):
    password_login(client, county.secadmin)
    response = client.get(reverse("accounts:2fa-setup"))
    assert "no-store" in response["Cache-Control"]  # the secret is never cached
    html = response.content.decode()
    secret = TotpDevice.objects.get(user=county.secadmin).secret
    assert f"otpauth://totp/Jiceng%20%E5%9F%BA%E5%B1%82%3Asecadmin?secret={secret}" in html
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in html
    assert 'src="data:image/svg+xml' in html
    assert client.get(reverse("accounts:2fa-setup")).content.decode().count(secret) >= 1  # same on reload


def test_the_secret_is_encrypted_at_rest(county, client):
    password_login(client, county.secadmin)
    client.get(reverse("accounts:2fa-setup"))
    secret = TotpDevice.objects.get(user=county.secadmin).secret
    with connection.cursor() as cur:
        cur.execute("SELECT secret FROM accounts_totpdevice")
        stored = cur.fetchone()[0]
    assert stored.startswith("enc:v1:") and secret not in stored


def test_enrolment_with_a_valid_code_opens_the_back_office(county, client):
    password_login(client, county.secadmin)
    codes = enrol(client, county.secadmin)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/admin/").status_code == 200
    assert AuditLog.objects.filter(action="totp.enable", actor_name="secadmin").exists()


def test_recovery_codes_are_stored_hashed(county, client):
    password_login(client, county.secadmin)
    codes = enrol(client, county.secadmin)
    stored = " ".join(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert all(c not in stored and c.replace("-", "") not in stored for c in codes)


def test_a_wrong_code_does_not_enrol(county, client):
    password_login(client, county.secadmin)
    client.get(reverse("accounts:2fa-setup"))
    response = client.post(reverse("accounts:2fa-setup"), {"code": "000000"})
    assert "验证码不正确" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_next_login_asks_for_the_code_and_a_valid_code_opens_the_back_office(county):
    with time_machine.travel(T0, tick=False):
        enrol(password_login(Client(), county.auditor), county.auditor)
    with time_machine.travel(T0 + timedelta(seconds=120), tick=False):
        client = password_login(Client(), county.auditor)
        response = client.get("/admin/")
        assert response["Location"].startswith(reverse("accounts:2fa-verify"))
        assert client.get(reverse("accounts:2fa-setup")).status_code == 302  # no second enrolment
        response = client.post(reverse("accounts:2fa-verify") + "?next=/admin/",
                               {"code": code_for(county.auditor), "next": "/admin/"})
        assert response.status_code == 302 and response["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200


def test_the_same_code_is_refused_a_second_time(county):
    with time_machine.travel(T0, tick=False):
        enrol(password_login(Client(), county.auditor), county.auditor)
    with time_machine.travel(T0 + timedelta(seconds=60), tick=False):
        code = code_for(county.auditor)
        first = password_login(Client(), county.auditor)
        assert first.post(reverse("accounts:2fa-verify"), {"code": code}).status_code == 302
    with time_machine.travel(T0 + timedelta(seconds=75), tick=False):  # same 30-second window
        second = password_login(Client(), county.auditor)
        response = second.post(reverse("accounts:2fa-verify"), {"code": code})
        assert response.status_code == 200 and "已使用过" in response.content.decode()
        assert second.get("/admin/").status_code == 302


def test_a_recovery_code_works_once(county):
    with time_machine.travel(T0, tick=False):
        codes = enrol(password_login(Client(), county.sysadmin), county.sysadmin)
        client = password_login(Client(), county.sysadmin)
        response = client.post(reverse("accounts:2fa-verify"), {"code": codes[3].lower()}, follow=True)
        assert "还剩 9 个" in response.content.decode()
        assert client.get("/admin/").status_code == 200
        again = password_login(Client(), county.sysadmin)
        assert again.post(reverse("accounts:2fa-verify"), {"code": codes[3]}).status_code == 200
        assert again.get("/admin/").status_code == 302
    assert AuditLog.objects.filter(action="login.second_factor", changes__method="recovery").count() == 1


def test_wrong_codes_count_towards_the_lockout(county):
    with time_machine.travel(T0, tick=False):
        enrol(password_login(Client(), county.sysadmin), county.sysadmin)
        client = password_login(Client(), county.sysadmin)
        for _ in range(4):
            assert client.post(reverse("accounts:2fa-verify"), {"code": "123456"}).status_code == 200
        response = client.post(reverse("accounts:2fa-verify"), {"code": "123456"})
        assert response.status_code == 302 and response["Location"] == reverse("login")
        assert AccountSecurity.objects.get(user=county.sysadmin).is_locked()
        assert client.get(reverse("accounts:2fa-verify")).status_code == 302  # logged out


def test_a_wrong_code_is_recorded_as_the_accounts_own_failed_login(county):
    """The password was right, so the audit admin reads who failed the second factor (操作人, 角色) —
    not "system"; a wrong password proves no one, so that failure names the account only as its object."""
    with time_machine.travel(T0, tick=False):
        enrol(password_login(Client(), county.secadmin), county.secadmin)
        password_login(Client(REMOTE_ADDR="10.0.0.7"), county.secadmin).post(reverse("accounts:2fa-verify"),
                                                                              {"code": "123456"})
        Client().post(reverse("login"), {"username": "secadmin", "password": "Wrong-pass-1"})
    second, first = AuditLog.objects.filter(action="login.failed").order_by("id")
    assert (second.actor_id, second.actor_name, second.actor_role) == (county.secadmin.pk, "secadmin", "security_admin")
    assert (second.object_type, second.object_id, second.ip, second.changes) == (
        "people.user", str(county.secadmin.pk), "10.0.0.7",
        {"username": "secadmin", "reason": "bad_second_factor", "failed_logins": 1})
    assert (first.actor_id, first.actor_name, first.actor_role) == (None, "system", "")
    assert (first.object_id, first.changes["reason"]) == (str(county.secadmin.pk), "bad_password")


def test_password_and_code_reset_the_failure_count_only_after_the_code(county):
    enrol(password_login(Client(), county.sysadmin), county.sysadmin)
    Client().post(reverse("login"), {"username": "sysadmin", "password": "Wrong-pass-1"})
    client = password_login(Client(), county.sysadmin)
    assert AccountSecurity.objects.get(user=county.sysadmin).failed_logins == 1
    client.post(reverse("accounts:2fa-verify"), {"code": code_for(county.sysadmin, time.time() + 30)})
    assert AccountSecurity.objects.get(user=county.sysadmin).failed_logins == 0


def test_other_staff_log_in_without_a_code_until_they_turn_it_on(county):
    alice = password_login(Client(), county.alice)
    assert alice.get(reverse("home")).status_code == 200
    with time_machine.travel(T0, tick=False):
        enrol(alice, county.alice)
    with time_machine.travel(T0 + timedelta(seconds=60), tick=False):
        later = password_login(Client(), county.alice)
        assert later.get(reverse("home"))["Location"].startswith(reverse("accounts:2fa-verify"))
        later.post(reverse("accounts:2fa-verify"), {"code": code_for(county.alice)})
        assert later.get(reverse("home")).status_code == 200


def test_staff_may_turn_it_off_with_a_code_but_admins_may_not(county):
    with time_machine.travel(T0, tick=False):
        alice = password_login(Client(), county.alice)
        enrol(alice, county.alice)
    with time_machine.travel(T0 + timedelta(seconds=60), tick=False):
        services.totp_disable(actor=county.alice, code=code_for(county.alice))
    assert not TotpDevice.objects.filter(user=county.alice).exists()
    with time_machine.travel(T0, tick=False):
        enrol(password_login(Client(), county.auditor), county.auditor)
    with time_machine.travel(T0 + timedelta(seconds=60), tick=False), pytest.raises(PermissionDeniedError):
        services.totp_disable(actor=county.auditor, code=code_for(county.auditor))


def test_wrong_codes_to_turn_it_off_are_failed_logins_and_lock_the_account(county):
    """Whoever holds an open session may not guess codes to remove the second factor: each wrong code
    is audited as the account's failed second factor, and the fifth locks the account and ends the
    session — as at login."""
    with time_machine.travel(T0, tick=False):
        alice = password_login(Client(), county.alice)
        enrol(alice, county.alice)
        for attempt in range(1, 5):
            response = alice.post(reverse("accounts:totp-disable"), {"code": "123456"})
            assert response.status_code == 302 and response["Location"] == reverse("accounts:home")
            assert AccountSecurity.objects.get(user=county.alice).failed_logins == attempt
        assert TotpDevice.objects.filter(user=county.alice).exists()
        response = alice.post(reverse("accounts:totp-disable"), {"code": "123456"})
        assert response.status_code == 302 and response["Location"] == reverse("login")
        assert AccountSecurity.objects.get(user=county.alice).is_locked()
        assert alice.get(reverse("accounts:home")).status_code == 302  # the session ended
    failures = AuditLog.objects.filter(action="login.failed", object_id=str(county.alice.pk)).order_by("id")
    assert [(f.actor_id, f.changes["reason"], f.changes["failed_logins"]) for f in failures] == [
        (county.alice.pk, "bad_second_factor", n) for n in range(1, 6)]
    assert AuditLog.objects.filter(action="account.lock", object_id=str(county.alice.pk)).count() == 1
    assert not AuditLog.objects.filter(action="totp.disable").exists()
    assert TotpDevice.objects.filter(user=county.alice).exists()


def test_the_security_admin_resets_a_lost_authenticator(county):
    enrol(password_login(Client(), county.auditor), county.auditor)
    with pytest.raises(PermissionDeniedError):
        services.totp_reset(actor=county.sysadmin, user=county.auditor)
    services.totp_reset(actor=county.secadmin, user=county.auditor)
    assert not TotpDevice.objects.filter(user=county.auditor).exists()
    assert not RecoveryCode.objects.filter(user=county.auditor).exists()
    client = password_login(Client(), county.auditor)
    assert client.get("/admin/")["Location"].startswith(reverse("accounts:2fa-setup"))


def test_logout_stays_reachable_before_the_second_factor(county, client):
    password_login(client, county.sysadmin)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")


def test_an_account_granted_an_admin_role_mid_session_must_pass_totp(county, client):
    from jiceng.people.services import user_set_role

    password_login(client, county.bob)
    assert client.get(reverse("home")).status_code == 200
    user_set_role(actor=county.secadmin, user=county.bob, role="audit_admin")
    assert client.get(reverse("home"))["Location"].startswith(reverse("accounts:2fa-setup"))


def test_new_recovery_codes_replace_the_old_ones(county, client):
    password_login(client, county.alice)
    old = enrol(client, county.alice)
    assert "还剩 10 个恢复码" in client.get(reverse("accounts:home")).content.decode()
    response = client.post(reverse("accounts:recovery-codes"))
    assert "no-store" in response["Cache-Control"]
    new = re.findall(r"<code>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</code>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    with pytest.raises(ApplicationError, match="验证码不正确"):
        services.totp_verify(actor=county.alice, code=old[0])
    assert services.totp_verify(actor=county.alice, code=new[0]) == "recovery"


def test_the_security_admin_resets_through_the_back_office(county):
    from .helpers import login_verified

    enrol(password_login(Client(), county.auditor), county.auditor)
    admin = login_verified(Client(), county.secadmin)
    url = reverse("admin:accounts_totpdevice_changelist")
    assert "auditor" in admin.get(url).content.decode()
    device = TotpDevice.objects.get(user=county.auditor)
    assert admin.post(url, {"action": "reset", "_selected_action": [device.pk]}).status_code == 302
    assert not TotpDevice.objects.filter(user=county.auditor).exists()
    assert AuditLog.objects.filter(action="totp.reset", actor_name="secadmin").count() == 1
    assert login_verified(Client(), county.sysadmin).get(url).status_code == 403


def test_optional_enrolment_offers_a_way_back_and_required_enrolment_only_logout(county, client):
    password_login(client, county.alice)  # community staff: two factors are optional
    page = client.get(reverse("accounts:2fa-setup")).content.decode()
    assert 'id="totp-later"' in page and f'href="{reverse("accounts:home")}"' in page
    admin = password_login(Client(), county.sysadmin)  # an administrator must enrol first
    page = admin.get(reverse("accounts:2fa-setup")).content.decode()
    assert 'id="totp-later"' not in page and reverse("logout") in page


@pytest.mark.parametrize(("role", "told", "not_told"), [
    ("auditor", "请联系安全管理员重置双因素认证", "另一位安全管理员"),
    ("secadmin", "请联系另一位安全管理员", "请联系安全管理员重置"),
])
def test_the_code_page_says_who_can_reset_a_lost_authenticator(county, client, role, told, not_told):
    """The security admin is who resets a lost authenticator — but never their own (services.totp_reset),
    so the hint sends them to another security admin, not to themselves."""
    user = getattr(county, role)
    TotpDevice.objects.create(user=user, secret=totp.new_secret(), confirmed_at=timezone.now())
    page = password_login(client, user).get(reverse("accounts:2fa-verify"))
    hint = page.content.decode().split('id="totp-lost">')[1].split("</p>")[0]
    assert told in hint and not_told not in hint
    with pytest.raises(PermissionDeniedError):
        services.totp_reset(actor=county.secadmin, user=county.secadmin)
