"""The audit log: one record per service write (who, what, before/after, from where), personal
fields never in clear, append-only at the model, queryset and database levels, and a hash chain
that reveals an edited or deleted record."""

import json

import pytest
from django.db import DatabaseError, connection, transaction

from jiceng.core import dbguard
from jiceng.core.audit import GENESIS, verify_chain
from jiceng.core.context import reset_request_context, set_request_context
from jiceng.core.errors import ApplicationError
from jiceng.core.models import AppendOnlyError, AuditLog
from jiceng.people.choices import Role, WorkerKind
from jiceng.people.services import (
    department_create,
    grid_worker_create,
    grid_worker_set_grids,
    personal_info_reveal,
    resident_create,
    resident_update,
    user_create,
    user_set_role,
)
from jiceng.regions.choices import RegionLevel
from jiceng.regions.services import building_create, organisation_create, region_create, region_update
from tests.factories import make_id_number, square

ID_NUMBER = make_id_number()  # 350724198001010012: born 1980-01-01, male
PHONE = "13812345678"
IP = "203.0.113.9"


@pytest.fixture
def from_the_web():
    """As if the write came through a page from IP (the middleware does this for real requests)."""
    tokens = set_request_context(ip=IP, channel="web")
    yield
    reset_request_context(tokens)


@pytest.fixture
def maintenance_off(db):
    """The switch the tests normally keep on (so Django can empty tables) turned off: the audit
    log's triggers then refuse UPDATE and DELETE as in production."""
    dbguard.MAINTENANCE["on"] = False
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET jiceng.audit_maintenance = 'off'")
    yield
    dbguard.MAINTENANCE["on"] = True
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET jiceng.audit_maintenance = 'on'")


def one_new_record(before_id: int) -> AuditLog:
    """The write left exactly one record, chained to the one before it."""
    new = list(AuditLog.objects.filter(id__gt=before_id).order_by("id"))
    assert len(new) == 1, [r.action for r in new]
    entry = new[0]
    previous = AuditLog.objects.filter(id__lt=entry.id).order_by("-id").first()
    assert entry.prev_hash == (previous.hash if previous else GENESIS)
    return entry


def last_id() -> int:
    return AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


def assert_who_and_where(entry: AuditLog, actor, action: str, obj) -> None:
    assert (entry.actor_id, entry.actor_name, entry.actor_role) == (actor.pk, actor.username, actor.role)
    assert entry.action == action
    assert (entry.object_type, entry.object_id, entry.object_repr) == (obj._meta.label_lower, str(obj.pk), str(obj))
    assert (entry.ip, entry.channel) == (IP, "web")


def raw_audit_text() -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM core_auditlog")
        return repr(cur.fetchall())


# --- one record per write ----------------------------------------------------------------------


def test_region_create_is_audited(county, from_the_web):
    since = last_id()
    grid = region_create(actor=county.sysadmin, code="B1-1", name="乙一网格南片", level=RegionLevel.GRID2,
                         parent=county.b1, boundary=square(1, 0, 2, 1))
    entry = one_new_record(since)
    assert_who_and_where(entry, county.sysadmin, "region.create", grid)
    assert entry.object_type == "regions.region"
    assert entry.changes == {
        "code": [None, "B1-1"], "name": [None, "乙一网格南片"], "level": [None, 6], "kind": [None, ""],
        "parent_id": [None, county.b1.pk], "boundary": [None, "(GeoJSON)"], "population": [None, 0],
        "households": [None, 0],
    }


def test_region_update_records_before_and_after(county, from_the_web):
    since = last_id()
    renamed = region_update(actor=county.sysadmin, region=county.a, name="甲社区（新）", population=3200)
    entry = one_new_record(since)
    assert_who_and_where(entry, county.sysadmin, "region.update", renamed)
    assert entry.object_repr == "甲社区（新）"
    assert entry.changes == {"name": ["甲社区", "甲社区（新）"], "population": [0, 3200]}


def test_resident_create_records_personal_fields_as_stars(county, from_the_web):
    since = last_id()
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number=ID_NUMBER, phone=PHONE)
    entry = one_new_record(since)
    assert_who_and_where(entry, county.alice, "resident.create", resident)
    assert entry.changes == {
        "name": [None, "张三"], "gender": ["***", "***"], "birth_date": ["***", "***"],
        "id_number": ["***", "***"], "phone": ["***", "***"], "address": ["***", "***"], "tags": ["***", "***"],
        "grid_id": [None, county.a1_1.pk], "residence_type": [None, "registered"],
        "political_status": [None, "masses"], "is_volunteer": [None, False],
    }


def test_resident_update_records_only_what_changed(county, from_the_web):
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1_1, phone=PHONE)
    since = last_id()
    renamed = resident_update(actor=county.alice, resident=resident, name="张叁", phone="13912345678")
    entry = one_new_record(since)
    assert_who_and_where(entry, county.alice, "resident.update", renamed)
    assert entry.changes == {"name": ["张三", "张叁"], "phone": ["***", "***"]}
    assert entry.object_repr == "张叁"


def test_resident_update_without_a_change_writes_nothing(county):
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1_1)
    since = last_id()
    resident_update(actor=county.alice, resident=resident, name="张三")
    assert last_id() == since


def test_grid_worker_create_is_audited(county, from_the_web):
    since = last_id()
    worker = grid_worker_create(actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME, community=county.a,
                                grids=[county.a1_1], phone=PHONE)
    entry = one_new_record(since)
    assert_who_and_where(entry, county.alice, "grid_worker.create", worker)
    assert entry.changes == {
        "name": [None, "陈网格"], "kind": [None, "full_time"], "gender": ["***", "***"],
        "id_number": ["***", "***"], "phone": ["***", "***"], "community_id": [None, county.a.pk],
        "occupation": [None, ""], "is_party_member": [None, False], "active": [None, True],
        "grids": [[], ["A1-1"]],
    }


def test_grid_worker_set_grids_records_old_and_new_grids(county, from_the_web):
    worker = grid_worker_create(actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME, community=county.a,
                                grids=[county.a1_2])
    since = last_id()
    grid_worker_set_grids(actor=county.alice, worker=worker, grids=[county.a1_2, county.a1_1])
    entry = one_new_record(since)
    assert_who_and_where(entry, county.alice, "grid_worker.set_grids", worker)
    assert entry.changes == {"grids": [["A1-2"], ["A1-1", "A1-2"]]}


def test_user_create_is_audited_without_the_password(county, from_the_web):
    since = last_id()
    user = user_create(actor=county.sysadmin, username="grace", password="Qx7-lantern-Moss",
                       role=Role.COMMUNITY_STAFF, region=county.a, phone=PHONE)
    entry = one_new_record(since)
    assert_who_and_where(entry, county.sysadmin, "user.create", user)
    assert entry.changes == {"username": [None, "grace"], "role": [None, "community_staff"],
                             "region": [None, "350724001001"], "department": [None, None]}
    text = raw_audit_text()
    assert "Qx7-lantern-Moss" not in text
    assert PHONE not in text


def test_user_set_role_records_old_and_new_binding(county, from_the_web):
    since = last_id()
    user_set_role(actor=county.secadmin, user=county.bob, role=Role.STREET_STAFF, region=county.east)
    entry = one_new_record(since)
    assert_who_and_where(entry, county.secadmin, "user.set_role", county.bob)
    assert entry.changes == {"role": ["community_staff", "street_staff"], "region": ["350724001002", "350724001"]}


def test_personal_info_reveal_is_audited(county, from_the_web):
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number=ID_NUMBER, phone=PHONE)
    since = last_id()
    shown = personal_info_reveal(actor=county.alice, person=resident, fields=["id_number", "phone"])
    assert shown == {"id_number": ID_NUMBER, "phone": PHONE}
    entry = one_new_record(since)
    assert_who_and_where(entry, county.alice, "personal_info.reveal", resident)
    assert entry.changes == {"fields": ["id_number", "phone"]}


def test_building_create_is_audited(county, from_the_web):
    since = last_id()
    building = building_create(actor=county.alice, grid=county.a1_1, code="BLD-A", name="甲1栋", address="甲路1号",
                               units=["1单元", "2单元"], rooms_per_unit=["101", "102"])
    entry = one_new_record(since)
    assert_who_and_where(entry, county.alice, "building.create", building)
    assert entry.changes == {"grid": [None, "A1-1"], "code": [None, "BLD-A"], "units": [None, 2]}


def test_organisation_create_is_audited_with_the_phone_hidden(county, from_the_web):
    since = last_id()
    org = organisation_create(actor=county.alice, grid=county.a1_1, name="松溪超市", kind="shop",
                              uscc="91350100M000100Y43", contact_phone=PHONE)
    entry = one_new_record(since)
    assert_who_and_where(entry, county.alice, "organisation.create", org)
    assert entry.changes == {"name": [None, "松溪超市"], "kind": [None, "shop"],
                             "uscc": [None, "91350100M000100Y43"], "contact_phone": ["***", "***"]}
    assert PHONE not in raw_audit_text()


def test_department_create_is_audited(county, from_the_web):
    since = last_id()
    dept = department_create(actor=county.sysadmin, code="ZJ", name="住建局", kind="housing", region=county.county)
    entry = one_new_record(since)
    assert_who_and_where(entry, county.sysadmin, "department.create", dept)
    assert entry.changes == {"code": [None, "ZJ"], "name": [None, "住建局"], "kind": [None, "housing"]}


def test_a_write_outside_a_request_is_recorded_as_system_channel(county):
    since = last_id()
    department_create(actor=county.sysadmin, code="MZ", name="民政局", kind="civil", region=county.county)
    entry = one_new_record(since)
    assert (entry.ip, entry.channel) == ("", "system")


def test_a_refused_write_leaves_no_record(county):
    since = last_id()
    with pytest.raises(ApplicationError):
        resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number="350724198001010011")
    assert last_id() == since


def test_personal_values_never_reach_the_audit_table(county):
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number=ID_NUMBER, phone=PHONE,
                               address="松源街道幸福路8号", tags=["低保"])
    resident_update(actor=county.alice, resident=resident, id_number=make_id_number(seq=3), tags=["残疾人"])
    personal_info_reveal(actor=county.alice, person=resident)
    grid_worker_create(actor=county.alice, name="陈网格", kind=WorkerKind.FULL_TIME, community=county.a,
                       id_number=make_id_number(seq=5), phone="13900001111")
    text = raw_audit_text()
    for secret in (ID_NUMBER, make_id_number(seq=3), make_id_number(seq=5), PHONE, "13900001111",
                   "幸福路", "低保", "残疾人"):
        assert secret not in text, secret
        assert json.dumps(secret)[1:-1] not in text, secret  # nor \\u-escaped


# --- append-only -------------------------------------------------------------------------------


def test_an_audit_record_cannot_be_saved_again(county):
    entry = AuditLog.objects.order_by("id").first()
    entry.action = "region.delete"
    with pytest.raises(AppendOnlyError):
        entry.save()


def test_an_audit_record_cannot_be_deleted(county):
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.order_by("id").first().delete()


def test_audit_records_cannot_be_changed_or_deleted_in_bulk(county):
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(action="region.create").update(action="region.delete")
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.bulk_update(list(AuditLog.objects.all()), ["action"])
    assert AuditLog.objects.filter(action="region.create").count() == 11


def test_the_database_refuses_raw_update(county, maintenance_off):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_auditlog SET action = 'x'")
    assert AuditLog.objects.filter(action="region.create").count() == 11


def test_the_database_refuses_raw_delete(county, maintenance_off):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditlog")
    assert AuditLog.objects.count() == 11


def test_the_database_still_accepts_new_records(county, maintenance_off):
    department_create(actor=county.sysadmin, code="ZJ", name="住建局", kind="housing", region=county.county)
    assert AuditLog.objects.count() == 12
    assert verify_chain() == []


@pytest.mark.postgres
def test_postgres_refuses_truncate(county, maintenance_off):
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite has no such statement")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE core_auditlog")
    assert AuditLog.objects.count() == 11


# --- hash chain --------------------------------------------------------------------------------


def test_an_intact_chain_verifies(county):
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number=ID_NUMBER, tags=["低保"])
    personal_info_reveal(actor=county.alice, person=resident)
    assert AuditLog.objects.count() == 13
    assert verify_chain() == []
    assert verify_chain(batch=2) == []  # the same across batch boundaries


def test_the_chain_starts_at_genesis(county):
    assert AuditLog.objects.order_by("id").first().prev_hash == GENESIS


def test_an_altered_record_is_reported(county):
    # Maintenance is on in the test suite, so the raw UPDATE gets past the trigger, as an attacker
    # with the database password and the switch might.
    ids = list(AuditLog.objects.order_by("id").values_list("id", flat=True))
    middle = ids[5]
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditlog SET actor_name = 'nobody' WHERE id = %s", [middle])
    assert verify_chain() == [f"记录 {middle} 内容与哈希不符（已被篡改）"]


def test_an_altered_record_with_a_recomputed_hash_breaks_the_next_link(county):
    from jiceng.core.audit import _hashed_fields, record_digest

    ids = list(AuditLog.objects.order_by("id").values_list("id", flat=True))
    middle = ids[5]
    entry = AuditLog.objects.get(id=middle)
    entry.actor_name = "nobody"
    forged = record_digest(entry.prev_hash, _hashed_fields(entry))
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditlog SET actor_name = 'nobody', hash = %s WHERE id = %s", [forged, middle])
    assert verify_chain() == [f"记录 {ids[6]} 的前序哈希与上一条不符（其前的记录被删除或改动）"]


def test_a_deleted_middle_record_is_reported(county):
    ids = list(AuditLog.objects.order_by("id").values_list("id", flat=True))
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditlog WHERE id = %s", [ids[5]])
    assert verify_chain() == [f"记录 {ids[6]} 的前序哈希与上一条不符（其前的记录被删除或改动）"]


def test_the_auditor_reads_roles_and_record_types_by_name_and_times_in_local_time(county, client):
    from django.utils import timezone

    from jiceng.core.models import AuditLog
    from tests.accounts.helpers import login_verified

    login_verified(client, county.auditor)
    page = client.get("/admin/core/auditlog/").content.decode()
    assert '<td class="field-role_label">系统管理员</td>' in page  # not system_admin
    assert '<td class="field-object_label">区域/网格</td>' in page  # not regions.region
    assert 'href="?actor_role=system_admin"' in page  # the filter names the role, the query keeps the code
    entry = AuditLog.objects.order_by("-id").first()
    detail = client.get(f"/admin/core/auditlog/{entry.pk}/change/").content.decode()
    assert f"{timezone.localtime(entry.at):%Y-%m-%d %H:%M:%S}" in detail
    assert "前一条的哈希" in detail and "Prev hash" not in detail
