"""Writes to the catalogue: categories and their procedure, and the working calendar (system admin
or county staff)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core.audit import audit_record, diff, snapshot
from jiceng.core.edits import editable_fields_check
from jiceng.core.errors import ApplicationError, PermissionDeniedError, validation_error_to_app_error
from jiceng.core.scope import is_active_account
from jiceng.people.choices import Role

from ..models import CalendarDay, EventCategory

PROCEDURE_FIELDS = ["name", "active", "description", "handler_level", "department_kind", "priority", "clock",
                    "accept_hours", "sign_hours", "handle_hours", "verify_hours", "whistle_hours", "warn_percent",
                    "photo_required", "max_returns", "unsatisfied_action", "duplicate_radius_m", "duplicate_days"]
# What the services set: the procedure (the admin's form) and the place among siblings (Excel import).
CATEGORY_FIELDS = [*PROCEDURE_FIELDS, "sort"]


def can_manage_catalogue(actor) -> bool:
    return is_active_account(actor) and actor.role in (Role.SYSTEM_ADMIN, Role.COUNTY_STAFF)


def _require_catalogue_manager(actor) -> None:
    if not can_manage_catalogue(actor):
        raise PermissionDeniedError(_("只有系统管理员或区县工作人员可以调整处置程序。"))


HOURS_FIELDS = ("accept_hours", "sign_hours", "handle_hours", "verify_hours", "whistle_hours")


def hours_error(value) -> str:
    """A stage's time limit must be more than zero hours (the table's check says so too, unreadably)."""
    return _("时限须大于 0 小时。") if value is not None and value <= 0 else ""


def _check_hours(category: EventCategory) -> None:
    for name in HOURS_FIELDS:
        error = hours_error(getattr(category, name))
        if error:
            raise ApplicationError(error, field=name)


@transaction.atomic
def category_create(*, actor, code: str, parent: EventCategory | None = None, **fields: Any) -> EventCategory:
    """Add a category under ``parent`` (a top-level group when None); unset procedure fields take
    the model's defaults."""
    _require_catalogue_manager(actor)
    editable_fields_check(fields, CATEGORY_FIELDS)
    path = f"{parent.path if parent else '/'}{code}/"
    if len(path) > EventCategory._meta.get_field("path").max_length:
        raise ApplicationError(_("分类层级过深或编码过长。"), field="parent")
    category = EventCategory(code=code, parent=parent, path=path, depth=parent.depth + 1 if parent else 0, **fields)
    _check_hours(category)
    try:
        category.full_clean()
    except ValidationError as exc:
        raise validation_error_to_app_error(exc) from exc
    category.save()
    audit_record(actor=actor, action="event_category.create", obj=category,
                 changes=diff({}, {"code": code, "parent": parent.code if parent else "",
                                   **snapshot(category, CATEGORY_FIELDS)}))
    return category


@transaction.atomic
def category_update(*, actor, category: EventCategory, **changes: Any) -> EventCategory:
    """Change a category's procedure. Cases already running keep the deadlines they were given."""
    _require_catalogue_manager(actor)
    editable_fields_check(changes, CATEGORY_FIELDS)
    category = EventCategory.objects.select_for_update().get(pk=category.pk)
    before = snapshot(category, CATEGORY_FIELDS)
    for key, value in changes.items():
        setattr(category, key, value)
    _check_hours(category)
    try:
        category.full_clean()
    except ValidationError as exc:
        raise validation_error_to_app_error(exc) from exc
    category.save()
    audit_record(actor=actor, action="event_category.update", obj=category,
                 changes=diff(before, snapshot(category, CATEGORY_FIELDS)))
    return category


@transaction.atomic
def calendar_day_set(*, actor, day: date, is_workday: bool | None, name: str = "") -> CalendarDay | None:
    """Mark a holiday (``is_workday=False``) or a make-up workday (``True``); ``None`` removes the
    exception (the day follows the Monday–Friday week again)."""
    if not can_manage_catalogue(actor):
        raise PermissionDeniedError(_("只有系统管理员或区县工作人员可以维护工作日历。"))
    existing = CalendarDay.objects.filter(day=day).first()
    before = {"is_workday": existing.is_workday if existing else None}
    if is_workday is None:
        if existing is not None:
            existing.delete()
        result = None
    else:
        result, _created = CalendarDay.objects.update_or_create(day=day, defaults={"is_workday": is_workday,
                                                                                   "name": (name or "")[:50]})
    audit_record(actor=actor, action="calendar_day.set", object_type="events.calendarday", object_id=day.isoformat(),
                 object_repr=f"{day} {name}", changes=diff(before, {"is_workday": is_workday}))
    return result
