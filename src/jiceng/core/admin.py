"""Back office (Django admin) for the three admin roles. Permissions come from the role, not from
Django's per-user permission tables, so that 三员分立 holds by construction: each ModelAdmin
names the roles that may view, add and change it, and writes go through the domain services."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from .errors import ApplicationError
from .models import AuditLog


class RoleAdminMixin:
    view_roles: tuple[str, ...] = ()
    add_roles: tuple[str, ...] = ()
    change_roles: tuple[str, ...] = ()

    def _role_in(self, request, roles) -> bool:
        user = request.user
        return bool(user.is_active and user.is_authenticated and getattr(user, "role", None) in roles)

    def has_module_permission(self, request):
        return self._role_in(request, self.view_roles + self.add_roles + self.change_roles)

    def has_view_permission(self, request, obj=None):
        return self._role_in(request, self.view_roles + self.change_roles)

    def has_add_permission(self, request):
        return self._role_in(request, self.add_roles)

    def has_change_permission(self, request, obj=None):
        return self._role_in(request, self.change_roles)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def call_service(self, request, fn, **kwargs):
        """Run a service; turn its ApplicationError into a form-level message (nothing saved)."""
        try:
            return fn(actor=request.user, **kwargs)
        except ApplicationError as exc:
            if exc.status == 403:
                raise PermissionDenied(exc.message) from exc
            raise


def role_label(code: str) -> str:
    """The role's name (系统管理员 …) for the code an audit record keeps; the code itself if unknown."""
    from jiceng.people.choices import Role

    return str(dict(Role.choices).get(code, code)) if code else "—"


def object_type_label(code: str) -> str:
    """The record type's name (居民, 事件 …) for an audit record's ``app.model``; the code if unknown."""
    try:
        return str(apps.get_model(code)._meta.verbose_name)
    except (LookupError, ValueError):
        return code or "—"


class RoleFilter(admin.SimpleListFilter):
    title = _("角色")
    parameter_name = "actor_role"

    def lookups(self, request, model_admin):
        from jiceng.people.choices import Role

        return list(Role.choices)

    def queryset(self, request, queryset):
        return queryset.filter(actor_role=self.value()) if self.value() else queryset


@admin.register(AuditLog)
class AuditLogAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Readable by the audit admin only; nobody can add, change or delete."""

    view_roles = ("audit_admin",)
    list_display = ("at", "actor_name", "role_label", "action", "object_label", "object_repr", "ip", "channel")
    list_filter = ("action", RoleFilter, "channel")
    search_fields = ("actor_name", "action", "object_repr", "object_id")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditLog._meta.fields]
    list_per_page = 100

    @admin.display(description=_("角色"), ordering="actor_role")
    def role_label(self, obj: AuditLog) -> str:
        return role_label(obj.actor_role)

    @admin.display(description=_("对象类型"), ordering="object_type")
    def object_label(self, obj: AuditLog) -> str:
        return object_type_label(obj.object_type)
