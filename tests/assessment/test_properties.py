"""Property test: random schemes and scores. Totals stay within [0, max], ranks agree with the
totals, the explanation re-derives each published total, and recomputing from the records
reproduces the published numbers."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.assessment import selectors, services
from jiceng.assessment.choices import DEFAULT_QUESTIONNAIRE
from jiceng.assessment.services.results import compute_all
from jiceng.people.choices import Role
from tests.assessment.helpers import period, raters
from tests.factories import make_user

pytestmark = pytest.mark.django_db
_counter = itertools.count()
LEVELS = [lv["code"] for lv in DEFAULT_QUESTIONNAIRE["levels"]]
ITEMS = [it["code"] for it in DEFAULT_QUESTIONNAIRE["items"]]


@st.composite
def scenarios(draw):
    n_groups = draw(st.integers(1, 3))
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=n_groups - 1, max_size=n_groups - 1)))
    weights = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    groups, indicators = [], []
    for i, w in enumerate(weights):
        kind = draw(st.sampled_from(["single", "indicators", "questionnaire"]))
        if kind == "questionnaire":
            groups.append({"code": f"g{i}", "kind": kind, "weight": str(w), "anonymous": True,
                           "questionnaire": DEFAULT_QUESTIONNAIRE, "drop_extremes": draw(st.integers(0, 1))})
        elif kind == "single":
            groups.append({"code": f"g{i}", "kind": kind, "weight": str(w), "max_points": str(draw(st.integers(1, 150))),
                           "drop_extremes": draw(st.integers(0, 1))})
        else:
            maxes = draw(st.lists(st.integers(1, 50), min_size=1, max_size=2))
            groups.append({"code": f"g{i}", "kind": kind, "weight": str(w), "max_points": str(sum(maxes)),
                           "drop_extremes": draw(st.integers(0, 1))})
            indicators += [{"code": f"g{i}i{j}", "group": f"g{i}", "max_points": str(m)} for j, m in enumerate(maxes)]
    indicators += [{"code": "plus", "kind": "bonus", "max_points": "10", "cap": str(draw(st.integers(0, 10)))},
                   {"code": "minus", "kind": "deduction", "max_points": "50", "cap": str(draw(st.integers(0, 60)))}]
    max_total = draw(st.sampled_from(["10", "100", "150"]))
    definition = {"max_total": max_total, "groups": groups, "indicators": indicators,
                  "grade_bands": [{"grade": "A", "min": str(Decimal(max_total) * Decimal("0.8"))},
                                  {"grade": "B", "min": "0"}],
                  "grade_quotas": {"A": str(draw(st.integers(0, 100)))}}
    n_subjects = draw(st.integers(2, 5))
    scores = []
    for _ in range(n_subjects):
        per_group = []
        for g in groups:
            if g["kind"] == "questionnaire":
                per_group.append(draw(st.lists(st.tuples(*[st.sampled_from(LEVELS)] * 5), max_size=3)))
                continue
            gmax = int(Decimal(g["max_points"]))
            if g["kind"] == "single":
                per_group.append(draw(st.lists(st.integers(0, gmax * 100), min_size=0, max_size=3)))
            else:
                leaves = [x for x in indicators if x.get("group") == g["code"]]
                per_group.append(draw(st.lists(
                    st.tuples(*[st.integers(0, int(x["max_points"]) * 100) for x in leaves]), min_size=0, max_size=3)))
        adjustments = draw(st.lists(st.tuples(st.sampled_from(["plus", "minus"]), st.integers(1, 10)), max_size=4))
        scores.append((per_group, adjustments))
    return definition, scores


def test_random_schemes(county):
    m = county.county_staff
    people = [make_user(f"staff{i}", Role.COMMUNITY_STAFF, county.a) for i in range(5)]
    judges = raters("pj", 3, county.c)

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(scenarios())
    def check(scenario):
        definition, scores = scenario
        scheme = services.scheme_create(actor=m, name=f"随机{next(_counter)}", subject_type="staff",
                                        period_type="month", region=county.county, definition=definition)
        p = period(m, scheme, "1月", date(2026, 1, 1), date(2026, 1, 31))
        subjects = [services.period_subject_add(actor=m, period=p, obj=u) for u in people[:len(scores)]]
        for g in definition["groups"]:
            for j in judges:
                services.assignment_create(actor=m, period=p, group=g["code"], rater=j, subjects=subjects)
        services.period_open_scoring(actor=m, period=p)
        for s, (per_group, adjustments) in zip(subjects, scores, strict=True):
            for g, given_scores in zip(definition["groups"], per_group, strict=True):
                leaves = [x["code"] for x in definition["indicators"] if x.get("group") == g["code"]]
                for j, value in zip(judges, given_scores, strict=False):
                    if g["kind"] == "questionnaire":
                        services.rating_save(actor=j, period=p, group=g["code"], subject=s, submit=True,
                                             answers=dict(zip(ITEMS, value, strict=True)))
                    elif g["kind"] == "single":
                        services.rating_save(actor=j, period=p, group=g["code"], subject=s,
                                             score=Decimal(value) / 100, submit=True)
                    else:
                        services.rating_save(actor=j, period=p, group=g["code"], subject=s, submit=True,
                                             indicator_scores={c: Decimal(v) / 100
                                                               for c, v in zip(leaves, value, strict=True)})
            for code, pts in adjustments:
                services.adjustment_record(actor=m, period=p, subject=s, indicator=code, points=pts, note="随机")
        services.period_close_scoring(actor=m, period=p)
        services.period_compute(actor=m, period=p, force=True)  # a random group may have no rater
        services.period_publish(actor=m, period=p, published_on=date(2026, 2, 1))
        results = list(selectors.period_results(m, p))
        max_total = Decimal(definition["max_total"])
        totals = [r.total for r in results]
        for r in results:
            assert Decimal(0) <= r.total <= max_total
            assert r.rank == 1 + sum(1 for t in totals if t > r.total)
            assert r.rank_of == len(results)
            assert selectors.result_explain(m, r)["verified"]
        again = compute_all(p)
        assert {str(r.subject_id): (r.total, r.rank, r.grade) for r in results} == {
            k: (v["total"], v["rank"], v["grade"]) for k, v in again.items()}
        quota = int(len(results) * Decimal(definition["grade_quotas"]["A"]) / 100)
        assert sum(1 for r in results if r.grade == "A") <= quota

    check()
