"""Security headers on every response (ASVS V14.4): the Content-Security-Policy from JICENG_CSP,
and Django's nosniff, Referrer-Policy and X-Frame-Options."""

import pytest
from django.test import Client
from django.urls import reverse

from .helpers import login_verified

pytestmark = pytest.mark.django_db
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
          "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


def test_csp_header_is_present_on_pages(client):
    response = client.get(reverse("login"))
    assert response["Content-Security-Policy"] == POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_csp_header_is_present_on_the_api_and_the_back_office(county):
    assert Client().get("/api/regions/")["Content-Security-Policy"] == POLICY
    admin = login_verified(Client(), county.sysadmin)
    assert admin.get("/admin/")["Content-Security-Policy"] == POLICY


def test_the_policy_is_configurable(client, settings):
    settings.JICENG_CSP = "default-src 'self'"
    assert client.get(reverse("login"))["Content-Security-Policy"] == "default-src 'self'"


def test_pages_carry_no_inline_script_or_style(county):
    """What the policy would block: an inline <script> body, a <style> element, a style attribute."""
    import re

    client = login_verified(Client(), county.alice)
    for url in (reverse("login"), reverse("home"), reverse("accounts:home"), reverse("accounts:sessions"),
                reverse("accounts:password"), reverse("accounts:2fa-setup")):
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html), url
        assert "<style" not in html and " style=" not in html, url
