from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.admin import RoleAdminMixin
from jiceng.core.errors import ApplicationError

from . import services
from .models import Building, Organisation, Region


class BoundaryField(forms.JSONField):
    """A boundary's GeoJSON; an empty box for a node without one (not the word null)."""

    def prepare_value(self, value):
        return "" if value is None else super().prepare_value(value)


class RegionForm(forms.ModelForm):
    boundary = BoundaryField(label=gettext_lazy("边界（GeoJSON）"), required=False)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "kind", "parent", "boundary", "population", "households",
                  "staffing_standard"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        """Run the service inside validation so its errors show on the form and nothing is saved."""
        data = super().clean()
        if self.errors:
            return data
        actor = self.request.user
        try:
            if self.instance.pk is None:
                self.instance = services.region_create(
                    actor=actor, code=data["code"], name=data["name"], level=data["level"],
                    parent=data.get("parent"), kind=data.get("kind") or "", boundary=data.get("boundary"),
                    population=data.get("population") or 0, households=data.get("households") or 0,
                    staffing_standard=data.get("staffing_standard"),
                )
            else:
                changes = {f: data.get(f) for f in ("code", "name", "kind", "boundary", "population",
                                                    "households", "staffing_standard") if f in self.changed_data}
                if changes:
                    self.instance = services.region_update(actor=actor, region=self.instance, **changes)
        except ApplicationError as exc:
            field = exc.field if exc.field in self.fields else None
            raise ValidationError({field: exc.message} if field else exc.message) from exc
        return data


@admin.register(Region)
class RegionAdmin(RoleAdminMixin, admin.ModelAdmin):
    view_roles = ("system_admin", "security_admin")  # the security admin reads the tree it binds accounts to
    add_roles = ("system_admin",)
    change_roles = ("system_admin",)
    form = RegionForm
    list_display = ("code", "name", "level", "kind", "parent", "population", "households")
    list_filter = ("level", "kind")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    list_per_page = 100

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)

        class RequestForm(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return RequestForm

    def get_readonly_fields(self, request, obj=None):
        return ("level", "parent") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        """The form's clean() already saved through the service (with its audit record)."""
        messages.info(request, _("已保存并记入审计日志。"))

    def save_related(self, request, form, formsets, change):
        return None


@admin.register(Building)
class BuildingAdmin(RoleAdminMixin, admin.ModelAdmin):
    view_roles = ("system_admin",)
    list_display = ("code", "name", "address", "grid", "floors")
    search_fields = ("code", "name", "address")
    list_select_related = ("grid",)


@admin.register(Organisation)
class OrganisationAdmin(RoleAdminMixin, admin.ModelAdmin):
    view_roles = ("system_admin",)
    list_display = ("name", "kind", "uscc", "grid")
    list_filter = ("kind",)
    search_fields = ("name", "uscc")
    list_select_related = ("grid",)
    exclude = ("contact_phone",)
