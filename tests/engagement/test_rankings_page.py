"""The rankings page names each claimant, volunteer and unit with its community/village: a county has a
红骑先锋队 in many communities, and the county staff must tell them apart."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from jiceng.engagement import services
from jiceng.engagement.choices import RegistrationKind, WishCategory
from jiceng.engagement.selectors import unit_ranking, volunteer_ranking, wish_stats_by_claimant

from .conftest import at


@pytest.fixture
def claims(eng):
    """Two teams called 红骑先锋队 (甲社区's and 乙社区's) each claim a wish in their community; 李四
    (who lives in 甲一网格北片, a 二级网格 of 甲社区) and the unit 甲物业 (甲一网格) one each in 甲社区."""
    alice, bob = eng.county.alice, eng.county.bob
    team_a = services.team_create(actor=alice, community=eng.county.a, name="红骑先锋队")
    team_b = services.team_create(actor=bob, community=eng.county.b, name="红骑先锋队")

    def wish(actor, resident, text):
        w = services.wish_post(actor=actor, resident=resident, category=WishCategory.LIVING, description=text)
        return services.wish_review(actor=actor, wish=w, approve=True)

    services.wish_claim(actor=alice, wish=wish(alice, eng.zhang, "一台血压计"), team=team_a)
    services.wish_claim(actor=bob, wish=wish(bob, eng.zhao, "一本新华字典"), team=team_b)
    services.wish_claim(actor=eng.li, wish=wish(alice, eng.zhang, "一袋大米"), resident=eng.li)
    services.wish_claim(actor=alice, wish=wish(alice, eng.wang, "冬天的棉被"), organisation=eng.unit)
    return team_a, team_b


@pytest.fixture
def served(eng):
    """李四 serves in 甲社区 in the name of 甲物业, 赵六 in 乙社区."""
    alice, bob = eng.county.alice, eng.county.bob
    for actor, community, resident, unit in ((alice, eng.county.a, eng.li, eng.unit),
                                             (bob, eng.county.b, eng.zhao, None)):
        act = services.activity_create(actor=actor, community=community, title="清扫楼道", starts_at=at(10, 9),
                                       ends_at=at(10, 11), capacity=5)
        if unit is not None:
            services.registration_create(actor=actor, community=community, kind=RegistrationKind.UNIT,
                                         organisation=unit)
        reg = services.registration_create(actor=actor, community=community, kind=RegistrationKind.VOLUNTEER,
                                           resident=resident)
        s = services.signup_create(actor=actor, activity=act, registration=reg, organisation=unit, now=at(1))
        services.signup_check_in(actor=actor, signup=s, now=at(10, 9))
        services.signup_check_out(actor=actor, signup=s, now=at(10, 11))


def _cells(html: str, heading: str) -> list[list[str]]:
    """The cells of each row of the table under ``heading``."""
    body = html.split(f"<h2>{heading}</h2>")[1].split("</section>")[0].split("<tbody>")[1]
    return [re.findall(r"<td>([^<]*)</td>", row) for row in body.split("<tr>")[1:]]


def test_the_claimant_ranking_names_each_claimants_community(eng, claims, login):
    page = login(eng.county.county_staff).get(reverse("engagement-staff-rankings") + f"?region={eng.county.county.pk}")
    html = page.content.decode()
    assert "<th>社区/村</th>" in html.split("<h2>微心愿认领</h2>")[1]
    assert sorted((name, community) for name, community, *_ in _cells(html, "微心愿认领")) == [
        ("李四", "甲社区"), ("甲物业", "甲社区"), ("红骑先锋队", "乙社区"), ("红骑先锋队", "甲社区")]


def test_the_volunteer_and_unit_rankings_name_the_community(eng, served, login):
    html = login(eng.county.county_staff).get(
        reverse("engagement-staff-rankings") + f"?region={eng.county.county.pk}").content.decode()
    # the first cell is the place (#)
    assert sorted((name, community) for _, name, community, *_ in _cells(html, "志愿者")) == [
        ("李四", "甲社区"), ("赵六", "乙社区")]
    assert [(name, community) for _, name, community, *_ in _cells(html, "双报到单位")] == [("甲物业", "甲社区")]


def test_the_rankings_read_the_community_in_the_same_single_query(eng, claims, served,
                                                                   django_assert_num_queries):
    staff, county = eng.county.county_staff, eng.county.county
    with django_assert_num_queries(1):
        claimants = wish_stats_by_claimant(actor=staff, region=county)
    assert sorted((c["kind"], c["name"], c["community"]) for c in claimants) == [
        ("organisation", "甲物业", "甲社区"), ("resident", "李四", "甲社区"), ("team", "红骑先锋队", "乙社区"),
        ("team", "红骑先锋队", "甲社区")]
    with django_assert_num_queries(1):
        volunteers = volunteer_ranking(actor=staff, region=county)
    assert sorted((v["name"], v["community"]) for v in volunteers) == [("李四", "甲社区"), ("赵六", "乙社区")]
    with django_assert_num_queries(1):
        units = unit_ranking(actor=staff, region=county)
    assert [(u["name"], u["community"]) for u in units] == [("甲物业", "甲社区")]
