"""The audit admin's pages in the back office: actions named (派遣（event.dispatch）) and filtered by
name, every action the code writes named, the hash chain checked from the web (intact, altered,
cut off at the end; who asked and when, audited), and the listed records exported as CSV with
their hashes (audited); every other role refused."""

from __future__ import annotations

import ast
import csv
import hashlib
import html
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import DatabaseError, connection
from django.utils import timezone

import jiceng
from jiceng.core import audit_review
from jiceng.core.audit import GENESIS, audit_action_label, audit_action_labels, audit_record, entry_payload
from jiceng.core.choices import VerificationStatus
from jiceng.core.models import AuditLog, AuditVerification

pytestmark = pytest.mark.django_db
LIST = "/admin/core/auditlog/"
VERIFY = "/admin/core/auditlog/verify/"
EXPORT = "/admin/core/auditlog/export/"


# --- every action the code writes has a name ----------------------------------------------------

SRC = Path(jiceng.__file__).parent


def _name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _action_arg(node: ast.AST, writers: dict[str, tuple[str, int | None]]) -> ast.expr | None:
    """The expression a call to an audit writer passes as the action (None for any other call)."""
    if not isinstance(node, ast.Call) or _name(node) not in writers:
        return None
    keyword, index = writers[_name(node)]
    for kw in node.keywords:
        if kw.arg == keyword:
            return kw.value
    return node.args[index] if index is not None and len(node.args) > index else None


def _functions(tree: ast.AST):
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _params(fn) -> tuple[list[str], list[str]]:
    positional = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    return (positional[1:] if positional[:1] == ["self"] else positional), [a.arg for a in fn.args.kwonlyargs]


def _constants(tree: ast.Module) -> dict[str, str]:
    return {node.targets[0].id: node.value.value for node in tree.body
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}


def _export_kinds(trees) -> set[str]:
    """The kinds passed to ``export_create`` and ``Transfer`` (its ``export.<kind>`` record)."""
    kinds = set()
    for _path, tree in trees:
        constants = _constants(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node) in ("export_create", "Transfer"):
                for kw in node.keywords:
                    if kw.arg == "kind" and isinstance(kw.value, ast.Constant):
                        kinds.add(kw.value.value)
                    elif kw.arg == "kind" and isinstance(kw.value, ast.Name) and kw.value.id in constants:
                        kinds.add(constants[kw.value.id])
    return kinds


def written_actions() -> tuple[set[str], list[str]]:
    """Every action code the source writes, and the places whose action the scan cannot tell.

    A write is a call to ``audit_record`` or ``AuditEntry``, or to a function that hands one of its
    parameters on as the action (engagement's ``audit(actor, "wish.post", …)``). An f-string action
    is expanded from the table it comes from (a workflow's transitions, a choice's values)."""
    from jiceng.assessment.workflow import TRANSITIONS as PERIOD_TRANSITIONS
    from jiceng.engagement.choices import EntryKind
    from jiceng.events.workflow import TRANSITIONS as EVENT_TRANSITIONS

    trees = [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(SRC.rglob("*.py"))
             if "migrations" not in p.parts]
    writers: dict[str, tuple[str, int | None]] = {"audit_record": ("action", None), "AuditEntry": ("action", 1)}
    passing_on: set[tuple[str, str]] = set()  # (function, parameter) that is handed on as the action
    found = True
    while found:
        found = False
        for _path, tree in trees:
            for fn in _functions(tree):
                positional, keyword_only = _params(fn)
                for node in ast.walk(fn):
                    value = _action_arg(node, writers)
                    if isinstance(value, ast.Name) and value.id in positional + keyword_only:
                        passing_on.add((fn.name, value.id))
                        if fn.name not in writers:
                            index = positional.index(value.id) if value.id in positional else None
                            writers[fn.name] = (value.id, index)
                            found = True
    dynamic = {
        "event.": set(EVENT_TRANSITIONS),
        "assessment.period_": set(PERIOD_TRANSITIONS),
        "points.": set(EntryKind.values),
        "export.": _export_kinds(trees),
    }
    codes: set[str] = set()
    unread: list[str] = []
    for path, tree in trees:
        inside = {node: fn.name for fn in _functions(tree) for node in ast.walk(fn)}  # innermost wins
        for node in ast.walk(tree):
            value = _action_arg(node, writers)
            if value is None:
                continue
            where = f"{path.relative_to(SRC)}:{node.lineno}"
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                codes.add(value.value)
            elif (isinstance(value, ast.JoinedStr) and len(value.values) == 2
                  and isinstance(value.values[0], ast.Constant) and value.values[0].value in dynamic):
                prefix = value.values[0].value
                codes |= {prefix + suffix for suffix in dynamic[prefix]}
            elif not (isinstance(value, ast.Name) and (inside.get(node), value.id) in passing_on):
                unread.append(f"{where}: {ast.unparse(value)}")
    return codes, unread


def test_every_action_the_code_writes_has_a_name():
    """Adding an audited write with a new action code means naming it in the app's apps.py
    (``AUDIT_ACTIONS``); an f-string action needs its table in ``written_actions``."""
    codes, unread = written_actions()
    assert unread == []
    # the scan finds literal, wrapped and f-string actions alike
    assert {"region.create", "wish.post", "event.dispatch", "event.warn", "assessment.period_open_scoring",
            "points.award", "export.residents", "export.event_categories", "audit.export", "audit.verify"} <= codes
    assert sorted(code for code in codes if code not in audit_action_labels()) == []


def test_an_action_is_named_from_its_apps_table_and_an_unknown_one_by_its_code():
    assert audit_action_label("event.dispatch") == "派遣"  # the workflow table's own label
    assert audit_action_label("assessment.period_publish") == "考核期：公布"
    assert audit_action_label("points.award") == "积分奖励"
    assert audit_action_label("region.create") == "新建区域"
    assert audit_action_label("nobody.knows") == "nobody.knows"


# --- the list and the record ----------------------------------------------------------------------


def test_the_list_and_the_record_name_the_action_and_keep_its_code(county, login):
    audit_record(actor=county.alice, action="event.dispatch", object_type="events.event", object_id="1")
    audit_record(actor=county.alice, action="nobody.knows")
    client = login(county.auditor)
    page = client.get(LIST).content.decode()
    assert '<td class="field-action_label">派遣（event.<wbr>dispatch）</td>' in page
    assert '<td class="field-action_label">新建区域（region.<wbr>create）</td>' in page
    assert '<td class="field-action_label">nobody.<wbr>knows</td>' in page
    entry = AuditLog.objects.get(action="event.dispatch")
    detail = client.get(f"{LIST}{entry.pk}/change/").content.decode()
    assert "派遣（event.dispatch）" in detail


def test_the_action_filter_offers_names_and_filters_by_code(county, login):
    audit_record(actor=county.alice, action="event.dispatch")
    client = login(county.auditor)
    page = client.get(LIST).content.decode()
    assert '<option value="event.dispatch">派遣</option>' in page
    filtered = client.get(LIST, {"action": "event.dispatch"}).content.decode()
    assert "派遣（event.<wbr>dispatch）" in filtered and "新建区域（region.<wbr>create）" not in filtered
    assert '<option value="event.dispatch" selected>派遣</option>' in filtered


def _action_filter(page: str) -> str:
    return page[page.index('<form method="get" class="jiceng-select-filter">'):page.index("</form>", page.index(
        'class="jiceng-select-filter"'))]


def test_the_action_filter_is_one_dropdown_by_domain_that_keeps_the_other_filters(county, login):
    """~150 actions as links pushed 角色 and 渠道 off the screen: one <select>, grouped by the app that
    writes the actions, in a GET form (no script) that carries the list's other parameters."""
    client = login(county.auditor)
    page = client.get(LIST, {"actor_role": "system_admin", "q": "区", "o": "-1", "p": "2"}).content.decode()
    form = _action_filter(page)
    assert form.count("<select") == 1 and '<select name="action" id="jiceng-filter-action">' in form
    assert '<option value="" selected>全部</option>' in form
    assert '<input type="submit" value="筛选">' in form and "<script" not in form
    # the other filters, the search and the order go with it; the page does not (a new filter starts at 1)
    for name, value in (("actor_role", "system_admin"), ("q", "区"), ("o", "-1")):
        assert f'<input type="hidden" name="{name}" value="{value}">' in form
    assert 'name="p"' not in form and 'name="action" value' not in form
    groups = re.findall(r'<optgroup label="([^"]+)">', form)
    assert groups == ["系统核心", "区域与网格", "人员", "账号安全", "考核", "网格事件", "群众参与"]  # the apps, in order
    events = form[form.index('<optgroup label="网格事件">'):]
    events = events[:events.index("</optgroup>")]
    assert '<option value="event.dispatch">派遣</option>' in events
    assert '<option value="event_category.create">新建事项分类</option>' in events
    assert form.count("<option") == len(audit_action_labels()) + 1
    assert 'href="?action=' not in page  # no link per action any more
    # the roles' and channels' links are still there
    assert 'href="?actor_role=audit_admin&amp;o=-1&amp;q=%E5%8C%BA"' in page
    assert 'href="?actor_role=system_admin&amp;channel=api&amp;o=-1&amp;q=%E5%8C%BA"' in page


def test_choosing_all_in_the_dropdown_leaves_the_other_filters_and_drops_the_action(county, login):
    response = login(county.auditor).get(LIST, {"action": "", "channel": "api", "q": "x"})
    assert response.status_code == 302 and response["Location"] == f"{LIST}?channel=api&q=x"
    response = login(county.auditor).get(LIST, {"action": ""})
    assert response.status_code == 302 and response["Location"] == LIST


def test_an_unnamed_code_in_the_address_is_shown_chosen_in_the_dropdown(county, login):
    audit_record(actor=county.alice, action="nobody.knows")
    page = login(county.auditor).get(LIST, {"action": "nobody.knows"}).content.decode()
    form = _action_filter(page)
    assert '<optgroup label="其他">' in form and '<option value="nobody.knows" selected>nobody.knows</option>' in form
    assert '<td class="field-action_label">nobody.<wbr>knows</td>' in page


def test_every_named_action_falls_in_the_group_of_an_app():
    from jiceng.core.admin import action_groups

    groups = action_groups()
    assert "其他" not in [name for name, _codes in groups]
    codes = [code for _name, group in groups for code in group]
    assert sorted(codes) == sorted(audit_action_labels())  # each once
    by_group = dict(groups)
    assert {"event.dispatch", "event.warn", "event_category.load", "export.event_cases"} <= set(by_group["网格事件"])
    assert {"assessment.period_publish", "export.assessment_ranking"} <= set(by_group["考核"])
    assert {"points.award", "points.rule_create", "wish.post"} <= set(by_group["群众参与"])
    assert {"login.failed", "totp.reset", "backup.create"} <= set(by_group["账号安全"])
    assert {"audit.export", "audit.verify", "export.download"} <= set(by_group["系统核心"])


def test_the_list_fits_its_columns_without_the_navigation_column_and_counts_nothing_per_filter(county, login):
    """At 1366 px the admin's navigation column left 角色 a character wide and cut off 来源IP and 渠道:
    the list drops it (the breadcrumbs stay) and brings its own CSS; ``_facets`` would count the whole
    log once per filter choice, so the list never offers it."""
    client = login(county.auditor)
    page = client.get(LIST).content.decode()
    assert 'href="/static/core/auditlog.css"' in page
    assert 'id="nav-sidebar"' not in page and 'class="breadcrumbs"' in page
    assert "_facets" not in page
    faceted = client.get(LIST, {"_facets": "1"}).content.decode()
    assert "系统管理员 (" not in faceted
    css = (SRC / "static" / "core" / "auditlog.css").read_text(encoding="utf-8")
    for column in ("at_local", "role_label", "channel_label"):
        assert f".field-{column}" in css


def test_the_channel_filter_offers_the_fixed_channels_and_filters_by_them(county, login):
    from jiceng.core import context

    tokens = context.set_request_context(ip="10.0.0.9", channel="api")
    try:
        audit_record(actor=county.alice, action="event.dispatch", object_type="events.event", object_id="1")
    finally:
        context.reset_request_context(tokens)
    client = login(county.auditor)
    page = client.get(LIST).content.decode()
    for value, label in (("web", "页面"), ("api", "接口"), ("system", "系统（后台任务、命令）")):
        assert f'href="?channel={value}"' in page and f"{label}</a>" in page
    api_only = client.get(LIST, {"channel": "api"}).content.decode()
    assert "派遣（event.<wbr>dispatch）" in api_only and "新建区域（region.<wbr>create）" not in api_only
    assert '<td class="field-channel_label">接口</td>' in api_only  # the column names the channel too
    system = client.get(LIST, {"channel": "system"}).content.decode()
    assert "新建区域（region.<wbr>create）" in system and '<td class="field-channel_label">系统</td>' in system
    assert '<td class="field-channel_label">system</td>' not in page + system


def test_the_record_is_titled_and_names_its_codes_beside_them(county, login):
    from jiceng.core import context

    tokens = context.set_request_context(ip="10.0.0.9", channel="web")
    try:
        entry = audit_record(actor=county.county_staff, action="event.dispatch", object_type="events.event",
                             object_id="7", object_repr="楼道堆物")
    finally:
        context.reset_request_context(tokens)
    at = f"{timezone.localtime(entry.at):%Y-%m-%d %H:%M:%S}"
    assert str(entry) == f"{at} · county · 派遣 · 楼道堆物"  # local time, who, the action by name, the object
    page = login(county.auditor).get(f"{LIST}{entry.pk}/change/").content.decode()
    assert f"<h2>{at} · county · 派遣 · 楼道堆物</h2>" in page

    def shown(label: str) -> str:
        return re.search(rf"<label>{label}：</label>\s*<div class=\"readonly\">([^<]*)</div>", page).group(1)

    assert shown("时间") == at  # to the second, local
    assert shown("角色") == "区县工作人员（county_staff）"
    assert shown("操作") == "派遣（event.dispatch）"
    assert shown("对象类型") == "事件（events.event）"
    assert shown("渠道") == "页面（web）"
    assert (shown("操作人"), shown("对象ID"), shown("来源IP")) == ("county", "7", "10.0.0.9")


def test_a_system_record_and_the_audit_admins_own_are_named_too(county, login):
    client = login(county.auditor)
    read_csv(client.get(EXPORT))
    export = AuditLog.objects.get(action="audit.export")
    page = client.get(f"{LIST}{export.pk}/change/").content.decode()
    assert "审计记录（audit）" in page and "安全审计员（audit_admin）" in page and "页面（web）" in page
    assert '<td class="field-object_label">审计记录</td>' in client.get(LIST).content.decode()
    system = audit_record(actor=None, action="login.throttle", object_type="ip", object_id="10.0.0.9",
                          object_repr="10.0.0.9")
    page = client.get(f"{LIST}{system.pk}/change/").content.decode()
    assert "来源IP（ip）" in page and "系统（system）" in page and "登录地址受限（login.throttle）" in page
    assert re.search(r'<label>角色：</label>\s*<div class="readonly">—</div>', page)  # no role: no code either
    assert str(system).endswith(" · system · 登录地址受限 · 10.0.0.9")


def object_types_written() -> set[str]:
    """Every literal ``object_type="…"`` the source passes to a call (audit_record, AuditEntry …)."""
    found = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "object_type" and isinstance(kw.value, ast.Constant) and kw.value.value:
                        found.add(kw.value.value)
    return found


def test_every_object_type_the_code_writes_has_a_name():
    """A record's object is a model (named by its verbose name) or one of the types that name no
    table (audit_review.OBJECT_TYPE_LABELS): a new one needs its name there."""
    written = object_types_written()
    assert {"audit", "backup", "crypto", "demo", "export", "ip", "people.user"} <= written
    assert sorted(code for code in written if audit_review.object_type_label(code) == code) == []
    assert audit_review.object_type_label("nobody.knows") == "nobody.knows"


def test_the_list_links_to_the_check_and_to_the_export_of_what_it_shows(county, login):
    page = login(county.auditor).get(LIST, {"action": "region.create"}).content.decode()
    assert f'href="{VERIFY}"' in page and "校验完整性" in page
    assert f'href="{EXPORT}?action=region.create"' in page and "导出 CSV" in page


# --- checking the chain ---------------------------------------------------------------------------


def check(client, django_capture_on_commit_callbacks) -> tuple[AuditVerification, str]:
    """Ask for a check as the auditor does (the background work runs at commit) and read its page."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(VERIFY)
    run = AuditVerification.objects.order_by("-pk").first()
    assert response.status_code == 302 and response["Location"] == f"{VERIFY}{run.pk}/"
    return run, client.get(response["Location"]).content.decode()


def test_an_intact_chain_is_reported_intact_with_who_asked_and_when(county, login, django_capture_on_commit_callbacks):
    client = login(county.auditor)
    before = AuditLog.objects.count()
    run, page = check(client, django_capture_on_commit_callbacks)
    asked = AuditLog.objects.get(action="audit.verify")
    assert (asked.actor_name, asked.actor_role, asked.object_type, asked.object_id) == (
        "auditor", "audit_admin", "core.auditverification", str(run.pk))
    run.refresh_from_db()
    # the check covers everything up to its own record, which is the last
    assert (run.status, run.up_to, run.checked, run.problem_count) == (VerificationStatus.INTACT, asked.pk,
                                                                       before + 1, 0)
    assert f"审计链完整：从第一条至记录 {asked.pk}，共校验 {before + 1} 条，没有发现问题。" in page
    assert "auditor" in page and f"{timezone.localtime(run.requested_at):%Y-%m-%d %H:%M:%S}" in page
    history = client.get(VERIFY).content.decode()
    assert f'href="{VERIFY}{run.pk}/"' in history and "完整" in history


def test_a_record_altered_in_the_database_is_named_by_its_id(county, login, django_capture_on_commit_callbacks):
    ids = list(AuditLog.objects.order_by("id").values_list("id", flat=True))
    middle = ids[5]
    cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cur:  # maintenance is on in the suite: the trigger lets it through
        cur.execute(f"UPDATE core_auditlog SET changes = {cast} WHERE id = %s",  # noqa: S608
                    [json.dumps({"name": ["甲", "乙"]}), middle])
    run, page = check(login(county.auditor), django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert (run.status, run.problem_count, run.problems) == (VerificationStatus.BROKEN, 1,
                                                             [{"id": middle, "kind": "content"}])
    assert "审计链不完整" in page and "发现 1 个问题" in page
    assert f'<a href="{LIST}{middle}/change/">{middle}</a>' in page
    assert f"记录 {middle} 内容与哈希不符（已被篡改）" in page


def test_records_cut_off_the_end_are_found_by_the_next_check(county, login, django_capture_on_commit_callbacks):
    client = login(county.auditor)
    first, _page = check(client, django_capture_on_commit_callbacks)
    audit_record(actor=county.alice, action="test.later")
    last_kept = AuditLog.objects.filter(id__lt=first.up_to).order_by("-id").first()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditlog WHERE id > %s", [last_kept.pk])
    second, page = check(client, django_capture_on_commit_callbacks)
    second.refresh_from_db()
    # the links alone look fine (the new request chains to what is left); the first check's end is gone
    assert second.problems == [{"id": first.up_to, "kind": "missing"}]
    assert f"记录 {first.up_to}（上次校验到的最后一条）已不存在或已改动（末尾的记录被删除）" in page


def test_the_check_walks_in_batches_and_keeps_its_progress(county):
    entry = audit_record(actor=county.auditor, action="audit.verify")
    run = AuditVerification.objects.create(requested_by=county.auditor, requested_at=entry.at, up_to=entry.pk,
                                           up_to_hash=entry.hash)
    audit_record(actor=county.alice, action="test.after")  # after the check's end: not walked
    done = audit_review.audit_verification_run(pk=run.pk, batch=3)
    run.refresh_from_db()
    expected = AuditLog.objects.filter(id__lte=entry.pk).count()
    assert (done.status, run.status, run.checked, run.last_id) == (VerificationStatus.INTACT,
                                                                   VerificationStatus.INTACT, expected, entry.pk)
    assert audit_review.audit_verification_run(pk=run.pk) is None  # taken once only


def test_a_second_check_waits_for_the_one_under_way_unless_it_died(county, login):
    client = login(county.auditor)
    client.post(VERIFY)  # queued: its work waits for the commit, which the test never makes
    first = AuditVerification.objects.get()
    response = client.post(VERIFY, follow=True)
    assert "已有一次校验正在进行" in response.content.decode()
    assert AuditVerification.objects.count() == 1
    assert not AuditLog.objects.filter(action="audit.verify").exclude(object_id=str(first.pk)).exists()
    with time_machine.travel(timezone.now() + AuditVerification.STALE_AFTER + timedelta(minutes=1)):
        login(county.auditor)
        assert client.post(VERIFY).status_code == 302
    assert AuditVerification.objects.count() == 2
    first.refresh_from_db()
    assert first.status == VerificationStatus.FAILED  # its worker died: the history says so
    assert "校验未能完成" in client.get(f"{VERIFY}{first.pk}/").content.decode()


def test_a_check_that_does_not_exist_is_a_404(county, login):
    assert login(county.auditor).get(f"{VERIFY}999/").status_code == 404


def test_a_check_the_database_interrupts_says_so(county, monkeypatch):
    from jiceng.core.tasks import verify_audit_chain_task

    entry = audit_record(actor=county.auditor, action="audit.verify")
    run = AuditVerification.objects.create(requested_by=county.auditor, requested_at=entry.at, up_to=entry.pk,
                                           up_to_hash=entry.hash)

    def gone(**kwargs):
        raise DatabaseError("connection lost")
        yield

    monkeypatch.setattr(audit_review, "chain_problems", gone)
    verify_audit_chain_task.delay(run.pk)
    run.refresh_from_db()
    assert run.status == VerificationStatus.FAILED and run.finished_at is not None


# --- exporting --------------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_export_holds_the_listed_records_with_their_hashes_and_is_audited(county, login):
    audit_record(actor=county.alice, action="event.dispatch", object_repr="=HYPERLINK(\"http://x\")",
                 changes={"note": ["", "到场"]})
    response = login(county.auditor).get(EXPORT, {"action": "event.dispatch"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    rows = read_csv(response)
    entry = AuditLog.objects.get(action="event.dispatch")
    assert len(rows) == 1
    row = rows[0]
    assert list(row) == audit_review.CSV_COLUMNS
    assert (row["序号"], row["操作人"], row["角色"], row["操作"], row["操作名称"]) == (
        str(entry.pk), "alice", "community_staff", "event.dispatch", "派遣")
    # each code with its name beside it
    assert (row["角色名称"], row["对象类型"], row["对象类型名称"], row["渠道"], row["渠道名称"]) == (
        "社区/村工作人员", "", "", "system", "系统")
    assert row["时间"] == f"{timezone.localtime(entry.at):%Y-%m-%d %H:%M:%S}"
    assert row["对象"] == "'=HYPERLINK(\"http://x\")"  # never a formula in a spreadsheet
    assert json.loads(row["变更"]) == {"note": ["", "到场"]}
    assert (row["前序哈希"], row["哈希"]) == (entry.prev_hash, entry.hash)
    # the file alone proves the record: its hashed text gives its hash and names the previous one
    assert hashlib.sha256(row["哈希原文"].encode("utf-8")).hexdigest() == entry.hash
    assert json.loads(row["哈希原文"])["object_repr"] == "=HYPERLINK(\"http://x\")"
    export = AuditLog.objects.get(action="audit.export")
    assert (export.actor_name, export.actor_role, export.channel) == ("auditor", "audit_admin", "web")
    last_before = AuditLog.objects.filter(id__lt=export.pk).order_by("-id").values_list("id", flat=True).first()
    assert export.changes == {"format": "csv", "filters": {"action": "event.dispatch"}, "up_to": last_before,
                              "rows": 1}


def test_the_export_names_roles_types_and_channels_beside_their_codes_and_hashes_the_codes(county, login):
    from jiceng.core import context

    tokens = context.set_request_context(ip="10.0.0.9", channel="api")
    try:
        entry = audit_record(actor=county.county_staff, action="event.dispatch", object_type="events.event",
                             object_id="3")
    finally:
        context.reset_request_context(tokens)
    columns = audit_review.CSV_COLUMNS
    for code, name in (("角色", "角色名称"), ("操作", "操作名称"), ("对象类型", "对象类型名称"), ("渠道", "渠道名称")):
        assert columns.index(name) == columns.index(code) + 1
    [row] = read_csv(login(county.auditor).get(EXPORT, {"action": "event.dispatch"}))
    assert (row["角色"], row["角色名称"], row["对象类型"], row["对象类型名称"], row["渠道"], row["渠道名称"]) == (
        "county_staff", "区县工作人员", "events.event", "事件", "api", "接口")
    # the hashed text keeps the codes, exactly as hashed
    assert hashlib.sha256(row["哈希原文"].encode("utf-8")).hexdigest() == entry.hash
    hashed = json.loads(row["哈希原文"])
    assert (hashed["actor_role"], hashed["object_type"], hashed["channel"]) == ("county_staff", "events.event", "api")


def test_an_unfiltered_export_is_the_chain_in_order_and_ends_before_its_own_record(county, login):
    rows = read_csv(login(county.auditor).get(EXPORT))
    export = AuditLog.objects.get(action="audit.export")
    assert [int(r["序号"]) for r in rows] == list(AuditLog.objects.filter(id__lt=export.pk).order_by("id")
                                                   .values_list("id", flat=True))
    previous = GENESIS
    for r in rows:
        assert r["前序哈希"] == previous and hashlib.sha256(r["哈希原文"].encode()).hexdigest() == r["哈希"]
        previous = r["哈希"]
    assert export.changes["rows"] == len(rows) and export.changes["filters"] == {}


def test_the_export_follows_the_search_and_the_dates(county, login):
    audit_record(actor=county.alice, action="test.found", object_repr="needle")
    client = login(county.auditor)
    assert [r["对象"] for r in read_csv(client.get(EXPORT, {"q": "needle"}))] == ["needle"]
    today = timezone.localdate()
    dated = read_csv(client.get(EXPORT, {"at__year": today.year, "at__month": today.month, "at__day": today.day}))
    assert "needle" in [r["对象"] for r in dated]
    assert read_csv(client.get(EXPORT, {"at__year": today.year - 1})) == []


@pytest.mark.parametrize("who", ["secadmin", "sysadmin"])
def test_the_other_admins_may_neither_check_nor_export(county, login, who):
    client = login(getattr(county, who))
    before = AuditLog.objects.order_by("-id").values_list("id", flat=True).first()
    run = AuditVerification.objects.create(requested_by=county.auditor, requested_at=timezone.now(), up_to=1)
    assert client.get(VERIFY).status_code == 403
    assert client.post(VERIFY).status_code == 403
    assert client.get(f"{VERIFY}{run.pk}/").status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert AuditVerification.objects.count() == 1
    # nothing written but the four refusals themselves (security events)
    assert list(AuditLog.objects.filter(pk__gt=before).order_by("id").values_list("action", "object_repr")) == [
        ("access.denied", f"GET {VERIFY}"), ("access.denied", f"POST {VERIFY}"),
        ("access.denied", f"GET {VERIFY}{run.pk}/"), ("access.denied", f"GET {EXPORT}")]


def test_staff_are_sent_to_the_admin_login(county, login):
    client = login(county.alice)
    for url in (VERIFY, EXPORT):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert not AuditLog.objects.filter(action__in=("audit.export", "audit.verify")).exists()


def test_only_the_audit_admin_passes_the_services_check(county):
    audit_review.audit_review_check(county.auditor)
    for user in (county.secadmin, county.sysadmin, county.alice, None):
        with pytest.raises(audit_review.PermissionDeniedError):
            audit_review.audit_review_check(user)
    county.auditor.is_active = False
    with pytest.raises(audit_review.PermissionDeniedError):
        audit_review.audit_review_check(county.auditor)


# --- who, what changed, in English ---------------------------------------------------------------


def _named_staff(county):
    """county (张芳婷) and a second named account that is then deleted: its records keep its username."""
    from jiceng.people.models import User

    county.county_staff.full_name = "张芳婷"
    county.county_staff.save(update_fields=["full_name"])
    gone = User.objects.create(username="gone", full_name="李四", role="county_staff", region=county.county_staff.region)
    audit_record(actor=county.county_staff, action="event.dispatch", object_type="events.event", object_id="1")
    audit_record(actor=gone, action="event.dispatch", object_type="events.event", object_id="2")
    audit_record(actor=None, action="login.throttle", object_type="ip", object_id="10.0.0.9")
    gone.delete()


def _user_lookups(queries) -> int:
    """The queries that read accounts' names by id (a page's or a batch's lookup)."""
    return sum(1 for q in queries if "full_name" in q["sql"] and " IN (" in q["sql"])


def test_the_list_names_each_account_beside_its_username_by_one_query_a_page(county, login):
    from django.test.utils import CaptureQueriesContext

    _named_staff(county)
    audit_record(actor=county.alice, action="event.dispatch", object_type="events.event", object_id="3")
    client = login(county.auditor)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(LIST).content.decode()
    assert '<td class="field-actor_label">张芳婷（county）</td>' in page
    assert '<td class="field-actor_label">gone</td>' in page  # deleted: the username the record keeps
    assert '<td class="field-actor_label">system</td>' in page
    assert '<td class="field-actor_label">alice</td>' in page  # no name other than the username: once
    assert _user_lookups(queries.captured_queries) == 1  # one lookup for the page's records
    many = len(queries.captured_queries)
    with CaptureQueriesContext(connection) as queries:
        assert "gone" in client.get(LIST, {"q": "gone"}).content.decode()  # one record, one actor: as many
    assert len(queries.captured_queries) == many + 1  # and the search for accounts named so


def test_the_record_names_its_account_beside_its_username(county, login):
    _named_staff(county)
    client = login(county.auditor)
    for object_id, who in (("1", "张芳婷（county）"), ("2", "gone")):
        entry = AuditLog.objects.get(action="event.dispatch", object_id=object_id)
        page = client.get(f"{LIST}{entry.pk}/change/").content.decode()
        assert re.search(rf'<label>操作人：</label>\s*<div class="readonly">{who}</div>', page)


def test_the_export_names_each_account_and_keeps_the_hashed_text(county, login):
    from django.test.utils import CaptureQueriesContext

    _named_staff(county)
    client = login(county.auditor)
    columns = audit_review.CSV_COLUMNS
    assert columns.index("操作人姓名") == columns.index("操作人") + 1
    with CaptureQueriesContext(connection) as queries:
        rows = read_csv(client.get(EXPORT, {"action": "event.dispatch"}))
    assert [(r["操作人"], r["操作人姓名"]) for r in rows] == [("county", "张芳婷"), ("gone", "")]
    for r in rows:  # the name is read now, beside the record: the hashed text is as hashed
        entry = AuditLog.objects.get(pk=r["序号"])
        assert r["哈希原文"] == entry_payload(entry)
        assert hashlib.sha256(r["哈希原文"].encode("utf-8")).hexdigest() == entry.hash
        assert json.loads(r["哈希原文"])["actor_name"] == r["操作人"]
    assert _user_lookups(queries.captured_queries) == 1  # one batch, one lookup


def _changes_table(page: str) -> list[list[str]]:
    table = page[page.index('<table class="jiceng-changes">'):page.index("</table>", page.index("jiceng-changes"))]
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]


def test_the_record_shows_its_changes_as_a_table_with_the_raw_json_beneath(county, login):

    entry = audit_record(actor=county.secadmin, action="user.set_role", obj=county.alice, changes={
        "role": ["community_staff", "county_staff"], "password": ["***", "***"], "is_active": [True, False],
        "grids": [[3, 1], None], "reason": "locked", "fields": ["id_number", "phone"],
        "filters": {"action": "event.dispatch"}, "nobody": ["", "x"]})
    page = login(county.auditor).get(f"{LIST}{entry.pk}/change/").content.decode()
    assert _changes_table(page) == [
        ["字段", "变更前", "变更后"],  # rows by key, on SQLite and PostgreSQL alike (jsonb keeps no order)
        ["fields", '["id_number", "phone"]'],  # a list of items, however long
        ["filters", '{"action": "event.dispatch"}'],
        ["grids", "[3, 1]", "—"],  # no field of that name on an account: the key
        ["有效（is_active）", "是", "否"],
        ["nobody", "", "x"],
        ["密码（password）", "***", "***"],  # a secret stays unshown
        ["reason", "locked"],  # one value, not a pair
        ["角色（role）", "社区/村工作人员（community_staff）", "区县工作人员（county_staff）"],
    ]
    raw = page[page.index('<details class="jiceng-raw">'):page.index("</details>", page.index("jiceng-raw"))]
    assert "<summary>原始数据</summary>" in raw
    assert json.loads(html.unescape(raw[raw.index("<pre>") + 5:raw.index("</pre>")])) == entry.changes


def test_a_record_without_a_model_names_its_keys_and_one_without_changes_shows_a_dash(county, login):
    client = login(county.auditor)
    read_csv(client.get(EXPORT, {"action": "nobody.knows"}))
    export = AuditLog.objects.get(action="audit.export")
    rows = _changes_table(client.get(f"{LIST}{export.pk}/change/").content.decode())
    assert ["filters", '{"action": "nobody.knows"}'] in rows and ["rows", "0"] in rows
    bare = audit_record(actor=county.alice, action="logout")
    page = client.get(f"{LIST}{bare.pk}/change/").content.decode()
    assert "jiceng-changes" not in page
    assert re.search(r'<label>变更：</label>\s*<div class="readonly">\s*—\s*</div>', page)


def test_a_record_has_no_history(county, login):
    entry = audit_record(actor=county.alice, action="event.dispatch")
    client = login(county.auditor)
    page = client.get(f"{LIST}{entry.pk}/change/").content.decode()
    assert "historylink" not in page and f"{LIST}{entry.pk}/history/" not in page
    assert client.get(f"{LIST}{entry.pk}/history/").status_code == 404


@pytest.fixture
def english():
    """English with the strings this walk-through added translated as suggested (until django.po
    has them: set, then removed)."""
    from django.utils import translation
    from django.utils.translation import trans_real

    added = {"%(label)s（%(code)s）": "%(label)s (%(code)s)", "%(full_name)s（%(username)s）": "%(full_name)s (%(username)s)",
             "积分%(kind)s": "Points: %(kind)s", "后台管理": "Administration"}
    catalog = trans_real.translation("en")._catalog
    missing = {msgid: text for msgid, text in added.items() if msgid not in catalog}
    for msgid, text in missing.items():
        catalog[msgid] = text
    with translation.override("en"):
        yield
    for msgid in missing:
        del catalog._catalogs[0][msgid]


def test_in_english_a_name_and_its_code_read_as_english(county, english):
    from jiceng.core.admin_site import JicengAdminSite

    assert audit_review.with_code("Dispatch", "event.dispatch") == "Dispatch (event.dispatch)"
    assert audit_review.actor_label("county", "Zhang Fangting") == "Zhang Fangting (county)"
    assert audit_action_label("points.award") == "Points: Reward"
    assert audit_action_label("points.cancel_redeem").startswith("Points: ")
    assert str(JicengAdminSite.site_header) == "Jiceng 基层 · Administration"
    assert str(JicengAdminSite.index_title) == "Administration"


def test_in_chinese_the_names_keep_their_form(county):
    from jiceng.core.admin_site import JicengAdminSite

    assert audit_action_label("points.cancel_redeem") == "积分取消兑换"
    assert audit_review.actor_label("county", "张芳婷") == "张芳婷（county）"
    assert str(JicengAdminSite.site_header) == "Jiceng 基层 · 后台管理"


def test_the_search_box_finds_an_accounts_records_by_its_name(county, login):
    """The records keep the username; the auditor types the person's name."""
    county.bob.full_name = "王建国"
    county.bob.save(update_fields=["full_name"])
    audit_record(actor=county.bob, action="test.named", object_repr="by bob")
    audit_record(actor=county.alice, action="test.named", object_repr="by alice")
    client = login(county.auditor)
    page = client.get(LIST, {"q": "建国"}).content.decode()
    assert "by bob" in page and "by alice" not in page
    assert [r["对象"] for r in read_csv(client.get(EXPORT, {"q": "建国"}))] == ["by bob"]
    assert audit_review.actor_ids_named("  ") == []


def test_the_date_drill_down_offers_the_span_without_reading_every_record(county, login):
    """Years, then months, then days between the first and the last record listed — two reads of the
    time index, never a DISTINCT over the log (a province's year is tens of millions of records)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for moment in ("2025-12-30 10:00", "2026-01-02 10:00", "2026-02-15 10:00"):
        with time_machine.travel(timezone.make_aware(timezone.datetime.fromisoformat(moment)), tick=False):
            audit_record(actor=county.alice, action="test.dated", object_repr=f"dated {moment}")
    client = login(county.auditor)

    def links(**params) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(LIST, {"q": "dated", **params}).content.decode()
        assert not [q["sql"] for q in queries if "DISTINCT" in q["sql"].upper()]
        nav = re.search(r'<nav class="toplinks">(.*?)</nav>', page, re.S).group(1)
        return re.findall(r'href="\?([^"]+)"', html.unescape(nav))

    assert links() == ["at__year=2025&q=dated", "at__year=2026&q=dated"]
    assert links(at__year=2026) == ["q=dated", "at__month=1&at__year=2026&q=dated",
                                    "at__month=2&at__year=2026&q=dated"]
    assert links(at__year=2026, at__month=1) == ["at__year=2026&q=dated", "at__day=2&at__month=1&at__year=2026&q=dated"]
