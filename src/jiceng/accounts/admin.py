"""The security admin's back-office pages: accounts locked right now (unlock them), and second
factors (reset one when a phone and its recovery codes are lost). Both call the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.admin import RoleAdminMixin
from jiceng.core.errors import ApplicationError
from jiceng.people.choices import Role

from . import services
from .models import AccountSecurity, TotpDevice


@admin.register(AccountSecurity)
class LockedAccountAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Only accounts locked at this moment are listed; the action lifts the lock."""

    view_roles = (Role.SECURITY_ADMIN,)
    list_display = ("user", "user_role", "failed_logins", "last_failed_at", "locked_until")
    readonly_fields = ("user", "failed_logins", "last_failed_at", "locked_until", "password_changed_at")
    search_fields = ("user__username", "user__full_name")
    actions = ["unlock"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(locked_until__gt=timezone.now()).select_related("user")

    @admin.display(description=gettext_lazy("角色"))
    def user_role(self, obj):
        return obj.user.get_role_display()

    @admin.action(description=gettext_lazy("解除所选账号的锁定"))
    def unlock(self, request, queryset):
        done = 0
        for row in queryset.select_related("user"):
            try:
                self.call_service(request, services.account_unlock, user=row.user)
            except ApplicationError as exc:
                self.message_user(request, _("%(user)s：%(message)s") % {
                    "user": row.user, "message": exc.message}, messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, _("已解除 %(done)s 个账号的锁定。") % {"done": done}, messages.SUCCESS)


@admin.register(TotpDevice)
class TotpDeviceAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Who has a second factor (never the secret); the action removes one so it can be set up again."""

    view_roles = (Role.SECURITY_ADMIN,)
    list_display = ("user", "confirmed_at", "created_at")
    fields = ("user", "confirmed_at", "created_at")
    readonly_fields = ("user", "confirmed_at", "created_at")
    search_fields = ("user__username", "user__full_name")
    actions = ["reset"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").defer("secret")

    @admin.action(description=gettext_lazy("重置所选账号的双因素认证"))
    def reset(self, request, queryset):
        done = 0
        for device in list(queryset.select_related("user")):
            try:
                self.call_service(request, services.totp_reset, user=device.user)
            except ApplicationError as exc:
                self.message_user(request, _("%(user)s：%(message)s") % {
                    "user": device.user, "message": exc.message}, messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, _("已重置 %(done)s 个账号的双因素认证。") % {"done": done}, messages.SUCCESS)
