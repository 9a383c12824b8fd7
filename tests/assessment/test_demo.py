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
