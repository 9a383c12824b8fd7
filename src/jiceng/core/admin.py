"""Back office (Django admin) for the three admin roles. Permissions come from the role, not from
Django's per-user permission tables, so that 三员分立 holds by construction: each ModelAdmin
names the roles that may view, add and change it, and writes go through the domain services."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied

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


@admin.register(AuditLog)
class AuditLogAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Readable by the audit admin only; nobody can add, change or delete."""

    view_roles = ("audit_admin",)
    list_display = ("at", "actor_name", "actor_role", "action", "object_type", "object_repr", "ip", "channel")
    list_filter = ("action", "actor_role", "channel")
    search_fields = ("actor_name", "action", "object_repr", "object_id")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditLog._meta.fields]
    list_per_page = 100
