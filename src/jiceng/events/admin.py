"""Back office for the catalogue: the system admin tunes the categories' procedures and the working
calendar; every change goes through the services (audited). Cases are not shown here: they carry
personal information, which the admin roles never see."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from jiceng.core.admin import RoleAdminMixin
from jiceng.core.errors import ApplicationError
from jiceng.people.choices import Role

from .models import CalendarDay, EventCategory, ResponseTemplate
from .services import calendar_day_set, category_update
from .services.catalogue import HOURS_FIELDS, PROCEDURE_FIELDS, hours_error
from .workflow import TRANSITIONS


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
        for name in HOURS_FIELDS:  # a field error, and the table's check is then not asked (no second message)
            if name in self.fields:
                self.fields[name].widget.attrs["min"] = "0.01"

    def clean(self):
        for name in HOURS_FIELDS:
            error = hours_error(self.cleaned_data.get(name))
            if error and name not in self.errors:
                self.add_error(name, error)
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


def action_label(action: str) -> str:
    """A workflow action as the case pages name it (派遣, 退单 …); an unknown code as it is."""
    t = TRANSITIONS.get(action)
    return str(t.label) if t else action


class TemplateActionFilter(admin.SimpleListFilter):
    """用于操作 by the action's name, offering the actions the templates are used in, in workflow order."""

    title = gettext_lazy("用于操作")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        used = set(model_admin.get_queryset(request).values_list("action", flat=True).distinct())
        known = [a for a in TRANSITIONS if a in used]
        return [(a, action_label(a)) for a in known + sorted(used - set(known))]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(RoleAdminMixin, admin.ModelAdmin):
    view_roles = (Role.SYSTEM_ADMIN,)
    list_display = ("action_name", "title", "category", "sort")
    list_filter = (TemplateActionFilter,)

    readonly_fields = ("action_name",)

    @admin.display(description=gettext_lazy("用于操作"), ordering="action")
    def action_name(self, obj: ResponseTemplate) -> str:
        return action_label(obj.action)

    def get_fields(self, request, obj=None):
        """The view page names the action too (the code stays the field of a form that can change it)."""
        fields = [f for f in super().get_fields(request, obj) if f != "action_name"]
        if not self.has_change_permission(request, obj):
            fields = ["action_name" if f == "action" else f for f in fields]
        return fields
