"""Back office for the catalogue: the system admin tunes the categories' procedures and the working
calendar; every change goes through the services (audited). Cases are not shown here: they carry
personal information, which the admin roles never see."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from jiceng.core.admin import RoleAdminMixin
from jiceng.core.errors import ApplicationError
from jiceng.people.choices import Role

from .models import CalendarDay, EventCategory, ResponseTemplate
from .services import calendar_day_set, category_update
from .services.catalogue import PROCEDURE_FIELDS


def _raise(exc: ApplicationError, fields) -> None:
    field = exc.field if exc.field in fields else None
    raise ValidationError({field: exc.message} if field else exc.message) from exc


class CategoryForm(forms.ModelForm):
    class Meta:
        model = EventCategory
        fields = PROCEDURE_FIELDS

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        data = super().clean()
        if self.errors or not self.changed_data:
            return data
        try:
            self.instance = category_update(actor=self.request.user, category=self.instance,
                                            **{f: data[f] for f in self.changed_data})
        except ApplicationError as exc:
            _raise(exc, self.fields)
        return data


@admin.register(EventCategory)
class EventCategoryAdmin(RoleAdminMixin, admin.ModelAdmin):
    view_roles = (Role.SYSTEM_ADMIN,)
    change_roles = (Role.SYSTEM_ADMIN,)
    list_display = ("code", "name", "handler_level", "department_kind", "priority", "clock", "handle_hours",
                    "max_returns", "unsatisfied_action", "active")
    list_filter = ("handler_level", "clock", "active")
    search_fields = ("code", "name")
    ordering = ("path",)

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = CategoryForm
        form_class = super().get_form(request, obj, **kwargs)

        class WithRequest(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return WithRequest

    def save_model(self, request, obj, form, change):
        """Saved by ``category_update`` in the form's clean()."""


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["day", "is_workday", "name"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.instance = calendar_day_set(actor=self.request.user, day=data["day"], is_workday=data["is_workday"],
                                             name=data.get("name") or "")
        except ApplicationError as exc:
            _raise(exc, self.fields)
        return data


@admin.register(CalendarDay)
class CalendarDayAdmin(RoleAdminMixin, admin.ModelAdmin):
    view_roles = (Role.SYSTEM_ADMIN,)
    add_roles = (Role.SYSTEM_ADMIN,)
    change_roles = (Role.SYSTEM_ADMIN,)
    list_display = ("day", "is_workday", "name")
    date_hierarchy = "day"

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = CalendarDayForm
        form_class = super().get_form(request, obj, **kwargs)

        class WithRequest(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return WithRequest

    def save_model(self, request, obj, form, change):
        """Saved by ``calendar_day_set`` in the form's clean()."""


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(RoleAdminMixin, admin.ModelAdmin):
    view_roles = (Role.SYSTEM_ADMIN,)
    list_display = ("action", "title", "category", "sort")
    list_filter = ("action",)
