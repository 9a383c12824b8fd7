"""公布 and 复核后公布 through their confirmation pages, each showing what will be published.

公布 — the 张家口 quarter of ``test_pages`` (Q2 rated like Q1): leader, judges (highest and lowest
dropped), peers at 40/40/20 — alice 95 → A rank 1, bob 80 → B rank 2, dave 80 → B rank 2 (tie), carol
60 → C rank 4. Grades A 1, B 2, C 1; the rules flag A as 优先入编 (alice); C three times running is
needed for 建议调整 and carol has two (Q1, Q2): none.

复核后公布 — Q1 (published, carol's re-review already republished: 95, 80, 80, 64). Bob appeals; his
leader score is corrected 80 → 100: 0.4 × 100 + 0.4 × 80 + 0.2 × 80 = 40 + 32 + 16 = 88 → B, rank 2;
dave 80 B moves 2 → 3 (rank only); alice 95 A 1 and carol 64 C 4 stay.

红榜/黑榜 — four property companies, 红榜 top 1, 黑榜 bottom 1: party organisation 90, 80, 70, 60, owners
and housing 90 each: 0.7 × s + 27 = 90, 83, 76, 69 → 红榜 物业1, 黑榜 物业4.
"""

from __future__ import annotations

from datetime import date

import pytest

from jiceng.assessment import services
from jiceng.assessment.models import AssessmentResult, ResultFlag
from jiceng.assessment.templates import property_three_party_scheme_create
from jiceng.core.models import AuditLog
from jiceng.people.choices import Role
from jiceng.regions.choices import OrganisationKind
from jiceng.regions.models import Organisation
from tests.assessment.helpers import period
from tests.assessment.test_pages import Q1, world  # noqa: F401  (the fixture)
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def rate_q2_like_q1(world):  # noqa: F811
    rate_and_close_q2(world)
    services.period_compute(actor=world.manager, period=world.q2)


def rate_and_close_q2(world):  # noqa: F811
    """Q2 rated as Q1 was (alice 95, bob 80, dave 80, carol 60), and its scoring closed."""
    for name, s in world.q2_subjects.items():
        lead, js, peer = Q1[name]
        services.rating_save(actor=world.leader, period=world.q2, group="leaders", subject=s, score=lead, submit=True)
        for j, score in zip(world.judges, js, strict=True):
            services.rating_save(actor=j, period=world.q2, group="judges", subject=s, score=score, submit=True)
        for other, user in world.secretaries.items():
            if other != name:
                services.rating_save(actor=user, period=world.q2, group="peers", subject=s, score=peer, submit=True)
    services.period_close_scoring(actor=world.manager, period=world.q2)


def test_publish_is_confirmed_on_a_page_showing_what_will_be_published(world, login):  # noqa: F811
    rate_q2_like_q1(world)
    client = login(world.manager)
    ranking = client.get(f"/assessment/periods/{world.q2.pk}/").content.decode()
    assert f'href="/assessment/periods/{world.q2.pk}/publish/"' in ranking  # a link, no longer a one-click button
    assert 'name="action" value="publish"' not in ranking
    page = client.get(f"/assessment/periods/{world.q2.pk}/publish/")
    assert page.status_code == 200
    preview = page.context["preview"]
    assert preview["results"] == 4
    assert preview["grades"] == [("A", 1), ("B", 2), ("C", 1)]
    assert [(f["kind"], f["count"], f["names"]) for f in preview["flags"]] == [("permanent", 1, ["alice"])]
    assert [(r["result"].subject.display_name, r["result"].rank, str(r["result"].total), r["result"].grade)
            for r in preview["top"]] == [("alice", 1, "95.00", "A"), ("bob", 2, "80.00", "B"),
                                         ("dave", 2, "80.00", "B"), ("carol", 4, "60.00", "C")]
    html = page.content.decode()
    assert "将公布 4 个考核对象的结果" in html and "确认公布" in html and "优先入编" in html
    world.q2.refresh_from_db()
    assert world.q2.state == "computed"  # looking changes nothing
    assert not AuditLog.objects.filter(action="assessment.period_publish", object_id=str(world.q2.pk)).exists()

    done = client.post(f"/assessment/periods/{world.q2.pk}/publish/", {"published_on": "2026-07-08"})
    assert done.status_code == 302 and done["Location"] == f"/assessment/periods/{world.q2.pk}/"
    world.q2.refresh_from_db()
    assert (world.q2.state, world.q2.published_on) == ("published", date(2026, 7, 8))
    log = AuditLog.objects.get(action="assessment.period_publish", object_id=str(world.q2.pk))
    assert log.actor_id == world.manager.pk and log.changes["state"] == ["computed", "published"]
    assert log.changes["flags"] == [None, 1]  # what the page announced
    assert [(f.kind, f.subject.display_name) for f in ResultFlag.objects.filter(period=world.q2)] == [
        ("permanent", "alice")]
    assert "已公布 4 个结果，公布日期 2026-07-08。" in client.get(done["Location"]).content.decode()


def test_publish_refused_on_its_page_and_not_for_others(world, login):  # noqa: F811
    client = login(world.manager)
    page = client.get(f"/assessment/periods/{world.q2.pk}/publish/")  # still scoring
    assert page.status_code == 200 and "不能公布" in page.content.decode() and "确认公布" not in page.content.decode()
    refused = client.post(f"/assessment/periods/{world.q2.pk}/publish/", {})
    assert refused.status_code == 400
    world.q2.refresh_from_db()
    assert world.q2.state == "scoring_open"
    assert login(world.secretaries["bob"]).get(f"/assessment/periods/{world.q2.pk}/publish/").status_code == 403


def property_quarter(county):
    """The four property companies of the module's docstring, computed and not yet published."""
    m = county.county_staff
    scheme = property_three_party_scheme_create(actor=m, region=county.county, red_top_n=1, black_bottom_n=1)
    raters = {"party_org": make_user("party_sec", Role.STREET_STAFF, county.east),
              "owners": make_user("owners_chair", Role.COMMUNITY_STAFF, county.a),
              "housing": make_user("housing_staff", Role.STREET_STAFF, county.east)}
    p = period(m, scheme, "2026Q2", date(2026, 4, 1), date(2026, 6, 30))
    subjects = [services.period_subject_add(
        actor=m, period=p, obj=Organisation.objects.create(name=f"物业{k}", kind=OrganisationKind.PROPERTY,
                                                           grid=county.a1)) for k in range(1, 5)]
    for group, rater in raters.items():
        services.assignment_create(actor=m, period=p, group=group, rater=rater, subjects=subjects)
    services.period_open_scoring(actor=m, period=p)
    for s, party in zip(subjects, (90, 80, 70, 60), strict=True):
        services.rating_save(actor=raters["party_org"], period=p, group="party_org", subject=s, score=party, submit=True)
        for group in ("owners", "housing"):
            services.rating_save(actor=raters[group], period=p, group=group, subject=s, score=90, submit=True)
    services.period_close_scoring(actor=m, period=p)
    services.period_compute(actor=m, period=p)
    return p


def test_the_red_and_black_lists_publish_would_make_are_shown_first(county, login):
    m, p = county.county_staff, property_quarter(county)
    page = login(m).get(f"/assessment/periods/{p.pk}/publish/")
    preview = page.context["preview"]
    assert preview["grades"] == []  # the scheme has no grades
    assert "本方案不分等次" in page.content.decode()
    assert [(f["kind"], f["names"]) for f in preview["flags"]] == [("red", ["物业1"]), ("black", ["物业4"])]
    assert [(r["result"].subject.display_name, str(r["result"].total), r["flags"]) for r in preview["top"]] == [
        ("物业1", "90.00", ["red"]), ("物业2", "83.00", []), ("物业3", "76.00", []), ("物业4", "69.00", ["black"])]
    login(m).post(f"/assessment/periods/{p.pk}/publish/", {"published_on": "2026-07-10"})
    stored = sorted((f.kind, f.subject.display_name, f.rank) for f in ResultFlag.objects.filter(period=p))
    assert stored == [("black", "物业4", 4), ("red", "物业1", 1)]


def bob_corrected(world):  # noqa: F811
    services.appeal_file(actor=world.secretaries["bob"], period=world.q1, subject=world.subjects["bob"],
                         reason="镇街评价分录入有误")
    services.period_start_rereview(actor=world.manager, period=world.q1)
    services.rating_save(actor=world.leader, period=world.q1, group="leaders", subject=world.subjects["bob"],
                         score=100, submit=True)


def test_republish_shows_the_ranking_that_will_replace_the_published_one(world, login):  # noqa: F811
    bob_corrected(world)
    client = login(world.manager)
    services.period_recompute(actor=world.manager, period=world.q1, reason="更正镇街评价分")
    ranking = client.get(f"/assessment/periods/{world.q1.pk}/")
    html = ranking.content.decode()
    # the table still shows what is published, and says the new one is waiting, with the link
    assert [(r["result"].subject.display_name, str(r["result"].total), r["result"].rank)
            for r in ranking.context["rows"]] == [("alice", "95.00", 1), ("bob", "80.00", 2), ("dave", "80.00", 2),
                                                  ("carol", "64.00", 4)]
    assert 'id="as-pending"' in html and "2 个结果有变化" in html
    assert f'href="/assessment/periods/{world.q1.pk}/republish/"' in html
    assert 'name="action" value="republish"' not in html

    page = client.get(f"/assessment/periods/{world.q1.pk}/republish/")
    assert page.status_code == 200
    preview = page.context["preview"]
    rows = [(r["subject"].display_name, str(r["old"].total), r["old"].grade, r["old"].rank,
             str(r["new"].total), r["new"].grade, r["new"].rank, r["change"]) for r in preview["rows"]]
    assert rows == [("alice", "95.00", "A", 1, "95.00", "A", 1, ""),
                    ("bob", "80.00", "B", 2, "88.00", "B", 2, "adjusted"),
                    ("dave", "80.00", "B", 2, "80.00", "B", 3, "rank"),
                    ("carol", "64.00", "C", 4, "64.00", "C", 4, "")]
    assert (preview["changed"], preview["adjusted"], preview["stale"]) == (2, 1, [])
    assert [(a["appeal"].subject.display_name, a["outcome"]) for a in preview["appeals"]] == [("bob", "adjusted")]
    html = page.content.decode()
    assert html.count('class="as-changed"') == 2 and "4 个考核对象中 2 个有变化" in html

    missing = client.post(f"/assessment/periods/{world.q1.pk}/republish/", {"decision": " "})
    assert missing.status_code == 400
    assert missing.content.decode().count("请填写复核意见") == 1  # at the field
    world.q1.refresh_from_db()
    assert world.q1.state == "rereview"
    done = client.post(f"/assessment/periods/{world.q1.pk}/republish/", {"decision": "镇街评价分已更正"})
    assert done.status_code == 302
    world.q1.refresh_from_db()
    assert world.q1.state == "republished"
    logs = AuditLog.objects.filter(action="assessment.period_republish", object_id=str(world.q1.pk))
    assert logs.count() == 2  # carol's earlier re-review, and this one
    latest = logs.order_by("-pk").first()
    assert latest.actor_id == world.manager.pk and latest.changes["state"] == ["rereview", "republished"]
    current = {r.subject.display_name: (str(r.total), r.rank) for r in
               AssessmentResult.objects.filter(period=world.q1, current=True)}
    assert current == {"alice": ("95.00", 1), "bob": ("88.00", 2), "dave": ("80.00", 3), "carol": ("64.00", 4)}


def test_republish_warns_of_corrections_not_yet_recomputed(world, login):  # noqa: F811
    bob_corrected(world)  # corrected, but 复核重算 not run: publishing now would leave bob's correction out
    page = login(world.manager).get(f"/assessment/periods/{world.q1.pk}/republish/")
    preview = page.context["preview"]
    assert preview["changed"] == 0 and preview["stale_names"] == ["bob", "dave"]
    assert preview["stale"] == [world.subjects["bob"], world.subjects["dave"]]
    assert 'id="as-republish-stale"' in page.content.decode() and "（bob、dave）" in page.content.decode()


def test_republish_refused_while_a_score_sent_back_waits(world, login):  # noqa: F811
    services.appeal_file(actor=world.secretaries["bob"], period=world.q1, subject=world.subjects["bob"],
                         reason="评委打分有误")
    services.period_start_rereview(actor=world.manager, period=world.q1)
    services.assignment_rerate_request(actor=world.manager, period=world.q1, subject=world.subjects["bob"],
                                       group="leaders", rater=world.leader, reason="请核实")
    client = login(world.manager)
    page = client.get(f"/assessment/periods/{world.q1.pk}/republish/")
    html = page.content.decode()
    assert 'id="as-republish-refused"' in html and "退回重评的评分未提交" in html and "确认复核后公布" not in html
    refused = client.post(f"/assessment/periods/{world.q1.pk}/republish/", {"decision": "维持"})
    assert refused.status_code == 400 and refused.content.decode().count("退回重评的评分未提交") == 1
    world.q1.refresh_from_db()
    assert world.q1.state == "rereview"
