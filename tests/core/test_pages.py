"""Login, logout, language switch, home page, error pages, and no external resources."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.helpers import login_verified
from tests.factories import PASSWORD
from tests.people.test_pages import people_in_county

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese(client):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert "登录基层治理平台" in html and "用户名" in html and "密码" in html


def test_login_through_the_form_lands_on_home(county):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    token = client.cookies["csrftoken"].value
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD,
                                              "csrfmiddlewaretoken": token}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    html = response.content.decode()
    assert "甲社区" in html and "社区/村工作人员" in html


def test_login_with_a_wrong_password_shows_an_error(county, client):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong-password"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()  # Django's own zh-hans message


def test_login_without_csrf_token_is_rejected(county):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert "请求校验失败" in response.content.decode()


def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_logout_is_a_post(login, county):
    client = login(county.alice)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_nav_shows_user_role_and_links(login, county):
    html = login(county.alice).get(reverse("home")).content.decode()
    nav = html.split("</header>")[0]
    for text in ("首页", "居民", "网格员", "alice", "社区/村工作人员", "退出"):
        assert text in nav
    assert "后台" not in nav


def test_nav_shows_admin_link_for_admin_roles(client, county):
    nav = login_verified(client, county.auditor).get(reverse("home")).content.decode().split("</header>")[0]
    assert 'href="/admin/"' in nav and "后台" in nav
    assert "居民" not in nav


def test_language_switch_to_english(login, county):
    client = login(county.alice)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in html
    assert 'value="zh-hans"' in html  # the way back to Chinese


def test_home_counts_for_alice_come_from_the_selectors(login, county):
    people_in_county(county)
    response = login(county.alice).get(reverse("home"))
    (tree,) = response.context["trees"]
    assert tree["region"] == county.a
    assert tree["level_counts"] == [("一级网格", 1), ("二级网格", 2)]
    # alice's counts exclude 乙社区's resident 赵六 and worker 钱七
    assert tree["people"] == {"residents": 2, "workers": 2, "workers_full_time": 1, "workers_part_time": 0,
                              "workers_special": 1}
    assert [c.name for c in tree["children"]] == ["甲一网格"]
    html = response.content.decode()
    assert f'?region={county.a.pk}&amp;kind=full_time&amp;active=1"><span class="num">1</span>' in html
    assert "乙社区" not in html


def test_home_for_county_staff_shows_the_tree(login, county):
    people_in_county(county)
    response = login(county.county_staff).get(reverse("home"))
    (tree,) = response.context["trees"]
    assert tree["region"] == county.county
    assert tree["people"]["residents"] == 3
    html = response.content.decode()
    assert "东街道" in html and "西镇" in html
    assert f'hx-get="{reverse("region-children", args=[county.east.pk])}"' in html


def test_home_for_admin_roles_without_regions(client, county):
    response = login_verified(client, county.secadmin).get(reverse("home"))
    assert response.context["trees"] == []
    assert "您的账号没有可查看的区域数据。" in response.content.decode()


def test_home_for_sysadmin_shows_regions_but_no_people(client, county):
    response = login_verified(client, county.sysadmin).get(reverse("home"))
    (tree,) = response.context["trees"]
    assert tree["people"] is None


def test_404_page_is_chinese(login, county):
    response = login(county.alice).get("/no-such-page/")
    assert response.status_code == 404
    assert "未找到该页面或记录" in response.content.decode()


def test_pages_load_no_external_resources(login, county):
    client = login(county.alice)
    for url in (reverse("home"), reverse("region-detail", args=[county.a.pk]), reverse("resident-list"),
                reverse("worker-list"), reverse("resident-create"), reverse("login")):
        html = client.get(url).content.decode()
        for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not ref.startswith(("http:", "https:", "//")), (url, ref)
        assert "<script>" not in html and "<style" not in html and " style=" not in html, url


@pytest.mark.parametrize("path", ["css/jiceng.css", "js/region-map.js", "img/favicon.svg",
                                  "vendor/htmx-2.0.11/htmx.min.js", "vendor/leaflet-1.9.4/leaflet.js",
                                  "vendor/leaflet-1.9.4/leaflet.css"])
def test_static_files_are_served(client, path):
    from django.templatetags.static import static

    assert client.get(static(path)).status_code == 200


def test_vendored_files_carry_their_licences():
    from pathlib import Path

    import jiceng

    static = Path(jiceng.__file__).parent / "static" / "vendor"
    for lib, main in (("leaflet-1.9.4", "leaflet.js"), ("htmx-2.0.11", "htmx.min.js")):
        assert (static / lib / main).is_file()
        assert (static / lib / "LICENSE").is_file()


def test_the_interface_is_chinese_even_for_an_english_browser_until_english_is_chosen(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "zh-hans"
    client.cookies["django_language"] = "en"
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "en"


def test_an_application_error_escaping_a_page_answers_with_its_status_not_500(rf, county):
    from django.http import Http404

    from jiceng.core.errors import NotFoundError, PermissionDeniedError, RateLimitedError
    from jiceng.core.middleware import ApplicationErrorMiddleware

    middleware = ApplicationErrorMiddleware(lambda request: None)
    request = rf.get("/events/report/")
    request.user = county.alice
    assert middleware.process_exception(request, RateLimitedError("请求过于频繁")).status_code == 429
    assert middleware.process_exception(request, PermissionDeniedError("不行")).status_code == 403
    with pytest.raises(Http404):
        middleware.process_exception(request, NotFoundError("没有"))
    assert middleware.process_exception(rf.get("/api/x"), RateLimitedError("x")) is None
    assert middleware.process_exception(request, ValueError("x")) is None


def test_a_resident_lands_on_their_own_pages_and_sees_no_staff_menu(county, client):
    from jiceng.people.services import resident_account_create, resident_create

    resident = resident_create(actor=county.alice, name="居民甲", grid=county.a1_1)
    resident_account_create(actor=county.alice, resident=resident, username="jumin", password="Wq-7731-Zk")
    assert client.login(username="jumin", password="Wq-7731-Zk")
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("engagement-me")
    html = client.get(reverse("engagement-me")).content.decode()
    assert f'href="{reverse("resident-list")}"' not in html and f'href="{reverse("events:console")}"' not in html
    assert f'href="{reverse("events:report")}"' in html  # 反映问题 is in its menu


def test_the_browsers_favicon_request_finds_the_icon(client):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and answer["Location"].endswith(".svg")
    assert "img/favicon" in answer["Location"]
