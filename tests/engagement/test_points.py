"""积分制: awards, deductions, evidence, corrections, expiry, the append-only ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from jiceng.core import dbguard
from jiceng.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from jiceng.core.models import AppendOnlyError, AuditLog
from jiceng.engagement import services
from jiceng.engagement.choices import EntryKind, RuleSource
from jiceng.engagement.models import PointAccount, PointEntry
from jiceng.engagement.selectors import point_statement, points_ledger_mismatches, points_ledger_sum

from .conftest import at


def balance(resident) -> int:
    return PointAccount.objects.get(resident=resident).balance


def test_award_with_evidence_moves_balance_and_is_audited(eng):
    alice = eng.county.alice
    entry = services.points_award(actor=alice, rule=eng.r_sort, resident=eng.zhang, evidence="photos/sort-1.jpg")
    assert (entry.kind, entry.amount, entry.actor_user) == (EntryKind.AWARD, 5, alice)
    assert balance(eng.zhang) == 5
    record = AuditLog.objects.filter(action="points.award").first()
    assert record.actor_name == "alice" and record.changes["balance"] == [0, 5]


def test_award_without_required_evidence_is_refused_and_writes_nothing(eng):
    with pytest.raises(ApplicationError) as exc:
        services.points_award(actor=eng.county.alice, rule=eng.r_sort, resident=eng.zhang, evidence="  ")
    assert exc.value.field == "evidence"
    assert not PointEntry.objects.exists()
    assert not PointAccount.objects.filter(resident=eng.zhang).exists()


def test_rule_without_evidence_requirement_awards_without_it(eng):
    services.points_award(actor=eng.county.alice, rule=eng.r_volunteer, resident=eng.zhang)
    assert balance(eng.zhang) == 10


def test_deduction_never_takes_the_balance_below_zero(eng):
    alice = eng.county.alice
    with pytest.raises(ApplicationError) as exc:
        services.points_award(actor=alice, rule=eng.r_litter, resident=eng.zhang)
    assert exc.value.field == "points"
    services.points_award(actor=alice, rule=eng.r_sort, resident=eng.zhang, evidence="p.jpg")
    entry = services.points_award(actor=alice, rule=eng.r_litter, resident=eng.zhang)
    assert (entry.kind, entry.amount) == (EntryKind.DEDUCT, -3)
    assert balance(eng.zhang) == 2


def test_staff_of_another_community_may_not_award(eng):
    with pytest.raises(PermissionDeniedError):
        services.points_award(actor=eng.county.bob, rule=eng.r_volunteer, resident=eng.zhang)


def test_a_grid_worker_of_the_community_may_award_but_not_write_rules(eng):
    services.points_award(actor=eng.gridder, rule=eng.r_volunteer, resident=eng.wang)
    assert balance(eng.wang) == 10
    with pytest.raises(PermissionDeniedError):
        services.point_rule_create(actor=eng.gridder, community=eng.county.a, code="x", name="x", points=1)


def test_a_resident_may_not_award_themselves(eng):
    with pytest.raises(PermissionDeniedError):
        services.points_award(actor=eng.zhang, rule=eng.r_volunteer, resident=eng.zhang)


def test_a_rule_of_another_community_cannot_be_used(eng):
    with pytest.raises(ApplicationError) as exc:
        services.points_award(actor=eng.county.county_staff, rule=eng.r_volunteer, resident=eng.zhao)
    assert exc.value.field == "rule"


def test_one_active_rule_per_automatic_source(eng):
    with pytest.raises(ApplicationError) as exc:
        services.point_rule_create(actor=eng.county.alice, community=eng.county.a, code="vol2", name="志愿2",
                                   points=5, source=RuleSource.VOLUNTEER_CHECKIN)
    assert exc.value.field == "source"


def test_automatic_source_awards_once_per_source_record(eng):
    first = services.points_award_for_source(actor=None, source=RuleSource.EVENT_VERIFIED_REPORT,
                                             source_type="event", source_id="7", resident=eng.zhang)
    assert first is None  # 甲 has no rule for verified reports
    services.point_rule_create(actor=eng.county.alice, community=eng.county.a, code="report", name="上报属实",
                               points=2, source=RuleSource.EVENT_VERIFIED_REPORT)
    kw = {"actor": None, "source": RuleSource.EVENT_VERIFIED_REPORT, "source_type": "event", "source_id": "7",
          "resident": eng.zhang}
    first = services.points_award_for_source(**kw)
    again = services.points_award_for_source(**kw)
    assert first.pk == again.pk and balance(eng.zhang) == 2


def test_the_same_source_cannot_be_awarded_twice_by_hand(eng):
    kw = {"actor": eng.county.alice, "rule": eng.r_volunteer, "resident": eng.zhang, "source_type": "x",
          "source_id": "1"}
    services.points_award(**kw)
    with pytest.raises(ConflictError):
        services.points_award(**kw)
    assert balance(eng.zhang) == 10


def test_correction_is_a_reversing_entry_and_only_once(eng):
    alice = eng.county.alice
    award = services.points_award(actor=alice, rule=eng.r_volunteer, resident=eng.zhang)
    with pytest.raises(ApplicationError) as exc:
        services.points_correct(actor=alice, entry=award, note="")
    assert exc.value.field == "note"
    fix = services.points_correct(actor=alice, entry=award, note="误记")
    assert (fix.kind, fix.amount, fix.reverses_id) == (EntryKind.CORRECTION, -10, award.pk)
    assert balance(eng.zhang) == 0
    assert PointEntry.objects.filter(account__resident=eng.zhang).count() == 2  # the original stays
    with pytest.raises(ConflictError):
        services.points_correct(actor=alice, entry=award, note="再次")


def test_correcting_an_award_already_spent_is_refused(eng):
    alice = eng.county.alice
    award = services.points_award(actor=alice, rule=eng.r_sort, resident=eng.zhang, evidence="p.jpg")
    services.points_award(actor=alice, rule=eng.r_litter, resident=eng.zhang)
    with pytest.raises(ApplicationError) as exc:
        services.points_correct(actor=alice, entry=award, note="误记")
    assert exc.value.field == "points"
    assert balance(eng.zhang) == 2


def test_the_ledger_refuses_edits_and_deletes_in_python(eng):
    entry = services.points_award(actor=eng.county.alice, rule=eng.r_volunteer, resident=eng.zhang)
    entry.amount = 1000
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        PointEntry.objects.filter(pk=entry.pk).update(amount=1000)
    with pytest.raises(AppendOnlyError):
        PointEntry.objects.all().delete()


@pytest.fixture
def maintenance_off(db):
    dbguard.MAINTENANCE["on"] = False
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET jiceng.audit_maintenance = 'off'")
    yield
    dbguard.MAINTENANCE["on"] = True
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET jiceng.audit_maintenance = 'on'")


def test_the_database_refuses_edits_and_deletes_of_entries(eng, maintenance_off):
    entry = services.points_award(actor=eng.county.alice, rule=eng.r_volunteer, resident=eng.zhang)
    for sql in ("UPDATE engagement_pointentry SET amount = 1000 WHERE id = %s",
                "DELETE FROM engagement_pointentry WHERE id = %s"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [entry.pk])
    assert PointEntry.objects.get(pk=entry.pk).amount == 10


def test_the_database_refuses_a_negative_balance(eng):
    account = services.account_for(resident=eng.zhang)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointAccount.objects.filter(pk=account.pk).update(balance=-1)


def test_expiry_is_fifo_and_keeps_what_was_spent(eng):
    """Hand-worked: 甲 has a +8 rule valid 30 days. Day 1: +8 (expires day 31). Day 2: +10 (never
    expires). Day 3: −3 deduction — spends 3 of the day-1 award (oldest first). Day 31: 5 expire.
    Balance 8 + 10 − 3 − 5 = 10; a second run writes nothing."""
    alice = eng.county.alice
    short = services.point_rule_create(actor=alice, community=eng.county.a, code="short", name="限时",
                                       points=8, expires_after_days=30)
    first = services.points_award(actor=alice, rule=short, resident=eng.zhang, now=at(1))
    services.points_award(actor=alice, rule=eng.r_volunteer, resident=eng.zhang, now=at(2))
    services.points_award(actor=alice, rule=eng.r_litter, resident=eng.zhang, now=at(3))
    assert first.expires_at == at(1) + timedelta(days=30)
    assert services.points_expire(now=at(30)) == 0
    assert services.points_expire(now=at(1) + timedelta(days=30)) == 1
    expired = PointEntry.objects.get(kind=EntryKind.EXPIRE)
    assert (expired.amount, expired.expires_entry_id) == (-5, first.pk)
    assert balance(eng.zhang) == 10
    assert services.points_expire(now=at(1) + timedelta(days=60)) == 0
    assert points_ledger_mismatches() == []


def test_expiry_never_takes_spent_points(eng):
    alice = eng.county.alice
    short = services.point_rule_create(actor=alice, community=eng.county.a, code="short", name="限时",
                                       points=3, expires_after_days=1)
    services.points_award(actor=alice, rule=short, resident=eng.zhang, now=at(1))
    services.points_award(actor=alice, rule=eng.r_litter, resident=eng.zhang, now=at(1, 10))
    assert services.points_expire(now=at(5)) == 0
    assert balance(eng.zhang) == 0


def test_statement_shows_a_resident_only_their_own(eng):
    services.points_award(actor=eng.county.alice, rule=eng.r_volunteer, resident=eng.zhang)
    account = services.account_for(resident=eng.zhang)
    assert point_statement(actor=eng.zhang, account=account).count() == 1
    assert point_statement(actor=eng.wang, account=account).count() == 0
    assert point_statement(actor=eng.county.alice, account=account).count() == 1
    assert point_statement(actor=eng.county.bob, account=account).count() == 0
    assert point_statement(actor=eng.county.sysadmin, account=account).count() == 0  # no personal data
    assert points_ledger_sum(account) == account.balance == 10


def test_an_organisation_holds_its_own_account(eng):
    services.points_award(actor=eng.county.alice, rule=eng.r_volunteer, organisation=eng.unit)
    account = PointAccount.objects.get(organisation=eng.unit)
    assert (account.balance, account.community) == (10, eng.county.a)
