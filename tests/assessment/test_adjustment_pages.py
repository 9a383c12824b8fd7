"""加减分 on a page: the manager records a bonus or a deduction against a subject and withdraws a wrong
one; the totals follow by hand. On the 集贤 fixture (tests/assessment/test_template_jixian.py): erin
60 − 10 (廉洁自律) = 50; carol 80 − (5 + 5 + 3, area cap 10) = 70."""

from __future__ import annotations

import re

import pytest

from jiceng.assessment import selectors
from jiceng.assessment.models import Adjustment
from jiceng.core.models import AuditLog
from tests.assessment.helpers import close_compute_publish
from tests.assessment.test_template_jixian import jixian  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def url(p) -> str:
    return f"/assessment/periods/{p.pk}/adjustments/"


def totals(j) -> dict[str, str]:
    p = close_compute_publish(j["manager"], j["period"])
    return {r.subject.display_name: str(r.total) for r in selectors.period_results(j["manager"], p)}


def test_the_manager_records_a_bonus_and_the_total_follows(jixian, login):  # noqa: F811
    client = login(jixian["manager"])
    page = client.get(url(jixian["period"])).content.decode()
    assert page.count("data-adjustment=") == 10  # the fixture's entries
    assert "−10" in page and "+3" in page
    erin = jixian["subjects"]["erin"]
    answer = client.post(url(jixian["period"]), {"subject": erin.pk, "indicator": "honour", "points": "2",
                                                  "note": "获市级表彰", "evidence_ref": "市委文件 2026-12"})
    assert answer.status_code == 302
    made = Adjustment.objects.get(subject=erin, indicator__code="honour")
    assert (made.points, made.note, made.recorded_by) == (2, "获市级表彰", jixian["manager"])
    assert AuditLog.objects.filter(action="assessment.adjustment_record", object_id=str(made.pk)).count() == 1
    assert totals(jixian)["erin"] == "52.00"  # 60 − 10 + 2


def test_an_entry_over_the_items_maximum_is_a_form_error_and_nothing_is_saved(jixian, login):  # noqa: F811
    client = login(jixian["manager"])
    before = Adjustment.objects.count()
    answer = client.post(url(jixian["period"]), {"subject": jixian["subjects"]["erin"].pk, "indicator": "honour",
                                                  "points": "3.5", "note": "表彰"})
    assert answer.status_code == 400
    assert "单次分值不能超过 3" in answer.content.decode()
    answer = client.post(url(jixian["period"]), {"subject": jixian["subjects"]["erin"].pk, "indicator": "party",
                                                  "points": "1", "note": "x"})
    assert answer.status_code == 400  # 党建工作 is no bonus or deduction item: not among the choices
    assert Adjustment.objects.count() == before


def test_withdrawing_a_wrong_deduction(jixian, login):  # noqa: F811
    client = login(jixian["manager"])
    carol = jixian["subjects"]["carol"]
    first = Adjustment.objects.filter(subject=carol, points=5).order_by("id").first()
    refused = client.post(f"{url(jixian['period'])}{first.pk}/withdraw/", {"reason": ""}, follow=True)
    assert "请填写撤销原因" in refused.content.decode()
    client.post(f"{url(jixian['period'])}{first.pk}/withdraw/", {"reason": "重复登记"})
    first.refresh_from_db()
    assert first.withdrawn_at is not None and first.withdrawn_reason == "重复登记"
    page = client.get(url(jixian["period"])).content.decode()
    row = re.search(rf'<tr data-adjustment="{first.pk}" class="muted">(.*?)</tr>', page, re.S).group(1)
    assert "已撤销" in row and "重复登记" in row
    assert totals(jixian)["carol"] == "72.00"  # 80 − (5 + 3)


def test_only_the_manager_and_only_while_scoring(jixian, login, county):  # noqa: F811
    assert login(county.alice).get(url(jixian["period"])).status_code == 403  # a subject, not a manager
    client = login(jixian["manager"])
    p = close_compute_publish(jixian["manager"], jixian["period"])
    page = client.get(url(p)).content.decode()
    assert "只在评分中登记加减分" in page
    assert 'name="points"' not in page and "as-withdraw" not in page  # nothing to fill in that would be refused
    answer = client.post(url(p), {"subject": jixian["subjects"]["erin"].pk, "indicator": "honour", "points": "1",
                                  "note": "迟到的表彰"})
    assert answer.status_code == 400 and "不能登记加减分" in answer.content.decode()
    ranking = client.get(f"/assessment/periods/{p.pk}/").content.decode()
    assert f'href="{url(p)}"' in ranking


def test_a_scheme_without_bonus_or_deduction_items_offers_no_link(login, county):
    from tests.assessment.test_pages import build_quarters

    world = build_quarters(county)  # 张家口: three rater groups, no 加减分 items
    page = login(world.manager).get(f"/assessment/periods/{world.q1.pk}/").content.decode()
    assert "/adjustments/" not in page
    assert "本期方案没有加分项或减分项" in login(world.manager).get(url(world.q1)).content.decode()
