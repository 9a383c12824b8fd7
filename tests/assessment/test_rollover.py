"""下一期: a new round set up from the last one — the next month/quarter/year by the scheme's
period type, its usual name, the same subjects and raters (minus those who left), never twice."""

from __future__ import annotations

from datetime import date

import pytest

from jiceng.assessment import services
from jiceng.assessment.models import AssessmentPeriod, RaterAssignment
from jiceng.assessment.services import default_label, next_dates
from jiceng.assessment.templates import zhangjiakou_secretary_scheme_create
from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.models import AuditLog
from jiceng.people.choices import Role
from tests.assessment.helpers import period, raters
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind, start, end, next_start, next_end, label", [
    ("month", date(2026, 12, 1), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 31), "2027年1月"),
    ("bimonth", date(2026, 1, 1), date(2026, 2, 28), date(2026, 3, 1), date(2026, 4, 30), "2026年3—4月"),
    ("quarter", date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 1), date(2026, 6, 30), "2026年第二季度"),
    ("quarter", date(2026, 10, 1), date(2026, 12, 31), date(2027, 1, 1), date(2027, 3, 31), "2027年第一季度"),
    ("half_year", date(2026, 1, 1), date(2026, 6, 30), date(2026, 7, 1), date(2026, 12, 31), "2026年下半年"),
    ("year", date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 1), date(2027, 12, 31), "2027年度"),
    # a term, or a round not aligned to months: the same number of days right after
    ("term", date(2021, 6, 1), date(2026, 5, 31), date(2026, 6, 1), date(2031, 5, 31), "2026-06-01至2031-05-31"),
    ("quarter", date(2026, 1, 15), date(2026, 4, 14), date(2026, 4, 15), date(2026, 7, 13), "2026-04-15至2026-07-13"),  # 90 days each
])
def test_the_next_round_and_its_name(kind, start, end, next_start, next_end, label):
    assert next_dates(kind, start, end) == (next_start, next_end)
    assert default_label(kind, next_start, next_end) == label


@pytest.fixture
def q1(county):
    manager = county.county_staff
    dave = make_user("dave", Role.COMMUNITY_STAFF, county.a)
    secretaries = [county.alice, county.bob, county.carol, dave]
    scheme = zhangjiakou_secretary_scheme_create(actor=manager, region=county.county)
    leader = make_user("street_leader", Role.STREET_STAFF, county.east)
    judges = raters("judge", 3, county.c)
    p = period(manager, scheme, "2026年第一季度", date(2026, 1, 1), date(2026, 3, 31))
    subjects = [services.period_subject_add(actor=manager, period=p, obj=u) for u in secretaries]
    services.assignment_create(actor=manager, period=p, group="leaders", rater=leader, subjects=subjects)
    for j in judges:
        services.assignment_create(actor=manager, period=p, group="judges", rater=j, subjects=subjects)
    services.peer_assignments_create(actor=manager, period=p, group="peers")
    assert p.assignments.count() == 4 + 3 * 4 + 4 * 3  # leader, judges, every secretary rates the 3 others
    return {"manager": manager, "period": p, "dave": dave, "judges": judges, "leader": leader}


def test_the_next_quarter_carries_the_subjects_and_raters_who_are_still_there(county, q1):
    q1["dave"].is_active = False  # left: no longer assessed, no longer rates his peers
    q1["dave"].save()
    q1["judges"][2].is_active = False
    q1["judges"][2].save()
    made = services.period_next(actor=q1["manager"], period=q1["period"])
    new = made.period
    assert (new.label, new.starts_on, new.ends_on, new.state) == (
        "2026年第二季度", date(2026, 4, 1), date(2026, 6, 30), "draft")
    assert sorted(new.subjects.values_list("user__username", flat=True)) == ["alice", "bob", "carol"]
    by_group = {code: RaterAssignment.objects.filter(period=new, group__code=code).count()
                for code in ("leaders", "judges", "peers")}
    assert by_group == {"leaders": 3, "judges": 2 * 3, "peers": 3 * 2}  # 15 in all
    assert (made.subjects, made.assignments) == (3, 15)
    assert made.dropped_subjects == [q1["period"].subjects.get(user=q1["dave"]).display_name]
    assert sorted(made.dropped_raters) == sorted([str(q1["dave"]), str(q1["judges"][2])])
    assert not RaterAssignment.objects.filter(period=new, rater=q1["dave"]).exists()
    assert all(a.subject.user_id != a.rater_id for a in new.assignments.select_related("subject"))
    assert all(a.group.version_id == new.version_id for a in new.assignments.select_related("group"))
    entry = AuditLog.objects.get(action="assessment.period_next", object_id=str(new.pk))
    assert entry.changes["assignments"] == [None, 15] and entry.changes["from_period"] == q1["period"].pk
    # The old round is untouched.
    assert q1["period"].subjects.count() == 4 and q1["period"].assignments.count() == 28


def test_a_second_click_makes_no_second_round_and_others_may_not(county, q1):
    services.period_next(actor=q1["manager"], period=q1["period"])
    with pytest.raises(ApplicationError) as err:
        services.period_next(actor=q1["manager"], period=q1["period"])
    assert err.value.field == "starts_on" and "2026年第二季度" in err.value.message
    with pytest.raises(PermissionDeniedError):
        services.period_next(actor=county.alice, period=q1["period"], starts_on=date(2026, 7, 1),
                             ends_on=date(2026, 9, 30))
    assert AssessmentPeriod.objects.filter(scheme=q1["period"].scheme).count() == 2


def test_dates_and_name_may_be_given(county, q1):
    made = services.period_next(actor=q1["manager"], period=q1["period"], label=" 二季度（补） ",
                                starts_on=date(2026, 4, 1), ends_on=date(2026, 5, 31))
    assert (made.period.label, made.period.ends_on) == ("二季度（补）", date(2026, 5, 31))


def test_the_next_round_is_proposed_after_the_schemes_latest_period(county, q1, login):
    """下一期 on Q1 when Q2 already exists: the form proposes Q3 (not Q2 again, refused only after
    submitting), says that Q2 exists with a link to it, and still carries Q1's subjects and raters."""
    q2 = services.period_next(actor=q1["manager"], period=q1["period"]).period
    assert services.next_round(q1["period"]) == (q2, date(2026, 7, 1), date(2026, 9, 30))
    client = login(q1["manager"])
    url = f"/assessment/periods/{q1['period'].pk}/next/"
    form = client.get(url).content.decode()
    assert 'value="2026年第三季度"' in form and 'value="2026-07-01"' in form and 'value="2026-09-30"' in form
    notice = form[form.index('id="as-later"'):]
    notice = notice[:notice.index("</p>")]
    assert "2026年第二季度" in notice and f'href="/assessment/periods/{q2.pk}/"' in notice
    # the page of the latest period proposes the round after itself and says nothing more
    assert 'id="as-later"' not in client.get(f"/assessment/periods/{q2.pk}/next/").content.decode()
    again = client.post(url, {"label": "2026年第二季度", "starts_on": "2026-04-01", "ends_on": "2026-06-30"})
    assert again.status_code == 400 and "重叠" in again.content.decode()  # the service's check stands
    done = client.post(url, {"label": "2026年第三季度", "starts_on": "2026-07-01", "ends_on": "2026-09-30"})
    q3 = AssessmentPeriod.objects.get(scheme=q1["period"].scheme, label="2026年第三季度")
    assert done.status_code == 302 and (q3.starts_on, q3.ends_on) == (date(2026, 7, 1), date(2026, 9, 30))
    assert q3.subjects.count() == 4 and q3.assignments.count() == q1["period"].assignments.count()
