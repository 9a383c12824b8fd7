"""集贤-style community-worker assessment, worked by hand.

Definition: 量化考核 70% (four manual indicators summing to 100, averaged over raters) + 民主测评 30%
(德能勤绩廉, 优秀 20 / 称职 16 / 基本称职 12 / 不称职 0 per item, so a ballot is out of 100; highest
and lowest ballot dropped); deductions in four areas (per-entry maximum, area cap 10); bonus items
(表彰 ≤3 per entry, cap 3; 创新 ≤2 per entry, cap 4; all bonuses capped at 5); clipped to [0, 100];
优秀 ≥ 90 but at most 20% of subjects, 称职 ≥ 75, 基本称职 ≥ 60, else 不称职.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from jiceng.assessment import selectors, services
from jiceng.assessment.templates import jixian_worker_scheme_create
from jiceng.people.choices import Role
from tests.assessment.helpers import ballot, close_compute_publish, period, raters
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# quant scores (party/20, grid/30, satisfaction/30, daily/20) by rater 1 and rater 2
QUANT = {
    "alice": ((20, 30, 28, 20), (20, 28, 30, 18)),  # 98, 96 → mean 97
    "bob": ((18, 27, 27, 18), (18, 27, 27, 18)),  # 90, 90 → 90
    "carol": ((15, 25, 25, 15), (15, 25, 25, 15)),  # 80
    "dave": ((15, 25, 25, 15), (15, 25, 25, 15)),  # 80
    "erin": ((12, 18, 18, 12), (12, 18, 18, 12)),  # 60
}
E, C, B = "excellent", "competent", "basic"
BALLOTS = {
    "alice": [ballot(E), ballot(E), ballot(E, E, E, E, C)],  # 100, 100, 96 → drop 96 and 100 → 100
    "bob": [ballot(E), ballot(E, E, E, E, C), ballot(C)],  # 100, 96, 80 → 96
    "carol": [ballot(C), ballot(C), ballot(C)],  # 80
    "dave": [ballot(C), ballot(C), ballot(C)],  # 80
    "erin": [ballot(B), ballot(B), ballot(C)],  # 60, 60, 80 → 60
}
ADJUSTMENTS = {
    "alice": [("honour", 3)],  # bonus 3
    "bob": [("honour", 3), ("innovation", 2), ("innovation", 2)],  # innovation 4 (cap 4), 3+4=7 → all bonuses cap 5
    "carol": [("style", 5), ("style", 5), ("style", 3)],  # 13 → area cap 10
    "dave": [("discipline", 5), ("competence", 5)],  # 10
    "erin": [("integrity", 10)],  # 10
}
# totals:
#   alice  0.7×97 + 0.3×100 = 67.9 + 30 = 97.9; + 3 = 100.9 → clipped to 100      → 优秀, rank 1
#   bob    0.7×90 + 0.3×96  = 63 + 28.8 = 91.8; + 5 = 96.8  → 优秀 by score, but 20% of 5 = 1 → 称职, rank 2
#   carol  0.7×80 + 0.3×80  = 56 + 24 = 80;    − 10 = 70    → 基本称职, rank 3
#   dave   80 − 10 = 70                                      → 基本称职, rank 3 (tie)
#   erin   0.7×60 + 0.3×60 = 60;               − 10 = 50    → 不称职, rank 5
EXPECTED = {"alice": ("100.00", "优秀", 1), "bob": ("96.80", "称职", 2), "carol": ("70.00", "基本称职", 3),
            "dave": ("70.00", "基本称职", 3), "erin": ("50.00", "不称职", 5)}


@pytest.fixture
def jixian(county):
    manager = county.county_staff
    scheme = jixian_worker_scheme_create(actor=manager, region=county.county)
    people = {"alice": county.alice, "bob": county.bob, "carol": county.carol,
              "dave": make_user("dave", Role.COMMUNITY_STAFF, county.a),
              "erin": make_user("erin", Role.COMMUNITY_STAFF, county.b)}
    p = period(manager, scheme, "2026 年度", date(2026, 1, 1), date(2026, 12, 31))
    subjects = {name: services.period_subject_add(actor=manager, period=p, obj=u) for name, u in people.items()}
    quant_raters = raters("quant", 2, county.c)
    voters = raters("voter", 3, county.c)
    for r in quant_raters:
        services.assignment_create(actor=manager, period=p, group="quant", rater=r, subjects=list(subjects.values()))
    for v in voters:
        services.assignment_create(actor=manager, period=p, group="democratic", rater=v,
                                   subjects=list(subjects.values()))
    services.period_open_scoring(actor=manager, period=p)
    codes = ["party", "grid", "satisfaction", "daily"]
    for name, s in subjects.items():
        for r, pts in zip(quant_raters, QUANT[name], strict=True):
            services.rating_save(actor=r, period=p, group="quant", subject=s, submit=True,
                                 indicator_scores={c: {"points": v, "note": "按细则", "evidence_ref": f"台账-{c}"}
                                                   for c, v in zip(codes, pts, strict=True)})
        for v, answers in zip(voters, BALLOTS[name], strict=True):
            services.rating_save(actor=v, period=p, group="democratic", subject=s, answers=answers, submit=True)
        for code, pts in ADJUSTMENTS[name]:
            services.adjustment_record(actor=manager, period=p, subject=s, indicator=code, points=pts,
                                       note="按细则登记", evidence_ref="督查通报")
    return {"manager": manager, "period": p, "subjects": subjects, "people": people, "scheme": scheme,
            "quant_raters": quant_raters, "voters": voters}


def test_totals_grades_and_ranks_by_hand(jixian):
    p = close_compute_publish(jixian["manager"], jixian["period"])
    results = {r.subject.display_name: r for r in selectors.period_results(jixian["manager"], p)}
    got = {name: (format(r.total, "f"), r.grade, r.rank) for name, r in results.items()}
    assert got == EXPECTED
    assert {r.rank_of for r in results.values()} == {5}


def test_explanation_shows_the_arithmetic_and_recomputes(jixian):
    p = close_compute_publish(jixian["manager"], jixian["period"])
    alice = selectors.period_results(jixian["manager"], p).get(subject__display_name="alice")
    ex = selectors.result_explain(jixian["manager"], alice)
    assert ex["verified"] and ex["recomputed_total"] == "100.00"
    groups = {g["code"]: g for g in ex["groups"]}
    assert (groups["quant"]["raw"], groups["quant"]["weight"], groups["quant"]["contribution"]) == ("97", "70.00",
                                                                                                   "67.9")
    assert groups["democratic"]["ballots"] == ["100", "100", "96"] and groups["democratic"]["dropped"] == ["96", "100"]
    assert ex["indicators"]["satisfaction"]["kept"] == ["28", "30"]
    assert ex["bonus"] == "3" and ex["deduction"] == "0"
    assert "限制在 0 至 100：100.9 → 100" in ex["lines"]
    assert ex["rank_text"] == "第 1 名（共 5 名）" and ex["grade"] == "优秀"
    # the manager sees who gave the named indicator scores, and their evidence
    assert {e["rater"] for e in ex["indicators"]["party"]["inputs"]} == {"quant1", "quant2"}
    assert ex["indicators"]["party"]["inputs"][0]["evidence"] == "台账-party"
    bob = selectors.period_results(jixian["manager"], p).get(subject__display_name="bob")
    assert selectors.result_explain(jixian["manager"], bob)["grade_text"] == (
        "96.80 分，按分档为 优秀；优秀 限 20%，按名次为 称职")
    carol = selectors.period_results(jixian["manager"], p).get(subject__display_name="carol")
    ex = selectors.result_explain(jixian["manager"], carol)
    assert ex["indicators"]["style"]["value"] == "10" and ex["deduction"] == "10"
    assert "工作作风：13 超过上限 10，按 10 计" in ex["lines"]


def test_democratic_raters_are_never_exposed(jixian):
    p = close_compute_publish(jixian["manager"], jixian["period"])
    result = selectors.period_results(jixian["manager"], p).get(subject__display_name="alice")
    voter_names = {v.username for v in jixian["voters"]}
    for viewer in (jixian["manager"], jixian["people"]["alice"]):
        text = str(selectors.result_explain(viewer, result))
        assert not any(n in text for n in voter_names)
    # the stored inputs of the anonymous questionnaire carry no rater at all
    ballots = [e for entries in result.detail["inputs"]["ballots"].values() for e in entries]
    assert len(ballots) == 3 and all(set(e) == {"answers"} for e in ballots)
    # the subject sees her own result but not who scored the named indicators
    own = selectors.result_explain(jixian["people"]["alice"], result)
    assert all("rater" not in e for e in own["indicators"]["party"]["inputs"])
    # bob may not see alice's result
    from jiceng.core.errors import NotFoundError
    with pytest.raises(NotFoundError):
        selectors.result_explain(jixian["people"]["bob"], result)


def test_bonus_entry_above_item_maximum_is_refused(jixian):
    from jiceng.assessment.models import Adjustment
    from jiceng.core.errors import ApplicationError

    before = Adjustment.objects.count()
    with pytest.raises(ApplicationError) as exc:
        services.adjustment_record(actor=jixian["manager"], period=jixian["period"],
                                   subject=jixian["subjects"]["alice"], indicator="honour", points=Decimal("3.5"),
                                   note="x")
    assert exc.value.field == "points" and Adjustment.objects.count() == before


def test_published_results_are_narrowed_to_the_viewers_scope(jixian, county):
    p = close_compute_publish(jixian["manager"], jixian["period"])
    names = lambda actor: sorted(r.subject.display_name for r in selectors.period_results(actor, p))  # noqa: E731
    assert names(jixian["manager"]) == ["alice", "bob", "carol", "dave", "erin"]
    assert names(county.bob) == ["bob", "erin"]  # community 乙 staff: the subjects of 乙
    assert names(county.sysadmin) == [] and names(county.auditor) == []  # admin roles see no personal results
    assert [a.subject.display_name for a in selectors.rater_assignments(county.bob, p)] == []
