"""The admin site: open only to the three admin roles (kept apart from core.admin so the
registrations there land on this site, which Django installs as the default)."""

from django.contrib import admin


class JicengAdminSite(admin.AdminSite):
    site_header = "Jiceng 基层 · 后台管理"
    site_title = "Jiceng 基层"
    index_title = "后台管理"

    def has_permission(self, request):
        from jiceng.people.choices import ADMIN_ROLES

        user = request.user
        return bool(user.is_active and user.is_authenticated and getattr(user, "role", None) in ADMIN_ROLES)
