"""Back office (Django admin) for the three admin roles. Permissions come from the role, not from
Django's per-user permission tables, so that 三员分立 holds by construction: each ModelAdmin
names the roles that may view, add and change it, and writes go through the domain services."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from . import audit_review
from .audit import audit_action_label, audit_action_labels
from .errors import ApplicationError, NotFoundError
from .exports import streaming_file_response
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


class ChannelFilter(admin.SimpleListFilter):
    """渠道 from the fixed set the request context writes (core.middleware), not a DISTINCT over the
    whole log, which a province's tens of millions of records would make slow on every page."""

    title = _("渠道")
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        return [("web", _("页面")), ("api", _("接口")), ("system", _("系统（后台任务、命令）"))]

    def queryset(self, request, queryset):
        return queryset.filter(channel=self.value()) if self.value() else queryset


class ActionFilter(admin.SimpleListFilter):
    """操作 by name, offering every named action in the order of their codes (each domain's together);
    the list comes from the names, not from reading the whole log for its distinct codes."""

    title = _("操作")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return sorted(audit_action_labels().items())

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class _FilteredOnly(ChangeList):
    """The list's filters, search and date drill-down, without counting or reading a page (an export
    reads the records itself)."""

    def get_results(self, request):
        pass


@admin.register(AuditLog)
class AuditLogAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Readable by the audit admin only; nobody can add, change or delete. The audit admin also checks
    the hash chain (校验完整性) and exports the listed records (导出 CSV) here (core.audit_review)."""

    view_roles = ("audit_admin",)
    list_display = ("at", "actor_name", "role_label", "action_label", "object_label", "object_repr", "ip", "channel")
    list_filter = (ActionFilter, RoleFilter, ChannelFilter)
    show_full_result_count = False  # no second COUNT of the whole log on a filtered page
    search_fields = ("actor_name", "action", "object_repr", "object_id")
    date_hierarchy = "at"
    fields = readonly_fields = [("action_label" if f.name == "action" else f.name) for f in AuditLog._meta.fields]
    list_per_page = 100

    @admin.display(description=_("角色"), ordering="actor_role")
    def role_label(self, obj: AuditLog) -> str:
        return role_label(obj.actor_role)

    @admin.display(description=_("操作"), ordering="action")
    def action_label(self, obj: AuditLog) -> str:
        label = audit_action_label(obj.action)
        return label if label == obj.action else gettext_now("%(label)s（%(code)s）") % {"label": label, "code": obj.action}

    @admin.display(description=_("对象类型"), ordering="object_type")
    def object_label(self, obj: AuditLog) -> str:
        return object_type_label(obj.object_type)

    # --- the audit admin's review: chain checks and the export ---------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("verify/", wrap(self.verify_view), name="core_auditlog_verify"),
            path("verify/<int:pk>/", wrap(self.verification_view), name="core_auditlog_verification"),
            path("export/", wrap(self.export_view), name="core_auditlog_export"),
            *super().get_urls(),
        ]

    def _page(self, request, template: str, title: str, **context) -> TemplateResponse:
        return TemplateResponse(request, template, {**self.admin_site.each_context(request), "opts": self.opts,
                                                    "title": title, **context})

    def verify_view(self, request):
        """The latest checks; POST asks for a new one and opens it."""
        if request.method == "POST":
            try:
                run = self.call_service(request, audit_review.audit_verification_start)
            except ApplicationError as exc:  # another check under way
                self.message_user(request, exc.message, messages.ERROR)
                return redirect("admin:core_auditlog_verify")
            return redirect("admin:core_auditlog_verification", pk=run.pk)
        runs = self.call_service(request, audit_review.audit_verifications)
        return self._page(request, "admin/core/auditlog/verify.html", gettext_now("校验审计记录完整性"), runs=runs)

    def verification_view(self, request, pk: int):
        try:
            run = self.call_service(request, audit_review.audit_verification_get, pk=pk)
        except NotFoundError as exc:
            raise Http404(exc.message) from exc
        return self._page(request, "admin/core/auditlog/verification.html", gettext_now("审计链校验结果"), run=run,
                          problems=audit_review.problem_rows(run),
                          more=run.problem_count - len(run.problems))

    def export_view(self, request):
        """The records the list shows under the same query (filters, search, dates), as a CSV download."""
        self.call_service(request, audit_review.audit_review_check)  # before the query is even read
        try:
            cl = self._filtered(request)
        except IncorrectLookupParameters:
            return redirect(reverse("admin:core_auditlog_changelist") + "?e=1")
        filters = {k: v for k, v in request.GET.items() if k not in ("p", "o", "e")}
        lines, _rows = self.call_service(request, audit_review.audit_log_export_csv, records=cl.queryset,
                                          filters=filters)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        return streaming_file_response(lines, filename=f"审计记录-{stamp}.csv", fallback=f"audit-{stamp}.csv",
                                       content_type="text/csv; charset=utf-8")

    def _filtered(self, request) -> ChangeList:
        return _FilteredOnly(request, self.model, self.get_list_display(request), (), self.get_list_filter(request),
                             self.date_hierarchy, self.get_search_fields(request),
                             self.get_list_select_related(request), self.list_per_page, self.list_max_show_all,
                             (), self, self.get_sortable_by(request), self.search_help_text)
