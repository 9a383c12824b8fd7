"""Points: the communities' charters and shops, awards and deductions by workers, the resident login
with its own entries, and every account's ledger written in time order (with shop redemptions and the
evidence photos)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from jiceng.core.audit import audit_record
from jiceng.demo.accounts import Credential, new_password
from jiceng.people.choices import Role
from jiceng.people.models import Resident, User
from jiceng.regions.choices import RegionKind

from ..choices import EntryKind, RedemptionStatus, RegistrationKind, WishCategory
from ..models import (
    Activity,
    PointAccount,
    PointEntry,
    PointRule,
    Redemption,
    Registration,
    Shop,
    ShopItem,
    Signup,
    Wish,
)
from .base import _Base
from .data import BATCH, EVIDENCE, ITEMS, MANUAL_AWARDS, PHOTOS_PER_COMMUNITY, RESIDENT_USERNAME, RULES


class _Points(_Base):
    """The steps of points, called in order by ``_Generator.run``: the charters and shops first, the
    ledgers last."""

    # --- charters and shops -------------------------------------------------------------------

    def _rules(self) -> None:
        rules = PointRule.objects.bulk_create(
            [PointRule(community=c, code=code, name=name, points=points, requires_evidence=evidence, source=source,
                       expires_after_days=365 if points > 0 and not source else None)
             for c in self.communities for code, name, points, evidence, source in RULES], batch_size=BATCH)
        self.rules = {(r.community_id, r.code): r for r in rules}
        self.result.counts["point_rules"] = len(rules)

    def _shops(self) -> None:
        rng = self.rng
        shops = Shop.objects.bulk_create(
            [Shop(community=c, name=f"{c.name}{'振兴超市' if c.kind == RegionKind.VILLAGE else '积分超市'}",
                  address=f"{c.name}党群服务中心") for c in self.communities], batch_size=BATCH)
        items = []
        for shop in shops:
            for name, price in rng.sample(ITEMS, rng.randint(5, 8)):
                items.append(ShopItem(shop=shop, name=name, price=price, stock=rng.randint(5, 60)))
        items = ShopItem.objects.bulk_create(items, batch_size=BATCH)
        self.items: dict[int, list[ShopItem]] = {}
        shop_community = {s.pk: s.community_id for s in shops}
        for item in items:
            self.items.setdefault(shop_community[item.shop_id], []).append(item)
        self.result.counts |= {"shops": len(shops), "shop_items": len(items)}

    # --- points ---------------------------------------------------------------------------------

    def _manual_points(self) -> None:
        """Awards and deductions by the community's workers, and redemptions in its shop."""
        rng = self.rng
        for c in self.communities:
            people = self.people[c.pk]
            for rid, *_ in rng.sample(people, min(len(people), self.n(90))):
                ledger = self.ledger(c.pk, resident_id=rid)
                for _ in range(rng.randint(1, 8)):
                    code, _name, _points, evidence, _ = rng.choice(MANUAL_AWARDS)
                    rule = self.rules[(c.pk, code)]
                    at = self.office_ago(300, 0.2)
                    ledger.add(amount=rule.points, kind=EntryKind.AWARD, rule=rule, created_at=at,
                               **(self.evidence(c.pk, rule) if evidence else {}),
                               expires_at=at + timedelta(days=rule.expires_after_days) if rule.expires_after_days
                               else None)
                if rng.random() < 0.15:
                    rule = self.rules[(c.pk, rng.choice(["litter", "pile"]))]
                    ledger.add(amount=rule.points, kind=EntryKind.DEDUCT, rule=rule, created_at=self.office_ago(100, 0.2),
                               **(self.evidence(c.pk, rule) if rule.requires_evidence else {}))

    def evidence(self, community_id: int, rule: PointRule, *, photo: bool = False) -> dict:
        """The evidence of an entry of ``rule``: the worker's words, or (``photo``, and the first few of each
        community) a demo photo, stored with the account once it exists (``_write_ledgers``)."""
        photos = self.photos_taken.get(community_id, 0)
        if photo or photos < PHOTOS_PER_COMMUNITY:
            self.photos_taken[community_id] = photos + 1
            return {"evidence": "", "photo": rule.code}
        return {"evidence": EVIDENCE[rule.code]}

    def _resident_account(self) -> None:
        community = next((c for c in self.communities if c.kind == RegionKind.COMMUNITY), None) or \
            (self.communities[0] if self.communities else None)
        if community is None or not self.people[community.pk]:
            return
        rid = self.people[community.pk][0][0]
        resident = Resident.objects.get(pk=rid)
        password = new_password()
        user = User(username=RESIDENT_USERNAME, role=Role.RESIDENT, full_name=resident.name)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        resident.account = user
        resident.save(update_fields=["account"])
        audit_record(actor=None, action="resident.account_create", obj=resident,
                     changes={"account": [None, RESIDENT_USERNAME], "source": "demo"})
        if not Registration.objects.filter(community=community, resident=resident, active=True).exists():
            Registration.objects.create(community=community, kind=RegistrationKind.VOLUNTEER, resident=resident,
                                        registered_at=self.now - timedelta(days=60))
        ledger = self.ledger(community.pk, resident_id=rid)
        for code in ("sort", "filial", "meeting", "clean"):
            rule = self.rules[(community.pk, code)]
            ledger.add(amount=rule.points, kind=EntryKind.AWARD, rule=rule, created_at=self.office_ago(30, 1),
                       **(self.evidence(community.pk, rule, photo=True) if rule.requires_evidence else {}))
        # one activity running now, so the check-in can be shown
        start = self.now.replace(minute=0, second=0) - timedelta(hours=1)
        Activity.objects.create(community=community, title="周末环境整治", place=f"{community.name}广场",
                                starts_at=start, ends_at=start + timedelta(hours=4), capacity=20)
        Wish.objects.create(community=community, resident=resident, category=WishCategory.STUDY,
                            description="给孙子一盏护眼台灯", estimated_cost=Decimal(80),
                            created_at=self.now - timedelta(days=1))
        self.result.credential = Credential(RESIDENT_USERNAME, password, str(Role.RESIDENT.label),
                                            f"{community.name} · {resident.name}")

    def _write_ledgers(self) -> None:
        """Walk each account's entries in time order; a debit (deduction, redemption) is kept only when the
        running balance covers it, so the balance never goes below zero."""
        rng = self.rng
        accounts = [PointAccount(community_id=lg.community_id, resident_id=lg.resident_id,
                                 organisation_id=lg.organisation_id) for lg in self.ledgers.values()]
        entries, redemptions, stock_used = [], [], {}
        for account, lg in zip(accounts, self.ledgers.values(), strict=True):
            balance = 0
            rows = lg.ordered()
            for row in rows:
                if row["amount"] < 0 and balance + row["amount"] < 0:
                    continue
                balance += row["amount"]
                row["entry"] = PointEntry(account=account, **{k: v for k, v in row.items() if k not in ("entry", "photo")})
                entries.append(row["entry"])
            # the resident spends some of it in the shop
            items = self.items.get(lg.community_id, [])
            if lg.resident_id and items and balance >= 10 and rng.random() < 0.5:
                item = rng.choice(items)
                if item.price <= balance and stock_used.get(item.pk, 0) < item.stock:
                    at = max(rows[-1]["created_at"], self.now - timedelta(days=20)) + timedelta(hours=1)
                    at = self.in_office(at, not_before=at)  # the shop is open in office hours
                    status = rng.choices([RedemptionStatus.COLLECTED, RedemptionStatus.RESERVED,
                                          RedemptionStatus.CANCELLED], weights=[70, 20, 10])[0]
                    entry = PointEntry(account=account, amount=-item.price, kind=EntryKind.REDEEM,
                                       source_type="shop_item", source_id=str(item.pk), note=f"兑换：{item.name}",
                                       created_at=at)
                    entries.append(entry)
                    balance -= item.price
                    cancel = None
                    if status == RedemptionStatus.CANCELLED:
                        cancel = PointEntry(account=account, amount=item.price, kind=EntryKind.CANCEL_REDEEM,
                                            reverses=entry, note="取消兑换", created_at=at + timedelta(hours=2))
                        entries.append(cancel)
                        balance += item.price
                    else:
                        stock_used[item.pk] = stock_used.get(item.pk, 0) + 1
                    redemptions.append(Redemption(account=account, item=item, quantity=1, points=item.price,
                                                  status=status, entry=entry, cancel_entry=cancel, created_at=at,
                                                  closed_at=None if status == RedemptionStatus.RESERVED
                                                  else at + timedelta(hours=2)))
            account.balance = balance
        PointAccount.objects.bulk_create(accounts, batch_size=BATCH)  # with the balances just summed
        for e in entries:
            e.account_id = e.account.pk
        self._store_photos()
        # entries that reverse another are inserted after it (two passes), so ``reverses`` has its id
        first = [e for e in entries if e.reverses is None]
        PointEntry.objects.bulk_create(first, batch_size=BATCH)
        second = [e for e in entries if e.reverses is not None]
        for e in second:
            e.reverses_id = e.reverses.pk
        PointEntry.objects.bulk_create(second, batch_size=BATCH)
        for r in redemptions:
            r.account_id = r.account.pk
            r.entry_id, r.cancel_entry_id = r.entry.pk, r.cancel_entry.pk if r.cancel_entry else None
        Redemption.objects.bulk_create(redemptions, batch_size=BATCH)
        items = [i for group in self.items.values() for i in group if i.pk in stock_used]
        for item in items:
            item.stock -= stock_used[item.pk]
        ShopItem.objects.bulk_update(items, ["stock"], batch_size=BATCH)
        awarded = [s for s, row in self.signup_awards if "entry" in row]
        for s, row in self.signup_awards:
            if "entry" in row:
                s.points_entry_id = row["entry"].pk
        Signup.objects.bulk_update(awarded, ["points_entry"], batch_size=BATCH)
        self.result.counts |= {"point_accounts": len(accounts), "point_entries": len(entries),
                               "redemptions": len(redemptions)}

    def _store_photos(self) -> None:
        """Entries whose evidence is a photo: a demo picture stored as an attachment of the account (as
        ``services.points_award`` stores an uploaded one), named in the entry as ``attachment:<id>``."""
        from jiceng.core.uploads import attachment_store

        from ..services.points import EVIDENCE_ATTACHMENT

        stored = 0
        for lg in self.ledgers.values():
            for row in lg.rows:
                if row.get("photo") and "entry" in row:
                    entry = row["entry"]
                    photo = attachment_store(actor=None, data=demo_photo(row["photo"]), owner=entry.account,
                                             purpose="points_evidence", field="evidence_photo")
                    entry.evidence = f"{EVIDENCE_ATTACHMENT}{photo.pk}"
                    stored += 1
        self.result.counts["point_evidence_photos"] = stored


_PHOTOS: dict[str, bytes] = {}
PHOTO_COLOURS = {"sort": (46, 125, 50), "clean": (21, 101, 192), "mediate": (123, 31, 162), "pile": (191, 54, 12)}


def demo_photo(code: str) -> bytes:
    """A small JPEG that says what it is (DEMO PHOTO and the rule's code), drawn once per rule: the demo
    has no real photos of residents' yards, and must not point at files that do not exist."""
    if code not in _PHOTOS:
        from io import BytesIO

        from PIL import Image, ImageDraw, ImageFont

        image = Image.new("RGB", (480, 320), PHOTO_COLOURS.get(code, (96, 96, 96)))
        draw = ImageDraw.Draw(image)
        draw.rectangle((16, 16, 463, 303), outline=(255, 255, 255), width=4)
        draw.text((240, 140), "DEMO PHOTO", fill=(255, 255, 255), anchor="mm", font=ImageFont.load_default(size=44))
        draw.text((240, 200), f"Jiceng · {code}", fill=(255, 255, 255), anchor="mm",
                  font=ImageFont.load_default(size=24))
        out = BytesIO()
        image.save(out, "JPEG", quality=80)
        _PHOTOS[code] = out.getvalue()
    return _PHOTOS[code]
