"""复核 and period handling, over the hand-computed quarters of test_pages.py.

Q1 (republished once already: carol's appeal raised her 60 → 64, v2, still 4th):
alice 95 A 1, bob 80 B 2, dave 80 B 2 (tie), carol 64 C 4. Each subject has 7 score sheets: the street
leader (镇街党政正职评价 40%), three judges (评委打分 40%, highest and lowest dropped) and the three other
secretaries (互评 20%, anonymous). Bob's Q1 sheets: leader 80, judges 70 / 80 / 90, peers 80.
Q2 is being scored (4 subjects × 7 = 28 sheets, none rated).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client

from jiceng.assessment import selectors, services
from jiceng.assessment.models import Appeal, AssessmentPeriod, PeriodSubject, RaterAssignment, Rating
from jiceng.core.errors import ApplicationError
from jiceng.core.models import AuditLog
from tests.assessment.helpers import period
from tests.assessment.test_api import as_user
from tests.assessment.test_pages import world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db
API = "/api/assessment"


def as_page(user) -> Client:
    """A browser of its own per user (the ``login`` fixture shares one client)."""
    browser = Client()
    browser.force_login(user)
    return browser


def audits(action: str, obj=None) -> list[AuditLog]:
    qs = AuditLog.objects.filter(action=action)
    if obj is not None:
        qs = qs.filter(object_id=str(obj.pk))
    return list(qs.order_by("id"))


def ranking_badges(html: str) -> dict[str, list[str]]:
    """Each ranking row's subject → the 复核 badges in it."""
    body = html[html.index('class="table as-ranking"'):]
    rows = re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", body, re.S)
    out = {}
    for row in rows:
        name = re.findall(r"<td>(\w+)</td>", row)[0]
        out[name] = [label for label in ("复核中", "已复核调整", "名次随复核变化") if label in row]
    return out


# --- 1. one pending appeal per result ----------------------------------------------------------


def test_a_second_appeal_while_the_first_waits_is_refused_on_the_page_and_in_the_api(world):  # noqa: F811
    bob_result = world.results["bob"]
    url = f"/assessment/results/{bob_result.pk}/appeal/"
    client = as_page(world.secretaries["bob"])
    assert client.post(url, {"reason": "评委打分漏计了专项工作"}).status_code == 302
    (appeal,) = Appeal.objects.filter(subject=bob_result.subject)
    assert len(audits("assessment.appeal_file", appeal)) == 1
    page = client.get(f"/assessment/results/{bob_result.pk}/").content.decode()
    assert "待复核" in page and f'action="{url}"' not in page  # the form is not offered again

    again = client.post(url, {"reason": "再申请一次"})
    assert again.status_code == 400
    html = again.content.decode()
    assert 'id="as-appeal-error"' in html and "尚在复核中（待复核），不能重复申请" in html
    # the manager, for bob, through the API: 400 naming the field, nothing queued
    answer = as_user(world.manager).post(f"{API}/periods/{world.q1.pk}/appeals",
                                         {"subject_id": bob_result.subject_id, "reason": "代为申诉"},
                                         content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["field"] == "subject_id" and "不能重复申请" in answer.json()["message"]
    assert Appeal.objects.filter(subject=bob_result.subject).count() == 1
    assert len(audits("assessment.appeal_file")) == 2  # carol's in Q1's first round, bob's: no third

    # the rule is per subject: dave may still appeal while bob's waits
    services.appeal_file(actor=world.secretaries["dave"], period=world.q1, subject=world.subjects["dave"],
                         reason="互评分偏低")
    assert Appeal.objects.filter(period=world.q1, state="open").count() == 2


# --- 2. the reviewer's reply, and what the appellant reads ------------------------------------


def test_the_reply_is_kept_audited_and_shown_to_the_appellant_once_republished(world):  # noqa: F811
    bob_result = world.results["bob"]
    appeal = services.appeal_file(actor=world.secretaries["bob"], period=world.q1, subject=bob_result.subject,
                                  reason="评委打分漏计了专项工作")
    services.period_start_rereview(actor=world.manager, period=world.q1)
    manager = as_page(world.manager)
    reply_url = f"/assessment/results/{bob_result.pk}/appeals/{appeal.pk}/reply/"
    empty = manager.post(reply_url, {"decision": " "})
    assert empty.status_code == 400 and "field-error" in empty.content.decode()
    assert audits("assessment.appeal_reply") == []
    assert manager.post(reply_url, {"decision": "经复核，评委打分无误，维持原结果。"}).status_code == 302
    appeal.refresh_from_db()
    assert appeal.decision == "经复核，评委打分无误，维持原结果。" and appeal.state == "open"
    (reply,) = audits("assessment.appeal_reply", appeal)
    assert reply.changes == {"decision": [None, "经复核，评委打分无误，维持原结果。"]}
    # until republished the reply is the reviewer's draft: the manager reads it, bob does not
    assert "维持原结果" in manager.get(f"/assessment/results/{bob_result.pk}/").content.decode()
    bob = as_page(world.secretaries["bob"])
    page = bob.get(f"/assessment/results/{bob_result.pk}/").content.decode()
    assert "待复核" in page and "维持原结果" not in page
    bob_api = as_user(world.secretaries["bob"])
    (row,) = bob_api.get(f"{API}/results/{bob_result.pk}/appeals").json()
    assert (row["state"], row["status_label"], row["decision"], row["outcome"]) == ("open", "待复核", "", "")

    # 复核后公布 with no re-scoring: nothing recomputed, bob's result stands → 维持
    assert manager.post(f"/assessment/periods/{world.q1.pk}/transition/",
                        {"action": "republish", "reason": ""}).status_code == 302
    appeal.refresh_from_db()
    assert (appeal.state, appeal.outcome, appeal.decided_by) == ("resolved", "upheld", world.manager)
    (resolved,) = audits("assessment.appeal_resolve", appeal)
    assert resolved.changes["outcome"] == [None, "upheld"] and resolved.changes["state"] == ["open", "resolved"]
    assert audits("assessment.period_republish", world.q1)[-1].changes["appeals"] == [None, {str(appeal.pk): "upheld"}]
    page = bob.get(f"/assessment/results/{bob_result.pk}/").content.decode()
    assert "已复核：维持" in page and "复核意见：经复核，评委打分无误，维持原结果。" in page
    (row,) = bob_api.get(f"{API}/results/{bob_result.pk}/appeals").json()
    assert (row["status_label"], row["outcome"], row["decision"]) == ("已复核：维持", "upheld",
                                                                       "经复核，评委打分无误，维持原结果。")
    # carol's appeal of the first round changed her result (60 → 64, v2): 调整, with its reply
    carol = as_user(world.secretaries["carol"]).get(f"{API}/results/{world.results['carol'].pk}/appeals").json()
    assert [(a["status_label"], a["outcome"], a["decision"]) for a in carol] == [("已复核：调整", "adjusted", "申诉成立")]


def test_republishing_needs_a_reply_for_every_appeal(world):  # noqa: F811
    services.appeal_file(actor=world.secretaries["bob"], period=world.q1, subject=world.subjects["bob"],
                         reason="评委打分漏计")
    services.period_start_rereview(actor=world.manager, period=world.q1)
    client = as_page(world.manager)
    page = client.post(f"/assessment/periods/{world.q1.pk}/transition/", {"action": "republish", "reason": ""})
    assert page.status_code == 400
    assert '<span class="field-error" id="as-reason-error">请填写复核意见（答复bob的申诉）。</span>' in page.content.decode()
    world.q1.refresh_from_db()
    assert world.q1.state == "rereview"
    assert len(audits("assessment.period_republish", world.q1)) == 1  # the first round's only
    # the reply given at 复核后公布 answers the appeals that have none of their own
    services.period_republish(actor=world.manager, period=world.q1, decision="复核无误，维持原结果")
    assert Appeal.objects.get(subject=world.subjects["bob"]).decision == "复核无误，维持原结果"


# --- 3. the ranking marks what may still change ------------------------------------------------


def test_the_ranking_marks_pending_appeals_and_results_a_review_changed(world):  # noqa: F811
    client = as_page(world.manager)
    url = f"/assessment/periods/{world.q1.pk}/"
    html = client.get(url).content.decode()
    assert ranking_badges(html) == {"alice": [], "bob": [], "dave": [], "carol": ["已复核调整"]}
    assert 'id="as-under-review"' not in html
    services.appeal_file(actor=world.secretaries["bob"], period=world.q1, subject=world.subjects["bob"],
                         reason="评委打分漏计")
    html = client.get(url).content.decode()
    assert ranking_badges(html) == {"alice": [], "bob": ["复核中"], "dave": [], "carol": ["已复核调整"]}
    assert 'id="as-under-review"' in html
    body = as_user(world.manager).get(f"{API}/periods/{world.q1.pk}/ranking").json()
    assert [(r["subject"], r["appeal_pending"], r["reviewed"]) for r in body["rows"]] == [
        ("alice", False, False), ("bob", True, False), ("dave", False, False), ("carol", False, True)]
    # bob reads his own row (his data scope) with the same mark
    assert ranking_badges(as_page(world.secretaries["bob"]).get(url).content.decode()) == {"bob": ["复核中"]}


# --- 4. 退回重评 counts as a to-do -----------------------------------------------------------------


def test_a_score_sent_back_during_the_review_is_on_the_raters_to_do_list(world):  # noqa: F811
    """judge1: Q1's 4 sheets submitted, Q2's 4 waiting. Bob's judge1 score (70) is sent back, re-scored 85:
    judges 85 / 80 / 90, drop 90 and 80 → 85; bob 80 × 40% + 85 × 40% + 80 × 20% = 32 + 34 + 16 = 82 (B, 2nd
    alone); dave 80 drops to 3rd; alice 95 and carol 64 keep theirs."""
    judge = world.judges[0]
    bob_result, bob = world.results["bob"], world.subjects["bob"]
    services.appeal_file(actor=world.secretaries["bob"], period=world.q1, subject=bob, reason="评委打分漏计")
    rater_page = as_page(judge)
    assert len(selectors.rater_todo(judge)) == 4
    services.period_start_rereview(actor=world.manager, period=world.q1)
    assert len(selectors.rater_todo(judge)) == 4  # re-reviewing alone asks no rater for anything

    manager = as_page(world.manager)
    page = manager.get(f"/assessment/results/{bob_result.pk}/")
    choices = dict(page.context["review"]["rerate_form"].fields["target"].choices)
    assert f"judges:{judge.pk}" in choices and "peers" in choices  # the anonymous group only whole
    assert not any(v.startswith("peers:") for v in choices)
    sent = manager.post(f"/assessment/results/{bob_result.pk}/rerate/",
                        {"target": f"judges:{judge.pk}", "reason": "请补看专项工作台账"})
    assert sent.status_code == 302
    assignment = RaterAssignment.objects.get(period=world.q1, group__code="judges", rater=judge, subject=bob)
    assert assignment.rerate_reason == "请补看专项工作台账"
    (request,) = audits("assessment.rerate_request", world.q1)
    assert request.changes["assignments"] == [None, [assignment.pk]]

    # 4 in Q2 + bob's sent back = 5 to do; Q1's other 3 are done
    assert len(selectors.rater_todo(judge)) == 5 and len(selectors.rater_done(judge)) == 3
    mine = rater_page.get("/assessment/mine/")
    assert [(a.period.label, a.subject.display_name) for a in mine.context["todo"]] == [
        ("2026Q2", "alice"), ("2026Q2", "bob"), ("2026Q2", "carol"), ("2026Q2", "dave"), ("2026Q1", "bob")]
    assert "退回重评" in mine.content.decode()
    assert "我的评分任务（5）" in rater_page.get("/assessment/").content.decode()
    listed = as_user(judge).get(f"{API}/assignments", {"period": world.q1.pk}).json()
    assert [(a["subject"], a["rerate_requested"], a["rerate_reason"]) for a in listed["items"]] == [
        ("bob", True, "请补看专项工作台账")]
    assert "请补看专项工作台账" in rater_page.get(f"/assessment/assignments/{assignment.pk}/").content.decode()

    # an anonymous group's single rater cannot be named; 复核后公布 waits for the score
    with pytest.raises(ApplicationError) as exc:
        services.assignment_rerate_request(actor=world.manager, period=world.q1, subject=bob, group="peers",
                                           rater=world.secretaries["alice"], reason="互评")
    assert exc.value.field == "rater"
    with pytest.raises(ApplicationError) as exc:
        services.period_republish(actor=world.manager, period=world.q1, decision="维持")
    assert exc.value.field == "state" and "1 份退回重评的评分未提交：bob（评委打分）" in exc.value.message

    # the submitted 70 counts until another score is submitted: no draft over it (it would count half-done)
    form = rater_page.get(f"/assessment/assignments/{assignment.pk}/").content.decode()
    assert 'id="as-correcting"' in form and "保存草稿" not in form
    refused = rater_page.post(f"/assessment/assignments/{assignment.pk}/", {"score": "75", "submit": "0"})
    assert refused.status_code == 400 and "不能保存为草稿" in refused.content.decode()
    with pytest.raises(ApplicationError) as exc:
        services.rating_save(actor=judge, period=world.q1, group="judges", subject=bob, score="75")
    assert exc.value.field == "state"
    assert Rating.objects.get(assignment=assignment).score == 70

    # judge1 scores again from the phone form: off the to-do list
    assert rater_page.post(f"/assessment/assignments/{assignment.pk}/", {"score": "85", "submit": "1"}).status_code == 302
    assignment.refresh_from_db()
    assert assignment.rerate_requested_at is None and assignment.rating.score == 85
    assert audits("assessment.rating_save", assignment.rating)[-1].changes["rerate"] == ["请补看专项工作台账", None]
    assert len(selectors.rater_todo(judge)) == 4 and len(selectors.rater_done(judge)) == 4
    assert "我的评分任务（4）" in rater_page.get("/assessment/").content.decode()

    made = services.period_recompute(actor=world.manager, period=world.q1, reason="评委补看台账后重评")
    assert sorted((r.subject.display_name, str(r.total), r.grade, r.rank) for r in made) == [
        ("bob", "82.00", "B", 2), ("dave", "80.00", "B", 3)]
    services.period_republish(actor=world.manager, period=world.q1, decision="评委重评为 85 分，总分调整为 82 分。")
    appeal = Appeal.objects.get(subject=bob)
    assert (appeal.state, appeal.outcome) == ("resolved", "adjusted")
    html = manager.get(f"/assessment/periods/{world.q1.pk}/").content.decode()
    # dave's v2 only moved his rank (bob's correction): no 已复核调整, a quieter note
    assert ranking_badges(html) == {"alice": [], "bob": ["已复核调整"], "dave": ["名次随复核变化"], "carol": ["已复核调整"]}


def test_a_score_sent_back_can_be_taken_back(world):  # noqa: F811
    bob, bob_result = world.subjects["bob"], world.results["bob"]
    services.appeal_file(actor=world.secretaries["bob"], period=world.q1, subject=bob, reason="镇街评价分有误")
    services.period_start_rereview(actor=world.manager, period=world.q1)
    client = as_page(world.manager)
    client.post(f"/assessment/results/{bob_result.pk}/rerate/", {"target": "peers", "reason": "互评重做"})
    # the whole anonymous group: the three other secretaries
    assert [(a.period.label, a.subject.display_name) for a in selectors.rater_todo(world.secretaries["alice"])
            if a.period_id == world.q1.pk] == [("2026Q1", "bob")]
    assert RaterAssignment.objects.filter(period=world.q1, rerate_requested_at__isnull=False).count() == 3
    page = client.get(f"/assessment/results/{bob_result.pk}/").content.decode()
    assert 'data-rerate="peers"' in page and "社区书记互评（全组 3 人）" in page
    assert client.post(f"/assessment/results/{bob_result.pk}/rerate/cancel/", {"target": "peers"}).status_code == 302
    assert not RaterAssignment.objects.filter(period=world.q1, rerate_requested_at__isnull=False).exists()
    (cancel,) = audits("assessment.rerate_cancel", world.q1)
    assert len(cancel.changes["assignments"][0]) == 3
    # a rater may not send anything back
    assert as_page(world.judges[0]).post(f"/assessment/results/{bob_result.pk}/rerate/",
                                       {"target": "peers", "reason": "x"}).status_code == 404
    services.period_republish(actor=world.manager, period=world.q1, decision="维持")


# --- 5. deleting a draft period ---------------------------------------------------------------


def test_a_draft_period_is_deleted_after_confirmation(world):  # noqa: F811
    q3 = period(world.manager, world.scheme, "2026Q3", date(2026, 7, 1), date(2026, 9, 30))
    s3 = services.period_subject_add(actor=world.manager, period=q3, obj=world.secretaries["alice"])
    services.assignment_create(actor=world.manager, period=q3, group="judges", rater=world.judges[0], subjects=[s3])
    client = as_page(world.manager)
    ranking = client.get(f"/assessment/periods/{q3.pk}/").content.decode()
    assert f'href="/assessment/periods/{q3.pk}/delete/"' in ranking
    assert f"/assessment/periods/{world.q2.pk}/delete/" not in client.get(f"/assessment/periods/{world.q2.pk}/").content.decode()
    confirm = client.get(f"/assessment/periods/{q3.pk}/delete/")
    assert confirm.status_code == 200
    assert "本期的 1 个考核对象和 1 项评分任务一并删除" in confirm.content.decode()
    # a rater of the period and a stranger may not
    assert as_page(world.judges[0]).post(f"/assessment/periods/{q3.pk}/delete/").status_code == 403
    client = as_page(world.manager)
    done = client.post(f"/assessment/periods/{q3.pk}/delete/", follow=True)
    assert done.redirect_chain[-1][0] == "/assessment/" and "已删除考核期“2026Q3”" in done.content.decode()
    assert not AssessmentPeriod.objects.filter(pk=q3.pk).exists()
    assert not PeriodSubject.objects.filter(pk=s3.pk).exists() and not RaterAssignment.objects.filter(period_id=q3.pk).exists()
    (record,) = audits("assessment.period_delete", q3)
    assert record.changes["label"] == ["2026Q3", None] and record.changes["subjects"] == [1, 0]
    assert record.changes["assignments"] == [1, 0] and record.actor_id == world.manager.pk


def test_a_period_with_scores_or_results_is_not_deleted(world):  # noqa: F811
    client = as_page(world.manager)
    # Q1: 4 subjects × 7 sheets = 28 ratings, 4 results + carol's v2 = 5, carol's appeal
    page = client.get(f"/assessment/periods/{world.q1.pk}/delete/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "“2026Q1”已有评分 28 条、结果 5 条、申诉 1 条，不能删除。" in html and "确认删除" not in html
    refused = client.post(f"/assessment/periods/{world.q1.pk}/delete/")
    assert refused.status_code == 400 and "不能删除" in refused.content.decode()
    # Q2 once one sheet is saved (a draft counts: something was scored)
    services.rating_save(actor=world.leader, period=world.q2, group="leaders", subject=world.q2_subjects["bob"],
                         score=88)
    api = as_user(world.manager).delete(f"{API}/periods/{world.q2.pk}")
    assert api.status_code == 400 and api.json()["field"] == "state"
    assert api.json()["message"] == "“2026Q2”已有评分 1 条，不能删除。"
    Rating.objects.filter(assignment__period=world.q2).delete()  # even with nothing saved, a period open for scoring stays
    with pytest.raises(ApplicationError) as exc:
        services.period_delete(actor=world.manager, period=world.q2)
    assert exc.value.message == "考核期为“评分中”：只有草稿（开始评分前）可以删除。"
    assert AssessmentPeriod.objects.filter(pk__in=[world.q1.pk, world.q2.pk]).count() == 2
    assert audits("assessment.period_delete") == []
    # through the API, a draft goes (204)
    q3 = period(world.manager, world.scheme, "2026Q3", date(2026, 7, 1), date(2026, 9, 30))
    assert as_user(world.manager).delete(f"{API}/periods/{q3.pk}").status_code == 204
    assert len(audits("assessment.period_delete", q3)) == 1


# --- 6. 结束评分 says how many score sheets are missing -------------------------------------------


def test_closing_scoring_warns_of_the_sheets_not_submitted_and_closes_when_confirmed(world):  # noqa: F811
    """Q2's 28 sheets: the leader submits all 4, judge2 submits alice's, judge1 saves bob's as a draft.
    Missing 28 − 5 = 23 (1 a draft): judge1 4 (1 draft), judge2 3, judge3 4, each secretary 3 peers."""
    q2, s = world.q2, world.q2_subjects
    for subject in s.values():
        services.rating_save(actor=world.leader, period=q2, group="leaders", subject=subject, score=80, submit=True)
    services.rating_save(actor=world.judges[1], period=q2, group="judges", subject=s["alice"], score=90, submit=True)
    services.rating_save(actor=world.judges[0], period=q2, group="judges", subject=s["bob"], score=70)
    client = as_page(world.manager)
    ranking = client.get(f"/assessment/periods/{q2.pk}/").content.decode()
    assert f'href="/assessment/periods/{q2.pk}/close/"' in ranking
    page = client.get(f"/assessment/periods/{q2.pk}/close/")
    html = page.content.decode()
    assert "本期共 28 份评分表（评分人 × 考核对象），还有 23 份未提交。" in html and "其中 1 份只保存了草稿。" in html
    rows = [(r["group"].code, r["rater"].username, r["missing"], r["drafts"]) for r in page.context["sheets"]["rows"]]
    assert rows == [("judges", "judge1", 4, 1), ("judges", "judge2", 3, 0), ("judges", "judge3", 4, 0),
                    ("peers", "alice", 3, 0), ("peers", "bob", 3, 0), ("peers", "carol", 3, 0), ("peers", "dave", 3, 0)]
    assert "仍然结束评分" in html
    assert as_page(world.judges[0]).get(f"/assessment/periods/{q2.pk}/close/").status_code == 403
    client = as_page(world.manager)
    assert client.post(f"/assessment/periods/{q2.pk}/close/").status_code == 302
    q2.refresh_from_db()
    assert q2.state == "scoring_closed"
    (closed,) = audits("assessment.period_close_scoring", q2)
    assert closed.changes == {"state": ["scoring_open", "scoring_closed"]}
    # closed: the page says so, and offers nothing
    after = client.get(f"/assessment/periods/{q2.pk}/close/").content.decode()
    assert "不能结束评分" in after and "仍然结束评分" not in after


# --- 7. the API's assignments by status --------------------------------------------------------


def test_the_assignments_api_filters_by_status(world, client):  # noqa: F811
    """judge1: Q1's 4 submitted (done), Q2's 4 to do, a Q3 draft's 1 (not a task yet)."""
    judge = world.judges[0]
    q3 = period(world.manager, world.scheme, "2026Q3", date(2026, 7, 1), date(2026, 9, 30))
    s3 = services.period_subject_add(actor=world.manager, period=q3, obj=world.secretaries["alice"])
    services.assignment_create(actor=world.manager, period=q3, group="judges", rater=judge, subjects=[s3])
    api = as_user(judge)

    def listed(**params):
        body = api.get(f"{API}/assignments", params).json()
        return body["count"], sorted({a["period"] for a in body["items"]})

    assert listed() == (4, ["2026Q2"]) == listed(status="todo")
    assert listed(status="done") == (4, ["2026Q1"])
    assert listed(status="all") == (8, ["2026Q1", "2026Q2"])
    assert api.get(f"{API}/assignments", {"status": "draft"}).status_code == 400
    aid = api.get(f"{API}/assignments").json()["items"][0]["id"]
    api.post(f"{API}/assignments/{aid}/rating", {"score": 80, "submit": True}, content_type="application/json")
    assert listed()[0] == 3 and listed(status="done")[0] == 5 and listed(status="all")[0] == 8
    schema = client.get("/api/openapi.json").json()
    params = schema["paths"]["/api/assessment/assignments"]["get"]["parameters"]
    status = next(p for p in params if p["name"] == "status")
    assert status["schema"]["enum"] == ["todo", "done", "all"] and status["schema"]["default"] == "todo"
    assert "todo" in status["description"] and "done" in status["description"]


def test_the_ranking_shows_its_peer_group_column_only_where_subjects_are_ranked_in_groups(world):  # noqa: F811
    from jiceng.assessment.models import AssessmentResult

    manager = as_page(world.manager)
    html = manager.get(f"/assessment/periods/{world.q1.pk}/").content.decode()
    head = html[html.index('class="table as-ranking"'):html.index("</thead>")]
    assert "排名组" not in head  # no subject of Q1 is in a peer group: no column of "—"
    AssessmentResult.objects.filter(pk=world.results["bob"].pk).update(peer_group="城区")
    html = manager.get(f"/assessment/periods/{world.q1.pk}/").content.decode()
    head = html[html.index('class="table as-ranking"'):html.index("</thead>")]
    assert "排名组" in head and "<td>城区</td>" in html
