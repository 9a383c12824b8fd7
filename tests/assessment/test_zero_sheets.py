"""A round closed with no score sheet submitted, or none of some group: 结束评分 warns that those groups
will score 0 for everyone, and 计算 waits for the manager's explicit 仍按 0 分计算 (``force``) instead of
ranking everyone 0.00, tied first.

The 张家口 Q2 of ``test_pages``: 4 secretaries, groups 镇街党政正职评价 (leader), 评委打分 (3 judges), 社区书记互评
(peers) — sheets: leader 4, judges 3 × 4 = 12, peers 4 × 3 = 12 → 28, none submitted.
"""

from __future__ import annotations

import json

import pytest

from jiceng.assessment import services
from jiceng.assessment.models import AssessmentResult
from jiceng.core.errors import ApplicationError
from jiceng.core.models import AuditLog
from tests.assessment.test_api import as_user
from tests.assessment.test_pages import world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

API = "/api/assessment"


def test_closing_with_no_sheet_submitted_warns_that_everyone_scores_zero(world, login):  # noqa: F811
    page = login(world.manager).get(f"/assessment/periods/{world.q2.pk}/close/")
    html = page.content.decode()
    assert page.context["sheets"]["sheets"] == 28 and page.context["sheets"]["missing"] == 28
    assert [g.code for g in page.context["unrated"]] == ["leaders", "judges", "peers"]
    assert 'id="as-unrated"' in html and "本期没有一份已提交的评分" in html
    assert "“镇街党政正职评价、评委打分、社区书记互评”的得分都将为 0" in html and "仍按 0 分计算" in html


def test_closing_with_one_group_unrated_names_that_group(world, login):  # noqa: F811
    for s in world.q2_subjects.values():
        services.rating_save(actor=world.leader, period=world.q2, group="leaders", subject=s, score=90, submit=True)
        for j in world.judges:
            services.rating_save(actor=j, period=world.q2, group="judges", subject=s, score=80, submit=True)
    html = login(world.manager).get(f"/assessment/periods/{world.q2.pk}/close/").content.decode()
    assert "“社区书记互评”没有一份已提交的评分" in html and "本期没有一份已提交的评分" not in html


def test_closing_with_every_group_rated_has_no_such_warning(world, login):  # noqa: F811
    services.rating_save(actor=world.leader, period=world.q2, group="leaders", subject=world.q2_subjects["bob"],
                         score=90, submit=True)
    services.rating_save(actor=world.judges[0], period=world.q2, group="judges", subject=world.q2_subjects["bob"],
                         score=90, submit=True)
    services.rating_save(actor=world.secretaries["alice"], period=world.q2, group="peers",
                         subject=world.q2_subjects["bob"], score=90, submit=True)
    page = login(world.manager).get(f"/assessment/periods/{world.q2.pk}/close/")
    assert page.context["unrated"] == [] and 'id="as-unrated"' not in page.content.decode()


def test_compute_with_no_sheet_waits_for_the_managers_word(world, login):  # noqa: F811
    services.period_close_scoring(actor=world.manager, period=world.q2)
    with pytest.raises(ApplicationError) as exc:
        services.period_compute(actor=world.manager, period=world.q2)
    assert exc.value.field == "force" and "仍按 0 分计算" in exc.value.message
    world.q2.refresh_from_db()
    assert world.q2.state == "scoring_closed" and not AssessmentResult.objects.filter(period=world.q2).exists()

    client = login(world.manager)
    ranking = client.get(f"/assessment/periods/{world.q2.pk}/").content.decode()
    assert 'id="as-zero-groups"' in ranking and 'name="force" value="1"' in ranking
    refused = client.post(f"/assessment/periods/{world.q2.pk}/transition/", {"action": "compute"})
    assert refused.status_code == 400
    assert refused.content.decode().count("没有一份已提交的评分") == 1  # beside the button, once
    assert not AuditLog.objects.filter(action="assessment.period_compute", object_id=str(world.q2.pk)).exists()

    done = client.post(f"/assessment/periods/{world.q2.pk}/transition/", {"action": "compute", "force": "1"})
    assert done.status_code == 302
    world.q2.refresh_from_db()
    assert world.q2.state == "computed"
    assert {(str(r.total), r.rank) for r in AssessmentResult.objects.filter(period=world.q2)} == {("0.00", 1)}
    log = AuditLog.objects.get(action="assessment.period_compute", object_id=str(world.q2.pk))
    assert log.changes["zero_groups"] == [None, ["leaders", "judges", "peers"]]
    assert log.changes["state"] == ["scoring_closed", "computed"]
    assert "按 0 分计算" in client.get(done["Location"]).content.decode()


def test_compute_with_one_unrated_group_refused_in_the_api_unless_forced(world):  # noqa: F811
    for s in world.q2_subjects.values():
        services.rating_save(actor=world.leader, period=world.q2, group="leaders", subject=s, score=90, submit=True)
        for j in world.judges:
            services.rating_save(actor=j, period=world.q2, group="judges", subject=s, score=80, submit=True)
    services.period_close_scoring(actor=world.manager, period=world.q2)
    client = as_user(world.manager)
    url = f"{API}/periods/{world.q2.pk}/transitions/compute"
    refused = client.post(url, json.dumps({}), content_type="application/json")
    assert refused.status_code == 400 and refused.json()["field"] == "force"
    assert "社区书记互评" in refused.json()["message"]
    done = client.post(url, json.dumps({"force": True}), content_type="application/json")
    assert done.status_code == 200 and done.json()["state"] == "computed"
    # 0.4 × 90 + 0.4 × 80 + 0.2 × 0 = 68 for everyone
    assert {(str(r.total), r.rank) for r in AssessmentResult.objects.filter(period=world.q2)} == {("68.00", 1)}
    log = AuditLog.objects.get(action="assessment.period_compute", object_id=str(world.q2.pk))
    assert log.changes["zero_groups"] == [None, ["peers"]]


def test_compute_with_every_group_rated_needs_no_confirmation(world):  # noqa: F811
    s = world.q2_subjects["bob"]
    services.rating_save(actor=world.leader, period=world.q2, group="leaders", subject=s, score=90, submit=True)
    services.rating_save(actor=world.judges[0], period=world.q2, group="judges", subject=s, score=90, submit=True)
    services.rating_save(actor=world.secretaries["alice"], period=world.q2, group="peers", subject=s, score=90,
                         submit=True)
    services.period_close_scoring(actor=world.manager, period=world.q2)
    assert services.period_compute_refusal(world.q2) is None
    assert len(services.period_compute(actor=world.manager, period=world.q2)) == 4
    log = AuditLog.objects.get(action="assessment.period_compute", object_id=str(world.q2.pk))
    assert "zero_groups" not in log.changes
