"""双报到 (units, party members, volunteers and helpers registered with communities, in teams),
activities with their sign-ups and check-ins, and micro-wishes with their claims."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from ..choices import ClaimStatus, EntryKind, RegistrationKind, SignupStatus, WishStatus
from ..models import Activity, Registration, Signup, VolunteerTeam, Wish, WishClaim
from .base import _Base
from .data import ACTIVITIES, BATCH, PARTY, TEAMS, THANKS, WISH_COSTS, WISHES


class _Participation(_Base):
    """The steps of 双报到, activities and wishes, called in order by ``_Generator.run``."""

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
