"""Back office: the system admin may look at the non-personal engagement tables (rules, shops, items,
teams, activities). Tables naming residents (accounts, ledger, wishes, claims, registrations, sign-ups)
are not registered: the admin roles see no personal data (三员分立). Every write goes through the services."""

from django.contrib import admin

from jiceng.core.admin import RoleAdminMixin
from jiceng.people.choices import Role

from .models import Activity, PointRule, Shop, ShopItem, VolunteerTeam


class ViewOnlyAdmin(RoleAdminMixin, admin.ModelAdmin):
    view_roles = (Role.SYSTEM_ADMIN,)


@admin.register(PointRule)
class PointRuleAdmin(ViewOnlyAdmin):
    list_display = ["code", "name", "community", "points", "source", "requires_evidence", "expires_after_days", "active"]
    list_filter = ["source", "active"]


@admin.register(Shop)
class ShopAdmin(ViewOnlyAdmin):
    list_display = ["name", "community", "active"]


@admin.register(ShopItem)
class ShopItemAdmin(ViewOnlyAdmin):
    list_display = ["name", "shop", "price", "stock", "active"]


@admin.register(VolunteerTeam)
class VolunteerTeamAdmin(ViewOnlyAdmin):
    list_display = ["name", "community", "active"]


@admin.register(Activity)
class ActivityAdmin(ViewOnlyAdmin):
    list_display = ["title", "community", "starts_at", "ends_at", "capacity", "cancelled"]
