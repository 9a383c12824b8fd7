"""公布 and 复核后公布 previewed through the API (``GET /periods/{id}/publish-preview`` and
``…/republish-preview``): the same facts as the confirmation pages, refused as the pages refuse, and
equal to what the step then publishes. The fixtures and their arithmetic are those of
test_publish_pages.py:

公布 — Q2 rated like Q1: alice 95 A rank 1, bob 80 B 2, dave 80 B 2 (tie), carol 60 C 4 → A 1, B 2, C 1;
优先入编 for alice (A); no 建议调整 (carol is C twice, three are needed).

复核后公布 — Q1 (published 95, 80, 80, 64). Bob and dave appeal; bob's leader score is corrected 80 → 100:
40 + 32 + 16 = 88 → B, rank 2 (调整); dave 80 B moves 2 → 3, rank only (维持); alice and carol unchanged.

红榜/黑榜 — four property companies 90, 83, 76, 69, 红榜 top 1, 黑榜 bottom 1: 物业1 and 物业4.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jiceng.assessment import services
from jiceng.assessment.models import AssessmentResult, ResultFlag
from jiceng.core.models import AuditLog
from jiceng.people.choices import Role
from tests.assessment.test_api import API, as_user
from tests.assessment.test_pages import world  # noqa: F401  (the fixture)
from tests.assessment.test_publish_pages import bob_corrected, property_quarter, rate_q2_like_q1
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def as_page(user) -> Client:
    """A browser of its own (the pages' answer beside the API's)."""
    browser = Client()
    browser.force_login(user)
    return browser


def writes(queries) -> list[str]:
    """The statements that wrote, but for the token's last-used time (authentication's, not the endpoint's)."""
    return [q["sql"] for q in queries if q["sql"].lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}
            and '"core_apitoken"' not in q["sql"]]


def test_the_publish_preview_is_what_publish_then_publishes(world):  # noqa: F811
    rate_q2_like_q1(world)
    client = as_user(world.manager)
    audits = AuditLog.objects.count()
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(f"{API}/periods/{world.q2.pk}/publish-preview")
    assert answer.status_code == 200
    assert writes(queries) == [] and AuditLog.objects.count() == audits  # a pure read
    preview = answer.json()
    assert (preview["period"]["id"], preview["period"]["state"]) == (world.q2.pk, "computed")
    assert preview["results"] == 4
    assert preview["grades"] == [{"grade": "A", "count": 1}, {"grade": "B", "count": 2}, {"grade": "C", "count": 1}]
    assert preview["flags"] == [{"kind": "permanent", "label": "优先入编", "count": 1, "names": ["alice"]}]
    top = [(r["subject"], r["total"], r["grade"], r["rank"], r["rank_of"], r["flags"]) for r in preview["top"]]
    assert top == [("alice", "95.00", "A", 1, 4, ["permanent"]), ("bob", "80.00", "B", 2, 4, []),
                   ("dave", "80.00", "B", 2, 4, []), ("carol", "60.00", "C", 4, 4, [])]
    world.q2.refresh_from_db()
    assert world.q2.state == "computed" and not ResultFlag.objects.filter(period=world.q2).exists()

    done = client.post(f"{API}/periods/{world.q2.pk}/transitions/publish", {"published_on": "2026-07-08"},
                       content_type="application/json")
    assert done.status_code == 200 and done.json()["message"] == "已公布 4 个结果，公布日期 2026-07-08。"
    ranking = client.get(f"{API}/periods/{world.q2.pk}/ranking").json()["rows"]
    assert all(r["published"] for r in ranking)
    grades: dict[str, int] = {}
    for r in ranking:
        grades[r["grade"]] = grades.get(r["grade"], 0) + 1
    assert [{"grade": g, "count": n} for g, n in grades.items()] == preview["grades"]
    assert [(r["result_id"], r["total"], r["grade"], r["rank"], r["flags"]) for r in ranking[:4]] == [
        (r["result_id"], r["total"], r["grade"], r["rank"], r["flags"]) for r in preview["top"]]
    assert [(f.kind, f.subject.display_name) for f in ResultFlag.objects.filter(period=world.q2)] == [
        (f["kind"], name) for f in preview["flags"] for name in f["names"]]
    # published, the period is past its preview
    refused = client.get(f"{API}/periods/{world.q2.pk}/publish-preview")
    assert refused.status_code == 400 and refused.json()["field"] == "state"


def test_the_red_and_black_lists_are_previewed_with_their_names(county):
    p = property_quarter(county)
    client = as_user(county.county_staff)
    preview = client.get(f"{API}/periods/{p.pk}/publish-preview").json()
    assert preview["grades"] == []  # the scheme has no grades
    assert preview["flags"] == [{"kind": "red", "label": "红榜", "count": 1, "names": ["物业1"]},
                                {"kind": "black", "label": "黑榜", "count": 1, "names": ["物业4"]}]
    assert [(r["subject"], r["total"], r["rank"], r["flags"]) for r in preview["top"]] == [
        ("物业1", "90.00", 1, ["red"]), ("物业2", "83.00", 2, []), ("物业3", "76.00", 3, []),
        ("物业4", "69.00", 4, ["black"])]
    client.post(f"{API}/periods/{p.pk}/transitions/publish", {"published_on": "2026-07-10"},
                content_type="application/json")
    stored = sorted((f.kind, f.subject.display_name) for f in ResultFlag.objects.filter(period=p))
    assert stored == sorted((f["kind"], name) for f in preview["flags"] for name in f["names"])


def bob_and_dave_appeal_and_bob_is_corrected(world):  # noqa: F811
    for name in ("bob", "dave"):
        services.appeal_file(actor=world.secretaries[name], period=world.q1, subject=world.subjects[name],
                             reason="请复核")
    services.period_start_rereview(actor=world.manager, period=world.q1)
    services.rating_save(actor=world.leader, period=world.q1, group="leaders", subject=world.subjects["bob"],
                         score=100, submit=True)
    services.period_recompute(actor=world.manager, period=world.q1, reason="更正镇街评价分")


def test_the_republish_preview_shows_old_to_new_and_each_appeals_outcome(world):  # noqa: F811
    bob_and_dave_appeal_and_bob_is_corrected(world)
    client = as_user(world.manager)
    new = {r.subject.display_name: r for r in AssessmentResult.objects.filter(period=world.q1, published_at=None)}
    assert sorted(new) == ["bob", "dave"]  # dave's rank moved: a new version too
    audits = AuditLog.objects.count()
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(f"{API}/periods/{world.q1.pk}/republish-preview")
    assert answer.status_code == 200
    assert writes(queries) == [] and AuditLog.objects.count() == audits
    preview = answer.json()

    def figures(r):
        return (r["total"], r["grade"], r["rank"]) if r else None

    rows = [(r["subject"], figures(r["old"]), figures(r["new"]), r["change"]) for r in preview["rows"]]
    assert rows == [("alice", ("95.00", "A", 1), ("95.00", "A", 1), ""),
                    ("bob", ("80.00", "B", 2), ("88.00", "B", 2), "adjusted"),
                    ("dave", ("80.00", "B", 2), ("80.00", "B", 3), "rank"),
                    ("carol", ("64.00", "C", 4), ("64.00", "C", 4), "")]
    by_name = {r["subject"]: r for r in preview["rows"]}
    assert by_name["bob"]["old"]["result_id"] == world.results["bob"].pk
    assert by_name["bob"]["new"]["result_id"] == new["bob"].pk and by_name["bob"]["new"]["version_no"] == 2
    assert by_name["alice"]["old"] == by_name["alice"]["new"]  # unchanged: the published version stays
    assert (preview["changed"], preview["adjusted"], preview["stale"], preview["refusal"]) == (2, 1, [], None)
    assert preview["flags"] == [{"kind": "permanent", "label": "优先入编", "count": 1, "names": ["alice"]}]
    assert [(a["subject"], a["outcome"], a["outcome_label"], a["replied"]) for a in preview["appeals"]] == [
        ("bob", "adjusted", "调整", False), ("dave", "upheld", "维持", False)]

    bob_appeal = preview["appeals"][0]["id"]
    client.post(f"{API}/appeals/{bob_appeal}/reply", {"decision": "镇街评价分已更正"}, content_type="application/json")
    preview = client.get(f"{API}/periods/{world.q1.pk}/republish-preview").json()
    assert [(a["subject"], a["replied"], a["decision"]) for a in preview["appeals"]] == [
        ("bob", True, "镇街评价分已更正"), ("dave", False, "")]

    done = client.post(f"{API}/periods/{world.q1.pk}/transitions/republish", {"decision": "名次随他人调整变化，得分未变"},
                       content_type="application/json")
    assert done.status_code == 200
    appeals = {a.subject.display_name: (a.outcome, a.decision) for a in world.q1.appeals.filter(state="resolved")
               if a.subject.display_name in ("bob", "dave")}
    assert appeals == {"bob": ("adjusted", "镇街评价分已更正"), "dave": ("upheld", "名次随他人调整变化，得分未变")}
    ranking = client.get(f"{API}/periods/{world.q1.pk}/ranking").json()["rows"]
    assert [(r["result_id"], r["total"], r["grade"], r["rank"], r["flags"]) for r in ranking] == [
        (r["new"]["result_id"], r["new"]["total"], r["new"]["grade"], r["new"]["rank"],
         ["permanent"] if r["subject"] == "alice" else []) for r in preview["rows"]]


def test_the_republish_preview_names_corrections_not_yet_recomputed_and_a_refusal(world):  # noqa: F811
    bob_corrected(world)  # corrected, but 复核重算 not run
    client = as_user(world.manager)
    preview = client.get(f"{API}/periods/{world.q1.pk}/republish-preview").json()
    assert (preview["changed"], preview["refusal"]) == (0, None)
    assert preview["stale"] == [{"subject_id": world.subjects[name].pk, "subject": name} for name in ("bob", "dave")]
    assert [(a["subject"], a["outcome"]) for a in preview["appeals"]] == [("bob", "upheld")]  # as of now
    services.assignment_rerate_request(actor=world.manager, period=world.q1, subject=world.subjects["bob"],
                                       group="judges", reason="请核实")
    preview = client.get(f"{API}/periods/{world.q1.pk}/republish-preview").json()
    assert "退回重评的评分未提交" in preview["refusal"]
    page = as_page(world.manager).get(f"/assessment/periods/{world.q1.pk}/republish/").content.decode()
    assert preview["refusal"] in page  # what the page shows instead of its button


def test_only_the_schemes_managers_preview_and_strangers_are_told_nothing(world, county):  # noqa: F811
    rate_q2_like_q1(world)
    bob_corrected(world)
    stranger = make_user("erin", Role.STREET_STAFF, county.west)
    for period, step in ((world.q2, "publish"), (world.q1, "republish")):
        url = f"{API}/periods/{period.pk}/{step}-preview"
        subject = as_user(world.secretaries["bob"]).get(url)  # sees the period, manages nothing
        assert subject.status_code == 403
        assert subject.json() == {"code": "forbidden", "message": "您无权管理该考核方案。"}
        assert as_page(world.secretaries["bob"]).get(f"/assessment/periods/{period.pk}/{step}/").status_code == 403
        outside = as_user(stranger).get(url)
        assert outside.status_code == 404 and outside.json()["code"] == "not_found"
        assert as_page(stranger).get(f"/assessment/periods/{period.pk}/{step}/").status_code == 404


def test_a_period_in_the_wrong_state_is_refused_as_on_its_page(world):  # noqa: F811
    client, browser = as_user(world.manager), as_page(world.manager)
    audits = AuditLog.objects.count()
    scoring = client.get(f"{API}/periods/{world.q2.pk}/publish-preview")  # Q2 is still scoring
    assert scoring.status_code == 400  # as posting 公布 itself answers
    assert scoring.json() == {"code": "invalid", "message": "考核期为“评分中”，不能“公布”。", "field": "state"}
    page = browser.get(f"/assessment/periods/{world.q2.pk}/publish/").content.decode()
    assert "考核期为“评分中”，不能公布。" in page and "确认公布" not in page
    republished = client.get(f"{API}/periods/{world.q1.pk}/republish-preview")  # Q1 is already republished
    assert republished.status_code == 400
    assert republished.json() == {"code": "invalid", "message": "考核期为“复核后公布”，不能“复核后公布”。",
                                  "field": "state"}
    page = browser.get(f"/assessment/periods/{world.q1.pk}/republish/").content.decode()
    assert "考核期为“复核后公布”，不能复核后公布。" in page and "确认复核后公布" not in page
    assert client.get(f"{API}/periods/{world.q1.pk}/publish-preview").status_code == 400
    assert client.get(f"{API}/periods/{world.q2.pk}/republish-preview").status_code == 400
    assert AuditLog.objects.count() == audits


def test_the_previews_are_in_the_schema_with_their_errors(world):  # noqa: F811
    schema = as_user(world.manager).get("/api/openapi.json").json()
    for step, summary in (("publish", "公布预览"), ("republish", "复核后公布预览")):
        op = schema["paths"][f"/api/assessment/periods/{{id}}/{step}-preview"]["get"]
        assert op["summary"] == summary
        assert {"200", "400", "403", "404"} <= set(op["responses"])
    transition = schema["paths"]["/api/assessment/periods/{id}/transitions/{action}"]["post"]
    assert "publish-preview" in transition["description"] and "republish-preview" in transition["description"]
