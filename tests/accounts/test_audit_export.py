"""``jiceng audit_export``: the audit admin (and only they) exports a date range to Excel — the columns of
the back office's CSV export, each code beside its name — with the hashes, text that can never run as a
formula, and the export itself audited."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from jiceng.core import audit_review
from jiceng.core.audit import audit_record, entry_payload
from jiceng.core.models import AuditLog
from jiceng.people.choices import Role

pytestmark = pytest.mark.django_db
DAY1 = timezone.make_aware(timezone.datetime(2026, 3, 1, 23, 30))  # local (Asia/Shanghai) times


def test_the_audit_admin_exports_a_date_range(county, tmp_path):
    with time_machine.travel(DAY1, tick=False):
        audit_record(actor=county.alice, action="test.day1", object_repr="=HYPERLINK(\"http://x\")")
    with time_machine.travel(DAY1 + timedelta(hours=1), tick=False):  # 00:30 on 3 March
        audit_record(actor=county.alice, action="test.day2")
    with time_machine.travel(DAY1 + timedelta(days=2), tick=False):
        audit_record(actor=county.alice, action="test.day3")
    out = tmp_path / "audit.xlsx"
    call_command("audit_export", user="auditor", since="2026-03-01", until="2026-03-02", output=str(out))

    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert list(rows[0]) == audit_review.CSV_COLUMNS
    day1 = dict(zip(rows[0], rows[1], strict=True))
    assert [r[rows[0].index("操作")] for r in rows[1:]] == ["test.day1", "test.day2"]
    entry = AuditLog.objects.get(action="test.day1")
    assert day1["时间"] == timezone.datetime(2026, 3, 1, 23, 30)  # local time
    assert (day1["操作人"], day1["操作人姓名"], day1["角色"], day1["角色名称"]) == (
        "alice", county.alice.full_name, county.alice.role, str(Role(county.alice.role).label))
    assert (day1["前序哈希"], day1["哈希"], day1["哈希原文"]) == (entry.prev_hash, entry.hash, entry_payload(entry))
    assert day1["对象"] == "=HYPERLINK(\"http://x\")"  # kept as text
    export = AuditLog.objects.get(action="audit.export")
    assert export.actor_name == "auditor" and export.changes["rows"] == 2


def test_text_from_users_is_exported_as_text_never_a_formula_or_a_broken_file(county, tmp_path):
    audit_record(actor=county.alice, action="test", object_repr="=1+1")
    audit_record(actor=county.alice, action="test", object_repr="bell\x07here")  # illegal in xlsx XML
    out = tmp_path / "a.xlsx"
    today = timezone.localdate().isoformat()
    call_command("audit_export", user="auditor", since=today, until=today, output=str(out))
    cells = [c for row in load_workbook(out).active.iter_rows() for c in row]
    assert next(c for c in cells if c.value == "=1+1").data_type == "s"
    assert any(c.value == "bellhere" for c in cells)


@pytest.mark.parametrize("who", ["secadmin", "sysadmin", "alice"])
def test_no_one_else_may_export(county, tmp_path, who):
    with pytest.raises(CommandError, match="只有安全审计员"):
        call_command("audit_export", user=who, since="2026-01-01", until="2026-01-31",
                     output=str(tmp_path / "x.xlsx"))
    assert not (tmp_path / "x.xlsx").exists()


def test_dates_are_checked(county, tmp_path):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("audit_export", user="auditor", since="1/3/2026", until="2026-03-02", output=str(tmp_path / "x"))
    with pytest.raises(CommandError, match="结束日期不能早于开始日期"):
        call_command("audit_export", user="auditor", since="2026-03-02", until="2026-03-01", output=str(tmp_path / "x"))
