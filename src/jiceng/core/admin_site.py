"""The admin site: open only to the three admin roles (kept apart from core.admin so the
registrations there land on this site, which Django installs as the default)."""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class LabelledAutocomplete(AutocompleteJsonView):
    """The admin's autocomplete, naming a record by its ``admin_label()`` where it has one: a region
    by its name and code, since names repeat across a county (城南社区 in two towns)."""

    def serialize_result(self, obj, to_field_name):
        label = getattr(obj, "admin_label", None)
        return {"id": str(getattr(obj, to_field_name)), "text": label() if callable(label) else str(obj)}


class JicengAdminSite(admin.AdminSite):
    # the product's name as everywhere (the footer of base.html), the rest in the user's language
    site_header = format_lazy("Jiceng 基层 · {}", _("后台管理"))
    site_title = "Jiceng 基层"
    index_title = _("后台管理")

    def autocomplete_view(self, request):
        return LabelledAutocomplete.as_view(admin_site=self)(request)

    def has_permission(self, request):
        from jiceng.people.choices import ADMIN_ROLES

        user = request.user
        return bool(user.is_active and user.is_authenticated and getattr(user, "role", None) in ADMIN_ROLES)
