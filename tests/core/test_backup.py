"""Backup and restore (等保 数据备份恢复): a portable file, personal information only as ciphertext,
restored into an empty migrated database with every row, decryptable fields and an intact audit
chain; a non-empty database, a cut-short file and a wrong keyring are refused with nothing written."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from jiceng.accounts import services as account_services
from jiceng.core.audit import verify_chain
from jiceng.core.models import AuditLog
from jiceng.people.choices import ResidentTag, WorkerKind
from jiceng.people.models import GridAssignment, GridWorker, Resident, User
from jiceng.people.services import grid_worker_create, resident_create
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region
from jiceng.regions.services import region_create
from tests.factories import make_id_number, square

pytestmark = pytest.mark.django_db(transaction=True)
ID1, ID2 = make_id_number(seq=11), make_id_number(birth="19900202", seq=22, male=False)
PHONE = "13912345678"


@pytest.fixture
def filled(county):
    """Regions, users, residents and a grid worker with encrypted fields, audit records of it all,
    and a locked account, all made through the services."""
    wang = resident_create(actor=county.alice, name="王芳", grid=county.a1_1, id_number=ID1, phone=PHONE,
                           address="甲社区 1 栋 101", tags=[ResidentTag.LIVING_ALONE_ELDER, ResidentTag.LOW_INCOME])
    li = resident_create(actor=county.alice, name="李强", grid=county.a1_2, id_number=ID2)
    worker = grid_worker_create(actor=county.alice, name="张伟", kind=WorkerKind.FULL_TIME, community=county.a,
                                grids=[county.a1_1], phone="13700000000")
    for _ in range(5):
        account_services.login_failure_record(username="bob", ip="192.0.2.1")
    return {"wang": wang, "li": li, "worker": worker}


def empty_the_database():
    """What a fresh ``migrate`` leaves: no rows, content types and permissions present."""
    call_command("flush", interactive=False, verbosity=0)


def snapshot() -> dict:
    return {
        "regions": sorted(Region.objects.values_list("pk", "code", "path", "parent_id")),
        "users": sorted(User.objects.values_list("pk", "username", "password", "role", "region_id")),
        "residents": sorted((r.pk, r.name, r.id_number, r.phone, r.address, tuple(r.tags), r.id_number_hash)
                            for r in Resident.objects.all()),
        "workers": sorted((w.pk, w.name, w.phone) for w in GridWorker.objects.all()),
        "assignments": sorted(GridAssignment.objects.values_list("worker_id", "grid_id")),
        "audit": list(AuditLog.objects.order_by("id").values_list("id", "at", "action", "changes", "hash")),
        "locked": sorted(User.objects.filter(security__locked_until__isnull=False).values_list("username", flat=True)),
    }


def raw_column(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 (test constants)
        return cur.fetchone()[0]


def test_backup_then_restore_into_an_empty_database_keeps_everything(filled, tmp_path):
    before = snapshot()
    stored = raw_column("people_resident", "id_number", filled["wang"].pk)
    path = tmp_path / "jiceng.jsonl.gz"
    call_command("backup", str(path), verbosity=0)
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    empty_the_database()
    assert not Resident.objects.exists() and not AuditLog.objects.exists()
    call_command("restore", str(path), verbosity=0)

    after = snapshot()
    for key in before:
        if key != "audit":
            assert after[key] == before[key], key
    # Every audit record in the file is back, then the restore's own, and the chain holds. (The
    # backup's own record is written after the file is closed: it is not in the file.)
    assert after["audit"][:len(before["audit"])] == before["audit"]
    assert [row[2] for row in after["audit"][len(before["audit"]):]] == ["backup.restore"]
    assert verify_chain() == []
    # The ciphertext is the very one that was stored, and it decrypts.
    assert raw_column("people_resident", "id_number", filled["wang"].pk) == stored
    assert Resident.objects.get(pk=filled["wang"].pk).id_number == ID1


def test_the_backup_holds_ciphertext_never_the_personal_information(filled, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    call_command("backup", str(path), verbosity=0)
    text = gzip.open(path, "rt", encoding="utf-8").read()
    for secret in (ID1, ID2, PHONE, "13700000000", "甲社区 1 栋 101", "独居老人"):
        assert secret not in text, secret
    rows = [json.loads(line) for line in text.splitlines()]
    wang = next(r for r in rows if r.get("model") == "people.resident" and r["fields"]["name"] == "王芳")
    assert wang["fields"]["id_number"].startswith("enc:v1:aes-gcm:")


def test_microseconds_of_audit_times_survive(filled, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    call_command("backup", str(path), verbosity=0)
    text = gzip.open(path, "rt", encoding="utf-8").read()
    first = AuditLog.objects.order_by("id").first()
    assert first.at.isoformat() in text


def test_new_rows_after_a_restore_get_fresh_ids(filled, tmp_path, county):
    path = tmp_path / "b.jsonl.gz"
    call_command("backup", str(path), verbosity=0)
    highest = Region.objects.order_by("-pk").values_list("pk", flat=True).first()
    empty_the_database()
    call_command("restore", str(path), verbosity=0)
    sysadmin = User.objects.get(username="sysadmin")
    new = region_create(actor=sysadmin, code="350725", name="邻县", level=RegionLevel.COUNTY,
                        boundary=square(10, 10, 11, 11))
    assert new.pk > highest
    assert verify_chain() == []


def test_restore_refuses_a_database_that_is_not_empty(filled, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    call_command("backup", str(path), verbosity=0)
    count = AuditLog.objects.count()
    with pytest.raises(CommandError, match="只能恢复到空数据库"):
        call_command("restore", str(path), verbosity=0)
    assert AuditLog.objects.count() == count


def test_a_cut_short_file_restores_nothing(filled, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    call_command("backup", str(path), verbosity=0)
    lines = gzip.open(path, "rt", encoding="utf-8").read().splitlines()
    short = tmp_path / "short.jsonl.gz"
    with gzip.open(short, "wt", encoding="utf-8") as out:
        out.write("\n".join(lines[: len(lines) // 2]) + "\n")
    empty_the_database()
    with pytest.raises(CommandError, match="不完整"):
        call_command("restore", str(short), verbosity=0)
    assert not Region.objects.exists() and not AuditLog.objects.exists()


def test_a_different_keyring_is_refused_before_anything_is_written(filled, tmp_path, settings):
    import base64

    from jiceng.core import crypto

    path = tmp_path / "b.jsonl.gz"
    call_command("backup", str(path), verbosity=0)
    empty_the_database()
    key_id = sorted(settings.FIELD_KEYS)[-1]
    settings.FIELD_KEYS = {key_id: base64.b64encode(b"\x01" * 32).decode()}
    crypto.clear_key_cache()
    try:
        with pytest.raises(CommandError, match="无法用当前密钥解密"):
            call_command("restore", str(path), verbosity=0)
    finally:
        crypto.clear_key_cache()
    assert not Resident.objects.exists()


def test_the_same_file_restores_into_a_fresh_sqlite_database(filled, tmp_path):
    """Portability: whatever the source (SQLite or PostgreSQL), the file restores into a new SQLite
    database migrated by ``jiceng migrate``, and ``audit_verify`` passes there."""
    path = tmp_path / "b.jsonl.gz"
    call_command("backup", str(path), verbosity=0)
    # The backup's own record is not in the file; the restore adds one of its own.
    expected = Resident.objects.count(), AuditLog.objects.count()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jiceng.settings", "JICENG_DATA_DIR": str(tmp_path / "data"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
           "JICENG_SECRET_KEY": "x" * 50, "JICENG_FIELD_KEYS": json.dumps(settings.FIELD_KEYS),
           "JICENG_FIELD_KEY_ID": settings.FIELD_KEY_ID, "JICENG_FIELD_HASH_KEY": settings.FIELD_HASH_KEY}
    manage = [sys.executable, "-m", "django"]
    # Migrate the new database to the backup's migration state, as docs/security.md says to.
    header = json.loads(gzip.open(path, "rt", encoding="utf-8").readline())
    targets = [(app, names[-1]) for app, names in header["migrations"].items()]
    to_state = (
        "from django.core.management.sql import emit_post_migrate_signal\n"
        "from django.db import connection\n"
        "from django.db.migrations.executor import MigrationExecutor\n"
        f"MigrationExecutor(connection).migrate({targets!r})\n"
        "emit_post_migrate_signal(0, False, 'default')\n"  # content types and permissions, as migrate makes
    )
    for args in (["shell", "-v", "0", "-c", to_state], ["restore", str(path)], ["audit_verify"]):
        done = subprocess.run(manage + args, env=env, capture_output=True, text=True, timeout=120,
                              cwd=Path(__file__).parent)
        assert done.returncode == 0, done.stderr
    check = ("from jiceng.people.models import Resident; from jiceng.core.models import AuditLog; "
             "print(Resident.objects.count(), AuditLog.objects.count(), "
             f"Resident.objects.get(name='王芳').id_number == {ID1!r})")
    done = subprocess.run([*manage, "shell", "-v", "0", "-c", check], env=env, capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).parent)
    # … and audit_verify adds the record of its check
    assert done.stdout.split() == [str(expected[0]), str(expected[1] + 1), "True"], done.stderr


def test_audit_verify_passes_on_an_intact_chain_and_fails_on_a_broken_one(filled, capsys):
    before = AuditLog.objects.count()
    call_command("audit_verify")
    assert f"审计链完整：共 {before} 条记录。" in capsys.readouterr().out
    check = AuditLog.objects.order_by("id").last()  # the check is itself recorded, by the system
    assert (check.action, check.actor_id, check.changes) == ("audit.verify", None, {"checked": before, "problems": 0})
    victim = AuditLog.objects.order_by("id")[3]
    with connection.cursor() as cur:  # maintenance mode is on in tests; production triggers refuse this
        cur.execute("DELETE FROM core_auditlog WHERE id = %s", [victim.id])
    with pytest.raises(CommandError) as info:
        call_command("audit_verify")
    assert info.value.returncode == 1
    assert f"记录 {victim.id + 1} 的前序哈希与上一条不符" in capsys.readouterr().err
    assert AuditLog.objects.order_by("id").last().changes["problems"] == 1
