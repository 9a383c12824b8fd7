"""A 集贤 round walked on its pages from 结束评分 to 复核后公布 (the fixture of test_template_jixian.py): each
workflow button says what it did, counted from the records; during 复核 only the appellant's 加减分 entries may
be withdrawn or recorded; the ranking tells a corrected score (已复核调整) from a rank that only moved.

Before the review: alice 100 优秀 1, bob 96.8 称职 2, carol 70 基本称职 3, dave 70 基本称职 3 (tie), erin 50
不称职 5. Carol appeals: one of her two 工作作风 −5 entries was recorded twice. Withdrawn, her deductions are
5 + 3 = 8 (under the area cap of 10): 80 − 8 = 72, still 基本称职, 3rd alone; dave keeps 70 and 基本称职 but is
now 4th — his rank moved, his score did not. 5 subjects × (2 量化 raters + 3 民主测评 voters) = 25 sheets.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from jiceng.assessment import services
from jiceng.assessment.models import Adjustment, Appeal, AssessmentResult
from jiceng.core.models import AuditLog
from tests.assessment.test_api import as_user
from tests.assessment.test_appeals_and_periods import ranking_badges
from tests.assessment.test_pages import world  # noqa: F401  (the fixture)
from tests.assessment.test_template_jixian import jixian  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db
API = "/api/assessment"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PUBLISHED = datetime(2027, 1, 5, 10, 0, tzinfo=SHANGHAI)
REPUBLISHED = datetime(2027, 1, 20, 16, 0, tzinfo=SHANGHAI)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def said(response) -> list[str]:
    """The page's messages, after a redirect was followed."""
    return re.findall(r'<li class="msg [a-z]+">(.*?)</li>', response.content.decode())


def press(client: Client, p, action: str, reason: str = "") -> list[str]:
    return said(client.post(f"/assessment/periods/{p.pk}/transition/", {"action": action, "reason": reason},
                            follow=True))


def published_round(j) -> Client:
    """结束评分, 计算 and 公布 on the pages (公布 on 2027-01-05), then carol's appeal and 复核."""
    p, client = j["period"], browser(j["manager"])
    closed = client.post(f"/assessment/periods/{p.pk}/close/", follow=True)
    assert said(closed) == ["已结束评分：25 份评分表中 25 份已提交，未提交的不计入计算。"]
    assert press(client, p, "compute") == ["已计算 5 个考核对象的结果，尚未公布。"]
    with time_machine.travel(PUBLISHED, tick=False):  # signed in on the day (a session would have expired)
        assert press(browser(j["manager"]), p, "publish") == ["已公布 5 个结果，公布日期 2027-01-05。"]
    services.appeal_file(actor=j["people"]["carol"], period=p, subject=j["subjects"]["carol"],
                         reason="工作作风的一条减分重复登记了")
    assert press(client, p, "start_rereview") == ["已开始复核：1 份申诉待复核。"]
    return client


def test_during_the_review_only_the_appellants_entries_may_be_withdrawn(jixian):  # noqa: F811
    client = published_round(jixian)
    p, carol, dave = jixian["period"], jixian["subjects"]["carol"], jixian["subjects"]["dave"]
    url = f"/assessment/periods/{p.pk}/adjustments/"
    page = client.get(url)
    html = page.content.decode()
    assert "复核中只能为申诉待复核的考核对象登记或撤销加减分。" in html
    assert page.context["form"].fields["subject"].choices == [("", "—"), (str(carol.pk), "carol")]
    withdrawable = {a.pk for a in Adjustment.objects.filter(subject=carol)}
    offered = {int(pk) for pk in re.findall(rf'action="{url}(\d+)/withdraw/"', html)}
    assert offered == withdrawable and len(offered) == 3  # carol's three entries, nobody else's

    # dave has no appeal: the refusal says the rule, on the page and in the API, and nothing changes
    daves = Adjustment.objects.filter(subject=dave).order_by("id").first()
    refused = client.post(f"{url}{daves.pk}/withdraw/", {"reason": "登记有误"}, follow=True)
    rule = "复核中只能撤销申诉待复核的考核对象的加减分；“dave”没有待复核的申诉。"
    assert said(refused) == [rule]
    answer = as_user(jixian["manager"]).post(f"{API}/periods/{p.pk}/adjustments/{daves.pk}/withdraw",
                                             {"reason": "登记有误"}, content_type="application/json")
    assert answer.status_code == 400 and answer.json() == {**answer.json(), "field": "state", "message": rule}
    recorded = as_user(jixian["manager"]).post(f"{API}/periods/{p.pk}/adjustments", {
        "subject_id": dave.pk, "indicator": "style", "points": "1", "note": "补登"}, content_type="application/json")
    assert recorded.status_code == 400
    assert recorded.json()["message"] == "复核中只能为申诉待复核的考核对象登记加减分；“dave”没有待复核的申诉。"
    daves.refresh_from_db()
    assert daves.withdrawn_at is None
    assert not AuditLog.objects.filter(action="assessment.adjustment_withdraw").exists()

    # carol's duplicate goes
    duplicate = Adjustment.objects.filter(subject=carol, points=5).order_by("id").last()
    assert said(client.post(f"{url}{duplicate.pk}/withdraw/", {"reason": "重复登记"}, follow=True)) == ["已撤销。"]
    duplicate.refresh_from_db()
    assert duplicate.withdrawn_at is not None
    (record,) = AuditLog.objects.filter(action="assessment.adjustment_withdraw", object_id=str(duplicate.pk))
    assert record.changes == {"withdrawn": [False, True], "reason": [None, "重复登记"]}


def test_the_review_tells_a_corrected_score_from_a_rank_that_moved(jixian):  # noqa: F811
    client = published_round(jixian)
    p, carol, dave = jixian["period"], jixian["subjects"]["carol"], jixian["subjects"]["dave"]
    duplicate = Adjustment.objects.filter(subject=carol, points=5).order_by("id").last()
    services.adjustment_withdraw(actor=jixian["manager"], adjustment=duplicate, reason="重复登记")

    assert press(client, p, "recompute", "撤销重复登记的减分") == [
        "已复核重算：5 个结果中 2 个有变化，复核后公布时生效。 其中 1 个只是名次随之变化，总分和等次未变。"]
    pending = {r.subject.display_name: (str(r.total), r.grade, r.rank)
               for r in AssessmentResult.objects.filter(period=p, published_at__isnull=True)}
    assert pending == {"carol": ("72.00", "基本称职", 3), "dave": ("70.00", "基本称职", 4)}
    with time_machine.travel(REPUBLISHED, tick=False):
        assert press(browser(jixian["manager"]), p, "republish", "撤销重复登记的一条减分，总分调整为 72 分。") == [
            "已复核后公布：1 份申诉已答复（调整 1 份，维持 0 份）。 2 个结果公布了新版本。"]
    appeal = Appeal.objects.get(subject=carol)
    assert (appeal.state, appeal.outcome) == ("resolved", "adjusted")

    html = client.get(f"/assessment/periods/{p.pk}/").content.decode()
    assert ranking_badges(html) == {"alice": [], "bob": [], "carol": ["已复核调整"], "dave": ["名次随复核变化"],
                                    "erin": []}
    # the header: the first publication and the re-review's (the results carry the latter)
    assert "首次公布 2027-01-05 · 复核后公布 2027-01-20" in html and "公布于" not in html
    api = as_user(jixian["manager"])
    body = api.get(f"{API}/periods/{p.pk}/ranking").json()
    assert [(r["subject"], r["version_no"], r["reviewed"], r["rank_moved"]) for r in body["rows"]] == [
        ("alice", 1, False, False), ("bob", 1, False, False), ("carol", 2, True, False), ("dave", 2, False, True),
        ("erin", 1, False, False)]
    assert (body["period"]["published_on"], body["period"]["republished_on"]) == ("2027-01-05", "2027-01-20")

    # dave's page says his new version only moved his rank; his history marks it
    dave_now = AssessmentResult.objects.get(subject=dave, current=True)
    page = client.get(f"/assessment/results/{dave_now.pk}/").content.decode()
    assert "本版结果只是名次随其他考核对象的复核调整而变化，总分和等次未变。" in page
    assert "撤销重复登记的减分 <span class=\"muted as-rank-moved\">（仅名次变化）</span>" in page
    carol_now = AssessmentResult.objects.get(subject=carol, current=True)
    assert "本版结果只是名次随" not in client.get(f"/assessment/results/{carol_now.pk}/").content.decode()
    assert [v["change"] for v in api.get(f"{API}/results/{dave_now.pk}/history").json()] == ["", "rank"]
    assert [v["change"] for v in api.get(f"{API}/results/{carol_now.pk}/history").json()] == ["", "adjusted"]
    (recompute,) = AuditLog.objects.filter(action="assessment.period_recompute", object_id=str(p.pk))
    assert sorted(recompute.changes["new_versions"][1]) == sorted([carol.pk, dave.pk])


# --- two appellants, one correction (the 张家口 quarters of test_pages.py) ------------------------------


def test_an_appellant_whose_rank_only_moved_is_answered_upheld(world):  # noqa: F811
    """Q1 after its first review: alice 95 A 1, bob 80 B 2, dave 80 B 2, carol 64 C 4 (v2). Bob and dave
    appeal; judge1 corrects bob's 70 to 85: judges 85 / 80 / 90, drop 80 and 90 → 85; bob 32 + 34 + 16 = 82,
    B, 2nd alone; dave keeps 80 and B, 3rd. Dave's appeal changed nothing of his own: 维持."""
    m, q1 = world.manager, world.q1
    bob, dave = world.subjects["bob"], world.subjects["dave"]
    services.appeal_file(actor=world.secretaries["bob"], period=q1, subject=bob, reason="评委打分漏计")
    services.appeal_file(actor=world.secretaries["dave"], period=q1, subject=dave, reason="互评偏低")
    api = as_user(m)
    answer = api.post(f"{API}/periods/{q1.pk}/transitions/start_rereview", {}, content_type="application/json")
    assert answer.json()["message"] == "已开始复核：2 份申诉待复核。"
    services.rating_save(actor=world.judges[0], period=q1, group="judges", subject=bob, score=85, submit=True)
    answer = api.post(f"{API}/periods/{q1.pk}/transitions/recompute", {"reason": "评委更正"},
                      content_type="application/json")
    assert answer.status_code == 200 and answer.json()["message"] == (
        "已复核重算：4 个结果中 2 个有变化，复核后公布时生效。 其中 1 个只是名次随之变化，总分和等次未变。")
    answer = api.post(f"{API}/periods/{q1.pk}/transitions/republish", {"decision": "已复核"},
                      content_type="application/json")
    assert answer.json()["message"] == "已复核后公布：2 份申诉已答复（调整 1 份，维持 1 份）。 2 个结果公布了新版本。"
    assert answer.json()["state"] == "republished"
    outcomes = {a.subject.display_name: (a.outcome, a.status_label) for a in Appeal.objects.filter(period=q1)
                if a.subject_id in (bob.pk, dave.pk)}
    assert outcomes == {"bob": ("adjusted", "已复核：调整"), "dave": ("upheld", "已复核：维持")}
    resolved = {r.object_id: r.changes["outcome"][1] for r in AuditLog.objects.filter(action="assessment.appeal_resolve")}
    assert sorted(resolved.values()) == ["adjusted", "adjusted", "upheld"]  # carol's (first round), bob's, dave's
    rows = api.get(f"{API}/periods/{q1.pk}/ranking").json()["rows"]
    assert [(r["subject"], r["total"], r["rank"], r["reviewed"], r["rank_moved"]) for r in rows] == [
        ("alice", "95.00", 1, False, False), ("bob", "82.00", 2, True, False), ("dave", "80.00", 3, False, True),
        ("carol", "64.00", 4, True, False)]


def test_a_second_review_that_moves_only_the_rank_keeps_an_earlier_correction(world):  # noqa: F811
    """Carol's 60 → 64 (v2, the first review) stays 已复核调整 when a later review gives her a v3 that only
    moves her rank: bob's leader score 80 → 40 makes him 40 × 40% + 80 × 40% + 80 × 20% = 16 + 32 + 16 = 64 C,
    tied 3rd with carol (64 C, 4th before); dave stays 2nd (alone now: no new version)."""
    m, q1, bob = world.manager, world.q1, world.subjects["bob"]
    services.appeal_file(actor=world.secretaries["bob"], period=q1, subject=bob, reason="镇街评价")
    services.period_start_rereview(actor=m, period=q1)
    services.rating_save(actor=world.leader, period=q1, group="leaders", subject=bob, score=40, submit=True)
    services.period_recompute(actor=m, period=q1, reason="镇街评价更正")
    services.period_republish(actor=m, period=q1, decision="更正")
    rows = {r["subject"]: r for r in as_user(m).get(f"{API}/periods/{q1.pk}/ranking").json()["rows"]}
    assert (rows["carol"]["version_no"], rows["carol"]["rank"], rows["carol"]["total"]) == (3, 3, "64.00")
    assert (rows["carol"]["reviewed"], rows["carol"]["rank_moved"]) == (True, False)
    assert (rows["bob"]["total"], rows["bob"]["grade"], rows["bob"]["reviewed"]) == ("64.00", "C", True)
    assert (rows["dave"]["rank"], rows["dave"]["reviewed"], rows["dave"]["rank_moved"]) == (2, False, False)
