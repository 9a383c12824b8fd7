"""The tokens page: staff issue and revoke their own API tokens; the security admin issues Open311
keys for a hotline account and sees and revokes everyone's. A new token is shown once."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from jiceng.core.models import ApiToken, AuditLog
from jiceng.people.choices import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

URL = "/accounts/tokens/"


def issued_token(response) -> str:
    match = re.search(r'<code id="token-value">([^<]+)</code>', response.content.decode())
    assert match, response.content.decode()[:2000]
    return match.group(1)


def test_staff_issue_their_own_token_which_then_authenticates(county, login):
    client = login(county.alice)
    page = client.post(URL, {"kind": "api", "name": "数据对接", "days": "30"})
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    token = issued_token(page)
    row = ApiToken.objects.get()
    assert row.user == county.alice and row.expires_at is not None
    assert Client().get("/api/regions/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    listing = client.get(URL).content.decode()
    assert token not in listing and row.prefix in listing  # shown once, then only its prefix


def test_staff_cannot_issue_for_someone_else(county, login):
    page = login(county.alice).post(URL, {"kind": "api", "name": "冒用", "username": county.bob.username})
    assert page.status_code == 400 and "无权为他人签发" in page.content.decode()
    assert not ApiToken.objects.exists()


def test_the_security_admin_issues_an_open311_key_for_a_hotline_account(county, login):
    client = login(county.secadmin)
    page = client.post(URL, {"kind": "open311", "name": "12345热线", "username": county.county_staff.username})
    key = issued_token(page)
    row = ApiToken.objects.get()
    assert row.user == county.county_staff and row.name == "Open311：12345热线"
    assert AuditLog.objects.filter(action="api_token.create", actor_id=county.secadmin.pk).exists()
    # the key reads Open311 within that account's scope
    assert Client().get(f"/open311/v2/requests.json?api_key={key}").status_code == 200
    # an admin account cannot carry a key (it would file cases as an admin)
    refused = client.post(URL, {"kind": "open311", "name": "x", "username": county.sysadmin.username})
    assert refused.status_code == 400 and "工作人员账号" in refused.content.decode()


def test_the_security_admin_sees_and_revokes_everyones_tokens_others_only_their_own(county, login):
    login(county.alice).post(URL, {"kind": "api", "name": "甲的令牌"})
    login(county.bob).post(URL, {"kind": "api", "name": "乙的令牌"})
    alices = ApiToken.objects.get(user=county.alice)
    assert "甲的令牌" not in login(county.bob).get(URL).content.decode()
    # bob cannot revoke alice's token: 404, nothing changes
    assert login(county.bob).post(URL, {"revoke": alices.pk}).status_code == 404
    alices.refresh_from_db()
    assert not alices.revoked
    admin = login(county.secadmin)
    listing = admin.get(URL).content.decode()
    assert "甲的令牌" in listing and "乙的令牌" in listing
    assert admin.post(URL, {"revoke": alices.pk}).status_code == 302
    alices.refresh_from_db()
    assert alices.revoked
    assert AuditLog.objects.filter(action="api_token.revoke", object_id=str(alices.pk)).exists()


def test_bad_input_is_a_form_error_and_residents_have_no_tokens(county, login):
    page = login(county.alice).post(URL, {"kind": "api", "name": "", "days": "0"})
    assert page.status_code == 400 and not ApiToken.objects.exists()
    resident = make_user("resident1", Role.RESIDENT, county.a)
    assert login(resident).get(URL).status_code == 403
