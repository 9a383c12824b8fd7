"""The workflow buttons of the ranking page (/assessment/periods/<id>/transition/)."""

from __future__ import annotations

import pytest

from jiceng.assessment import services
from tests.assessment.test_pages import world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def test_a_recompute_without_a_reason_says_so_once_at_the_field(world, login):  # noqa: F811
    services.appeal_file(actor=world.secretaries["bob"], period=world.q1, subject=world.subjects["bob"],
                         reason="评委打分漏计")
    services.period_start_rereview(actor=world.manager, period=world.q1)
    client = login(world.manager)
    page = client.post(f"/assessment/periods/{world.q1.pk}/transition/", {"action": "recompute", "reason": " "})
    assert page.status_code == 400
    html = page.content.decode()
    assert html.count("请填写重算原因。") == 1
    assert 'class="msg error"' not in html  # not among the page's messages ...
    field = html.index('name="reason"')  # ... but right after the reason field
    assert html.index('<span class="field-error" id="as-reason-error">请填写重算原因。</span>') > field
    world.q1.refresh_from_db()
    assert world.q1.state == "rereview"
