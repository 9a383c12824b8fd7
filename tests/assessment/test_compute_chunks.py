"""A period is computed a few subjects at a time (``services.results.CHUNK``: the inputs of 25,000
subjects × 40 indicators × 10 raters would not fit in memory together), and gives the same results,
ranks and grades as one pass over all of them. Here every subject is its own chunk.

The 张家口 quarters of ``test_pages`` / ``test_publish_pages``: Q2 rated like Q1 — alice 95 → A rank 1,
bob 80 → B rank 2, dave 80 → B rank 2 (tie), carol 60 → C rank 4. Q1 (published 95, 80, 80, 64) after
bob's leader score is corrected 80 → 100: 0.4 × 100 + 0.4 × 80 + 0.2 × 80 = 88 → B rank 2, dave moves 2 → 3
(rank only); alice and carol unchanged, so no new version for them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jiceng.assessment import selectors, services
from jiceng.assessment.models import AssessmentResult
from jiceng.assessment.services import results as results_service
from jiceng.core.errors import ConflictError
from tests.assessment.test_pages import world  # noqa: F401  (the fixture)
from tests.assessment.test_publish_pages import bob_corrected, rate_q2_like_q1

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_at_a_time(monkeypatch):
    monkeypatch.setattr(results_service, "CHUNK", 1)


def test_computed_a_subject_at_a_time_the_ranking_is_the_whole_periods(world, one_at_a_time):  # noqa: F811
    rate_q2_like_q1(world)  # computes Q2
    got = {r.subject.display_name: (str(r.total), r.grade, r.rank, r.rank_of)
           for r in AssessmentResult.objects.filter(period=world.q2, current=True)}
    assert got == {"alice": ("95.00", "A", 1, 4), "bob": ("80.00", "B", 2, 4), "dave": ("80.00", "B", 2, 4),
                   "carol": ("60.00", "C", 4, 4)}
    for result in AssessmentResult.objects.filter(period=world.q2):  # each keeps its own inputs and arithmetic
        assert Decimal(result.detail["numbers"]["total"]) == result.total
        assert selectors.result_explain(world.manager, result)["verified"]


def test_recomputed_a_subject_at_a_time_only_changed_subjects_get_a_version(world, one_at_a_time):  # noqa: F811
    bob_corrected(world)
    made = services.period_recompute(actor=world.manager, period=world.q1, reason="更正镇街评价分")
    assert sorted((r.subject.display_name, str(r.total), r.grade, r.rank, r.version_no) for r in made) == [
        ("bob", "88.00", "B", 2, 2), ("dave", "80.00", "B", 3, 2)]
    for result in made:
        assert selectors.result_explain(world.manager, result)["verified"]


def test_records_changing_between_the_two_readings_refuse_the_recomputation(world, monkeypatch):  # noqa: F811
    bob_corrected(world)
    real = results_service.compute_all

    def and_then_a_change(period, progress=None):
        rows = real(period, progress)
        services.rating_save(actor=world.leader, period=world.q1, group="leaders", subject=world.subjects["bob"],
                             score=90, submit=True)
        return rows

    monkeypatch.setattr(results_service, "compute_all", and_then_a_change)
    with pytest.raises(ConflictError):
        services.period_recompute(actor=world.manager, period=world.q1, reason="更正镇街评价分")
    assert not AssessmentResult.objects.filter(period=world.q1, published_at__isnull=True).exists()


def test_lists_of_results_leave_their_detail_in_the_database_until_one_score_is_explained(world):  # noqa: F811
    rate_q2_like_q1(world)
    listed = list(selectors.period_results(world.manager, world.q2, include_unpublished=True))
    assert len(listed) == 4 and all("detail" in r.get_deferred_fields() for r in listed)
    explained = selectors.result_explain(world.manager, listed[0])
    assert explained["verified"]
    assert "detail" in listed[0].get_deferred_fields()  # the explanation read its own copy, with the detail
