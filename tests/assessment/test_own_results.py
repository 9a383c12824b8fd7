"""What a viewer who is not a manager finds on the period pages: links only to the explanations they
may open, and — as the person assessed — their own result, even when their row lies outside their data
scope (a grid worker assessed with the community's staff)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from jiceng.assessment import services
from jiceng.people.choices import Role, WorkerKind
from jiceng.people.services import grid_worker_create
from tests.assessment.helpers import close_compute_publish
from tests.assessment.test_pages import world  # noqa: F401  (the fixture)
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def result_links(html: str) -> set[str]:
    return set(re.findall(r'href="/assessment/results/(\d+)/"', html))


def test_a_community_account_gets_explanation_links_only_for_results_it_may_open(world, login):  # noqa: F811
    """alice (社区 staff of 甲社区) sees her own row and dave's (also 甲社区) in the county's ranking,
    but may open only her own result: dave's row carries no link."""
    alice, dave = world.results["alice"], world.results["dave"]
    client = login(world.secretaries["alice"])
    page = client.get(f"/assessment/periods/{world.q1.pk}/")
    assert [r["result"].subject.display_name for r in page.context["rows"]] == ["alice", "dave"]
    assert [r["may_open"] for r in page.context["rows"]] == [True, False]
    assert result_links(page.content.decode()) == {str(alice.pk)}
    assert client.get(f"/assessment/results/{alice.pk}/").status_code == 200
    assert client.get(f"/assessment/results/{dave.pk}/").status_code == 404
    # the manager may open every row
    manager = login(world.manager).get(f"/assessment/periods/{world.q1.pk}/").content.decode()
    assert result_links(manager) == {str(r.pk) for r in world.results.values()}


def grid_subject(world, county):  # noqa: F811
    """A grid worker of 甲社区 (data scope: her grid) assessed in Q2 with the secretaries, then Q2 published."""
    user = make_user("gw", Role.GRID_WORKER, county.a)
    grid_worker_create(actor=county.alice, name="网格员小王", kind=WorkerKind.FULL_TIME, community=county.a,
                       grids=[county.a1_1], user=user)
    subject = services.period_subject_add(actor=world.manager, period=world.q2, obj=user)
    services.assignment_create(actor=world.manager, period=world.q2, group="leaders", rater=world.leader,
                               subjects=[subject])
    services.rating_save(actor=world.leader, period=world.q2, group="leaders", subject=subject, score=90, submit=True)
    close_compute_publish(world.manager, world.q2, date(2026, 7, 10))
    return user, world.q2.results.get(subject=subject, current=True)


def test_a_subject_outside_her_own_scope_finds_her_result_on_the_period_page(world, county, login):  # noqa: F811
    user, result = grid_subject(world, county)
    client = login(user)
    page = client.get(f"/assessment/periods/{world.q2.pk}/")
    assert page.status_code == 200 and page.context["rows"] == []  # nobody's row in her data scope
    html = page.content.decode()
    assert "我的结果" in html
    mine = re.search(r'<section class="card" id="as-mine">(.*?)</section>', html, re.S).group(1)
    assert f'href="/assessment/results/{result.pk}/"' in mine
    assert str(result.total) in mine and f"{result.rank}<span" in mine
    assert (result.grade or "—") in mine
    assert client.get(f"/assessment/results/{result.pk}/").status_code == 200
    # someone else, who is not assessed, sees no such section
    other = login(world.judges[0]).get(f"/assessment/periods/{world.q2.pk}/").content.decode()
    assert 'id="as-mine"' not in other


def test_the_index_lists_the_periods_i_am_assessed_in_with_my_result(world, county, login):  # noqa: F811
    user, result = grid_subject(world, county)
    html = login(user).get("/assessment/").content.decode()
    mine = re.search(r'<section class="card" id="as-mine">(.*?)</section>', html, re.S).group(1)
    assert "我的考核结果" in html
    assert "2026Q2" in mine and f'href="/assessment/periods/{world.q2.pk}/"' in mine
    assert f'href="/assessment/results/{result.pk}/"' in mine
    # an unpublished period is not listed as a result; a judge (not assessed) has no such section
    assert 'id="as-mine"' not in login(world.judges[0]).get("/assessment/").content.decode()
