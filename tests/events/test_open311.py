"""Open311 GeoReport v2: services, requests (GET with the spec's filters, POST with an api_key),
both formats, and errors in the spec's shape."""

from __future__ import annotations

import io
from xml.etree import ElementTree as ET  # noqa: S405 (parsing our own responses in tests)

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from jiceng.core.models import ApiToken, AuditLog
from jiceng.events import services
from jiceng.events.models import Event
from jiceng.people.choices import Role
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region
from tests.events.factories import IN_A1_1, IN_B1, report, to_closed

pytestmark = pytest.mark.usefixtures("fresh_limits")

BASE = "/open311/v2"


@pytest.fixture
def key(world):
    out = io.StringIO()
    call_command("open311-key", "12345热线", user=world.alice.username, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def xml(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)  # noqa: S314


def test_services_list_the_active_categories_in_json_and_xml(world):
    rows = Client().get(f"{BASE}/services.json").json()
    codes = {r["service_code"] for r in rows}
    assert "SRHJ-LJDF" in codes
    row = next(r for r in rows if r["service_code"] == "SRHJ-LJDF")
    assert row["type"] == "realtime" and row["metadata"] is False and row["service_name"]
    root = xml(Client().get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    assert {s.findtext("service_code") for s in root.findall("service")} == codes


def test_a_service_definition_and_an_unknown_code(world):
    assert Client().get(f"{BASE}/services/SRHJ-LJDF.json").json() == {"service_code": "SRHJ-LJDF", "attributes": []}
    assert xml(Client().get(f"{BASE}/services/SRHJ-LJDF.xml")).findtext("service_code") == "SRHJ-LJDF"
    missing = Client().get(f"{BASE}/services/NOPE.json")
    assert missing.status_code == 404
    assert set(missing.json()[0]) == {"code", "description"} and missing.json()[0]["code"] == 404
    root = xml(Client().get(f"{BASE}/services/NOPE.xml"))
    assert root.tag == "errors" and root.find("error").findtext("code") == "404"


def test_requests_map_cases_with_open_and_closed_status(world, clock, settings):
    settings.JICENG_OPEN311_PUBLIC_READS = True  # the county publishes a 311 feed
    closed = to_closed(world, report(world))
    pending = report(world, where=IN_B1, reporter_phone="13900139000")
    rows = Client().get(f"{BASE}/requests.json").json()
    by_id = {r["service_request_id"]: r for r in rows}
    assert by_id[closed.number]["status"] == "closed" and by_id[pending.number]["status"] == "open"
    assert "13800138000" not in str(rows) and "张三" not in str(rows)  # no personal data
    only_open = Client().get(f"{BASE}/requests.json?status=open").json()
    assert [r["service_request_id"] for r in only_open] == [pending.number]
    picked = Client().get(f"{BASE}/requests.json?service_request_id={closed.number}").json()
    assert [r["service_request_id"] for r in picked] == [closed.number]
    assert Client().get(f"{BASE}/requests.json?service_code=NOPE").json() == []
    late = Client().get(f"{BASE}/requests.json?start_date=2025-03-04T00:00:00%2B08:00").json()
    assert late == []
    root = xml(Client().get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests" and len(root.findall("request")) == 2
    one = xml(Client().get(f"{BASE}/requests/{pending.number}.xml")).find("request")
    assert one.findtext("status") == "open" and one.findtext("service_code") == "SRHJ-LJDF"
    assert Client().get(f"{BASE}/requests/{pending.number}.json").json()[0]["service_request_id"] == pending.number


def test_reads_need_an_api_key_by_default_and_answer_its_scope(world, clock, key):
    mine = report(world, address="甲社区 3 号楼 502 室")
    theirs = report(world, where=IN_B1, reporter_phone="13900139000")
    refused = Client().get(f"{BASE}/requests.json")
    assert refused.status_code == 403 and refused.json()[0]["code"] == 403
    assert xml(Client().get(f"{BASE}/requests/{mine.number}.xml")).tag == "errors"
    assert Client().get(f"{BASE}/requests.json?api_key=jc_wrong").status_code == 403
    rows = Client().get(f"{BASE}/requests.json?api_key={key}").json()  # alice's key: 甲社区 only
    assert [r["service_request_id"] for r in rows] == [mine.number]
    assert rows[0]["address"] == "甲社区 3 号楼 502 室"
    assert Client().get(f"{BASE}/requests/{theirs.number}.json?api_key={key}").status_code == 404
    assert Client().get(f"{BASE}/services.json").status_code == 200  # the catalogue stays public


def test_the_public_feed_never_shows_the_street_address(world, clock, settings):
    settings.JICENG_OPEN311_PUBLIC_READS = True
    ev = report(world, address="甲社区 3 号楼 502 室")
    row = Client().get(f"{BASE}/requests/{ev.number}.json").json()[0]
    assert "502" not in str(row) and row["address"] == ev.grid.name


def test_bad_filters_and_unknown_requests_are_errors_in_the_spec_format(world, settings):
    settings.JICENG_OPEN311_PUBLIC_READS = True
    bad = Client().get(f"{BASE}/requests.json?status=maybe")
    assert bad.status_code == 400 and bad.json()[0]["code"] == 400
    assert Client().get(f"{BASE}/requests.json?start_date=yesterday").status_code == 400
    assert Client().get(f"{BASE}/requests/2025030300000099.json").status_code == 404
    assert xml(Client().get(f"{BASE}/requests/1.xml")).tag == "errors"


def test_post_needs_an_api_key_and_creates_a_hotline_case(world, clock, key):
    body = {"service_code": "SRHJ-LJDF", "lat": IN_A1_1["lat"], "long": IN_A1_1["lng"],
            "address_string": "甲社区 3 号楼", "description": "垃圾没人清", "first_name": "三", "last_name": "张",
            "phone": "13800138000"}
    refused = Client().post(f"{BASE}/requests.json", body)
    assert refused.status_code == 403 and refused.json()[0]["code"] == 403
    made = Client().post(f"{BASE}/requests.json", {**body, "api_key": key})
    assert made.status_code == 201, made.content
    answer = made.json()[0]
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    event = Event.objects.get()
    assert event.number == answer["service_request_id"] and event.channel == "hotline"
    assert event.reporter_name == "张三"
    made_xml = Client().post(f"{BASE}/requests.xml", {**body, "api_key": key})
    assert made_xml.status_code == 201
    assert xml(made_xml).find("request").findtext("service_request_id")


def test_a_key_issued_by_name_alone_acts_as_the_integrations_own_county_account(world, clock):
    def issue(*args, **kwargs) -> str:
        out = io.StringIO()
        call_command("open311-key", *args, stdout=out, **kwargs)
        return out.getvalue().strip().splitlines()[-1]

    first, second = issue("12345热线"), issue("12345热线")
    tokens = ApiToken.objects.filter(name="Open311：12345热线")
    assert tokens.count() == 2 and len({t.user_id for t in tokens}) == 1  # one account per integration
    account = tokens.first().user
    assert (account.role, account.region, account.has_usable_password()) == (Role.COUNTY_STAFF, world.c.county, False)
    assert AuditLog.objects.filter(action="user.create", object_id=str(account.pk)).count() == 1
    body = {"service_code": "SRHJ-LJDF", "lat": IN_B1["lat"], "long": IN_B1["lng"], "description": "井盖缺失"}
    for key in (first, second):  # the whole county, B1 included
        assert Client().post(f"{BASE}/requests.json", {**body, "api_key": key}).status_code == 201
    assert Event.objects.filter(channel="hotline", reporter=account).count() == 2
    # With a second county, the command needs to be told which one.
    other = Region.objects.create(code="350725", name="另一县", level=RegionLevel.COUNTY, parent=world.c.county.parent)
    with pytest.raises(CommandError, match="多个区县"):
        issue("110联动")
    assert issue("110联动", region=other.code).startswith("jc_")
    with pytest.raises(CommandError, match="不存在"):
        issue("110联动", region="999999")


def test_post_outside_the_keys_scope_or_with_a_bad_code_is_refused(world, clock, key):
    body = {"api_key": key, "lat": IN_B1["lat"], "long": IN_B1["lng"], "description": "井盖缺失"}
    assert Client().post(f"{BASE}/requests.json", {**body, "service_code": "NOPE"}).status_code == 400
    assert Client().post(f"{BASE}/requests.json", body).status_code == 400  # service_code missing
    assert Event.objects.count() == 0


def test_the_command_prints_the_key_on_its_last_line_and_only_its_hash_is_kept(world, key):
    from jiceng.core.models import ApiToken

    assert key.startswith("jc_")
    assert ApiToken.objects.filter(name__startswith="Open311").count() == 1
    assert key not in str(list(ApiToken.objects.values()))


def test_the_closed_case_can_still_be_rated(world, clock, settings):
    settings.JICENG_OPEN311_PUBLIC_READS = True
    closed = to_closed(world, report(world))
    services.event_rate(token=services.rating_token(closed), rating="satisfied")
    row = Client().get(f"{BASE}/requests/{closed.number}.json").json()[0]
    assert row["status"] == "closed"
