"""The default catalogue, the loader command, and procedure changes (service and back office)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.models import AuditLog
from jiceng.events.catalogue import CATALOGUE, load_event_categories
from jiceng.events.choices import Clock, HandlerLevel, Priority
from jiceng.events.models import CalendarDay, EventCategory, ResponseTemplate
from jiceng.events.selectors import response_templates
from jiceng.events.services import calendar_day_set, category_update
from tests.accounts.helpers import login_verified


@pytest.mark.django_db
def test_the_loader_is_idempotent_and_keeps_local_tuning(capsys):
    first = load_event_categories()
    assert first["categories"] == sum(1 + len(children) for _, children in CATALOGUE)
    emergency = EventCategory.objects.get(code="JNHJ-DJQZ")
    assert (emergency.priority, emergency.clock, emergency.parent.code) == (Priority.URGENT, Clock.CALENDAR, "JNHJ")
    street_fix = EventCategory.objects.get(code="SRHJ-ZDJY")
    assert (street_fix.handler_level, street_fix.department_kind) == (HandlerLevel.DEPARTMENT, "urban")
    EventCategory.objects.filter(code="SRHJ-ZDJY").update(handle_hours=Decimal("4"))
    call_command("load_event_categories")
    assert "0 个" in capsys.readouterr().out
    assert EventCategory.objects.get(code="SRHJ-ZDJY").handle_hours == Decimal("4")
    load_event_categories(update=True)
    assert EventCategory.objects.get(code="SRHJ-ZDJY").handle_hours == Decimal("8")
    assert CalendarDay.objects.get(day=date(2025, 1, 26)).is_workday  # 春节调休 Sunday
    assert not CalendarDay.objects.get(day=date(2025, 10, 8)).is_workday
    assert not CalendarDay.objects.filter(day=date(2025, 10, 4)).exists()  # a Saturday is off anyway
    assert ResponseTemplate.objects.filter(category__isnull=True, action="return").count() == 2


def test_templates_for_a_category_and_state(world):
    titles = [t.title for t in response_templates(action="submit", category=world.cat("SRHJ-ZDJY"))]
    assert titles[0] == "劝离占道" and "已处置完毕" in titles


def test_procedures_change_through_the_service_only_for_the_permitted(world):
    cat = world.cat("SRHJ-LJDF")
    with pytest.raises(PermissionDeniedError):
        category_update(actor=world.alice, category=cat, handle_hours=Decimal("8"))
    for hours in (Decimal("0"), Decimal("-5")):  # a clear word, not the table's check
        with pytest.raises(ApplicationError) as err:
            category_update(actor=world.county, category=cat, handle_hours=hours)
        assert (err.value.field, err.value.message) == ("handle_hours", "时限须大于 0 小时。")
    category_update(actor=world.county, category=cat, handle_hours=Decimal("8"), max_returns=3)
    cat.refresh_from_db()
    assert (cat.handle_hours, cat.max_returns) == (Decimal("8"), 3)
    assert AuditLog.objects.filter(action="event_category.update").count() == 1
    calendar_day_set(actor=world.county, day=date(2025, 3, 3), is_workday=False, name="县庆")
    assert not CalendarDay.objects.get(day=date(2025, 3, 3)).is_workday
    calendar_day_set(actor=world.county, day=date(2025, 3, 3), is_workday=None)
    assert not CalendarDay.objects.filter(day=date(2025, 3, 3)).exists()


def test_the_system_admin_tunes_a_procedure_in_the_back_office(world, client):
    cat = world.cat("MSFW-WLFW")
    login_verified(client, world.c.sysadmin)
    url = f"/admin/events/eventcategory/{cat.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = {f: getattr(cat, f) for f in ("name", "description", "handler_level", "department_kind", "priority",
                                        "clock", "accept_hours", "sign_hours", "verify_hours", "whistle_hours",
                                        "warn_percent", "max_returns", "unsatisfied_action",
                                        "duplicate_radius_m", "duplicate_days")}
    form.update(handle_hours="-5", active="on")
    refused = client.post(url, {k: v for k, v in form.items() if v is not None}).content.decode()
    assert refused.count("时限须大于 0 小时。") == 1 and "category_hours_positive" not in refused
    form.update(handle_hours="12")
    response = client.post(url, {k: v for k, v in form.items() if v is not None})
    assert response.status_code == 302, response.content.decode()[:2000]
    cat.refresh_from_db()
    assert cat.handle_hours == Decimal("12")
    assert AuditLog.objects.filter(action="event_category.update", actor_id=world.c.sysadmin.pk).exists()
    login_verified(client, world.county)
    assert client.get(url).status_code in (302, 403)
