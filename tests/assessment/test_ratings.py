"""Raters, drafts and submissions, and the refusals that leave nothing changed."""

from __future__ import annotations

from datetime import date

import pytest

from jiceng.assessment import selectors, services
from jiceng.assessment.choices import RatingState
from jiceng.assessment.models import IndicatorScore, Rating
from jiceng.core.errors import ApplicationError, PermissionDeniedError
from tests.assessment.helpers import period, raters

pytestmark = pytest.mark.django_db

DEFINITION = {
    "groups": [{"code": "q", "name": "量化", "kind": "indicators", "weight": "50", "max_points": "30"},
               {"code": "s", "name": "评委", "kind": "single", "weight": "50", "max_points": "10"}],
    "indicators": [{"code": "x", "name": "指标一", "group": "q", "max_points": "10"},
                   {"code": "y", "name": "指标二", "group": "q", "max_points": "20"}],
}


@pytest.fixture
def ctx(county):
    m = county.county_staff
    scheme = services.scheme_create(actor=m, name="t", subject_type="community", period_type="month",
                                    region=county.county, definition=DEFINITION)
    p = period(m, scheme, "1月", date(2026, 1, 1), date(2026, 1, 31))
    a = services.period_subject_add(actor=m, period=p, obj=county.a)
    b = services.period_subject_add(actor=m, period=p, obj=county.b)
    r1, r2 = raters("r", 2, county.c)
    services.assignment_create(actor=m, period=p, group="q", rater=r1, subjects=[a])
    services.assignment_create(actor=m, period=p, group="s", rater=r2, subjects=[a, b])
    services.period_open_scoring(actor=m, period=p)
    return {"m": m, "p": p, "a": a, "b": b, "r1": r1, "r2": r2}


def refused(field, **kwargs):
    before = (Rating.objects.count(), IndicatorScore.objects.count(),
              list(Rating.objects.values_list("state", "score")))
    with pytest.raises(ApplicationError) as exc:
        services.rating_save(**kwargs)
    assert exc.value.field == field, exc.value.message
    assert before == (Rating.objects.count(), IndicatorScore.objects.count(),
                      list(Rating.objects.values_list("state", "score")))


def test_raters_see_only_their_assignments(ctx):
    assert [a.subject for a in selectors.rater_assignments(ctx["r1"], ctx["p"])] == [ctx["a"]]
    assert {a.subject for a in selectors.rater_assignments(ctx["r2"], ctx["p"])} == {ctx["a"], ctx["b"]}


def test_score_above_max_or_below_zero_is_refused(ctx):
    base = {"actor": ctx["r2"], "period": ctx["p"], "group": "s", "subject": ctx["a"]}
    refused("score", **base, score="10.01")
    refused("score", **base, score=-1)
    refused("indicator_scores.y", actor=ctx["r1"], period=ctx["p"], group="q", subject=ctx["a"],
            indicator_scores={"x": 5, "y": 21})


def test_unassigned_subject_is_refused(ctx):
    refused("subject", actor=ctx["r1"], period=ctx["p"], group="q", subject=ctx["b"], indicator_scores={"x": 5})
    refused("subject", actor=ctx["r1"], period=ctx["p"], group="s", subject=ctx["a"], score=5)


def test_draft_then_submit_then_locked(ctx):
    base = {"actor": ctx["r1"], "period": ctx["p"], "group": "q", "subject": ctx["a"]}
    r = services.rating_save(**base, indicator_scores={"x": {"points": 7, "note": "好", "evidence_ref": "附件1"}})
    assert r.state == RatingState.DRAFT
    refused("indicator_scores", **base, submit=True)  # y not scored yet
    r = services.rating_save(**base, indicator_scores={"y": 15}, submit=True)
    assert r.state == RatingState.SUBMITTED
    assert dict(r.indicator_scores.values_list("indicator__code", "points")) == {"x": 7, "y": 15}
    refused("state", **base, indicator_scores={"y": 16})


def test_scores_refused_after_scoring_closed(ctx):
    services.period_close_scoring(actor=ctx["m"], period=ctx["p"])
    refused("state", actor=ctx["r2"], period=ctx["p"], group="s", subject=ctx["a"], score=5)
    with pytest.raises(ApplicationError) as exc:
        services.adjustment_record(actor=ctx["m"], period=ctx["p"], subject=ctx["a"], indicator="x", points=1,
                                   note="n")
    assert exc.value.field == "state"


def test_drafts_do_not_count(ctx):
    services.rating_save(actor=ctx["r2"], period=ctx["p"], group="s", subject=ctx["a"], score=10)
    services.rating_save(actor=ctx["r2"], period=ctx["p"], group="s", subject=ctx["b"], score=5, submit=True)
    services.period_close_scoring(actor=ctx["m"], period=ctx["p"])
    services.period_compute(actor=ctx["m"], period=ctx["p"], force=True)  # the other group is not rated
    totals = {r.subject_id: str(r.total) for r in ctx["p"].results.all()}
    # a: draft ignored → 0; b: 50% × 5/10 × 100 = 25
    assert totals == {ctx["a"].pk: "0.00", ctx["b"].pk: "25.00"}


def test_only_managers_move_the_workflow(ctx, county):
    with pytest.raises(PermissionDeniedError):
        services.period_close_scoring(actor=ctx["r1"], period=ctx["p"])
    with pytest.raises(PermissionDeniedError):
        services.period_close_scoring(actor=county.alice, period=ctx["p"])
    with pytest.raises(ApplicationError) as exc:
        services.period_publish(actor=ctx["m"], period=ctx["p"])
    assert exc.value.field == "state"
