"""Back office (Django admin) for the three admin roles. Permissions come from the role, not from
Django's per-user permission tables, so that 三员分立 holds by construction: each ModelAdmin
names the roles that may view, add and change it, and writes go through the domain services."""

from __future__ import annotations

import json
import sys

from django.apps import AppConfig, apps
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
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
        names = audit_review.CHANNEL_LABELS
        return [("web", names["web"]), ("api", names["api"]), ("system", _("系统（后台任务、命令）"))]

    def queryset(self, request, queryset):
        return queryset.filter(channel=self.value()) if self.value() else queryset


def action_groups() -> list[tuple[str, list[str]]]:
    """The named actions by domain — the name of the app that writes them (网格事件, 考核 …), in the
    order of the apps, each group's codes in order — for the 操作 filter. An action belongs to the
    app whose ``AUDIT_ACTIONS`` (in its apps.py) lists it; one an app names from a table in its
    ``ready()`` (event.dispatch from the workflow, points.award from the entry kinds) to the app
    whose listed actions or whose label share its prefix (event → events); else to 其他, last."""
    configs = list(apps.get_app_configs())
    listed: dict[str, AppConfig] = {}
    by_prefix: dict[str, AppConfig] = {}
    for config in configs:
        for code in getattr(sys.modules[type(config).__module__], "AUDIT_ACTIONS", {}):
            listed.setdefault(code, config)
            by_prefix.setdefault(code.split(".")[0], config)
    groups: dict[AppConfig | None, list[str]] = {config: [] for config in configs}
    groups[None] = []
    for code in sorted(audit_action_labels()):
        prefix = code.split(".")[0]
        config = (listed.get(code) or by_prefix.get(prefix)
                  or next((c for c in configs if c.label.startswith(prefix)), None))
        groups[config].append(code)
    return [(str(config.verbose_name) if config is not None else gettext("其他"), codes)
            for config, codes in groups.items() if codes]


class ActionFilter(admin.SimpleListFilter):
    """操作 by name, as one dropdown grouped by domain (its ~150 actions as links would push the other
    filters off the screen): a small GET form that carries the list's other filters, search, dates
    and order, and a button — no script, so it works under the CSP and from the keyboard. The names
    come from the registered actions, not from reading the whole log for its distinct codes."""

    title = _("操作")
    parameter_name = "action"
    template = "admin/core/auditlog/action_filter.html"

    def lookups(self, request, model_admin):
        return sorted(audit_action_labels().items())

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset

    def choices(self, changelist):
        """The dropdown's options, each with its ``group`` (domain) and ``value``, group by group;
        and the list's other parameters (``self.carried``), for the form's hidden fields."""
        self.carried = [(name, value) for name, values in changelist.filter_params.items()
                        if name != self.parameter_name for value in values]
        current = self.value()
        yield {"selected": not current, "query_string": changelist.get_query_string(remove=[self.parameter_name]),
               "display": gettext("全部"), "value": "", "group": ""}
        named = dict(self.lookup_choices)
        groups = action_groups()
        if current and current not in named:  # a code without a name (from an older version), chosen
            groups.append((gettext("其他"), [current]))
        for group, codes in groups:
            for code in codes:
                yield {"selected": code == current, "value": code, "display": named.get(code, code), "group": group,
                       "query_string": changelist.get_query_string({self.parameter_name: code})}


class _FilteredOnly(ChangeList):
    """The list's filters, search and date drill-down, without counting or reading a page (an export
    reads the records itself)."""

    def get_results(self, request):
        pass


class _AuditChangeList(ChangeList):
    """The list's page, with each record's account named (``actor_full_name``) by one query for the page."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = audit_review.with_actor_names(self.result_list)


def _breakable(text: str) -> SafeString:
    """The text, escaped, with a line-break opportunity (<wbr>) after each dot: a narrow column wraps
    an action's code at its dot (assessment.<wbr>period_compute), not in the middle of a word."""
    *heads, last = text.split(".")
    return format_html_join("", "{}.<wbr>", ((head,) for head in heads)) + conditional_escape(last)


# A record's fields in its page, in the model's order; these shown by the methods below (local time
# to the second, the account's name beside its username, names beside codes, the changes as a table).
_DETAIL_SHOWN_AS = {"at": "at_local", "actor_name": "actor_label", "actor_role": "role_detail",
                    "action": "action_detail", "object_type": "object_detail", "changes": "changes_table",
                    "channel": "channel_detail"}


@admin.register(AuditLog)
class AuditLogAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Readable by the audit admin only; nobody can add, change or delete. The audit admin also checks
    the hash chain (校验完整性) and exports the listed records (导出 CSV) here (core.audit_review).

    The list names the accounts (by one query a page), roles, record types and channels (the codes
    are in the record and the export) and keeps to a 1366 px screen (core/auditlog.css); the record
    shows every field, names beside codes, and its changes as a table (the raw JSON folded beneath).
    A record never changes, so it has no history page."""

    view_roles = ("audit_admin",)
    list_display = ("at_local", "actor_label", "role_label", "action_label", "object_label", "object_short", "ip",
                    "channel_label")
    list_filter = (ActionFilter, RoleFilter, ChannelFilter)
    show_full_result_count = False  # no second COUNT of the whole log on a filtered page
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice (~150 actions) would read the whole log
    search_fields = ("actor_name", "action", "object_repr", "object_id")  # and the account's name (get_search_results)
    search_help_text = _("按用户名、姓名、操作代码、对象或对象ID查找")
    date_hierarchy = "at"
    fields = readonly_fields = [_DETAIL_SHOWN_AS.get(f.name, f.name) for f in AuditLog._meta.fields]
    list_per_page = 100

    class Media:
        css = {"all": ("core/auditlog.css",)}

    @admin.display(description=_("时间"), ordering="at")
    def at_local(self, obj: AuditLog) -> str:
        return f"{timezone.localtime(obj.at):%Y-%m-%d %H:%M:%S}"

    def get_changelist(self, request, **kwargs):
        return _AuditChangeList

    def get_search_results(self, request, queryset, search_term):
        """The search box also finds the records of the accounts whose name (姓名) holds the words:
        the records keep the username only. The CSV export searches the same way."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        named = audit_review.actor_ids_named(search_term)
        if named:
            found = found | queryset.filter(actor_id__in=named)
        return found, duplicates

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        return audit_review.with_actor_names([obj])[0] if obj is not None else None

    def history_view(self, request, object_id, extra_context=None):
        """A record never changes: no history (the page's 历史 button is gone too, change_form.html)."""
        raise Http404

    @admin.display(description=_("操作人"), ordering="actor_name")
    def actor_label(self, obj: AuditLog) -> str:
        return audit_review.actor_label(obj.actor_name, getattr(obj, "actor_full_name", ""))

    @admin.display(description=_("角色"), ordering="actor_role")
    def role_label(self, obj: AuditLog) -> str:
        return audit_review.role_label(obj.actor_role)

    @admin.display(description=_("角色"))
    def role_detail(self, obj: AuditLog) -> str:
        return audit_review.with_code(audit_review.role_label(obj.actor_role), obj.actor_role)

    @admin.display(description=_("操作"), ordering="action")
    def action_label(self, obj: AuditLog) -> SafeString:
        return _breakable(audit_review.with_code(audit_action_label(obj.action), obj.action))

    @admin.display(description=_("操作"))
    def action_detail(self, obj: AuditLog) -> str:
        return audit_review.with_code(audit_action_label(obj.action), obj.action)

    @admin.display(description=_("对象类型"), ordering="object_type")
    def object_label(self, obj: AuditLog) -> str:
        return audit_review.object_type_label(obj.object_type)

    @admin.display(description=_("对象类型"))
    def object_detail(self, obj: AuditLog) -> str:
        return audit_review.with_code(audit_review.object_type_label(obj.object_type), obj.object_type)

    @admin.display(description=_("对象"), ordering="object_repr")
    def object_short(self, obj: AuditLog) -> str:
        """Cut to the column's width on the screen; the whole text on hover and in the record."""
        return format_html('<span class="jiceng-clip" title="{}">{}</span>', obj.object_repr, obj.object_repr)

    @admin.display(description=_("渠道"), ordering="channel")
    def channel_label(self, obj: AuditLog) -> str:
        return audit_review.channel_label(obj.channel)

    @admin.display(description=_("渠道"))
    def channel_detail(self, obj: AuditLog) -> str:
        return audit_review.with_code(audit_review.channel_label(obj.channel), obj.channel)

    @admin.display(description=_("变更"))
    def changes_table(self, obj: AuditLog) -> str:
        """Field → before → after (the raw JSON folded beneath)."""
        return render_to_string("admin/core/auditlog/changes.html", {
            "rows": audit_review.change_rows(obj),
            "raw": json.dumps(obj.changes, ensure_ascii=False, sort_keys=True, indent=2)})

    def changelist_view(self, request, extra_context=None):
        """The list without the admin's navigation column (the audit admin has this one list, and its
        columns need the width at 1366 px); the 操作 dropdown's 全部 leads to the list without it."""
        if request.GET.get(ActionFilter.parameter_name) == "":
            query = request.GET.copy()
            del query[ActionFilter.parameter_name]
            return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)
        return super().changelist_view(request, {**(extra_context or {}), "is_nav_sidebar_enabled": False})

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
        return self._page(request, "admin/core/auditlog/verify.html", gettext("校验审计记录完整性"), runs=runs)

    def verification_view(self, request, pk: int):
        try:
            run = self.call_service(request, audit_review.audit_verification_get, pk=pk)
        except NotFoundError as exc:
            raise Http404(exc.message) from exc
        return self._page(request, "admin/core/auditlog/verification.html", gettext("审计链校验结果"), run=run,
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
