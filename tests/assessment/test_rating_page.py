"""The rater's form of one assignment (/assessment/assignments/<id>/)."""

from __future__ import annotations

from datetime import date

import pytest

from jiceng.assessment import services
from jiceng.assessment.templates import jixian_worker_scheme_create
from jiceng.people.choices import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_submitting_with_indicators_left_empty_names_them_in_the_forms_order(county, login):
    """集贤 量化考核: 党建工作, 网格服务, 居民满意度, 日常工作 — only the first one filled in."""
    m = county.county_staff
    scheme = jixian_worker_scheme_create(actor=m, region=county.county)
    p = services.period_create(actor=m, scheme=scheme, label="2026 年度", starts_on=date(2026, 1, 1),
                               ends_on=date(2026, 12, 31))
    subject = services.period_subject_add(actor=m, period=p, obj=county.alice)
    rater = make_user("rater", Role.COMMUNITY_STAFF, county.c)
    (assignment,) = services.assignment_create(actor=m, period=p, group="quant", rater=rater, subjects=[subject])
    services.period_open_scoring(actor=m, period=p)
    client = login(rater)
    url = f"/assessment/assignments/{assignment.pk}/"
    form = client.get(url).content.decode()
    assert form.index("党建工作") < form.index("网格服务") < form.index("居民满意度") < form.index("日常工作")
    answer = client.post(url, {"i_party": "18", "submit": "1"})
    html = answer.content.decode()
    assert "以下指标尚未评分：网格服务、居民满意度、日常工作。" in html
    assert "daily" not in html.split("以下指标尚未评分")[1].split("</")[0]
