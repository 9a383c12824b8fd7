"""积分制: rules, accounts and the append-only ledger.

Every change to a balance is one ``PointEntry`` appended in the same transaction that updates the
account's cached balance under a row lock (``_append``), so balance == SUM(entries) at every commit
and the balance can never go below zero (checked here, and by a database constraint).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from jiceng.people.models import Resident
from jiceng.regions.models import Organisation, Region

from ..choices import EntryKind, RuleSource
from ..models import PointAccount, PointEntry, PointRule
from ._common import (
    actor_fields,
    audit,
    check_community,
    community_of,
    full_clean,
    is_resident,
    require_staff,
)

EVIDENCE_ATTACHMENT = "attachment:"  # evidence naming a stored photo: attachment:<uuid>

# --- rules -------------------------------------------------------------------------------------------


@transaction.atomic
def point_rule_create(*, actor, community: Region, code: str, name: str, points: int,
                      requires_evidence: bool = False, source: str = "",
                      expires_after_days: int | None = None) -> PointRule:
    """Rules are the community's charter: kept by region staff, not by grid workers."""
    check_community(community)
    require_staff(actor, community, managers_only=True)
    if source not in RuleSource.values:
        raise ApplicationError(_("未知的自动来源。"), field="source")
    if not isinstance(points, int) or isinstance(points, bool) or points == 0:
        raise ApplicationError(_("分值须为非零整数。"), field="points")
    if expires_after_days is not None and expires_after_days <= 0:
        raise ApplicationError(_("有效期须为正整数天。"), field="expires_after_days")
    if PointRule.objects.filter(community=community, code=code).exists():
        raise ApplicationError(_("该社区已有此编码的规则。"), field="code")
    if source and PointRule.objects.filter(community=community, source=source, active=True).exists():
        raise ApplicationError(_("该社区已有此自动来源的启用规则。"), field="source")
    rule = PointRule(community=community, code=(code or "").strip(), name=(name or "").strip(), points=points,
                     requires_evidence=requires_evidence, source=source, expires_after_days=expires_after_days)
    full_clean(rule)
    rule.save()
    audit(actor, "points.rule_create", rule,
          {"code": [None, rule.code], "points": [None, points], "source": [None, source],
           "requires_evidence": [None, requires_evidence], "expires_after_days": [None, expires_after_days]})
    return rule


@transaction.atomic
def point_rule_set_active(*, actor, rule: PointRule, active: bool) -> PointRule:
    """Rules are never deleted (entries point at them); a retired rule is switched off."""
    require_staff(actor, rule.community, managers_only=True)
    rule = PointRule.objects.select_for_update().get(pk=rule.pk)
    if active and rule.source and PointRule.objects.filter(
            community=rule.community, source=rule.source, active=True).exclude(pk=rule.pk).exists():
        raise ApplicationError(_("该社区已有此自动来源的启用规则。"), field="active")
    before = rule.active
    rule.active = active
    rule.save(update_fields=["active"])
    audit(actor, "points.rule_set_active", rule, {"active": [before, active]})
    return rule


# --- accounts ---------------------------------------------------------------------------------------


def account_for(*, resident: Resident | None = None, organisation: Organisation | None = None) -> PointAccount:
    """The owner's account, opened on first use (a race on opening is settled by the unique key)."""
    if (resident is None) == (organisation is None):
        raise ApplicationError(_("积分账户须属于一位居民或一个单位。"), field="resident")
    owner = {"resident": resident} if resident is not None else {"organisation": organisation}
    account = PointAccount.objects.filter(**owner).first()
    if account is not None:
        return account
    community = community_of(resident.grid if resident is not None else organisation.grid)
    try:
        with transaction.atomic():
            return PointAccount.objects.create(community=community, **owner)
    except IntegrityError:
        return PointAccount.objects.get(**owner)


def lock_account(account: PointAccount) -> PointAccount:
    """Lock order everywhere: the account first, then any shop item, then the redemption."""
    return PointAccount.objects.select_for_update().get(pk=account.pk)


def _append(account: PointAccount, *, amount: int, kind: str, actor=None, rule: PointRule | None = None,
            source_type: str = "", source_id: str = "", note: str = "", evidence: str = "",
            expires_at: datetime | None = None, reverses: PointEntry | None = None,
            expires_entry: PointEntry | None = None, now: datetime | None = None) -> PointEntry:
    """Append one entry to a LOCKED account and move its cached balance by the same amount."""
    new_balance = account.balance + amount
    if new_balance < 0:
        raise ApplicationError(_("积分不足：当前 %(balance)s 分，需要 %(needed)s 分。") % {
            "balance": account.balance, "needed": -amount}, field="points")
    entry = PointEntry(account=account, amount=amount, kind=kind, rule=rule, source_type=source_type,
                       source_id=str(source_id), note=note[:200], evidence=evidence, expires_at=expires_at,
                       reverses=reverses, expires_entry=expires_entry, created_at=now or timezone.now(),
                       **actor_fields(actor))
    entry.save(force_insert=True)
    account.balance = new_balance
    account.save(update_fields=["balance"])
    return entry


def _entry_changes(entry: PointEntry, account: PointAccount) -> dict:
    return {"account": [None, account.pk], "kind": [None, entry.kind], "amount": [None, entry.amount],
            "rule": [None, entry.rule_id], "source": [None, f"{entry.source_type}:{entry.source_id}"],
            "balance": [account.balance - entry.amount, account.balance]}


def _award(account: PointAccount, rule: PointRule, *, actor, evidence: str, note: str, source_type: str,
           source_id: str, now: datetime) -> PointEntry:
    if rule.community_id != account.community_id:
        raise ApplicationError(_("该规则不属于账户所在社区/村。"), field="rule")
    if not rule.active:
        raise ApplicationError(_("该规则已停用。"), field="rule")
    expires_at = now + timedelta(days=rule.expires_after_days) if rule.expires_after_days and rule.points > 0 else None
    kind = EntryKind.AWARD if rule.points > 0 else EntryKind.DEDUCT
    try:
        with transaction.atomic():
            entry = _append(account, amount=rule.points, kind=kind, actor=actor, rule=rule, source_type=source_type,
                            source_id=source_id, note=note, evidence=evidence, expires_at=expires_at, now=now)
    except IntegrityError as exc:
        raise ConflictError(_("该事项已经计过积分。"), field="source_id") from exc
    audit(actor, f"points.{kind}", entry, _entry_changes(entry, account))
    return entry


@transaction.atomic
def points_award(*, actor, rule: PointRule, resident: Resident | None = None,
                 organisation: Organisation | None = None, evidence: str = "", note: str = "",
                 source_type: str = "", source_id: str = "", now: datetime | None = None,
                 evidence_photo: bytes | None = None) -> PointEntry:
    """A worker awards (or, for a negative rule, deducts) a rule's points. Evidence is required when
    the rule says so: a text, or a photo (``evidence_photo``, stored as an attachment of the account,
    so whoever may see the account may see it, and named in the entry as ``attachment:<id>``); a
    deduction never takes the balance below zero."""
    if is_resident(actor):
        raise PermissionDeniedError(_("居民不能为自己计分。"))
    require_staff(actor, rule.community)
    evidence = (evidence or "").strip()
    if rule.requires_evidence and not evidence and not evidence_photo:
        raise ApplicationError(_("该规则须附佐证（照片或材料）。"), field="evidence")
    account = lock_account(account_for(resident=resident, organisation=organisation))
    if evidence_photo:
        from jiceng.core.uploads import attachment_store

        photo = attachment_store(actor=actor, data=evidence_photo, owner=account, purpose="points_evidence",
                                 field="evidence_photo")
        evidence = " ".join(filter(None, [evidence[:250], f"{EVIDENCE_ATTACHMENT}{photo.pk}"]))
    return _award(account, rule, actor=actor, evidence=evidence, note=note, source_type=source_type,
                  source_id=source_id, now=now or timezone.now())


@transaction.atomic
def points_award_for_source(*, actor, source: str, source_type: str, source_id: str,
                            resident: Resident | None = None, organisation: Organisation | None = None,
                            note: str = "", now: datetime | None = None) -> PointEntry | None:
    """Award the community's rule for an automatic source (``volunteer.checkin``, ``wish.fulfilled``,
    ``event.verified_report``). None when the community has no such rule. Idempotent per source
    record. The source record itself is the evidence, so ``requires_evidence`` does not apply."""
    if source not in RuleSource.values or not source:
        raise ApplicationError(_("未知的自动来源。"), field="source")
    account = account_for(resident=resident, organisation=organisation)
    rule = PointRule.objects.filter(community_id=account.community_id, source=source, active=True).first()
    if rule is None:
        return None
    existing = PointEntry.objects.filter(account=account, rule=rule, kind=EntryKind.AWARD,
                                         source_type=source_type, source_id=str(source_id)).first()
    if existing is not None:
        return existing
    account = lock_account(account)
    return _award(account, rule, actor=actor, evidence=f"{source_type}:{source_id}", note=note or rule.name,
                  source_type=source_type, source_id=str(source_id), now=now or timezone.now())


@transaction.atomic
def points_correct(*, actor, entry: PointEntry, note: str, now: datetime | None = None) -> PointEntry:
    """Put a wrong award or deduction right with a reversing entry; the original stays on the ledger."""
    account = lock_account(entry.account)
    require_staff(actor, account.community, managers_only=True)
    note = (note or "").strip()
    if not note:
        raise ApplicationError(_("请说明更正原因。"), field="note")
    entry = PointEntry.objects.get(pk=entry.pk)
    if entry.kind not in (EntryKind.AWARD, EntryKind.DEDUCT):
        raise ApplicationError(_("只有奖励和扣减可以更正；兑换请取消兑换。"), field="entry")
    if PointEntry.objects.filter(reverses=entry).exists():
        raise ConflictError(_("该记录已经更正过。"), field="entry")
    if entry.expirations.exists():
        raise ApplicationError(_("该奖励已部分过期，不能整笔更正。"), field="entry")
    correction = _append(account, amount=-entry.amount, kind=EntryKind.CORRECTION, actor=actor, rule=entry.rule,
                         source_type="point_entry", source_id=str(entry.pk), note=note, reverses=entry,
                         now=now or timezone.now())
    audit(actor, "points.correction", correction, _entry_changes(correction, account))
    return correction


# --- expiry -----------------------------------------------------------------------------------------


def unspent_credits(account: PointAccount) -> list[tuple[PointEntry, int]]:
    """Each live award with what is left of it, spending first-in first-out.

    Pairs that cancel out (an award and its correction, a redemption and its cancellation) are left
    out; expiry entries consume the award they name; every other debit consumes the oldest credit.
    Because the balance never went below zero, the debits never exceed the credits before them.
    """
    entries = list(account.entries.order_by("created_at", "id"))
    reversed_ids = {e.reverses_id for e in entries if e.reverses_id}
    credits: list[list] = []
    expired: dict[int, int] = {}
    debit = 0
    for e in entries:
        if e.pk in reversed_ids or e.reverses_id:
            continue
        if e.kind == EntryKind.AWARD:
            credits.append([e, e.amount])
        elif e.kind == EntryKind.EXPIRE:
            expired[e.expires_entry_id] = expired.get(e.expires_entry_id, 0) - e.amount
        else:
            debit -= e.amount
    left = []
    for entry, amount in credits:
        amount -= expired.get(entry.pk, 0)
        used = min(amount, debit)
        debit -= used
        left.append((entry, amount - used))
    return left


def points_expire(*, now: datetime | None = None, actor=None) -> int:
    """Write expiry entries for the unspent part of awards past their rule's validity. One transaction
    per account (a long run never holds many locks). Returns the number of entries written."""
    now = now or timezone.now()
    # An award expires once (the whole remainder), so awards with an expiry entry are done — unless points
    # came back to the account after that expiry (a redemption cancelled, a deduction corrected): they
    # refill the oldest awards first, which may be expired ones, so those accounts are looked at again.
    account_ids = set(PointEntry.objects.filter(kind=EntryKind.AWARD, expires_at__lte=now, expirations__isnull=True,
                                                reversed_by__isnull=True)
                      .order_by().values_list("account_id", flat=True).distinct())
    account_ids |= set(PointEntry.objects.filter(
        kind__in=(EntryKind.CANCEL_REDEEM, EntryKind.CORRECTION), account__entries__kind=EntryKind.EXPIRE,
        created_at__gte=F("account__entries__created_at")).order_by().values_list("account_id", flat=True).distinct())
    written = 0
    for account_id in sorted(account_ids):
        with transaction.atomic():
            account = PointAccount.objects.select_for_update().get(pk=account_id)
            for credit, left in unspent_credits(account):
                if left > 0 and credit.expires_at is not None and credit.expires_at <= now:
                    entry = _append(account, amount=-left, kind=EntryKind.EXPIRE, actor=actor, rule=credit.rule,
                                    source_type="point_entry", source_id=str(credit.pk), expires_entry=credit,
                                    note="积分过期", now=now)
                    audit(actor, "points.expire", entry, _entry_changes(entry, account))
                    written += 1
    return written

