"""常用语 in the back office: the system admin reads which workflow action a template is for by the
action's name (派遣, 退单 …), as the case pages call it, in the column, the filter and the record."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from jiceng.events.models import ResponseTemplate

pytestmark = pytest.mark.django_db


@pytest.fixture
def templates():
    return {
        "dispatch": ResponseTemplate.objects.create(action="dispatch", title="请及时处置", text="请于时限内处置。"),
        "return": ResponseTemplate.objects.create(action="return", title="非本单位职责", text="不属于本单位职责。"),
        "sign": ResponseTemplate.objects.create(action="sign", title="已签收", text="已签收，马上处理。"),
    }


def _column(html: str) -> list[str]:
    """The 用于操作 cell of each row (the first column: a link to the record)."""
    return re.findall(r'class="field-action_name"><a [^>]*>([^<]*)</a>', html)


def test_the_list_names_each_templates_action(login, county, templates):
    html = login(county.sysadmin).get(reverse("admin:events_responsetemplate_changelist")).content.decode()
    # the list is ordered by action code: dispatch, return, sign
    assert _column(html) == ["派遣", "退单", "签收"]


def test_the_filter_offers_the_used_actions_by_name_in_workflow_order(login, county, templates):
    client = login(county.sysadmin)
    html = client.get(reverse("admin:events_responsetemplate_changelist")).content.decode()
    choices = re.findall(r'<a href="\?action=(\w+)">([^<]*)</a>', html)
    assert choices == [("dispatch", "派遣"), ("sign", "签收"), ("return", "退单")]
    filtered = client.get(reverse("admin:events_responsetemplate_changelist") + "?action=return").content.decode()
    assert _column(filtered) == ["退单"] and "非本单位职责" in filtered and "请及时处置" not in filtered


def test_the_record_names_its_action(login, county, templates):
    url = reverse("admin:events_responsetemplate_change", args=[templates["return"].pk])
    html = login(county.sysadmin).get(url).content.decode()
    field = html.split("field-action_name")[1].split("</div>\n</div>")[0]
    assert "退单" in field and "return" not in field
