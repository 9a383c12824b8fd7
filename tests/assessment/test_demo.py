"""The demo year of assessments: three schemes from the shipped templates, every published score
explainable and verified, the 张家口 rules (三次 C → 建议调整, A → 优先入编) and 红黑榜 applied, one
appeal leaving a superseded version, and tasks waiting for the demo accounts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from jiceng.assessment import selectors
from jiceng.assessment.models import (
    AssessmentPeriod,
    AssessmentResult,
    AssessmentScheme,
    RaterAssignment,
    ResultFlag,
)
from jiceng.core.audit import verify_chain
from jiceng.core.models import AuditLog
from jiceng.demo.loader import demo_load
from jiceng.people.models import User
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(tmp_path):
    """The demo county, whose loader makes the assessment year (the 考核 step)."""
    with override_settings(DATA_DIR=tmp_path):
        result = demo_load(seed=7, scale=0.1)
    county = Region.objects.get(level=RegionLevel.COUNTY)
    counts = {key.removeprefix("assessment_"): value for key, value in result.counts.items()
              if key.startswith("assessment_")}
    return county, counts, result.timings["考核"], result


def test_a_year_for_each_template_every_score_explained(demo):
    county, counts, seconds, _ = demo
    assert seconds < 20
    assert AssessmentScheme.objects.count() == 3 == counts["schemes"]
    manager = User.objects.get(username="county")
    by_scheme = {s.name: list(s.periods.order_by("starts_on").values_list("state", flat=True))
                 for s in AssessmentScheme.objects.all()}
    assert by_scheme["社区工作者年度考核（集贤式）"] == ["published"]
    assert by_scheme["社区书记季度考核排名（张家口式）"] == ["published", "republished", "published", "published"]
    assert by_scheme["物业服务企业三方季度考核"] == ["published"] * 4 + ["scoring_open"]
    published = AssessmentResult.objects.filter(published_at__isnull=False)
    assert published.count() >= 30
    for result in published:
        explained = selectors.result_explain(manager, result)
        assert explained["verified"], (result.pk, explained["lines"])


def test_the_rules_and_the_appeal_left_their_marks(demo):
    kinds = set(ResultFlag.objects.values_list("kind", flat=True))
    assert {"adjust", "permanent", "red", "black"} <= kinds
    # the four rounds are the last four whole quarters before today's, whatever today is
    rounds = list(AssessmentPeriod.objects.filter(scheme__name__startswith="社区书记").order_by("starts_on"))
    assert len(rounds) == 4 and all(r.state in ("published", "republished") for r in rounds)
    today = timezone.localdate()
    assert rounds[-1].ends_on < today and (today - rounds[-1].ends_on).days <= 92
    assert all(b.starts_on == a.ends_on + timedelta(days=1) for a, b in zip(rounds, rounds[1:], strict=False))
    assert all(re.fullmatch(r"\d{4}年第[一二三四]季度", r.label) for r in rounds)
    adjust = ResultFlag.objects.filter(kind="adjust", period=rounds[2])  # the third C in a row
    assert adjust.exists()
    for flag in adjust:
        assert sorted(r.grade for r in flag.results.all()) == ["C", "C", "C"]
    q2 = rounds[1]  # the appeal's round
    superseded = AssessmentResult.objects.filter(period=q2, current=False, published_at__isnull=False)
    assert superseded.exists()
    assert AssessmentResult.objects.filter(period=q2, version_no=2, reason__contains="申诉").exists()


def test_demo_accounts_find_tasks_and_the_audit_chain_holds(demo):
    community = User.objects.get(username="community")
    assert RaterAssignment.objects.filter(rater=community, period__state="scoring_open").exists()
    assert AuditLog.objects.filter(action="demo.assessment").count() == 1
    assert verify_chain() == []


def test_the_records_carry_an_offices_dates_not_the_load_time(demo):
    """Each round set up before it starts, 加减分 recorded during it, ratings handed in around its
    end, results computed and then published five to twelve days after it (never after today),
    the appeal's new versions after the appeal; nothing dated at the moment the demo was loaded."""
    from jiceng.assessment.models import Adjustment, Appeal, Rating

    tz = timezone.get_current_timezone()
    now, today = timezone.now(), timezone.localdate()
    load = AuditLog.objects.order_by("at").first().at  # the demo's first record: the load began

    def local(moment):
        return moment.astimezone(tz).date()

    published = AssessmentPeriod.objects.filter(published_on__isnull=False)
    assert published.count() == 9
    for p in published:
        assert p.published_on == today or 5 <= (p.published_on - p.ends_on).days <= 12, (p.label, p.published_on)
        assert local(p.created_at) < p.starts_on and local(p.scheme.created_at) <= local(p.created_at)
        for r in p.results.filter(published_at__isnull=False):
            assert r.computed_at < r.published_at <= now
            if r.version_no == 1:
                assert local(r.published_at) == p.published_on, (p.label, r.published_at)
            else:
                assert r.published_at > p.appeals.get().filed_at > p.results.get(subject=r.subject,
                                                                                 version_no=1).published_at
        for a in Adjustment.objects.filter(period=p):
            assert p.starts_on <= local(a.recorded_at) <= p.ends_on
        first_published = p.results.filter(version_no=1).order_by("published_at").first().published_at
        appeal = p.appeals.first()
        for at in Rating.objects.filter(assignment__period=p).values_list("submitted_at", flat=True):
            if appeal is not None and at > appeal.filed_at:
                continue  # the score corrected on appeal
            assert p.ends_on - timedelta(days=3) <= local(at) and at < first_published, (p.label, at)
    annual = AssessmentPeriod.objects.get(label__endswith="年度")
    assert local(annual.results.first().published_at) < today
    assert Adjustment.objects.filter(period=annual).exists()
    assert not Adjustment.objects.filter(recorded_at__gte=load).exists()
    assert not Rating.objects.filter(submitted_at__gte=load).exists()
    assert not Appeal.objects.filter(filed_at__gte=load).exists()
    assert not Appeal.objects.filter(decided_at__gte=load).exists()  # answered when its new versions were published
    assert set(Appeal.objects.values_list("state", "outcome")) == {("resolved", "adjusted")}
    open_round = AssessmentPeriod.objects.get(state="scoring_open")
    assert local(open_round.created_at) < open_round.starts_on
