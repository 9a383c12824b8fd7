"""Errors raised by the services come out in the reader's language: Chinese by default, English
when the language switch (the cookie) says so — in the API and on pages."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from jiceng.core.errors import ApplicationError

pytestmark = pytest.mark.django_db

FOLLOW = "/api/events/public/follow"
BODY = {"number": "202501010000001", "phone": "13800000000"}


def test_an_api_error_follows_the_language_cookie():
    chinese = Client().post(FOLLOW, BODY, content_type="application/json")
    assert chinese.status_code == 404 and chinese.json()["message"] == "未找到该案件，或电话与上报时不符。"
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.post(FOLLOW, BODY, content_type="application/json")
    assert english.status_code == 404
    assert english.json()["message"] == ("The case was not found, or the phone number does not match the one "
                                         "given when reporting.")


def test_a_bad_map_box_says_so_in_english():
    from django.utils import translation

    from jiceng.events.selectors.map import BBox

    with translation.override("en"):
        with pytest.raises(ApplicationError) as caught:
            BBox.parse("1,2,3")
    assert "west,south,east,north" in caught.value.message
