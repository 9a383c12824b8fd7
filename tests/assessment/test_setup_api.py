"""Setting up a round through the API: 东街道's office makes the three-party property scheme, its
first quarter, adds the property companies of its region, the raters, and takes out mistakes.

Organisations of the fixture (kind in brackets):

    甲社区 grid A1: 甲物业 (property), 甲超市 (shop)     乙社区 grid B1: 乙物业 (property)
    丙村 (西镇) grid C1: 丙物业 (property)

So a bulk add from 东街道 adds 2 (甲物业, 乙物业); from 甲社区 1 (甲物业). Grid workers (a custom
scheme): 甲社区 w1 (in post), w3 (left); 乙社区 w2; 丙村 w4 → from 东街道 2 (w1, w2).
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
import time_machine

from jiceng.assessment import services
from jiceng.assessment.models import (
    AssessmentPeriod,
    AssessmentScheme,
    PeriodSubject,
    RaterAssignment,
    Rating,
)
from jiceng.assessment.templates import jixian_worker_definition
from jiceng.core.models import AuditLog
from jiceng.people.choices import Role
from jiceng.people.services import grid_worker_create
from jiceng.regions.services import organisation_create
from tests.assessment.test_api import as_user
from tests.factories import make_user

pytestmark = pytest.mark.django_db
API = "/api/assessment"


@pytest.fixture
def street(county) -> SimpleNamespace:
    admin = county.sysadmin
    orgs = {name: organisation_create(actor=admin, grid=grid, name=name, kind=kind) for name, grid, kind in [
        ("甲物业", county.a1, "property"), ("甲超市", county.a1, "shop"), ("乙物业", county.b1, "property"),
        ("丙物业", county.c1, "property")]}
    return SimpleNamespace(county=county, orgs=orgs,
                           manager=make_user("east_office", Role.STREET_STAFF, county.east),
                           stranger=make_user("west_office", Role.STREET_STAFF, county.west),
                           frank=make_user("frank", Role.STREET_STAFF, county.east))


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def quarter(street) -> tuple:
    client = as_user(street.manager)
    made = post(client, f"{API}/schemes", {"template": "property_three_party", "region_id": street.county.east.pk})
    with time_machine.travel(date(2026, 5, 15), tick=False):
        period = post(client, f"{API}/schemes/{made.json()['id']}/periods", {})
    return client, made, period


def names(period_id: int) -> list[str]:
    return sorted(PeriodSubject.objects.filter(period_id=period_id).values_list("display_name", flat=True))


def test_templates_a_scheme_and_its_first_quarter(street):
    client = as_user(street.manager)
    assert [t["key"] for t in client.get(f"{API}/templates").json()] == [
        "jixian_worker", "zhangjiakou_secretary", "property_three_party"]
    client, made, period = quarter(street)
    assert made.status_code == 201
    body = made.json()
    assert (body["name"], body["subject_type"], body["period_type"], body["region_id"]) == (
        "物业服务企业三方季度考核", "property", "quarter", street.county.east.pk)
    assert period.status_code == 201
    p = period.json()
    # a quarterly scheme on 15 May 2026: the second quarter, named as offices name it
    assert (p["label"], p["starts_on"], p["ends_on"], p["state"], p["version"]) == (
        "2026年第二季度", "2026-04-01", "2026-06-30", "draft", 1)
    assert AuditLog.objects.filter(action="assessment.scheme_create").count() == 1
    assert AuditLog.objects.filter(action="assessment.period_create", object_id=str(p["id"])).count() == 1
    again = post(client, f"{API}/schemes/{body['id']}/periods", {"starts_on": "2026-06-01", "ends_on": "2026-06-30"})
    assert again.status_code == 400 and again.json()["field"] == "starts_on"
    named = post(client, f"{API}/schemes/{body['id']}/periods",
                 {"label": "2026年7月专项", "starts_on": "2026-07-01", "ends_on": "2026-07-31"})
    assert named.status_code == 201 and named.json()["label"] == "2026年7月专项"


def test_bad_input_is_400_with_the_field(street):
    client = as_user(street.manager)
    for body, field in [({"template": "nope", "region_id": street.county.east.pk}, "template"),
                        ({"template": "property_three_party"}, "region_id"),
                        ({"template": "property_three_party", "region_id": street.county.a1.pk}, "region_id"),
                        ({"template": "property_three_party", "region_id": street.county.east.pk, "name": "x" * 101},
                         "name")]:
        answer = post(client, f"{API}/schemes", body)
        assert (answer.status_code, answer.json()["field"]) == (400, field), body
    assert AssessmentScheme.objects.count() == 0
    _, made, _ = quarter(street)
    scheme = made.json()["id"]
    for body, field in [({"starts_on": "2027-01-01"}, "starts_on"),
                        ({"starts_on": "2027-03-31", "ends_on": "2027-01-01"}, "ends_on"),
                        ({"starts_on": "2027-13-01", "ends_on": "2027-12-31"}, "starts_on")]:
        answer = post(client, f"{API}/schemes/{scheme}/periods", body)
        assert (answer.status_code, answer.json()["field"]) == (400, field), body
    assert AssessmentPeriod.objects.count() == 1


def test_subjects_in_bulk_singly_and_a_duplicate_skipped(street):
    client, _, period = quarter(street)
    pid = period.json()["id"]
    one = post(client, f"{API}/periods/{pid}/subjects/bulk", {"region_id": street.county.a.pk})
    assert one.status_code == 200
    assert ([s["display_name"] for s in one.json()["added"]], one.json()["skipped"]) == (["甲物业"], 0)
    both = post(client, f"{API}/periods/{pid}/subjects/bulk", {"region_id": street.county.east.pk, "peer_group": "城区"})
    assert ([s["display_name"] for s in both.json()["added"]], both.json()["skipped"]) == (["乙物业"], 1)
    assert names(pid) == ["乙物业", "甲物业"]  # 甲超市 is a shop; 丙物业 is in 西镇
    listed = client.get(f"{API}/periods/{pid}/subjects").json()
    assert listed["count"] == 2 and {s["peer_group"] for s in listed["items"]} == {"", "城区"}
    candidates = client.get(f"{API}/periods/{pid}/subjects/candidates").json()["items"]
    assert [(c["name"], c["in_period"]) for c in candidates] == [("甲物业（甲一网格）", True), ("乙物业（乙一网格）", True)]

    bing, shop = street.orgs["丙物业"], street.orgs["甲超市"]
    for obj in (bing, shop):  # outside the scheme's region, or not a property company: not a candidate
        answer = post(client, f"{API}/periods/{pid}/subjects", {"subject_id": obj.pk})
        assert (answer.status_code, answer.json()["field"]) == (404, "subject_id")
    duplicate = post(client, f"{API}/periods/{pid}/subjects", {"subject_id": street.orgs["甲物业"].pk})
    assert (duplicate.status_code, duplicate.json()["field"]) == (400, "subject_id")
    west = post(client, f"{API}/periods/{pid}/subjects/bulk", {"region_id": street.county.west.pk})
    assert (west.status_code, west.json()["field"]) == (404, "region_id")  # not in the caller's scope
    assert names(pid) == ["乙物业", "甲物业"]

    # the county's office may reach 西镇, but 西镇 is outside this scheme's region
    county = as_user(street.county.county_staff)
    outside = post(county, f"{API}/periods/{pid}/subjects/bulk", {"region_id": street.county.west.pk})
    assert (outside.status_code, outside.json()["field"]) == (400, "region_id")
    PeriodSubject.objects.filter(display_name="乙物业").delete()
    single = post(client, f"{API}/periods/{pid}/subjects", {"subject_id": street.orgs["乙物业"].pk})
    assert single.status_code == 201 and single.json()["display_name"] == "乙物业"
    assert AuditLog.objects.filter(action="assessment.subject_add").count() == 1
    assert AuditLog.objects.filter(action="assessment.subjects_add_bulk").count() == 2


def test_grid_workers_in_post_are_added_in_bulk(street):
    county = street.county
    for name, community, active in [("w1", county.a, True), ("w2", county.b, True), ("w3", county.a, False),
                                    ("w4", county.c, True)]:
        w = grid_worker_create(actor=county.county_staff, name=name, kind="full_time", community=community)
        if not active:
            w.active = False
            w.save()
    scheme = services.scheme_create(actor=street.manager, name="网格员月度考核", subject_type="grid_worker",
                                    period_type="month", region=county.east, definition=jixian_worker_definition())
    period = services.period_start(actor=street.manager, scheme=scheme, today=date(2026, 5, 15))
    assert (period.label, period.starts_on, period.ends_on) == ("2026年5月", date(2026, 5, 1), date(2026, 5, 31))
    answer = post(as_user(street.manager), f"{API}/periods/{period.pk}/subjects/bulk", {"region_id": county.east.pk})
    assert sorted(s["display_name"] for s in answer.json()["added"]) == ["w1", "w2"]


def test_removal_before_scoring_and_refused_once_rated(street):
    client, _, period = quarter(street)
    pid = period.json()["id"]
    added = post(client, f"{API}/periods/{pid}/subjects/bulk", {"region_id": street.county.east.pk}).json()["added"]
    jia, yi = added  # 甲物业, 乙物业 (by region path)
    rater = post(client, f"{API}/periods/{pid}/raters", {"group": "party_org", "rater_id": street.frank.pk})
    assert rater.status_code == 201 and sorted(rater.json()["subject_ids"]) == sorted([jia["id"], yi["id"]])
    owners = post(client, f"{API}/periods/{pid}/raters", {"group": "owners", "rater_id": street.county.alice.pk,
                                                          "subject_ids": [jia["id"]]})
    assert owners.json()["subject_ids"] == [jia["id"]]
    groups = {g["code"]: [(r["rater"], r["subjects"]) for r in g["raters"]]
              for g in client.get(f"{API}/periods/{pid}/raters").json()}
    assert groups == {"party_org": [("frank", 2)], "owners": [("alice", 1)], "housing": []}

    removed = client.delete(f"{API}/periods/{pid}/subjects/{yi['id']}")
    assert removed.status_code == 204
    assert names(pid) == ["甲物业"] and RaterAssignment.objects.filter(rater=street.frank).count() == 1
    log = AuditLog.objects.get(action="assessment.subject_remove")
    assert log.changes["display_name"] == ["乙物业", None]
    gone = post(client, f"{API}/periods/{pid}/raters/remove", {"group": "owners", "rater_id": street.county.alice.pk})
    assert gone.json() == {"count": 1} and AuditLog.objects.filter(action="assessment.assignment_remove").count() == 1

    post(client, f"{API}/periods/{pid}/transitions/open_scoring", {})
    p = AssessmentPeriod.objects.get(pk=pid)
    subject = PeriodSubject.objects.get(pk=jia["id"])
    services.rating_save(actor=street.frank, period=p, group="party_org", subject=subject, score=90)
    refused = client.delete(f"{API}/periods/{pid}/subjects/{jia['id']}")
    assert (refused.status_code, refused.json()["field"]) == (400, "state")
    assert "已有 1 条评分" in refused.json()["message"]
    refused = post(client, f"{API}/periods/{pid}/raters/remove", {"group": "party_org", "rater_id": street.frank.pk})
    assert (refused.status_code, refused.json()["field"]) == (400, "state")
    assert names(pid) == ["甲物业"] and Rating.objects.count() == 1 and RaterAssignment.objects.count() == 1
    bad = post(client, f"{API}/periods/{pid}/raters", {"group": "nope", "rater_id": street.frank.pk})
    assert (bad.status_code, bad.json()["field"]) == (400, "group")
    outside = post(client, f"{API}/periods/{pid}/raters", {"group": "owners", "rater_id": street.county.carol.pk})
    assert (outside.status_code, outside.json()["field"]) == (404, "rater_id")  # 西镇's account


def test_peer_assignments_for_secretaries(street):
    client = as_user(street.manager)
    scheme = post(client, f"{API}/schemes", {"template": "zhangjiakou_secretary", "region_id": street.county.east.pk})
    period = post(client, f"{API}/schemes/{scheme.json()['id']}/periods",
                  {"starts_on": "2026-04-01", "ends_on": "2026-06-30"}).json()
    make_user("dan", Role.COMMUNITY_STAFF, street.county.a)
    post(client, f"{API}/periods/{period['id']}/subjects/bulk", {"region_id": street.county.east.pk})
    assert names(period["id"]) == ["alice", "bob", "dan"]
    peers = post(client, f"{API}/periods/{period['id']}/raters/peers", {"group": "peers"})
    assert peers.status_code == 201 and peers.json() == {"count": 6}  # 3 × 2, nobody rates themselves
    dan = PeriodSubject.objects.get(display_name="dan")
    client.delete(f"{API}/periods/{period['id']}/subjects/{dan.pk}")
    # dan's peer ratings of the others went with dan: alice and bob rate each other
    assert sorted(RaterAssignment.objects.values_list("rater__username", "subject__display_name")) == [
        ("alice", "bob"), ("bob", "alice")]
    not_peer = post(client, f"{API}/periods/{period['id']}/raters/peers", {"group": "leaders"})
    assert (not_peer.status_code, not_peer.json()["field"]) == (400, "group")


def test_another_street_gets_404_and_a_non_manager_403(street):
    _, made, period = quarter(street)
    pid, sid = period.json()["id"], made.json()["id"]
    stranger = as_user(street.stranger)
    assert stranger.get(f"{API}/periods/{pid}/subjects").status_code == 404
    assert stranger.get(f"{API}/periods/{pid}/raters").status_code == 404
    assert post(stranger, f"{API}/periods/{pid}/subjects/bulk", {"region_id": street.county.west.pk}).status_code == 404
    assert post(stranger, f"{API}/schemes/{sid}/periods", {}).status_code == 404
    east = post(stranger, f"{API}/schemes", {"template": "jixian_worker", "region_id": street.county.east.pk})
    assert (east.status_code, east.json()["field"]) == (404, "region_id")
    # alice rates in the period, so she sees it — but manages nothing there
    client = as_user(street.manager)
    post(client, f"{API}/periods/{pid}/subjects/bulk", {"region_id": street.county.east.pk})
    post(client, f"{API}/periods/{pid}/raters", {"group": "owners", "rater_id": street.county.alice.pk})
    alice = as_user(street.county.alice)
    assert alice.get(f"{API}/periods/{pid}").status_code == 200
    assert alice.get(f"{API}/periods/{pid}/subjects").status_code == 403
    subject = PeriodSubject.objects.filter(period_id=pid).first()
    assert alice.delete(f"{API}/periods/{pid}/subjects/{subject.pk}").status_code == 403
    assert post(alice, f"{API}/periods/{pid}/subjects", {"subject_id": street.orgs["丙物业"].pk}).status_code == 403
    assert PeriodSubject.objects.filter(period_id=pid).count() == 2
