"""Three-party quarterly property-company assessment, worked by hand.

total = 70% × 街道社区党组织 + 15% × 业主委员会 + 15% × 住建部门. Twenty companies k = 1..20: the party
organisation gives 100 − k, except company 4 which gets 97 like company 3; owners and the housing
bureau give 90 each. So total(k) = 0.7 × (100 − k) + 0.15 × 90 + 0.15 × 90 = 97 − 0.7k:
k=1 → 96.3, k=2 → 95.6, k=3 and k=4 → 0.7 × 97 + 27 = 94.9 (tie, both rank 3), k=5 → 93.5 (rank 5),
…, k=20 → 83. 红榜 = top 15 (k = 1..15), 黑榜 = bottom 5 (k = 16..20), published on the publication date.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from jiceng.assessment import selectors, services
from jiceng.assessment.choices import FlagKind
from jiceng.assessment.templates import property_three_party_scheme_create
from jiceng.people.choices import DepartmentKind, Role
from jiceng.people.models import Department
from jiceng.regions.choices import OrganisationKind
from jiceng.regions.models import Organisation
from tests.assessment.helpers import close_compute_publish, period
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_red_and_black_lists_by_hand(county):
    m = county.county_staff
    scheme = property_three_party_scheme_create(actor=m, region=county.county)
    version = scheme.versions.get()
    assert {g.code: g.weight for g in version.groups.all()} == {
        "party_org": Decimal("70.00"), "owners": Decimal("15.00"), "housing": Decimal("15.00")}
    housing_dept = Department.objects.create(code="zj", name="住建局", kind=DepartmentKind.HOUSING,
                                             region=county.county)
    party = make_user("party_sec", Role.STREET_STAFF, county.east)
    owners = make_user("owners_chair", Role.COMMUNITY_STAFF, county.a)
    housing = make_user("housing_staff", Role.DEPARTMENT_STAFF, department=housing_dept)
    companies = [Organisation.objects.create(name=f"物业{k:02d}", kind=OrganisationKind.PROPERTY, grid=county.a1)
                 for k in range(1, 21)]
    p = period(m, scheme, "2026Q2", date(2026, 4, 1), date(2026, 6, 30))
    subjects = [services.period_subject_add(actor=m, period=p, obj=c) for c in companies]
    for group, rater in (("party_org", party), ("owners", owners), ("housing", housing)):
        services.assignment_create(actor=m, period=p, group=group, rater=rater, subjects=subjects)
    services.period_open_scoring(actor=m, period=p)
    for k, s in enumerate(subjects, start=1):
        party_score = 97 if k == 4 else 100 - k
        services.rating_save(actor=party, period=p, group="party_org", subject=s, score=party_score, submit=True)
        services.rating_save(actor=owners, period=p, group="owners", subject=s, score=90, submit=True)
        services.rating_save(actor=housing, period=p, group="housing", subject=s, score=90, submit=True)
    p = close_compute_publish(m, p, published_on=date(2026, 7, 10))

    results = {r.subject.display_name: r for r in selectors.period_results(m, p)}
    assert (results["物业01"].total, results["物业01"].rank) == (Decimal("96.30"), 1)
    assert (results["物业03"].total, results["物业03"].rank) == (Decimal("94.90"), 3)
    assert (results["物业04"].total, results["物业04"].rank) == (Decimal("94.90"), 3)
    assert (results["物业05"].total, results["物业05"].rank) == (Decimal("93.50"), 5)
    assert (results["物业20"].total, results["物业20"].rank) == (Decimal("83.00"), 20)
    red = list(selectors.period_flags(m, p, FlagKind.RED))
    black = list(selectors.period_flags(m, p, FlagKind.BLACK))
    assert [f.subject.display_name for f in red] == [f"物业{k:02d}" for k in range(1, 16)]
    assert [f.rank for f in red][:5] == [1, 2, 3, 3, 5]
    assert sorted(f.subject.display_name for f in black) == [f"物业{k:02d}" for k in range(16, 21)]
    assert {f.published_on for f in red + black} == {date(2026, 7, 10)}
    assert all([r.pk for r in f.results.all()] == [results[f.subject.display_name].pk] for f in red + black)


def test_only_property_companies_can_be_subjects(county):
    from jiceng.core.errors import ApplicationError

    m = county.county_staff
    scheme = property_three_party_scheme_create(actor=m, region=county.county)
    shop = Organisation.objects.create(name="小卖部", kind=OrganisationKind.SHOP, grid=county.a1)
    p = period(m, scheme, "2026Q2", date(2026, 4, 1), date(2026, 6, 30))
    with pytest.raises(ApplicationError) as exc:
        services.period_subject_add(actor=m, period=p, obj=shop)
    assert exc.value.field == "subject" and not p.subjects.exists()
