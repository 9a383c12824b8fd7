"""The workflow table, walked end to end by the manager; others may take no step."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from jiceng.assessment import services, workflow
from jiceng.assessment.choices import PeriodState as S
from jiceng.assessment.compute import trimmed_mean
from jiceng.core.errors import ApplicationError, PermissionDeniedError
from tests.assessment.helpers import period


def test_judge_panel_of_ten_drops_the_highest_and_lowest():
    # 10 department heads: drop 70 and 99 → (80+82+84+85+86+88+90+92) / 8 = 687 / 8 = 85.875
    scores = [Decimal(x) for x in (85, 70, 90, 88, 99, 80, 82, 84, 86, 92)]
    mean, kept, dropped = trimmed_mean(scores, 1)
    assert mean == Decimal("85.875") and dropped == [Decimal(70), Decimal(99)] and len(kept) == 8
    # too few scores to drop any: plain mean
    assert trimmed_mean([Decimal(80), Decimal(90)], 1)[0] == Decimal(85)


@pytest.mark.django_db
def test_the_table_walked_by_the_manager(county):
    m = county.county_staff
    definition = {"groups": [{"code": "s", "kind": "single", "weight": "100", "max_points": "10"}], "indicators": []}
    scheme = services.scheme_create(actor=m, name="t", subject_type="street", period_type="half_year",
                                    region=county.county, definition=definition)
    p = period(m, scheme, "上半年", date(2026, 1, 1), date(2026, 6, 30))
    s = services.period_subject_add(actor=m, period=p, obj=county.east)
    services.assignment_create(actor=m, period=p, group="s", rater=m, subjects=[s])
    assert [t.action for t in workflow.available(p, m)] == ["open_scoring"]
    assert workflow.available(p, county.alice) == []
    steps = [
        (lambda: services.period_open_scoring(actor=m, period=p), S.SCORING_OPEN),
        (lambda: services.period_close_scoring(actor=m, period=p), S.SCORING_CLOSED),
        (lambda: services.period_compute(actor=m, period=p, force=True), S.COMPUTED),  # nothing rated: 0
        (lambda: services.period_compute(actor=m, period=p, force=True), S.COMPUTED),
        (lambda: services.period_publish(actor=m, period=p), S.PUBLISHED),
        (lambda: services.appeal_file(actor=m, period=p, subject=s, reason="复核"), S.APPEAL),
        (lambda: services.period_start_rereview(actor=m, period=p), S.REREVIEW),
        (lambda: services.period_recompute(actor=m, period=p, reason="无变化"), S.REREVIEW),
        (lambda: services.period_republish(actor=m, period=p, decision="复核无误，维持原结果"), S.REPUBLISHED),
    ]
    for step, state in steps:
        with pytest.raises(PermissionDeniedError):
            services.period_start_rereview(actor=county.alice, period=p)
        step()
        p.refresh_from_db()
        assert p.state == state
    # nothing changed in the re-review, so there is still one result version
    assert list(p.results.values_list("version_no", "current")) == [(1, True)]
    with pytest.raises(ApplicationError) as exc:
        services.period_subject_add(actor=m, period=p, obj=county.west)
    assert exc.value.field == "state"
