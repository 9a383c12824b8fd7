from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from jiceng.core.admin import RoleAdminMixin
from jiceng.core.errors import ApplicationError

from . import services
from .choices import Role
from .models import Department, User


class _AccountBindingForm(forms.ModelForm):
    """The region an account is bound to, named as the pickers name it (name and code)."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        if "region" in self.fields:
            self.fields["region"].label_from_instance = lambda region: region.admin_label()


class UserAddForm(_AccountBindingForm):
    password = forms.CharField(label=gettext_lazy("初始密码"), widget=forms.PasswordInput, strip=False)

    class Meta:
        model = User
        fields = ["username", "full_name", "role", "region", "department"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.instance = services.user_create(
                actor=self.request.user, username=data["username"], password=data["password"], role=data["role"],
                full_name=data.get("full_name") or "", region=data.get("region"), department=data.get("department"),
            )
        except ApplicationError as exc:
            field = exc.field if exc.field in self.fields else None
            raise ValidationError({field: exc.message} if field else exc.message) from exc
        return data


class UserRoleForm(_AccountBindingForm):
    class Meta:
        model = User
        fields = ["role", "region", "department", "is_active"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        target = User.objects.get(pk=self.instance.pk)
        try:
            if {"role", "region", "department"} & set(self.changed_data):
                services.user_set_role(actor=self.request.user, user=target, role=data["role"],
                                       region=data.get("region"), department=data.get("department"))
            if "is_active" in self.changed_data:
                services.user_set_active(actor=self.request.user, user=target, active=data["is_active"])
        except ApplicationError as exc:
            field = exc.field if exc.field in self.fields else None
            raise ValidationError({field: exc.message} if field else exc.message) from exc
        return data


@admin.register(User)
class UserAdmin(RoleAdminMixin, admin.ModelAdmin):
    """The system admin creates accounts; the security admin grants roles and (de)activates."""

    view_roles = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN)
    add_roles = (Role.SYSTEM_ADMIN,)
    change_roles = (Role.SECURITY_ADMIN,)
    list_display = ("username", "full_name", "role", "region", "department", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "full_name")
    list_select_related = ("region", "department")
    # pickers that search (a province has tens of thousands of regions); the security admin, who binds
    # accounts, may read the regions and departments it searches (RegionAdmin, DepartmentAdmin)
    autocomplete_fields = ("region", "department")

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = UserAddForm if obj is None else UserRoleForm
        form_class = super().get_form(request, obj, **kwargs)

        class RequestForm(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return RequestForm

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["username", "full_name", "password", "role", "region", "department"]
        return ["username", "full_name", "role", "region", "department", "is_active", "last_login"]

    def get_readonly_fields(self, request, obj=None):
        return ("username", "full_name", "last_login") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        """Saved by the services inside the form's clean() (with audit records)."""

    def save_related(self, request, form, formsets, change):
        return None


@admin.register(Department)
class DepartmentAdmin(RoleAdminMixin, admin.ModelAdmin):
    view_roles = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN)
    list_display = ("code", "name", "kind", "region")
    list_filter = ("kind",)
    search_fields = ("code", "name")
