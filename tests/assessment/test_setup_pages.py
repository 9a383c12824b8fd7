"""Setting up a round on the pages: 东街道's office makes a scheme from the 集贤 template, its first
period, adds the subjects (in bulk from a region and singly), the raters, and takes out the ones added
by mistake — never anything with a rating saved.

The fixture's community staff accounts (the 集贤 template assesses 社区工作者, subject type ``staff``):

    东街道  甲社区 alice, dan          乙社区 bob, eve (account off)     + frank (street staff, not assessed)
    西镇    丙村   carol

So a bulk add from 东街道 adds 3 (alice, bob, dan); from 甲社区 2 (alice, dan).
"""

from __future__ import annotations

import re
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
from jiceng.core.models import AuditLog
from jiceng.people.choices import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 15)


@pytest.fixture
def street(county) -> SimpleNamespace:
    eve = make_user("eve", Role.COMMUNITY_STAFF, county.b)
    eve.is_active = False
    eve.save()
    return SimpleNamespace(
        county=county, manager=make_user("east_office", Role.STREET_STAFF, county.east),
        stranger=make_user("west_office", Role.STREET_STAFF, county.west),
        dan=make_user("dan", Role.COMMUNITY_STAFF, county.a), eve=eve,
        frank=make_user("frank", Role.STREET_STAFF, county.east))


def make_scheme(login, street) -> AssessmentScheme:
    answer = login(street.manager).post("/assessment/schemes/new/", {
        "template": "jixian_worker", "region": street.county.east.pk, "name": ""})
    scheme = AssessmentScheme.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/assessment/schemes/{scheme.pk}/periods/new/"
    return scheme


def make_period(login, street) -> AssessmentPeriod:
    scheme = make_scheme(login, street)
    with time_machine.travel(TODAY, tick=False):
        login(street.manager).post(f"/assessment/schemes/{scheme.pk}/periods/new/", {
            "label": "2026年度", "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
    return AssessmentPeriod.objects.get()


def subjects(period) -> list[str]:
    return sorted(PeriodSubject.objects.filter(period=period).values_list("display_name", flat=True))


def test_a_street_makes_a_scheme_from_a_template_and_its_first_period(street, login):
    client = login(street.manager)
    listing = client.get("/assessment/").content.decode()
    assert 'href="/assessment/schemes/new/"' in listing
    form = client.get("/assessment/schemes/new/").content.decode()
    assert "集贤" in form and "张家口" in form and "物业" in form
    scheme = make_scheme(login, street)
    assert (scheme.name, scheme.subject_type, scheme.period_type, scheme.region) == (
        "社区工作者年度考核", "staff", "year", street.county.east)  # all from the template
    assert [g.code for g in scheme.versions.get().groups.all()] == ["quant", "democratic"]
    assert AuditLog.objects.filter(action="assessment.scheme_create", object_id=str(scheme.pk)).count() == 1
    assert f'href="/assessment/schemes/{scheme.pk}/periods/new/"' in client.get("/assessment/").content.decode()

    with time_machine.travel(TODAY, tick=False):
        page = client.get(f"/assessment/schemes/{scheme.pk}/periods/new/").content.decode()
        # a yearly scheme on 15 May 2026: this year
        assert 'value="2026年度"' in page and 'value="2026-01-01"' in page and 'value="2026-12-31"' in page
        answer = client.post(f"/assessment/schemes/{scheme.pk}/periods/new/", {
            "label": "2026年度", "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
    period = AssessmentPeriod.objects.get()
    assert answer["Location"] == f"/assessment/periods/{period.pk}/subjects/"
    assert (period.label, period.starts_on, period.ends_on, period.state) == (
        "2026年度", date(2026, 1, 1), date(2026, 12, 31), "draft")
    assert AuditLog.objects.filter(action="assessment.period_create", object_id=str(period.pk)).count() == 1
    again = client.post(f"/assessment/schemes/{scheme.pk}/periods/new/", {
        "label": "重复", "starts_on": "2026-06-01", "ends_on": "2026-06-30"})
    assert again.status_code == 400 and "重叠" in again.content.decode()
    assert again.context["form"].errors["starts_on"] and AssessmentPeriod.objects.count() == 1


def test_bad_input_is_a_form_error_and_nothing_is_lost(street, login):
    client = login(street.manager)
    answer = client.post("/assessment/schemes/new/", {"template": "", "region": "", "name": "东街道社工考核"})
    assert answer.status_code == 400
    errors = answer.context["form"].errors
    assert set(errors) == {"template", "region"}
    assert 'value="东街道社工考核"' in answer.content.decode()  # what was typed is kept
    west = client.post("/assessment/schemes/new/", {"template": "jixian_worker", "region": street.county.west.pk})
    assert west.status_code == 400 and "region" in west.context["form"].errors  # not among the choices
    grid = client.post("/assessment/schemes/new/", {"template": "jixian_worker", "region": street.county.a1.pk})
    assert grid.status_code == 400  # a grid is no region a scheme belongs to
    assert AssessmentScheme.objects.count() == 0
    scheme = make_scheme(login, street)
    wrong = client.post(f"/assessment/schemes/{scheme.pk}/periods/new/", {
        "label": "2026年度", "starts_on": "2026-12-31", "ends_on": "2026-01-01"})
    assert wrong.status_code == 400 and "ends_on" in wrong.context["form"].errors
    assert 'value="2026年度"' in wrong.content.decode() and AssessmentPeriod.objects.count() == 0


def test_subjects_in_bulk_and_singly_a_duplicate_skipped(street, login):
    period = make_period(login, street)
    client = login(street.manager)
    url = f"/assessment/periods/{period.pk}/subjects/"
    assert f'href="{url}"' in client.get(f"/assessment/periods/{period.pk}/").content.decode()
    preview = client.get(f"{url}preview/", {"region": street.county.east.pk}, HTTP_HX_REQUEST="true")
    assert 'data-preview-new="3"' in preview.content.decode()
    client.post(f"{url}bulk/", {"region": street.county.a.pk, "peer_group": ""})
    assert subjects(period) == ["alice", "dan"]  # 甲社区's two
    client.post(f"{url}add/", {"subject": street.county.bob.pk, "peer_group": ""})
    assert subjects(period) == ["alice", "bob", "dan"]
    answer = client.post(f"{url}bulk/", {"region": street.county.east.pk, "peer_group": ""}, follow=True)
    assert "添加 0 个考核对象；3 个已在本期" in answer.content.decode()  # nobody twice
    assert subjects(period) == ["alice", "bob", "dan"]  # eve's account is off, frank is street staff
    bulk = AuditLog.objects.filter(action="assessment.subjects_add_bulk").order_by("id")
    assert [(b.changes["added"][1], b.changes["skipped"][1]) for b in bulk] == [(2, 0), (0, 3)]
    assert AuditLog.objects.filter(action="assessment.subject_add").count() == 1

    # carol is in 西镇, outside the scheme's 东街道: not offered, and refused when sent anyway
    page = client.get(url).content.decode()
    assert "carol" not in page
    refused = client.post(f"{url}add/", {"subject": street.county.carol.pk, "peer_group": "x"})
    assert refused.status_code == 400 and refused.context["add_form"].errors["subject"]
    assert 'value="x"' in refused.content.decode()
    refused = client.post(f"{url}bulk/", {"region": street.county.west.pk})
    assert refused.status_code == 400 and refused.context["bulk_form"].errors["region"]
    assert subjects(period) == ["alice", "bob", "dan"]


def test_removing_a_subject_before_scoring_and_refused_once_rated(street, login):
    period = make_period(login, street)
    client = login(street.manager)
    url = f"/assessment/periods/{period.pk}/subjects/"
    client.post(f"{url}bulk/", {"region": street.county.east.pk})
    client.post(f"/assessment/periods/{period.pk}/raters/add/", {"group": "quant", "rater": street.frank.pk})
    assert RaterAssignment.objects.filter(rater=street.frank).count() == 3
    dan = PeriodSubject.objects.get(period=period, display_name="dan")
    answer = client.post(f"{url}{dan.pk}/remove/", follow=True)
    assert "已移除“dan”" in answer.content.decode()
    assert subjects(period) == ["alice", "bob"]
    assert RaterAssignment.objects.filter(rater=street.frank).count() == 2  # dan's assignment went with dan
    log = AuditLog.objects.get(action="assessment.subject_remove")
    assert log.changes["display_name"] == ["dan", None] and log.changes["assignments"] == [1, 0]

    services.period_open_scoring(actor=street.manager, period=period)
    alice = PeriodSubject.objects.get(period=period, display_name="alice")
    services.rating_save(actor=street.frank, period=period, group="quant", subject=alice,
                         indicator_scores={"party": "18"})
    answer = client.post(f"{url}{alice.pk}/remove/", follow=True)
    assert "已有 1 条评分，不能移除" in answer.content.decode()
    bob = PeriodSubject.objects.get(period=period, display_name="bob")
    answer = client.post(f"{url}{bob.pk}/remove/", follow=True)
    assert "开始评分后不能移除考核对象" in answer.content.decode()
    assert subjects(period) == ["alice", "bob"] and Rating.objects.count() == 1  # nothing saved is lost
    assert AuditLog.objects.filter(action="assessment.subject_remove").count() == 1
    assert f"{url}{alice.pk}/remove/" not in client.get(url).content.decode()  # no button that would be refused


def test_raters_added_and_removed(street, login):
    period = make_period(login, street)
    client = login(street.manager)
    client.post(f"/assessment/periods/{period.pk}/subjects/bulk/", {"region": street.county.east.pk})
    url = f"/assessment/periods/{period.pk}/raters/"
    assert f'href="{url}"' in client.get(f"/assessment/periods/{period.pk}/").content.decode()
    alice = PeriodSubject.objects.get(period=period, display_name="alice")
    client.post(f"{url}add/", {"group": "quant", "rater": street.frank.pk, "subjects": [alice.pk]})
    client.post(f"{url}add/", {"group": "democratic", "rater": street.county.bob.pk})  # all but himself
    assert sorted(RaterAssignment.objects.values_list("group__code", "rater__username", "subject__display_name")) == [
        ("democratic", "bob", "alice"), ("democratic", "bob", "dan"), ("quant", "frank", "alice")]
    page = client.get(url).content.decode()
    row = re.search(rf'data-rater="{street.county.bob.pk}">(.*?)</tr>', page, re.S).group(1)
    assert '<td class="num">2</td><td class="num">0</td>' in row  # bob rates 2, nothing saved yet
    refused = client.post(f"{url}add/", {"group": "quant", "rater": street.county.carol.pk})  # 西镇: not offered
    assert refused.status_code == 400 and refused.context["add_form"].errors["rater"]
    refused = client.post(f"{url}add/", {"group": "quant", "rater": street.county.bob.pk,
                                         "subjects": [PeriodSubject.objects.get(display_name="bob").pk]})
    assert refused.status_code == 400 and "不能评自己" in refused.content.decode()
    client.post(f"{url}remove/", {"group": "democratic", "rater": street.county.bob.pk})
    assert list(RaterAssignment.objects.values_list("rater__username", flat=True)) == ["frank"]
    log = AuditLog.objects.get(action="assessment.assignment_remove")
    assert log.changes["group"] == ["democratic", None] and log.changes["count"] == [2, 0]


def test_another_street_and_non_managers_are_kept_out(street, login):
    period = make_period(login, street)
    scheme = period.scheme
    client = login(street.stranger)
    for url in (f"/assessment/periods/{period.pk}/subjects/", f"/assessment/periods/{period.pk}/raters/",
                f"/assessment/schemes/{scheme.pk}/periods/new/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/assessment/periods/{period.pk}/subjects/bulk/",
                       {"region": street.county.west.pk}).status_code == 404
    assert client.post("/assessment/schemes/new/", {"template": "jixian_worker",
                                                    "region": street.county.east.pk}).status_code == 400
    assert "东街道" not in client.get("/assessment/schemes/new/").content.decode()  # not among its regions
    assert PeriodSubject.objects.count() == 0
    # alice is assessed in the period (she sees it) but manages nothing there
    login(street.manager).post(f"/assessment/periods/{period.pk}/subjects/bulk/", {"region": street.county.a.pk})
    client = login(street.county.alice)
    assert client.get(f"/assessment/periods/{period.pk}/subjects/").status_code == 403
    subject = PeriodSubject.objects.get(display_name="dan")
    assert client.post(f"/assessment/periods/{period.pk}/subjects/{subject.pk}/remove/").status_code == 403
    assert PeriodSubject.objects.count() == 2
    dept = make_user("dept", Role.DEPARTMENT_STAFF, department=_department(street.county))
    assert login(dept).get("/assessment/schemes/new/").status_code == 403


def _department(county):
    from jiceng.people.services import department_create

    return department_create(actor=county.sysadmin, code="zzb", name="组织部", kind="org", region=county.county)


def test_a_new_period_is_proposed_after_the_schemes_latest_not_over_it(street, login):
    """A yearly scheme with 2026年度 already made: on 15 May 2026 新建考核期 proposes 2027年度 (the round
    containing today exists), which goes through at the first click."""
    period = make_period(login, street)
    scheme = period.scheme
    client = login(street.manager)
    with time_machine.travel(TODAY, tick=False):
        page = client.get(f"/assessment/schemes/{scheme.pk}/periods/new/")
        html = page.content.decode()
        assert 'value="2027年度"' in html and 'value="2027-01-01"' in html and 'value="2027-12-31"' in html
        assert "默认为本方案最后一期之后的一期" in html
        initial = page.context["form"].initial
        answer = client.post(f"/assessment/schemes/{scheme.pk}/periods/new/", {
            "label": initial["label"], "starts_on": initial["starts_on"].isoformat(),
            "ends_on": initial["ends_on"].isoformat()})
    made = AssessmentPeriod.objects.exclude(pk=period.pk).get()
    assert answer.status_code == 302 and answer["Location"] == f"/assessment/periods/{made.pk}/subjects/"
    assert (made.label, made.starts_on, made.ends_on) == ("2027年度", date(2027, 1, 1), date(2027, 12, 31))
    assert AuditLog.objects.filter(action="assessment.period_create", object_id=str(made.pk)).count() == 1
    # the API's default is the same: after 2027年度 comes 2028年度
    third = services.period_start(actor=street.manager, scheme=scheme, today=TODAY)
    assert (third.label, third.starts_on, third.ends_on) == ("2028年度", date(2028, 1, 1), date(2028, 12, 31))


def test_a_schemes_first_period_is_proposed_as_the_round_containing_today(street, login):
    scheme = make_scheme(login, street)
    assert services.first_free_dates(scheme, TODAY) == (date(2026, 1, 1), date(2026, 12, 31))
