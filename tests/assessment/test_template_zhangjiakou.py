"""张家口-style quarterly ranking of community secretaries, worked by hand.

total = 40% × 镇街党政正职评价 + 40% × 评委打分 (3 judges here, highest and lowest dropped → the
middle one) + 20% × 社区书记互评 (each secretary rates the three others; mean). A ≥ 90, B ≥ 75, C.
Three consecutive C → flagged for adjustment; A → candidate for a permanent post.
"""

from __future__ import annotations

from datetime import date

import pytest

from jiceng.assessment import selectors, services
from jiceng.assessment.choices import FlagKind
from jiceng.assessment.models import RaterAssignment
from jiceng.assessment.templates import zhangjiakou_secretary_scheme_create
from jiceng.core.errors import ApplicationError
from jiceng.people.choices import Role
from tests.assessment.helpers import close_compute_publish, period, raters
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# name: (leader score, three judges, peer score every other secretary gives)
Q1 = {"alice": (95, (90, 95, 100), 95),  # 38 + 38 + 19 = 95 → A, rank 1
      "bob": (80, (70, 80, 90), 80),  # 32 + 32 + 16 = 80 → B, rank 2
      "dave": (80, (80, 80, 80), 80),  # 80 → B, rank 2 (tie)
      "carol": (60, (60, 70, 50), 60)}  # 24 + 24 + 12 = 60 → C, rank 4
Q2 = {"alice": (95, (95, 95, 95), 95),  # 95 A
      "bob": (80, (80, 80, 80), 80),  # 80 B
      "dave": (70, (70, 70, 70), 70),  # 70 C
      "carol": (60, (60, 60, 60), 60)}  # 60 C
Q3 = {"alice": (90, (80, 90, 100), 85),  # 36 + 36 + 17 = 89 → B (just below A)
      "bob": (80, (80, 80, 80), 80),  # 80 B
      "dave": (70, (70, 70, 70), 70),  # 70 C (only twice in a row: B, C, C → no flag)
      "carol": (50, (40, 50, 60), 45)}  # 20 + 20 + 9 = 49 → C, third C in a row → adjustment


@pytest.fixture
def setup(county):
    manager = county.county_staff
    secretaries = {"alice": county.alice, "bob": county.bob, "carol": county.carol,
                   "dave": make_user("dave", Role.COMMUNITY_STAFF, county.a)}
    return {"manager": manager, "secretaries": secretaries,
            "scheme": zhangjiakou_secretary_scheme_create(actor=manager, region=county.county),
            "leader": make_user("street_leader", Role.STREET_STAFF, county.east),
            "judges": raters("judge", 3, county.c)}


def run_quarter(setup, label, start, end, table):
    m = setup["manager"]
    p = period(m, setup["scheme"], label, start, end)
    subjects = {n: services.period_subject_add(actor=m, period=p, obj=u) for n, u in setup["secretaries"].items()}
    services.assignment_create(actor=m, period=p, group="leaders", rater=setup["leader"],
                               subjects=list(subjects.values()))
    for j in setup["judges"]:
        services.assignment_create(actor=m, period=p, group="judges", rater=j, subjects=list(subjects.values()))
    services.peer_assignments_create(actor=m, period=p, group="peers")
    services.period_open_scoring(actor=m, period=p)
    for name, s in subjects.items():
        leader, judges, peer = table[name]
        services.rating_save(actor=setup["leader"], period=p, group="leaders", subject=s, score=leader, submit=True)
        for j, score in zip(setup["judges"], judges, strict=True):
            services.rating_save(actor=j, period=p, group="judges", subject=s, score=score, submit=True)
        for other, user in setup["secretaries"].items():
            if other != name:
                services.rating_save(actor=user, period=p, group="peers", subject=s, score=peer, submit=True)
    return close_compute_publish(m, p)


def summary(setup, p):
    return {r.subject.display_name: (format(r.total, "f"), r.grade, r.rank)
            for r in selectors.period_results(setup["manager"], p)}


def test_quarter_ranking_by_hand_with_a_tie(setup):
    p = run_quarter(setup, "2026Q1", date(2026, 1, 1), date(2026, 3, 31), Q1)
    assert summary(setup, p) == {"alice": ("95.00", "A", 1), "bob": ("80.00", "B", 2), "dave": ("80.00", "B", 2),
                                 "carol": ("60.00", "C", 4)}
    # peer rating: each of the 4 rates the 3 others, never themself
    peers = RaterAssignment.objects.filter(period=p, group__code="peers")
    assert peers.count() == 12 and not any(a.rater_id == a.subject.user_id for a in peers)
    flags = {(f.kind, f.subject.display_name) for f in selectors.period_flags(setup["manager"], p)}
    assert flags == {(FlagKind.PERMANENT, "alice")}


def test_three_c_in_a_row_flags_adjustment_with_the_triggering_results(setup):
    q1 = run_quarter(setup, "2026Q1", date(2026, 1, 1), date(2026, 3, 31), Q1)
    q2 = run_quarter(setup, "2026Q2", date(2026, 4, 1), date(2026, 6, 30), Q2)
    assert not selectors.period_flags(setup["manager"], q2, FlagKind.ADJUST).exists()
    q3 = run_quarter(setup, "2026Q3", date(2026, 7, 1), date(2026, 9, 30), Q3)
    assert summary(setup, q3) == {"alice": ("89.00", "B", 1), "bob": ("80.00", "B", 2), "dave": ("70.00", "C", 3),
                                  "carol": ("49.00", "C", 4)}
    adjust = list(selectors.period_flags(setup["manager"], q3, FlagKind.ADJUST))
    assert [f.subject.display_name for f in adjust] == ["carol"]
    triggering = sorted((r.period.label, r.grade, format(r.total, "f")) for r in adjust[0].results.all())
    assert triggering == [("2026Q1", "C", "60.00"), ("2026Q2", "C", "60.00"), ("2026Q3", "C", "49.00")]
    assert not selectors.period_flags(setup["manager"], q3, FlagKind.PERMANENT).exists()
    # cumulative points over the three quarters: alice 95+95+89 = 279, bob 240, dave 80+70+70 = 220,
    # carol 60+60+49 = 169
    ranking = selectors.cumulative_ranking(setup["manager"], setup["scheme"], [q1, q2, q3])
    assert [(r["name"], str(r["total"]), r["rank"]) for r in ranking] == [
        ("alice", "279.00", 1), ("bob", "240.00", 2), ("dave", "220.00", 3), ("carol", "169.00", 4)]


def test_a_secretary_cannot_rate_themself(setup):
    m = setup["manager"]
    p = period(m, setup["scheme"], "2026Q1", date(2026, 1, 1), date(2026, 3, 31))
    subjects = {n: services.period_subject_add(actor=m, period=p, obj=u) for n, u in setup["secretaries"].items()}
    with pytest.raises(ApplicationError) as exc:
        services.assignment_create(actor=m, period=p, group="peers", rater=setup["secretaries"]["bob"],
                                   subjects=[subjects["bob"]])
    assert exc.value.field == "subjects"
    assert not RaterAssignment.objects.filter(period=p).exists()
