"""The audit admin's review of the audit log from the back office: checking the hash chain and
exporting records, each audited; and the names shown for the codes a record keeps (role, record
type, channel, the account's name beside its username, the changed fields), in the back office and
in the export alike.

Only the audit admin (安全审计员) may do either, the rule ``jiceng audit_export`` applies too. A
chain of tens of millions of records takes minutes to walk, so a check is a row
(``AuditVerification``) that background work fills in (``core.tasks``; in the embedded mode
Celery runs it at once, inside the request). An export is streamed as CSV, batch by batch, so it
never holds the range in memory and has no row limit (an Excel sheet stops at 1,048,576 rows).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .audit import ChainProblem, audit_action_label, audit_record, chain_problems, entry_payload
from .choices import VerificationStatus
from .errors import ConflictError, NotFoundError, PermissionDeniedError
from .models import AuditLog, AuditVerification
from .scope import is_active_account

RECENT_RUNS = 20


def audit_review_check(actor) -> None:
    """Refuse everyone but an active audit admin."""
    from jiceng.people.choices import Role

    if not is_active_account(actor) or actor.role != Role.AUDIT_ADMIN:
        raise PermissionDeniedError(_("只有安全审计员可以校验和导出审计记录。"))


# --- checking the chain ---------------------------------------------------------------------------


def audit_verifications(*, actor) -> list[AuditVerification]:
    """The latest checks, newest first."""
    audit_review_check(actor)
    return list(AuditVerification.objects.select_related("requested_by")[:RECENT_RUNS])


def audit_verification_get(*, actor, pk: int) -> AuditVerification:
    audit_review_check(actor)
    run = AuditVerification.objects.select_related("requested_by").filter(pk=pk).first()
    if run is None:
        raise NotFoundError(_("没有这次校验。"))
    return run


def _under_way(now, *, other_than: int) -> AuditVerification | None:
    """Another check still queued or running that has moved (or been asked for) within
    ``AuditVerification.STALE_AFTER``; the ones that have not are marked failed (their worker died: the
    page says to ask again)."""
    return AuditVerification.first_under_way(
        AuditVerification.objects.exclude(pk=other_than).select_related("requested_by"), now=now,
        status=VerificationStatus.FAILED)


def audit_verification_start(*, actor) -> AuditVerification:
    """Ask for a check of the whole chain as it stands: up to this request's own audit record
    (``audit.verify``), which therefore is checked too. The background work is queued once the
    request is committed. Refused while another check is under way."""
    from .tasks import verify_audit_chain_task

    audit_review_check(actor)
    with transaction.atomic():
        now = timezone.now()
        run = AuditVerification.objects.create(requested_by=actor, requested_at=now, up_to=0)
        entry = audit_record(actor=actor, action="audit.verify", obj=run, object_repr=_("审计链校验"))
        # asked after writing, under the chain's lock: of two requests at once, the second sees the first
        running = _under_way(now, other_than=run.pk)
        if running is not None:
            raise ConflictError(_("已有一次校验正在进行（%(who)s 于 %(at)s 发起），请等它完成。") % {
                "who": running.requested_by.username, "at": f"{timezone.localtime(running.requested_at):%H:%M:%S}"})
        run.up_to, run.up_to_hash = entry.pk, entry.hash
        run.save(update_fields=["up_to", "up_to_hash"])
        transaction.on_commit(lambda: verify_audit_chain_task.delay(run.pk))
    return run


def audit_verify_now(*, batch: int = 5000) -> tuple[list[str], int]:
    """``jiceng audit_verify``: walk the whole chain at once, then record that it was checked and
    what was found (``audit.verify``, by the system: whoever has the server's shell ran it). Returns
    the problems and the number of records checked."""
    walked = {"checked": 0}

    def progress(_last_id: int, checked: int) -> None:
        walked["checked"] = checked

    problems = [str(p) for p in chain_problems(batch=batch, on_batch=progress)]
    audit_record(actor=None, action="audit.verify", object_type="audit", object_repr=_("审计链校验（命令行）"),
                 changes={"checked": walked["checked"], "problems": len(problems)})
    return problems, walked["checked"]


def _anchor_problem(run: AuditVerification) -> ChainProblem | None:
    """The record the previous finished check ended on must still be there, unchanged: the chain's
    links show a record deleted or altered before another, not the end of the log cut off."""
    previous = (AuditVerification.objects.filter(pk__lt=run.pk, up_to__lt=run.up_to, status__in=(
        VerificationStatus.INTACT, VerificationStatus.BROKEN)).order_by("-pk").first())
    if previous is None:
        return None
    found = AuditLog.objects.filter(pk=previous.up_to).values_list("hash", flat=True).first()
    return None if found == previous.up_to_hash else ChainProblem(previous.up_to, ChainProblem.MISSING)


def audit_verification_run(*, pk: int, batch: int = 5000) -> AuditVerification | None:
    """Walk the chain for a queued check and store what it finds (the background work). A check
    already taken by another worker is left alone (None)."""
    now = timezone.now()
    taken = AuditVerification.objects.filter(pk=pk, status=VerificationStatus.QUEUED).update(
        status=VerificationStatus.RUNNING, started_at=now, progress_at=now)
    if not taken:
        return None
    run = AuditVerification.objects.get(pk=pk)

    def progress(last_id: int, checked: int) -> None:
        AuditVerification.objects.filter(pk=pk).update(last_id=last_id, checked=checked, progress_at=timezone.now())
        run.last_id, run.checked = last_id, checked

    count, kept = 0, []
    anchor = _anchor_problem(run)
    for problem in _chain_with(anchor, chain_problems(up_to=run.up_to, batch=batch, on_batch=progress)):
        count += 1
        if len(kept) < AuditVerification.PROBLEMS_KEPT:
            kept.append(problem.as_dict())
    run.problem_count, run.problems = count, kept
    run.status = VerificationStatus.BROKEN if count else VerificationStatus.INTACT
    run.finished_at = timezone.now()
    run.save(update_fields=["problem_count", "problems", "status", "finished_at"])
    return run


def _chain_with(first: ChainProblem | None, rest: Iterator[ChainProblem]) -> Iterator[ChainProblem]:
    if first is not None:
        yield first
    yield from rest


def audit_verification_fail(*, pk: int) -> None:
    """Mark a check that could not finish (the database went away mid-walk)."""
    AuditVerification.objects.filter(pk=pk, status=VerificationStatus.RUNNING).update(
        status=VerificationStatus.FAILED, finished_at=timezone.now())


def problem_rows(run: AuditVerification) -> list[dict]:
    """The problems a check kept: the record's id, what is wrong, and whether the record is there to open."""
    return [{"id": p["id"], "text": str(ChainProblem(p["id"], p["kind"])), "exists": p["kind"] != ChainProblem.MISSING}
            for p in run.problems]


# --- what the codes a record keeps are called -----------------------------------------------------

# 渠道: the fixed set the request context writes (core.middleware; "system" outside a request).
CHANNEL_LABELS = {"web": gettext_lazy("页面"), "api": gettext_lazy("接口"), "system": gettext_lazy("系统")}
# 对象类型 that name no table (a record's object is otherwise a model, named by its verbose name).
OBJECT_TYPE_LABELS = {
    "audit": gettext_lazy("审计记录"),  # audit.export: the log itself
    "backup": gettext_lazy("数据库备份"),
    "crypto": gettext_lazy("加密密钥"),
    "demo": gettext_lazy("演示数据"),
    "export": gettext_lazy("导出文件"),
    "ip": gettext_lazy("来源IP"),  # login.throttle
    "url": gettext_lazy("请求地址"),  # access.denied: the method and path refused
}


@cache
def _role_names() -> dict:
    from jiceng.people.choices import Role

    return dict(Role.choices)  # lazy names: translated when shown


def role_label(code: str) -> str:
    """The role's name (系统管理员 …) for the code an audit record keeps; the code itself if unknown."""
    return str(_role_names().get(code, code)) if code else "—"


def object_type_label(code: str) -> str:
    """The record type's name (居民, 事件 …) for an audit record's ``app.model`` or one of the
    ``OBJECT_TYPE_LABELS``; the code itself if unknown."""
    if code in OBJECT_TYPE_LABELS:
        return str(OBJECT_TYPE_LABELS[code])
    try:
        return str(apps.get_model(code)._meta.verbose_name)
    except (LookupError, ValueError):
        return code or "—"


def channel_label(code: str) -> str:
    """页面, 接口 or 系统 for the channel an audit record keeps; the code itself if unknown."""
    label = CHANNEL_LABELS.get(code)
    return str(label) if label is not None else (code or "—")


def with_code(label: str, code: str) -> str:
    """A name with its code beside it (派遣（event.dispatch）; in English "Dispatch (event.dispatch)"),
    or the code alone where it has no name."""
    if label == code or not code:
        return label
    return _("%(label)s（%(code)s）") % {"label": label, "code": code}


# --- who did it -----------------------------------------------------------------------------------


NAMED_ACTORS_MAX = 200


def actor_ids_named(term: str) -> list[int]:
    """The accounts whose name (姓名) contains ``term``, for the audit list's search box: the records
    keep the username only, and an auditor looks for 张三, not zhangsan (at most ``NAMED_ACTORS_MAX``)."""
    term = term.strip()
    if not term:
        return []
    return list(get_user_model().objects.filter(full_name__icontains=term)
                .order_by("pk").values_list("pk", flat=True)[:NAMED_ACTORS_MAX])


def actor_full_names(actor_ids: Iterable[int | None]) -> dict[int, str]:
    """The accounts' names (姓名) by id, in one query, for the records of a page or a batch: a record
    keeps (and hashes) the username only. An account deleted since, or one without a name, is left
    out: its records show the username they keep."""
    ids = {pk for pk in actor_ids if pk is not None}
    if not ids:
        return {}
    return dict(get_user_model().objects.filter(pk__in=ids).exclude(full_name="").values_list("pk", "full_name"))


def with_actor_names(records: Iterable[AuditLog]) -> list[AuditLog]:
    """The records, each with ``actor_full_name`` (its account's name now, or ""), looked up at once."""
    records = list(records)
    names = actor_full_names(e.actor_id for e in records)
    for e in records:
        e.actor_full_name = names.get(e.actor_id, "")
    return records


def actor_label(username: str, full_name: str) -> str:
    """The account's name with the username the record keeps beside it (张芳婷（county）); the
    username alone where the account has no other name (or no longer exists)."""
    if not full_name or full_name == username:
        return username or "—"
    return _("%(full_name)s（%(username)s）") % {"full_name": full_name, "username": username}


# --- what changed ---------------------------------------------------------------------------------

# Keys whose value is a list of items, not a [before, after] pair (personal_info.reveal's fields,
# session.revoke's sessions): shown as one value whatever its length.
LIST_VALUED_KEYS = frozenset({"fields", "sessions"})


@dataclass(frozen=True)
class ChangeRow:
    """One key of a record's ``changes``: its name, and either the value before and after (a pair,
    as ``audit.diff`` writes) or one value (a count, a reason, the export's filters)."""

    field: str
    before: str
    after: str
    paired: bool


def _model_fields(object_type: str) -> dict:
    try:
        return {f.name: f for f in apps.get_model(object_type)._meta.get_fields() if hasattr(f, "verbose_name")}
    except (LookupError, ValueError):
        return {}


def _shown(value, field) -> str:
    """A value as text: "—" for none, 是/否, a choice's name beside its code (评分中（scoring）),
    "***" as it is (a secret, never recorded), lists and objects as compact JSON."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    choices = dict(field.flatchoices) if field is not None and getattr(field, "choices", None) else {}
    if isinstance(value, str) and value in choices:
        return with_code(str(choices[value]), value)
    return str(value)


def change_rows(entry: AuditLog) -> list[ChangeRow]:
    """A record's ``changes`` as rows to read: each key named by its field's verbose name where the
    record's object is a model that has the field (姓名（name）), else by the key; state codes by
    their names. The raw JSON stays the record (the page shows it too)."""
    changes = entry.changes if isinstance(entry.changes, dict) else {"": entry.changes}
    fields = _model_fields(entry.object_type) if entry.object_type else {}
    rows = []
    # by key: PostgreSQL's jsonb keeps no order of keys (SQLite's text does), and the page must read the
    # same on both (the hash is taken over sorted keys too)
    for key, value in sorted(changes.items()):
        field = fields.get(key)
        label = with_code(str(field.verbose_name), key) if field is not None else key
        if isinstance(value, list) and len(value) == 2 and key not in LIST_VALUED_KEYS:
            rows.append(ChangeRow(label, _shown(value[0], field), _shown(value[1], field), paired=True))
        else:
            rows.append(ChangeRow(label, "", _shown(value, field), paired=False))
    return rows


# --- exporting records ----------------------------------------------------------------------------

# The columns of both exports of the log — the back office's CSV and ``jiceng audit_export``'s Excel — so
# that each code (account, role, action, object type, channel) comes with its name.
CSV_COLUMNS = ["序号", "时间", "操作人", "操作人姓名", "操作人ID", "角色", "角色名称", "操作", "操作名称", "对象类型",
               "对象类型名称", "对象ID", "对象", "变更", "来源IP", "渠道", "渠道名称", "前序哈希", "哈希", "哈希原文"]
EXPORT_WIDTHS = [10, 20, 14, 12, 10, 14, 16, 22, 24, 18, 16, 10, 24, 60, 16, 8, 10, 20, 20, 40]
TEXT_COLUMNS = frozenset({"操作人", "操作人姓名", "对象ID", "对象", "来源IP"})  # typed text, never a number
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object that hands back what csv.writer writes (for streaming)."""

    def write(self, value: str) -> str:
        return value


def _text(value) -> str | int | None:
    """A cell a spreadsheet can never run as a formula: text starting with = + - @ gets a leading
    apostrophe (the exact text is in 哈希原文, which starts with "{")."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _named(label, code: str) -> str:
    """A name column's cell: empty where the record keeps no code (a name column never says "—")."""
    return label(code) if code else ""


def export_row(e: AuditLog) -> list:
    """One record as the exports' columns (``CSV_COLUMNS``): its time in local time, every code beside
    its name, its hashes and hashed text. ``e`` comes from ``export_records`` (its account's name now)."""
    return [e.id, timezone.localtime(e.at).replace(tzinfo=None, microsecond=0), e.actor_name, e.actor_full_name,
            e.actor_id, e.actor_role, _named(role_label, e.actor_role), e.action, audit_action_label(e.action),
            e.object_type, _named(object_type_label, e.object_type), e.object_id, e.object_repr,
            json.dumps(e.changes, ensure_ascii=False, sort_keys=True), e.ip, e.channel,
            _named(channel_label, e.channel), e.prev_hash, e.hash, entry_payload(e)]


def export_records(records: QuerySet[AuditLog], batch: int = 2000) -> Iterator[list[AuditLog]]:
    """``records`` in the chain's order, ``batch`` at a time, each with its account's name now."""
    last_id = 0
    while True:
        rows = with_actor_names(records.filter(id__gt=last_id).order_by("id")[:batch])  # one query for the names
        if not rows:
            return
        yield rows
        last_id = rows[-1].id


def _csv_row(e: AuditLog) -> list:
    """``export_row`` for a CSV file: the time as text, and typed text that can never run as a formula."""
    row = export_row(e)
    row[1] = f"{row[1]:%Y-%m-%d %H:%M:%S}"
    return [_text(value) if CSV_COLUMNS[i] in TEXT_COLUMNS else value for i, value in enumerate(row)]


def _csv_lines(records: QuerySet[AuditLog], batch: int) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)  # the BOM: Excel and WPS then read UTF-8
    for rows in export_records(records, batch):
        yield "".join(writer.writerow(_csv_row(e)) for e in rows)


def audit_log_export_csv(*, actor, records: QuerySet[AuditLog], filters: dict, batch: int = 2000
                         ) -> tuple[Iterator[str], int]:
    """The records of the back office's list (``records``: its filters, search and dates applied),
    in the order of the chain, as CSV lines to stream, with each record's hashes and hashed text
    (and its account's name now, 操作人姓名, beside the username the record keeps); and how many.
    The export covers the log as it stands now (up to the last record), and is audited
    (``audit.export``: the filters, that last record, the row count) before a line is sent."""
    audit_review_check(actor)
    with transaction.atomic():
        head = AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
        records = records.filter(id__lte=head)
        count = records.count()
        audit_record(actor=actor, action="audit.export", object_type="audit", object_repr=_("审计记录导出（CSV）"),
                     changes={"format": "csv", "filters": filters, "up_to": head, "rows": count})
    return _csv_lines(records, batch), count
