"""The account security page (/accounts/): a plain title, and the link to the tokens page in the
body for staff (residents have no tokens)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from jiceng.people.choices import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def title_of(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match, html[:500]
    return match.group(1)


def test_the_title_holds_text_only_and_the_tokens_link_is_in_the_body(county, login):
    html = login(county.alice).get(reverse("accounts:home")).content.decode()
    title = title_of(html)
    assert "<" not in title and ">" not in title
    assert title.strip().startswith("账号安全")
    body = html.split("</head>", 1)[1]
    assert reverse("accounts:tokens") in body


def test_a_resident_sees_no_tokens_link_and_a_plain_title(county, login):
    resident = make_user("resident1", Role.RESIDENT, county.a)
    html = login(resident).get(reverse("accounts:home")).content.decode()
    assert "<" not in title_of(html)
    assert reverse("accounts:tokens") not in html
