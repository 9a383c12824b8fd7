"""Scheme definitions: validation, versions, freezing."""

from __future__ import annotations

from datetime import date

import pytest

from jiceng.assessment import services
from jiceng.assessment.models import AssessmentScheme, Indicator, RaterGroup, SchemeVersion
from jiceng.assessment.templates import property_three_party_definition
from jiceng.core.audit import AuditLog
from jiceng.core.errors import ApplicationError, PermissionDeniedError
from tests.assessment.helpers import close_compute_publish, period

pytestmark = pytest.mark.django_db


def simple(**over) -> dict:
    d = {"groups": [{"code": "a", "name": "甲组", "kind": "single", "weight": "60", "max_points": "100"},
                    {"code": "b", "name": "乙组", "kind": "single", "weight": "40", "max_points": "50"}],
         "indicators": []}
    d.update(over)
    return d


def make(county, definition, **kw):
    return services.scheme_create(actor=county.county_staff, name="测试方案", subject_type="community",
                                  period_type="quarter", region=county.county, definition=definition, **kw)


def assert_refused(county, definition, field):
    counts = (AssessmentScheme.objects.count(), SchemeVersion.objects.count(), RaterGroup.objects.count(),
              Indicator.objects.count(), AuditLog.objects.count())
    with pytest.raises(ApplicationError) as exc:
        make(county, definition)
    assert exc.value.field == field, exc.value.message
    assert counts == (AssessmentScheme.objects.count(), SchemeVersion.objects.count(), RaterGroup.objects.count(),
                      Indicator.objects.count(), AuditLog.objects.count())


def test_weights_must_sum_to_100(county):
    d = simple()
    d["groups"][1]["weight"] = "39.99"
    assert_refused(county, d, "weight")


def test_indicator_points_must_add_up_to_the_group_maximum(county):
    d = {"groups": [{"code": "q", "kind": "indicators", "weight": "100", "max_points": "100"}],
         "indicators": [{"code": "x", "group": "q", "max_points": "60"}, {"code": "y", "group": "q",
                                                                          "max_points": "30"}]}
    assert_refused(county, d, "max_points")


def test_formula_with_unknown_name_or_division_by_a_name_is_refused(county):
    assert_refused(county, simple(formula="a + c"), "formula")
    assert_refused(county, simple(formula="a / b"), "formula")
    assert_refused(county, simple(formula="a / (1 - 1)"), "formula")
    scheme = make(county, simple(formula="safe_div(a, b, 0) + a / 2"))
    assert scheme.versions.get().formula == "safe_div(a, b, 0) + a / 2"


def test_unregistered_automatic_indicator_is_refused(county):
    d = {"groups": [{"code": "q", "kind": "indicators", "weight": "100", "max_points": "10"}],
         "indicators": [{"code": "x", "group": "q", "kind": "auto", "auto_key": "events.nothing", "max_points": "10"}]}
    assert_refused(county, d, "indicators[0].auto_key")


def test_only_managers_of_the_region_create_schemes(county):
    with pytest.raises(PermissionDeniedError):
        services.scheme_create(actor=county.alice, name="x", subject_type="community", period_type="quarter",
                               region=county.county, definition=simple())
    with pytest.raises(PermissionDeniedError):
        services.scheme_create(actor=county.sysadmin, name="x", subject_type="community", period_type="quarter",
                               region=county.county, definition=simple())


def test_version_is_frozen_once_a_period_uses_it_and_results_keep_their_version(county):
    m = county.county_staff
    scheme = make(county, simple())
    v1 = scheme.versions.get()
    services.scheme_version_update(actor=m, version=v1, definition=simple(red_top_n=1))  # still a draft: allowed
    p1 = period(m, scheme, "Q1", date(2026, 1, 1), date(2026, 3, 31))
    v1.refresh_from_db()
    assert v1.frozen and v1.red_top_n == 1
    groups_before = list(v1.groups.values_list("code", "weight"))
    with pytest.raises(ApplicationError) as exc:
        services.scheme_version_update(actor=m, version=v1, definition=simple(red_top_n=2))
    assert exc.value.field == "version"
    v1.refresh_from_db()
    assert v1.red_top_n == 1 and list(v1.groups.values_list("code", "weight")) == groups_before

    subject = services.period_subject_add(actor=m, period=p1, obj=county.a)
    services.assignment_create(actor=m, period=p1, group="a", rater=county.county_staff, subjects=[subject])
    services.period_open_scoring(actor=m, period=p1)
    services.rating_save(actor=m, period=p1, group="a", subject=subject, score=80, submit=True)
    close_compute_publish(m, p1)

    v2 = services.scheme_version_create(actor=m, scheme=scheme, definition=property_three_party_definition())
    assert v2.number == 2 and not v2.frozen
    p2 = period(m, scheme, "Q2", date(2026, 4, 1), date(2026, 6, 30))
    assert p2.version == v2
    p1.refresh_from_db()
    result = p1.results.get()
    assert p1.version == v1 and result.detail["config"]["version_id"] == v1.pk
    # 60% × 80/100 × 100 = 48; group b has no scores → 0
    assert str(result.total) == "48.00"


def test_editing_copies_the_definition_into_a_new_version(county):
    from jiceng.assessment import selectors
    from jiceng.assessment.templates import jixian_worker_scheme_create

    m = county.county_staff
    scheme = jixian_worker_scheme_create(actor=m, region=county.county)
    v1 = scheme.versions.get()
    period(m, scheme, "2026", date(2026, 1, 1), date(2026, 12, 31))
    definition = selectors.scheme_version_definition(v1)
    definition["groups"][0]["weight"], definition["groups"][1]["weight"] = "60", "40"
    v2 = services.scheme_version_create(actor=m, scheme=scheme, definition=definition)
    assert [(g.code, str(g.weight)) for g in v2.groups.all()] == [("quant", "60.00"), ("democratic", "40.00")]
    assert [(i.code, i.parent.code if i.parent else None, str(i.cap)) for i in v2.indicators.all()] == [
        (i.code, i.parent.code if i.parent else None, str(i.cap)) for i in v1.indicators.all()]
    assert [(g.code, str(g.weight)) for g in v1.groups.all()] == [("quant", "70.00"), ("democratic", "30.00")]
    assert AuditLog.objects.filter(action="assessment.version_create", object_id=str(v2.pk)).exists()


def test_a_published_result_refuses_changes(county):
    from jiceng.assessment.models import FrozenResultError

    m = county.county_staff
    scheme = make(county, simple())
    p = period(m, scheme, "Q1", date(2026, 1, 1), date(2026, 3, 31))
    subject = services.period_subject_add(actor=m, period=p, obj=county.a)
    services.assignment_create(actor=m, period=p, group="a", rater=county.county_staff, subjects=[subject])
    services.period_open_scoring(actor=m, period=p)
    close_compute_publish(m, p)
    result = p.results.get()
    result.total = 99
    with pytest.raises(FrozenResultError):
        result.save()
