"""Assessment API over the same hand-computed quarter as the pages (see test_pages.py)."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from jiceng.assessment import registry, services
from jiceng.assessment.models import PeriodSubject, Rating
from jiceng.assessment.templates import jixian_worker_scheme_create
from jiceng.core.api_tokens import api_token_create
from jiceng.people.choices import Role
from tests.assessment.test_pages import build_quarters
from tests.factories import make_user

pytestmark = pytest.mark.django_db
API = "/api/assessment"


@pytest.fixture
def world(county):
    return build_quarters(county)


def as_user(user) -> Client:
    _, token = api_token_create(actor=None, user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_schemes_and_periods_are_listed_within_scope(world, county):
    manager = as_user(world.manager)
    schemes = manager.get(f"{API}/schemes").json()
    assert [s["name"] for s in schemes["items"]] == ["社区书记季度考核排名"]
    detail = manager.get(f"{API}/schemes/{world.scheme.pk}").json()
    assert [g["code"] for g in detail["versions"][0]["groups"]] == ["leaders", "judges", "peers"]
    periods = manager.get(f"{API}/periods").json()
    assert [(p["label"], p["state"]) for p in periods["items"]] == [("2026Q2", "scoring_open"),
                                                                  ("2026Q1", "republished")]
    assert "close_scoring" in periods["items"][0]["actions"]
    stranger = as_user(make_user("erin", Role.STREET_STAFF, county.west))
    assert stranger.get(f"{API}/periods").json()["count"] == 0
    assert stranger.get(f"{API}/periods/{world.q1.pk}").status_code == 404
    assert stranger.get(f"{API}/schemes/{world.scheme.pk}").status_code == 404


def test_the_ranking_marks_ties_and_flags(world):
    body = as_user(world.manager).get(f"{API}/periods/{world.q1.pk}/ranking").json()
    rows = [(r["subject"], r["total"], r["grade"], r["rank"], r["tied"], r["flags"]) for r in body["rows"]]
    assert rows == [("alice", "95.00", "A", 1, False, ["permanent"]), ("bob", "80.00", "B", 2, True, []),
                    ("dave", "80.00", "B", 2, True, []), ("carol", "64.00", "C", 4, False, [])]


def test_explain_and_history(world):
    client = as_user(world.manager)
    carol = world.results["carol"]
    e = client.get(f"{API}/results/{carol.pk}/explain").json()
    assert e["total"] == "64.00" and e["verified"] is True and e["rank_text"] == "第 4 名（共 4 名）"
    assert "镇街党政正职评价：70 ÷ 100 × 40% × 100 = 28" in e["lines"]
    history = client.get(f"{API}/results/{carol.pk}/history").json()
    assert [(h["version_no"], h["total"], h["current"], h["reason"]) for h in history] == [
        (1, "60.00", False, ""), (2, "64.00", True, "更正镇街评价分")]
    # the subject sees their own, not others'
    own = as_user(world.secretaries["carol"])
    assert own.get(f"{API}/results/{carol.pk}/explain").status_code == 200
    assert own.get(f"{API}/results/{world.results['alice'].pk}/explain").status_code == 404


def test_a_rater_lists_and_rates_only_their_assignments(world):
    judge = as_user(world.judges[0])
    listed = judge.get(f"{API}/assignments", {"period": world.q2.pk}).json()
    assert listed["count"] == 4 and {a["group"] for a in listed["items"]} == {"judges"}
    aid = listed["items"][0]["id"]
    draft = judge.post(f"{API}/assignments/{aid}/rating", {"score": "77.5"}, content_type="application/json")
    assert draft.status_code == 200 and draft.json()["rating_state"] == "draft"
    done = judge.post(f"{API}/assignments/{aid}/rating", {"score": 78, "submit": True},
                      content_type="application/json")
    assert done.json()["rating_state"] == "submitted" and done.json()["score"] == "78"
    locked = judge.post(f"{API}/assignments/{aid}/rating", {"score": 1}, content_type="application/json")
    assert locked.status_code == 400 and locked.json()["field"] == "state"
    too_high = judge.post(f"{API}/assignments/{listed['items'][1]['id']}/rating", {"score": 101},
                          content_type="application/json")
    assert too_high.status_code == 400
    other = as_user(world.judges[1])
    assert other.post(f"{API}/assignments/{aid}/rating", {"score": 1},
                      content_type="application/json").status_code == 404
    assert Rating.objects.get(assignment_id=aid).score == 78


def test_workflow_transitions_need_a_manager(world):
    bob = as_user(world.secretaries["bob"])
    assert bob.post(f"{API}/periods/{world.q2.pk}/transitions/close_scoring", {},
                    content_type="application/json").status_code == 403
    manager = as_user(world.manager)
    url = f"{API}/periods/{world.q2.pk}/transitions"
    assert manager.post(f"{url}/close_scoring", {}, content_type="application/json").json()["state"] == "scoring_closed"
    assert manager.post(f"{url}/compute", {}, content_type="application/json").json()["field"] == "force"  # nothing rated
    assert manager.post(f"{url}/compute", {"force": True}, content_type="application/json").json()["state"] == "computed"
    published = manager.post(f"{url}/publish", {"published_on": "2026-07-10"}, content_type="application/json")
    assert published.json()["state"] == "published" and published.json()["published_on"] == "2026-07-10"
    wrong = manager.post(f"{url}/compute", {}, content_type="application/json")
    assert wrong.status_code == 400 and wrong.json()["field"] == "state"


def test_appeal_rereview_recompute_republish(world):
    manager = as_user(world.manager)
    url = f"{API}/periods/{world.q1.pk}"
    alice = world.subjects["alice"]
    appeal = as_user(world.secretaries["alice"]).post(f"{url}/appeals", {"subject_id": alice.pk, "reason": "复核"},
                                                      content_type="application/json")
    assert appeal.status_code == 200 and appeal.json()["period"]["state"] == "appeal"
    assert manager.post(f"{url}/transitions/start_rereview", {}, content_type="application/json").status_code == 200
    no_reason = manager.post(f"{url}/transitions/recompute", {}, content_type="application/json")
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    assert manager.post(f"{url}/transitions/recompute", {"reason": "无变化"},
                        content_type="application/json").status_code == 200
    assert manager.post(f"{url}/transitions/republish", {"decision": "维持"},
                        content_type="application/json").json()["state"] == "republished"


def test_adjustments_are_refused_for_items_the_scheme_lacks(world):
    manager = as_user(world.manager)
    body = {"subject_id": world.q2_subjects["bob"].pk, "indicator": "honour", "points": 1, "note": "表彰"}
    response = manager.post(f"{API}/periods/{world.q2.pk}/adjustments", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "indicator"
    elsewhere = {**body, "subject_id": world.subjects["bob"].pk}
    response = manager.post(f"{API}/periods/{world.q2.pk}/adjustments", elsewhere, content_type="application/json")
    assert response.status_code == 404 and response.json()["field"] == "subject_id"


def test_event_indicators_are_registered_and_explain_a_region_without_cases(county):
    assert {"events.closure_rate", "events.ontime_rate", "events.satisfaction_rate"} <= set(registry.keys())
    subject = PeriodSubject(subject_type="community", subject_id=county.a.pk, display_name="甲社区",
                            region_path=county.a.path)
    value, explanation = registry.call("events.closure_rate", subject, date(2026, 1, 1), date(2026, 3, 31))
    assert value == 0
    assert (explanation["numerator"], explanation["total"], explanation["event_ids"]) == (0, 0, [])
    assert "region=" in explanation["filter"] and explanation["label"].startswith("结案率")


def test_indicator_scores_and_questionnaire_answers_through_the_api(county):
    m = county.county_staff
    scheme = jixian_worker_scheme_create(actor=m, region=county.county)
    p = services.period_create(actor=m, scheme=scheme, label="2026 年度", starts_on=date(2026, 1, 1),
                               ends_on=date(2026, 12, 31))
    subject = services.period_subject_add(actor=m, period=p, obj=county.alice)
    rater = make_user("rater", Role.COMMUNITY_STAFF, county.c)
    services.assignment_create(actor=m, period=p, group="quant", rater=rater, subjects=[subject])
    services.assignment_create(actor=m, period=p, group="democratic", rater=rater, subjects=[subject])
    services.period_open_scoring(actor=m, period=p)
    client = as_user(rater)
    tasks = {a["group"]: a["id"] for a in client.get(f"{API}/assignments").json()["items"]}
    quant = client.post(f"{API}/assignments/{tasks['quant']}/rating", {"indicator_scores": {
        "party": {"points": 18, "note": "台账齐全"}, "grid": {"points": "27.5"}}}, content_type="application/json")
    assert quant.status_code == 200 and quant.json()["indicator_scores"] == {"party": "18", "grid": "27.5"}
    incomplete = client.post(f"{API}/assignments/{tasks['quant']}/rating", {"submit": True},
                             content_type="application/json")
    assert incomplete.status_code == 400 and incomplete.json()["field"] == "indicator_scores"
    answers = dict.fromkeys(["de", "neng", "qin", "ji", "lian"], "excellent")
    ballot = client.post(f"{API}/assignments/{tasks['democratic']}/rating", {"answers": answers, "submit": True},
                         content_type="application/json")
    assert ballot.status_code == 200 and ballot.json()["rating_state"] == "submitted"
    bad = client.post(f"{API}/assignments/{tasks['democratic']}/rating", {"answers": {"de": "superb"}},
                      content_type="application/json")
    assert bad.status_code == 400
    # a manager records a deduction during scoring
    adj = as_user(m).post(f"{API}/periods/{p.pk}/adjustments", {"subject_id": subject.pk, "indicator": "style",
                                                                 "points": 2, "note": "迟报"},
                          content_type="application/json")
    assert adj.status_code == 200 and adj.json()["points"] == "2"
    withdrawn = as_user(m).post(f"{API}/periods/{p.pk}/adjustments/{adj.json()['id']}/withdraw", {"reason": "误录"},
                                content_type="application/json")
    assert withdrawn.json()["withdrawn"] is True


def test_the_next_round_through_the_api(world, county):
    client = as_user(world.manager)
    clash = client.post(f"{API}/periods/{world.q1.pk}/next", {}, content_type="application/json")
    assert clash.status_code == 400 and clash.json()["field"] == "starts_on"  # Q2 exists already
    half = client.post(f"{API}/periods/{world.q2.pk}/next", {"starts_on": "2026-10-01"}, content_type="application/json")
    assert half.status_code == 400 and half.json()["field"] == "starts_on"
    made = client.post(f"{API}/periods/{world.q2.pk}/next", {}, content_type="application/json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["period"]["label"], body["period"]["starts_on"], body["period"]["ends_on"], body["period"]["state"]) == (
        "2026年第三季度", "2026-07-01", "2026-09-30", "draft")
    assert (body["subjects"], body["assignments"]) == (4, world.q2.assignments.count())
    assert body["dropped_subjects"] == [] and body["dropped_raters"] == []
    assert as_user(county.alice).post(f"{API}/periods/{world.q2.pk}/next", {},
                                      content_type="application/json").status_code in (403, 404)
    stranger = as_user(make_user("erin", Role.STREET_STAFF, county.west))
    assert stranger.post(f"{API}/periods/{world.q2.pk}/next", {}, content_type="application/json").status_code == 404
