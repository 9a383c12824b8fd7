"""Demo data for engagement: points charters, ledgers, shops, micro-wishes, 双报到 and activities in
the demo county, plus one resident login (``resident``).

Rows are written in bulk for speed, but in the order the services would write them, so the result
obeys every rule the services keep: each account's cached balance is the sum of its ledger and never
went negative on the way, stock never below zero, one live claim per wish, one award per source record,
sign-ups within capacity. ``tests/engagement/test_demo.py`` checks this with the selectors.

Call after the county, people and organisations are loaded::

    from jiceng.engagement.demo import generate_demo_engagement
    result = generate_demo_engagement(county=county_region, seed=seed, scale=scale)
    result.credential  # accounts.Credential for the resident login
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from jiceng.core.audit import audit_record
from jiceng.demo.accounts import Credential, new_password
from jiceng.people.choices import PoliticalStatus, Role, WorkerKind
from jiceng.people.models import GridWorker, Resident, User
from jiceng.regions.choices import RegionKind, RegionLevel
from jiceng.regions.models import Organisation, Region

from .choices import (
    ClaimStatus,
    EntryKind,
    RedemptionStatus,
    RegistrationKind,
    RuleSource,
    SignupStatus,
    WishCategory,
    WishStatus,
)
from .models import (
    Activity,
    PointAccount,
    PointEntry,
    PointRule,
    Redemption,
    Registration,
    Shop,
    ShopItem,
    Signup,
    VolunteerTeam,
    Wish,
    WishClaim,
)

BATCH = 2000
OFFICE_OPENS, OFFICE_CLOSES = time(8, 30), time(17, 30)
PARTY = (PoliticalStatus.PARTY_MEMBER, PoliticalStatus.PROBATIONARY)
RESIDENT_USERNAME = "resident"

# code, name, points, requires evidence, automatic source
RULES = [
    ("vol", "志愿服务签退", 10, False, RuleSource.VOLUNTEER_CHECKIN),
    ("wish", "认领微心愿并完成", 20, False, RuleSource.WISH_FULFILLED),
    ("report", "上报事件经核实", 5, False, RuleSource.EVENT_VERIFIED_REPORT),
    ("sort", "垃圾分类投放规范", 5, True, ""),
    ("clean", "庭院整洁", 10, True, ""),
    ("filial", "孝老爱亲", 15, False, ""),
    ("meeting", "参加议事会", 5, False, ""),
    ("mediate", "协助调解邻里纠纷", 20, True, ""),
    ("litter", "乱扔垃圾", -3, False, ""),
    ("pile", "乱堆乱放", -5, True, ""),
]
MANUAL_AWARDS = [r for r in RULES if r[2] > 0 and not r[4]]
# What a worker writes as the evidence of a rule that needs it (佐证说明, as on the award form); a few
# entries per community carry a photo instead, stored as an attachment the way the award form stores one.
EVIDENCE = {"sort": "垃圾分类督导员现场核实", "clean": "庭院整洁评比入户检查", "mediate": "调解协议书，村（居）调委会存档",
            "pile": "网格员巡查发现，已当面告知"}
PHOTOS_PER_COMMUNITY = 2
ITEMS = [("食用盐", 10), ("洗衣粉", 30), ("食用油（5L）", 120), ("大米（10斤）", 80), ("毛巾", 15),
         ("牙膏", 12), ("电饭煲", 400), ("雨伞", 40), ("酱油", 15), ("理发券", 20)]
WISHES = {
    WishCategory.LIVING: ["一袋大米和一桶油", "冬天的棉被", "一台电风扇", "换一个旧热水器", "一双保暖棉鞋"],
    WishCategory.STUDY: ["一个新书包", "一套课外读物", "一盏护眼台灯", "一本新华字典", "一套文具"],
    WishCategory.HEALTH: ["一台血压计", "一副老花镜", "一根助行拐杖", "一次上门体检"],
    WishCategory.SERVICE: ["帮忙修理漏水的水龙头", "帮忙疏通下水道", "上门理发", "帮忙换灯泡"],
    WishCategory.COMPANY: ["有人陪我聊聊天", "孩子放学后有人辅导作业", "陪老人去医院复查"],
    WishCategory.OTHER: ["想学用智能手机", "一张全家福照片"],
}
# what a wish for a thing would cost (元), as a resident would estimate it; a service or company costs
# nothing to estimate (left at 0: not given, shown as —)
WISH_COSTS = {
    "一袋大米和一桶油": 150, "冬天的棉被": 200, "一台电风扇": 150, "换一个旧热水器": 500, "一双保暖棉鞋": 80,
    "一个新书包": 100, "一套课外读物": 120, "一盏护眼台灯": 80, "一本新华字典": 30, "一套文具": 50,
    "一台血压计": 200, "一副老花镜": 50, "一根助行拐杖": 60, "一张全家福照片": 100,
}
THANKS = ["谢谢社区的好心人！", "非常感谢，孩子很喜欢。", "感谢党员同志的帮助！", "太感谢了，解决了大问题。"]
# the place after the community's name: 城南社区广场, 桥岩村党群服务中心
ACTIVITIES = [("清扫楼道", "各小区楼栋"), ("义诊进社区", "党群服务中心"), ("文明劝导", "主要路口"),
              ("垃圾分类宣传", "广场"), ("关爱独居老人走访", "各网格"), ("防诈骗宣传", "广场"),
              ("河道清理", "附近河道"), ("助老理发", "党群服务中心")]
TEAMS = ["红骑先锋队", "党员先锋队", "巾帼志愿服务队"]


@dataclass
class EngagementDemo:
    counts: dict[str, int] = field(default_factory=dict)
    credential: Credential | None = None


class _Ledger:
    """Entries of one account in time order, with the running balance kept non-negative."""

    def __init__(self, community_id: int, resident_id: int | None = None, organisation_id: int | None = None):
        self.community_id, self.resident_id, self.organisation_id = community_id, resident_id, organisation_id
        self.rows: list[dict] = []

    def add(self, **row) -> dict:
        self.rows.append(row)
        return row

    def ordered(self) -> list[dict]:
        self.rows.sort(key=lambda r: r["created_at"])
        return self.rows


def generate_demo_engagement(*, county: Region, seed: int, scale: float) -> EngagementDemo:
    """Create the engagement demo in ``county``; returns counts and the resident login's credential."""
    with transaction.atomic():
        return _Generator(county, random.Random(seed ^ 0x51E0), scale).run()


class _Generator:
    def __init__(self, county: Region, rng: random.Random, scale: float):
        self.county, self.rng, self.scale = county, rng, max(scale, 0.05)
        self.now = timezone.localtime().replace(microsecond=0)
        self.result = EngagementDemo()
        self.ledgers: dict[tuple[str, int], _Ledger] = {}
        self.photos_taken: dict[int, int] = {}

    def n(self, base: float) -> int:
        return max(1, round(base * self.scale))

    def ago(self, days_max: float, days_min: float = 0) -> datetime:
        return self.now - timedelta(seconds=self.rng.uniform(days_min * 86400, days_max * 86400))

    def office_ago(self, days_max: float, days_min: float = 0) -> datetime:
        """Like ``ago``, at a time of the working day (08:30–17:30 local): what a community worker
        records (points awarded, deducted) happens in office hours, not at two in the morning."""
        return self.in_office(self.ago(days_max, days_min))

    def in_office(self, t: datetime, *, not_before: datetime | None = None) -> datetime:
        """``t`` moved to office hours: the same day, or the next one when it must not go earlier
        than ``not_before``; ``t`` itself when the move would pass now."""
        local = timezone.localtime(t)
        if OFFICE_OPENS <= local.time() <= OFFICE_CLOSES:
            return t
        # a minute that starts and ends within the hours: 08:30:00 … 17:29:59 (17:30 and its seconds are after)
        minute = self.rng.randint(OFFICE_OPENS.hour * 60 + OFFICE_OPENS.minute,
                                  OFFICE_CLOSES.hour * 60 + OFFICE_CLOSES.minute - 1)
        moved = local.replace(hour=minute // 60, minute=minute % 60, second=self.rng.randint(0, 59), microsecond=0)
        if not_before is not None and moved < not_before:
            moved += timedelta(days=1)
        return moved if moved <= self.now else t

    def ledger(self, community_id: int, *, resident_id=None, organisation_id=None) -> _Ledger:
        key = ("r", resident_id) if resident_id else ("o", organisation_id)
        if key not in self.ledgers:
            self.ledgers[key] = _Ledger(community_id, resident_id, organisation_id)
        return self.ledgers[key]

    # --- the whole run ------------------------------------------------------------------------

    def run(self) -> EngagementDemo:
        self._load()
        self._rules()
        self._shops()
        self._teams_and_registrations()
        self._activities()
        self._wishes()
        self._manual_points()
        self._resident_account()
        self._write_ledgers()
        audit_record(actor=None, action="demo.engagement", object_type="demo", object_id=self.county.code,
                     object_repr=f"演示县 {self.county.name}：群众参与", changes=dict(self.result.counts))
        return self.result

    def _load(self) -> None:
        rng = self.rng
        self.communities = list(Region.objects.filter(path__startswith=self.county.path,
                                                      level=RegionLevel.COMMUNITY).order_by("path"))
        by_path = {c.path: c for c in self.communities}
        depth = len([p for p in self.communities[0].path.split("/") if p]) if self.communities else 0

        def community_of(path: str) -> Region | None:
            parts = [p for p in path.split("/") if p]
            return by_path.get("/" + "/".join(parts[:depth]) + "/")

        # A sample of residents per community (the demo needs hundreds, not the whole population).
        self.people: dict[int, list[tuple[int, str, str, bool]]] = {c.pk: [] for c in self.communities}
        per_community = self.n(160)
        rows = Resident.objects.filter(grid__path__startswith=self.county.path).values_list(
            "id", "name", "political_status", "is_volunteer", "grid__path").order_by("id")
        for rid, name, status, volunteer, path in rows.iterator(chunk_size=5000):
            community = community_of(path)
            if community is None:
                continue
            bucket = self.people[community.pk]
            if len(bucket) < per_community:
                bucket.append((rid, name, status, volunteer))
            elif rng.random() < 0.02:
                bucket[rng.randrange(len(bucket))] = (rid, name, status, volunteer)
        self.orgs: dict[int, list[int]] = {c.pk: [] for c in self.communities}
        for oid, path in Organisation.objects.filter(grid__path__startswith=self.county.path).values_list(
                "id", "grid__path"):
            community = community_of(path)
            if community is not None and len(self.orgs[community.pk]) < 8:
                self.orgs[community.pk].append(oid)
        self.helpers: dict[int, list[int]] = {c.pk: [] for c in self.communities}
        for wid, cid in GridWorker.objects.filter(community__in=self.communities, kind=WorkerKind.SPECIAL,
                                                  active=True).values_list("id", "community_id"):
            self.helpers[cid].append(wid)

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

    # --- 双报到 and activities -------------------------------------------------------------------

    def _teams_and_registrations(self) -> None:
        rng = self.rng
        teams = VolunteerTeam.objects.bulk_create(
            [VolunteerTeam(community=c, name=name) for c in self.communities for name in TEAMS[:rng.randint(1, 3)]],
            batch_size=BATCH)
        self.teams: dict[int, list[VolunteerTeam]] = {}
        for t in teams:
            self.teams.setdefault(t.community_id, []).append(t)
        regs = []
        for c in self.communities:
            start = self.ago(400, 200)
            for oid in self.orgs[c.pk][:rng.randint(2, 6)]:
                regs.append(Registration(community=c, kind=RegistrationKind.UNIT, organisation_id=oid,
                                         registered_at=start))
            for rid, _name, status, volunteer in self.people[c.pk]:
                if status in PARTY:
                    kind = RegistrationKind.PARTY_MEMBER
                elif volunteer or rng.random() < 0.08:
                    kind = RegistrationKind.VOLUNTEER
                else:
                    continue
                team = rng.choice(self.teams[c.pk]) if rng.random() < 0.3 else None
                regs.append(Registration(community=c, kind=kind, resident_id=rid, team=team,
                                         registered_at=self.ago(300, 100)))
            for wid in self.helpers[c.pk][:10]:
                regs.append(Registration(community=c, kind=RegistrationKind.HELPER, worker_id=wid,
                                         team=self.teams[c.pk][0], registered_at=self.ago(300, 100)))
        regs = Registration.objects.bulk_create(regs, batch_size=BATCH)
        self.registrations: dict[int, list[Registration]] = {}
        for r in regs:
            self.registrations.setdefault(r.community_id, []).append(r)
        self.result.counts |= {"volunteer_teams": len(teams), "registrations": len(regs)}

    def _activities(self) -> None:
        rng = self.rng
        activities = []
        for c in self.communities:
            for i in range(self.n(8) + 2):  # two upcoming, the rest in the past half-year
                title, place = rng.choice(ACTIVITIES)
                upcoming = i < 2
                day = self.now + timedelta(days=rng.randint(1, 14)) if upcoming else self.ago(170, 1)
                start = day.replace(hour=rng.choice([8, 9, 14, 15]), minute=0, second=0)
                activities.append(Activity(community=c, title=title, place=f"{c.name}{place}", starts_at=start,
                                           ends_at=start + timedelta(hours=rng.choice([1, 2, 3])),
                                           capacity=rng.choice([10, 15, 20, 30])))
        activities = Activity.objects.bulk_create(activities, batch_size=BATCH)
        signups = []
        for a in activities:
            people = [r for r in self.registrations.get(a.community_id, []) if r.organisation_id is None]
            units = [r.organisation_id for r in self.registrations.get(a.community_id, []) if r.organisation_id]
            upcoming = a.starts_at > self.now
            for reg in rng.sample(people, min(len(people), rng.randint(a.capacity // 3, a.capacity))):
                s = Signup(activity=a, registration=reg, created_at=a.starts_at - timedelta(days=rng.randint(1, 5)),
                           organisation_id=rng.choice(units) if units and reg.kind == RegistrationKind.PARTY_MEMBER
                           and rng.random() < 0.5 else None)
                if not upcoming and rng.random() < 0.9:
                    s.checked_in_at = a.starts_at + timedelta(minutes=rng.randint(-20, 15))
                    s.checked_out_at = a.ends_at + timedelta(minutes=rng.randint(-30, 20))
                    begin, end = max(s.checked_in_at, a.starts_at), min(s.checked_out_at, a.ends_at)
                    s.minutes = max(0, int((end - begin).total_seconds() // 60))
                elif not upcoming and rng.random() < 0.3:
                    s.status = SignupStatus.CANCELLED
                signups.append(s)
        self.signups = Signup.objects.bulk_create(signups, batch_size=BATCH)
        self.activities = activities
        self.result.counts |= {"activities": len(activities), "signups": len(signups)}
        self.signup_awards: list[tuple[Signup, dict]] = []
        for s in self.signups:
            if s.checked_out_at and s.minutes > 0 and s.registration.resident_id:
                rule = self.rules[(s.activity.community_id, "vol")]
                row = self.ledger(s.activity.community_id, resident_id=s.registration.resident_id).add(
                    amount=rule.points, kind=EntryKind.AWARD, rule=rule, source_type="signup",
                    source_id=str(s.pk), note=f"志愿服务：{s.activity.title}", created_at=s.checked_out_at)
                self.signup_awards.append((s, row))

    # --- wishes ---------------------------------------------------------------------------------

    def _wishes(self) -> None:
        rng = self.rng
        total = self.n(3000)
        per = max(1, total // max(1, len(self.communities)))
        wishes, plans = [], []
        for c in self.communities:
            people = self.people[c.pk]
            if not people:
                continue
            for _ in range(per):
                rid = rng.choice(people)[0]
                category = rng.choice(list(WISHES))
                created = self.ago(200, 0.5)
                status = rng.choices(
                    [WishStatus.SUBMITTED, WishStatus.REJECTED, WishStatus.PUBLISHED, WishStatus.CLAIMED,
                     WishStatus.FULFILLED, WishStatus.THANKED], weights=[8, 4, 15, 15, 13, 45])[0]
                if status in (WishStatus.FULFILLED, WishStatus.THANKED) and created > self.now - timedelta(days=20):
                    created -= timedelta(days=20)
                elif created > self.now - timedelta(days=3) and status != WishStatus.SUBMITTED:
                    created -= timedelta(days=3)
                description = rng.choice(WISHES[category])
                w = Wish(community=c, resident_id=rid, category=category, description=description,
                         estimated_cost=Decimal(WISH_COSTS.get(description, 0)), status=status, created_at=created)
                if status == WishStatus.REJECTED:
                    w.reject_reason = "不属于微心愿范围，已转社区救助渠道。"
                elif status != WishStatus.SUBMITTED:
                    w.published_at = created + timedelta(hours=rng.randint(2, 48))
                if status == WishStatus.THANKED:
                    w.thanks = rng.choice(THANKS)
                    w.thanked_at = w.published_at + timedelta(days=rng.randint(3, 12))
                wishes.append(w)
        wishes = Wish.objects.bulk_create(wishes, batch_size=BATCH)
        claims = []
        for w in wishes:
            if w.status not in (WishStatus.CLAIMED, WishStatus.FULFILLED, WishStatus.THANKED, WishStatus.PUBLISHED):
                continue
            if w.status == WishStatus.PUBLISHED:
                if rng.random() < 0.15 and w.published_at < self.now - timedelta(days=20):  # a lapsed claim
                    claimed = w.published_at + timedelta(hours=6)
                    claims.append(self._claim(w, claimed, ClaimStatus.LAPSED))
                continue
            claimed = w.published_at + timedelta(hours=rng.randint(1, 72))
            if w.status == WishStatus.CLAIMED:  # still within its 14 days
                claimed = max(w.published_at + timedelta(hours=1),
                              self.now - timedelta(hours=rng.randint(1, 240)))
            status = ClaimStatus.ACTIVE if w.status == WishStatus.CLAIMED else ClaimStatus.FULFILLED
            claim = self._claim(w, claimed, status)
            if claim is None:
                continue
            if status == ClaimStatus.FULFILLED:
                claim.fulfilled_at = min(claimed + timedelta(days=rng.randint(1, 6)), w.thanked_at or self.now)
                claim.fulfilment_photo = f"demo/wish/{w.pk}.jpg"
            claims.append(claim)
            plans.append((w, claim))
        claims = WishClaim.objects.bulk_create([c for c in claims if c is not None], batch_size=BATCH)
        for w, claim in plans:
            if w.status == WishStatus.THANKED and (claim.resident_id or claim.organisation_id):
                rule = self.rules[(w.community_id, "wish")]
                self.ledger(w.community_id, resident_id=claim.resident_id, organisation_id=claim.organisation_id).add(
                    amount=rule.points, kind=EntryKind.AWARD, rule=rule, source_type="wish", source_id=str(w.pk),
                    note=f"认领微心愿：{w.description[:30]}", created_at=w.thanked_at)
        self.result.counts |= {"wishes": len(wishes), "wish_claims": len(claims)}

    def _claim(self, w: Wish, claimed: datetime, status: str) -> WishClaim | None:
        rng = self.rng
        regs = [r for r in self.registrations.get(w.community_id, []) if r.resident_id != w.resident_id
                and (r.resident_id or r.organisation_id)]
        teams = self.teams.get(w.community_id, [])
        pick = rng.random()
        kwargs: dict = {}
        if pick < 0.2 and teams:
            kwargs["team"] = rng.choice(teams)
        elif regs:
            reg = rng.choice(regs)
            kwargs = {"resident_id": reg.resident_id} if reg.resident_id else {"organisation_id": reg.organisation_id}
        elif teams:
            kwargs["team"] = rng.choice(teams)
        else:
            return None
        deadline = claimed + timedelta(days=14)
        claim = WishClaim(wish=w, status=status, claimed_at=claimed, deadline=deadline, **kwargs)
        if status == ClaimStatus.LAPSED:
            claim.closed_at = deadline
        return claim

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

        from .services.points import EVIDENCE_ATTACHMENT

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
