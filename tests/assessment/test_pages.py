"""Assessment pages: the ranking table, a score's explanation with its version history, the printable
sheet and the rater's own assignments, worked on a 张家口-style quarter computed by hand.

Q1 (4 secretaries; leader score, three judges with highest and lowest dropped, peers' score):
alice 95 → 38 + 38 + 19 = 95 A rank 1; bob 80 B rank 2; dave 80 B rank 2 (tie); carol 60 C rank 4.
Carol appeals; her leader score is corrected 60 → 70: 28 + 24 + 12 = 64 → C, still rank 4, v2.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from jiceng.assessment import services
from jiceng.assessment.models import AssessmentResult, Rating
from jiceng.assessment.templates import zhangjiakou_secretary_scheme_create
from jiceng.people.choices import Role
from tests.assessment.helpers import close_compute_publish, period, raters
from tests.assessment.test_template_jixian import jixian  # noqa: F401  (the fixture)
from tests.factories import make_user

pytestmark = pytest.mark.django_db

Q1 = {"alice": (95, (90, 95, 100), 95), "bob": (80, (70, 80, 90), 80),
      "dave": (80, (80, 80, 80), 80), "carol": (60, (60, 70, 50), 60)}


def build_quarters(county) -> SimpleNamespace:
    """A published quarter with one appeal re-reviewed, and a second quarter open for scoring."""
    m = county.county_staff
    secretaries = {"alice": county.alice, "bob": county.bob, "carol": county.carol,
                   "dave": make_user("dave", Role.COMMUNITY_STAFF, county.a)}
    leader = make_user("street_leader", Role.STREET_STAFF, county.east)
    judges = raters("judge", 3, county.c)
    scheme = zhangjiakou_secretary_scheme_create(actor=m, region=county.county)

    def setup(label, start, end):
        p = period(m, scheme, label, start, end)
        subjects = {n: services.period_subject_add(actor=m, period=p, obj=u) for n, u in secretaries.items()}
        services.assignment_create(actor=m, period=p, group="leaders", rater=leader, subjects=list(subjects.values()))
        for j in judges:
            services.assignment_create(actor=m, period=p, group="judges", rater=j, subjects=list(subjects.values()))
        services.peer_assignments_create(actor=m, period=p, group="peers")
        services.period_open_scoring(actor=m, period=p)
        return p, subjects

    q1, subjects = setup("2026Q1", date(2026, 1, 1), date(2026, 3, 31))
    for name, s in subjects.items():
        lead, js, peer = Q1[name]
        services.rating_save(actor=leader, period=q1, group="leaders", subject=s, score=lead, submit=True)
        for j, score in zip(judges, js, strict=True):
            services.rating_save(actor=j, period=q1, group="judges", subject=s, score=score, submit=True)
        for other, user in secretaries.items():
            if other != name:
                services.rating_save(actor=user, period=q1, group="peers", subject=s, score=peer, submit=True)
    close_compute_publish(m, q1, date(2026, 4, 10))
    services.appeal_file(actor=county.carol, period=q1, subject=subjects["carol"], reason="镇街评价分有误")
    services.period_start_rereview(actor=m, period=q1)
    services.rating_save(actor=leader, period=q1, group="leaders", subject=subjects["carol"], score=70, submit=True)
    services.period_recompute(actor=m, period=q1, reason="更正镇街评价分")
    services.period_republish(actor=m, period=q1, decision="申诉成立")
    q2, q2_subjects = setup("2026Q2", date(2026, 4, 1), date(2026, 6, 30))
    results = {r.subject.display_name: r for r in AssessmentResult.objects.filter(period=q1, current=True)}
    old_carol = AssessmentResult.objects.get(period=q1, subject=subjects["carol"], version_no=1)
    return SimpleNamespace(manager=m, leader=leader, judges=judges, q1=q1, q2=q2, subjects=subjects,
                           q2_subjects=q2_subjects, results=results, old_carol=old_carol, scheme=scheme,
                           secretaries=secretaries)


@pytest.fixture
def world(county):
    return build_quarters(county)


def test_the_ranking_table_shows_totals_grades_ties_and_flags(world, login):
    page = login(world.manager).get(f"/assessment/periods/{world.q1.pk}/")
    assert page.status_code == 200
    rows = [(r["result"].subject.display_name, str(r["result"].total), r["result"].grade, r["result"].rank, r["tied"])
            for r in page.context["rows"]]
    assert rows == [("alice", "95.00", "A", 1, False), ("bob", "80.00", "B", 2, True),
                    ("dave", "80.00", "B", 2, True), ("carol", "64.00", "C", 4, False)]
    html = page.content.decode()
    assert html.count('class="as-tie"') == 2
    assert "优先入编" in html  # alice is A
    assert "<script>" not in html and "style=" not in html  # strict CSP: no inline script or style


def test_staff_see_only_their_subtree_in_the_ranking(world, login):
    page = login(world.secretaries["bob"]).get(f"/assessment/periods/{world.q1.pk}/")
    assert [r["result"].subject.display_name for r in page.context["rows"]] == ["bob"]


def test_a_stranger_gets_404_for_the_period_and_the_explanation(world, county, login):
    stranger = make_user("erin", Role.STREET_STAFF, county.west)
    client = login(stranger)
    assert client.get(f"/assessment/periods/{world.q1.pk}/").status_code == 404
    assert client.get(f"/assessment/results/{world.results['alice'].pk}/").status_code == 404


def test_the_explanation_page_shows_the_whole_arithmetic(world, login):
    alice = world.results["alice"]
    page = login(world.manager).get(f"/assessment/results/{alice.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "第 1 名（共 4 名）" in html
    assert "95 ÷ 100 × 40% × 100 = 38" in html  # 镇街党政正职评价
    assert "评委打分：3 个评分，去掉 90、100，平均 95" in html  # judges, extremes dropped
    assert "95 + 0 − 0 = 95" in html and "总分 = 95.00" in html
    assert page.context["e"]["verified"] is True
    # peers are anonymous: no secretary's name among the peer inputs
    peers = next(g for g in page.context["e"]["groups"] if g["code"] == "peers")
    assert all("rater" not in s for s in peers["inputs"])


def test_a_superseded_version_stays_readable_with_its_history(world, login):
    client = login(world.manager)
    new = world.results["carol"]
    page = client.get(f"/assessment/results/{new.pk}/")
    assert [(h.version_no, str(h.total), h.current) for h in page.context["history"]] == [
        (1, "60.00", False), (2, "64.00", True)]
    assert "更正镇街评价分" in page.content.decode()
    old = client.get(f"/assessment/results/{world.old_carol.pk}/")
    assert old.status_code == 200 and "这是已被取代的旧版本结果" in old.content.decode()
    assert "总分 = 60.00" in old.content.decode()


def test_the_subject_reads_their_own_published_score_only(world, login):
    client = login(world.secretaries["carol"])
    assert client.get(f"/assessment/results/{world.results['carol'].pk}/").status_code == 200
    assert client.get(f"/assessment/results/{world.results['alice'].pk}/").status_code == 404


def test_the_printable_sheet_uses_its_print_stylesheet(world, login):
    page = login(world.manager).get(f"/assessment/results/{world.results['alice'].pk}/sheet/")
    html = page.content.decode()
    assert page.status_code == 200 and "assessment/sheet.css" in html and "95.00" in html
    assert "<script" not in html


def test_my_assignments_lists_only_my_own(world, login):
    page = login(world.judges[0]).get("/assessment/mine/")
    assignments = [*page.context["todo"], *page.context["done"]]
    assert {a.rater_id for a in assignments} == {world.judges[0].pk}
    assert len(assignments) == 8  # 4 secretaries × 2 quarters
    assert 'name="viewport"' in page.content.decode()


def test_my_tasks_count_only_what_is_left_to_rate(world, login):
    """judge1: Q1 (published) all submitted, Q2 (评分中) none rated yet, Q3 still a draft. The count and
    the to-do list are Q2's four; Q1's stay reachable under 已提交或评分已结束; Q3's are not tasks yet."""
    judge = world.judges[0]
    q3 = period(world.manager, world.scheme, "2026Q3", date(2026, 7, 1), date(2026, 9, 30))
    s3 = services.period_subject_add(actor=world.manager, period=q3, obj=world.secretaries["alice"])
    services.assignment_create(actor=world.manager, period=q3, group="judges", rater=judge, subjects=[s3])
    client = login(judge)
    page = client.get("/assessment/mine/")
    todo = [(a.period.label, a.subject.display_name) for a in page.context["todo"]]
    done = [(a.period.label, a.subject.display_name) for a in page.context["done"]]
    assert todo == [("2026Q2", "alice"), ("2026Q2", "bob"), ("2026Q2", "carol"), ("2026Q2", "dave")]
    assert done == [("2026Q1", "alice"), ("2026Q1", "bob"), ("2026Q1", "carol"), ("2026Q1", "dave")]
    html = page.content.decode()
    assert "已提交或评分已结束" in html and "2026Q3" not in html
    assert "我的评分任务（4）" in client.get("/assessment/").content.decode()
    services.rating_save(actor=judge, period=world.q2, group="judges", subject=world.q2_subjects["bob"], score=80,
                         submit=True)
    page = client.get("/assessment/mine/")
    assert [a.subject.display_name for a in page.context["todo"]] == ["alice", "carol", "dave"]
    assert len(page.context["done"]) == 5
    assert "我的评分任务（3）" in client.get("/assessment/").content.decode()


def test_a_rater_saves_a_draft_then_submits_from_the_phone_form(world, login):
    client = login(world.leader)
    subject = world.q2_subjects["bob"]
    assignment = subject.assignments.get(group__code="leaders")
    url = f"/assessment/assignments/{assignment.pk}/"
    form = client.get(url).content.decode()
    # 提交 is final in the scoring round: said beside the buttons
    assert form.index('id="as-final"') > form.index('value="1"')
    assert "提交后不能再修改；暂未评完可先保存草稿。" in form
    draft = client.post(url, {"score": "88", "note": "草稿", "submit": "0"}, follow=True)
    assert draft.redirect_chain[-1] == ("/assessment/mine/", 302)
    assert "已保存对“bob”的评分草稿（镇街党政正职评价）。" in draft.content.decode()
    rating = Rating.objects.get(assignment=assignment)
    assert (rating.state, rating.score) == ("draft", 88)
    submitted = client.post(url, {"score": "87.5", "submit": "1"}, follow=True)
    assert "已提交对“bob”的评分（镇街党政正职评价）。" in submitted.content.decode()
    rating.refresh_from_db()
    assert (rating.state, rating.score) == ("submitted", Decimal("87.5"))
    again = client.post(url, {"score": "10", "submit": "1"})
    html = again.content.decode()
    assert again.status_code == 400 and html.count("评分已提交，不能修改。") == 1  # once, above the sheet
    assert 'value="87.50"' in html or 'value="87.5"' in html  # the sheet as submitted, not what was re-posted
    assert 'id="as-final"' not in html and 'disabled' in html  # read-only: no buttons, no hint
    rating.refresh_from_db()
    assert rating.score == Decimal("87.5")


def fields(html: str) -> list[str]:
    """The names of the rating form's fields, in the order the rater meets them."""
    form = html[html.index('class="card as-rate"'):]
    names = re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', form[:form.index("</form>")])
    return [n for n in names if n not in ("csrfmiddlewaretoken", "submit")]


def test_the_rating_form_asks_for_the_score_first_then_the_optional_note_and_evidence(world, login):
    assignment = world.q2_subjects["bob"].assignments.get(group__code="leaders")
    html = login(world.leader).get(f"/assessment/assignments/{assignment.pk}/").content.decode()
    assert fields(html) == ["score", "note", "evidence_ref"]
    assert html.count("选填") == 2


def test_the_indicator_and_questionnaire_forms_put_the_scores_first_too(jixian, login):  # noqa: F811
    quant = jixian["subjects"]["alice"].assignments.filter(group__code="quant").first()
    html = login(quant.rater).get(f"/assessment/assignments/{quant.pk}/").content.decode()
    assert fields(html) == ["i_party", "i_grid", "i_satisfaction", "i_daily", "note", "evidence_ref"]
    ballot = jixian["subjects"]["alice"].assignments.filter(group__code="democratic").first()
    html = login(ballot.rater).get(f"/assessment/assignments/{ballot.pk}/").content.decode()
    assert fields(html)[-2:] == ["note", "evidence_ref"] and fields(html)[0].startswith("q_")


def test_someone_elses_assignment_is_404(world, login):
    assignment = world.q2_subjects["bob"].assignments.get(group__code="leaders")
    assert login(world.judges[0]).get(f"/assessment/assignments/{assignment.pk}/").status_code == 404


def test_managers_move_the_workflow_from_the_ranking_page(world, login):
    client = login(world.manager)
    response = client.post(f"/assessment/periods/{world.q2.pk}/transition/", {"action": "close_scoring"})
    assert response.status_code == 302
    world.q2.refresh_from_db()
    assert world.q2.state == "scoring_closed"
    refused = login(world.secretaries["bob"]).post(f"/assessment/periods/{world.q2.pk}/transition/",
                                                   {"action": "compute"})
    assert refused.status_code == 403


def test_the_manager_starts_the_next_quarter_from_the_last(world, login, county):
    client = login(world.manager)
    ranking = client.get(f"/assessment/periods/{world.q2.pk}/").content.decode()
    assert f"/assessment/periods/{world.q2.pk}/next/" in ranking and "考核对象" in ranking
    form = client.get(f"/assessment/periods/{world.q2.pk}/next/").content.decode()
    assert 'value="2026年第三季度"' in form and 'value="2026-07-01"' in form and 'value="2026-09-30"' in form
    wrong = client.post(f"/assessment/periods/{world.q2.pk}/next/",
                        {"label": "三季度", "starts_on": "2026-05-01", "ends_on": "2026-09-30"})
    assert wrong.status_code == 400 and "重叠" in wrong.content.decode()  # overlaps Q2: nothing made
    done = client.post(f"/assessment/periods/{world.q2.pk}/next/",
                       {"label": "2026年第三季度", "starts_on": "2026-07-01", "ends_on": "2026-09-30"}, follow=True)
    page = done.content.decode()
    assert "已新建“2026年第三季度”：4 个考核对象" in page
    assert f"{world.q2.assignments.count()} 项评分任务" in page
    assert login(county.alice).get(f"/assessment/periods/{world.q2.pk}/next/").status_code in (403, 404)


def test_the_person_assessed_appeals_from_their_result_page(world, login):
    from jiceng.assessment.models import Appeal
    from jiceng.core.models import AuditLog

    bob_result = world.results["bob"]
    client = login(world.secretaries["bob"])
    page = client.get(f"/assessment/results/{bob_result.pk}/").content.decode()
    assert 'id="as-appeal"' in page and f'action="/assessment/results/{bob_result.pk}/appeal/"' in page
    refused = client.post(f"/assessment/results/{bob_result.pk}/appeal/", {"reason": "  "})
    assert refused.status_code == 400 and "field-error" in refused.content.decode()
    world.q1.refresh_from_db()
    assert world.q1.state == "republished" and not Appeal.objects.filter(subject=bob_result.subject).exists()
    answer = client.post(f"/assessment/results/{bob_result.pk}/appeal/", {"reason": "评委打分漏计了专项工作"})
    assert answer.status_code == 302
    appeal = Appeal.objects.get(subject=bob_result.subject)
    assert (appeal.reason, appeal.filed_by, appeal.state) == ("评委打分漏计了专项工作", world.secretaries["bob"], "open")
    world.q1.refresh_from_db()
    assert world.q1.state == "appeal"
    assert AuditLog.objects.filter(action="assessment.appeal_file", object_id=str(appeal.pk)).exists()
    page = client.get(f"/assessment/results/{bob_result.pk}/").content.decode()
    assert "待复核" in page and "评委打分漏计了专项工作" in page
    # carol's earlier appeal shows with its decision; alice cannot appeal for bob
    carol = login(world.secretaries["carol"]).get(f"/assessment/results/{world.results['carol'].pk}/").content.decode()
    assert "已复核" in carol and "申诉成立" in carol
    assert login(world.secretaries["alice"]).post(f"/assessment/results/{bob_result.pk}/appeal/",
                                                  {"reason": "代他申诉"}).status_code == 404
    assert Appeal.objects.filter(subject=bob_result.subject).count() == 1


def test_the_cumulative_ranking_sums_the_published_rounds(world, login):
    client = login(world.manager)
    page = client.get(f"/assessment/schemes/{world.scheme.pk}/cumulative/").content.decode()
    rows = re.findall(r'<tr data-subject="\d+"><td class="num">(\d+)</td><td>(\w+)</td><td class="num"><strong>([\d.]+)</strong>',
                      page)
    # only Q1 is published (Q2 is being scored): alice 95, bob 80, dave 80 (tie), carol 64 after her appeal
    assert rows == [("1", "alice", "95.00"), ("2", "bob", "80.00"), ("2", "dave", "80.00"), ("4", "carol", "64.00")]
    assert f'href="/assessment/results/{world.results["carol"].pk}/"' in page  # her current version
    assert f'value="{world.q2.pk}"' not in page  # not published: not offered
    ranking = client.get(f"/assessment/periods/{world.q1.pk}/").content.decode()
    assert f'href="/assessment/schemes/{world.scheme.pk}/cumulative/"' in ranking
    # a secretary in a community does not see the county's scheme (his own results stay on his result pages),
    # and his ranking page does not offer him the cumulative ranking
    bob = login(world.secretaries["bob"])
    assert bob.get(f"/assessment/schemes/{world.scheme.pk}/cumulative/").status_code == 404
    bob_ranking = bob.get(f"/assessment/periods/{world.q1.pk}/").content.decode()
    assert "/cumulative/" not in bob_ranking and "/export/" in bob_ranking  # his own row: exportable


def test_a_rater_from_elsewhere_is_told_the_results_are_not_in_their_scope(world, login, county):
    """A grid worker rating the secretaries (none of them in the worker's grid) sees the period without
    links that would refuse them, and once it is published is told why its table is empty."""
    from jiceng.people.choices import WorkerKind
    from jiceng.people.services import grid_worker_create

    outsider = make_user("outsider-rater", Role.GRID_WORKER)
    grid_worker_create(actor=county.alice, name="外来评分人", kind=WorkerKind.FULL_TIME, community=county.a,
                       grids=[county.a1_1], user=outsider)
    services.assignment_create(actor=world.manager, period=world.q2, group="judges", rater=outsider,
                               subjects=list(world.q2_subjects.values()))
    client = login(outsider)
    scoring = client.get(f"/assessment/periods/{world.q2.pk}/").content.decode()
    assert "还没有结果" in scoring and "/cumulative/" not in scoring and "/export/" not in scoring
    close_compute_publish(world.manager, world.q2, date(2026, 7, 10))
    published = client.get(f"/assessment/periods/{world.q2.pk}/").content.decode()
    assert "本期结果已公布，其中没有您数据范围内的考核对象" in published and "还没有结果" not in published
    assert "/cumulative/" not in published and "/export/" not in published
    assert client.get(f"/assessment/schemes/{world.scheme.pk}/cumulative/").status_code == 404
    # the manager still has both, and sees the results
    manager = login(world.manager).get(f"/assessment/periods/{world.q2.pk}/").content.decode()
    assert f"/assessment/schemes/{world.scheme.pk}/cumulative/" in manager and "/export/" in manager
    assert "其中没有您数据范围内" not in manager
