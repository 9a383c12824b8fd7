"""A year of assessment results for the demo county, one scheme per shipped template, made through
the real services so every published score can be explained line by line:

- 集贤-style annual assessment of community workers (grid workers) for last year: 量化考核 70 % +
  民主测评 30 %, with a few 加分/减分 entries, 优秀 limited to 20 %;
- 张家口-style quarterly ranking of the urban communities' secretaries (A/B/C, 3 × C → 建议调整,
  A → 优先入编) over the last four whole quarters before today's, with one appeal re-reviewed in the
  second of them (a superseded version stays readable);
- the three-party quarterly property assessment with 红榜/黑榜 over the same four quarters, and
  today's quarter open for scoring so the demo accounts ``community`` and ``dept`` find tasks under
  我的评分任务.

Rounds are named as offices name them (``rollover.default_label``: 2026年第三季度, 2025年度). Their
records carry the dates an office would have left, not the load time: each round set up a week or
two before it starts, 加减分 recorded during it, ratings handed in around its end, results computed
and published five to twelve days after it ends (never after today), the appeal and its re-review in
the fortnight after publication. The dates come from their own generator, so they do not change the
scores.

Deterministic for a seed. Rater accounts it needs (secretaries, judges, 民主测评 raters, the owners'
committee) are made here with unusable passwords; they only rate. Submitted ratings are written in
bulk (one audit record sums the run up); everything else goes through the services.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from jiceng.core.audit import audit_record
from jiceng.people.choices import Role
from jiceng.people.models import Department, GridWorker, User
from jiceng.regions.choices import OrganisationKind, RegionKind, RegionLevel
from jiceng.regions.models import Organisation, Region

from . import services
from .choices import RatingState, SubjectType
from .models import (
    Adjustment,
    Appeal,
    AssessmentPeriod,
    AssessmentResult,
    AssessmentScheme,
    IndicatorScore,
    PeriodSubject,
    RaterAssignment,
    Rating,
    ResultFlag,
)
from .services import scheme_create
from .services.rollover import default_label
from .templates import (
    jixian_worker_definition,
    property_three_party_scheme_create,
    zhangjiakou_secretary_scheme_create,
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
GIVEN = "建国志强秀英丽华伟明海燕红梅文军晓东春生玉兰桂芳永刚德胜淑珍国庆新民"
LEVELS = ["excellent", "competent", "basic", "incompetent"]
QUARTERS = [(1, 3, "第一季度"), (4, 6, "第二季度"), (7, 9, "第三季度"), (10, 12, "第四季度")]


def _end_of_month(year: int, month: int) -> date:
    return date.fromordinal(date(year + (month == 12), month % 12 + 1, 1).toordinal() - 1)


class _Demo:
    def __init__(self, county: Region, seed: int, scale: float):
        self.county, self.scale = county, scale
        self.rng = random.Random(f"jiceng-demo:{seed}:assessment")
        self.dates = random.Random(f"jiceng-demo:{seed}:assessment-dates")  # apart, so scores stay put
        self.now = timezone.now()
        self.published_at: dict[int, datetime] = {}  # period → when its results came out
        self.today = timezone.localdate()
        self.year = self.today.year - 1  # the annual round: last year's, published in January
        self.counts: dict[str, int] = {"schemes": 0, "periods": 0, "ratings": 0, "results": 0}
        self.pending: list[tuple] = []
        self.manager = (User.objects.filter(role=Role.COUNTY_STAFF, region=county, is_active=True).order_by("pk")
                        .first()) or self._user("demo-kh-manager", "县考核办", Role.COUNTY_STAFF, region=county)
        self.department = Department.objects.filter(region=county).order_by("pk").first()

    # --- helpers ---------------------------------------------------------------------------------

    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.sample(GIVEN, self.rng.choice((1, 2))))

    def _user(self, username: str, full_name: str, role: str, *, region=None, department=None) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, full_name=full_name, role=role, region=region, department=department)
            user.set_unusable_password()
            user.save()
        return user

    def _rate(self, period, group: str, rater, subject, *, score=None, answers=None, indicator_scores=None,
              note: str = "") -> None:
        """Queue one submitted rating; ``_flush`` writes the queue in bulk (``rating_save`` per rating
        would take most of the demo's time). Computation then reads them like any other rating."""
        self.pending.append((period.pk, group, rater.pk, subject.pk, score, answers, indicator_scores, note))
        self.counts["ratings"] += 1

    def _flush(self, period) -> None:
        assignments = {(a.group.code, a.rater_id, a.subject_id): a
                       for a in RaterAssignment.objects.filter(period=period).select_related("group")}
        indicators = {i.code: i for i in period.version.indicators.all()}
        now = timezone.now()
        ratings, scores = [], []
        for _, group, rater_id, subject_id, score, answers, indicator_scores, note in self.pending:
            rating = Rating(assignment=assignments[(group, rater_id, subject_id)], state=RatingState.SUBMITTED,
                            score=score, answers=answers or {}, note=note, submitted_at=now)
            ratings.append(rating)
            for code, entry in (indicator_scores or {}).items():
                scores.append((rating, indicators[code], entry))
        Rating.objects.bulk_create(ratings, batch_size=500)
        IndicatorScore.objects.bulk_create(
            [IndicatorScore(rating=r, indicator=i, points=e["points"], note=e["note"], evidence_ref=e["evidence_ref"])
             for r, i, e in scores], batch_size=500)
        self.pending = []

    def _points(self, quality: float, maximum: int, spread: float = 0.06) -> Decimal:
        value = max(0.0, min(1.0, quality + self.rng.gauss(0, spread))) * maximum
        return Decimal(str(round(value, 1)))

    def _period(self, scheme, label: str, start: date, end: date) -> AssessmentPeriod:
        self.counts["periods"] += 1
        return services.period_create(actor=self.manager, scheme=scheme, label=label, starts_on=start, ends_on=end)

    def _finish(self, period, published_on: date) -> None:
        self._flush(period)
        services.period_close_scoring(actor=self.manager, period=period)
        self.counts["results"] += len(services.period_compute(actor=self.manager, period=period))
        services.period_publish(actor=self.manager, period=period, published_on=published_on)
        self._dated(period, published_on)

    def _quarters(self):
        """The last four whole quarters before today's, oldest first (today 2026-11-25: 2025 Q4 to 2026 Q3),
        named as offices name them."""
        index = self.today.year * 4 + (self.today.month - 1) // 3  # today's quarter
        for i in range(index - 4, index):
            yield self._quarter(i)

    def _quarter(self, index: int) -> tuple[str, date, date]:
        year, q = divmod(index, 4)
        start_month, end_month, _name = QUARTERS[q]
        start, end = date(year, start_month, 1), _end_of_month(year, end_month)
        return default_label("quarter", start, end), start, end

    def _published(self, end: date) -> date:
        """Results come out five to twelve days after a round ends (never after today)."""
        return min(_next_day(end, self.dates.randint(5, 12)), self.today)

    # --- dates: what an office would have left, instead of the load time --------------------------

    def _at(self, day: date, start_hour: float = 9, end_hour: float = 17.5) -> datetime:
        """A moment in office hours of ``day`` (local), never later than now (a little before it, on
        the same day, when ``day`` is today)."""
        midnight = datetime.combine(day, time(), tzinfo=timezone.get_current_timezone())
        moment = midnight + timedelta(hours=self.dates.uniform(start_hour, end_hour))
        return min(moment, max(self.now - timedelta(minutes=self.dates.randint(5, 60)), midnight))

    def _between(self, first: datetime, last: datetime) -> datetime:
        if last <= first:
            return last
        return first + (last - first) * self.dates.random()

    def _set_up(self, period: AssessmentPeriod) -> None:
        """The round was set up a week or two before it starts (the scheme just before its first round)."""
        created = self._at(_next_day(period.starts_on, -self.dates.randint(7, 20)))
        AssessmentPeriod.objects.filter(pk=period.pk).update(created_at=created)
        scheme = AssessmentScheme.objects.get(pk=period.scheme_id)
        if created < scheme.created_at:
            scheme_created = created - timedelta(days=self.dates.randint(1, 5))
            AssessmentScheme.objects.filter(pk=scheme.pk).update(created_at=scheme_created)
            scheme.versions.update(created_at=scheme_created)

    def _dated(self, period: AssessmentPeriod, published_on: date) -> None:
        """Back-date a published round: adjustments during it, ratings around its end, the results
        computed the day or two before ``published_on`` and published that morning, the flags with them."""
        self._set_up(period)
        published = self._at(published_on, 9, 11.5)
        computed = published - timedelta(hours=self.dates.uniform(18, 30))
        start, end = self._at(period.starts_on), min(self._at(period.ends_on), computed)
        adjustments = list(Adjustment.objects.filter(period=period).order_by("pk"))
        for adjustment in adjustments:
            adjustment.recorded_at = self._between(start, end)
        Adjustment.objects.bulk_update(adjustments, ["recorded_at"], batch_size=500)
        ratings = list(Rating.objects.filter(assignment__period=period).order_by("pk").only("pk"))
        handed_from = min(self._at(_next_day(period.ends_on, -3)), computed - timedelta(days=1))
        for rating in ratings:
            rating.submitted_at = rating.updated_at = self._between(handed_from, computed - timedelta(hours=1))
        Rating.objects.bulk_update(ratings, ["submitted_at", "updated_at"], batch_size=500)
        AssessmentResult.objects.filter(period=period).update(computed_at=computed, published_at=published)
        ResultFlag.objects.filter(period=period).update(created_at=published)
        self.published_at[period.pk] = published

    # --- 集贤: community workers, annual --------------------------------------------------------------

    def jixian(self) -> None:
        definition = jixian_worker_definition()
        scheme = scheme_create(actor=self.manager, name="社区工作者年度考核（集贤式）", subject_type=SubjectType.GRID_WORKER,
                               period_type="year", region=self.county, definition=definition)
        self.counts["schemes"] += 1
        workers = list(GridWorker.objects.filter(community__path__startswith=self.county.path, active=True)
                       .select_related("community").order_by("pk")[: max(8, int(60 * self.scale))])
        p = self._period(scheme, default_label("year", date(self.year, 1, 1), date(self.year, 12, 31)),
                         date(self.year, 1, 1), date(self.year, 12, 31))
        subjects = [services.period_subject_add(actor=self.manager, period=p, obj=w) for w in workers]
        office = self._user("demo-kh-office", "县考核办评分组", Role.DEPARTMENT_STAFF, department=self.department)
        voters = [self._user(f"demo-mz-{i}", f"民主测评代表{i}", Role.DEPARTMENT_STAFF, department=self.department)
                  for i in range(1, 6)]
        services.assignment_create(actor=self.manager, period=p, group="quant", rater=office, subjects=subjects)
        for v in voters:
            services.assignment_create(actor=self.manager, period=p, group="democratic", rater=v, subjects=subjects)
        services.period_open_scoring(actor=self.manager, period=p)
        maxima = {i["code"]: int(i["max_points"]) for i in definition["indicators"] if i.get("group") == "quant"}
        names = {i["code"]: i["name"] for i in definition["indicators"]}  # evidence named as a ledger is
        for s in subjects:
            q = self.rng.uniform(0.62, 0.99)
            self._rate(p, "quant", office, s, indicator_scores={
                code: {"points": self._points(q, m), "note": "按年度台账评分", "evidence_ref": f"{self.year}年{names[code]}台账 第{s.pk}号"}
                for code, m in maxima.items()})
            for v in voters:
                level = LEVELS[min(3, max(0, int((1 - q) * 6 + self.rng.gauss(0, 0.7))))]
                self._rate(p, "democratic", v, s, answers={item: level for item in ("de", "neng", "qin", "ji", "lian")})
            roll = self.rng.random()
            if roll < 0.15:
                services.adjustment_record(actor=self.manager, period=p, subject=s, indicator="honour", points="3",
                                           note="获市级表彰", evidence_ref="表彰文件")
            elif roll < 0.25:
                services.adjustment_record(actor=self.manager, period=p, subject=s, indicator="style", points="2",
                                           note="工作日志未按时填报", evidence_ref="督查通报")
        self._finish(p, self._published(date(self.year, 12, 31)))

    # --- 张家口: community secretaries, quarterly --------------------------------------------------------

    def zhangjiakou(self) -> None:
        scheme = zhangjiakou_secretary_scheme_create(actor=self.manager, region=self.county,
                                                     name="社区书记季度考核排名（张家口式）")
        self.counts["schemes"] += 1
        communities = list(Region.objects.filter(path__startswith=self.county.path, level=RegionLevel.COMMUNITY,
                                                 kind=RegionKind.COMMUNITY).select_related("parent").order_by("code"))
        secretaries = [self._user(f"demo-sj-{c.code}", f"{c.name}书记{self._name()}", Role.COMMUNITY_STAFF, region=c)
                       for c in communities]
        leaders = {}
        for c in communities:
            street = c.parent
            leaders.setdefault(street.pk, self._user(f"demo-zz-{street.code}", f"{street.name}党政正职",
                                                     Role.STREET_STAFF, region=street))
        judges = [self._user(f"demo-pw-{i}", f"评委{i}（部门负责人）", Role.DEPARTMENT_STAFF, department=self.department)
                  for i in range(1, 6)]
        quality = {u.pk: self.rng.uniform(0.72, 0.94) for u in secretaries}
        if secretaries:
            quality[secretaries[-1].pk] = 0.62  # three quarters of C → 建议调整
            quality[secretaries[0].pk] = 0.96  # A → 优先入编
        for qi, (label, start, end) in enumerate(self._quarters()):
            p = self._period(scheme, label, start, end)
            subjects = [services.period_subject_add(actor=self.manager, period=p, obj=u) for u in secretaries]
            for s, c in zip(subjects, communities, strict=True):
                services.assignment_create(actor=self.manager, period=p, group="leaders", rater=leaders[c.parent_id],
                                           subjects=[s])
            for j in judges:
                services.assignment_create(actor=self.manager, period=p, group="judges", rater=j, subjects=subjects)
            services.peer_assignments_create(actor=self.manager, period=p, group="peers")
            services.period_open_scoring(actor=self.manager, period=p)
            for s, c in zip(subjects, communities, strict=True):
                q = quality[s.user_id]
                self._rate(p, "leaders", leaders[c.parent_id], s, score=self._points(q, 100, 0.03),
                           note="镇街党政正职评价")
                for j in judges:
                    self._rate(p, "judges", j, s, score=self._points(q, 100, 0.04))
                for other in subjects:
                    if other.pk != s.pk:
                        self._rate(p, "peers", other.user, s, score=self._points(q, 100, 0.05))
            self._finish(p, self._published(end))
            if qi == 1 and len(subjects) > 2:
                self._appeal(p, subjects[1], leaders[communities[1].parent_id])

    def _appeal(self, p: AssessmentPeriod, subject: PeriodSubject, leader) -> None:
        """The second-ranked secretary's leader score was entered wrongly: appeal, correct, re-publish."""
        services.appeal_file(actor=self.manager, period=p, subject=subject, reason="镇街评价分录入有误，申请复核。")
        services.period_start_rereview(actor=self.manager, period=p)
        rating = subject.assignments.get(group__code="leaders").rating
        services.rating_save(actor=leader, period=p, group="leaders", subject=subject,
                             score=min(Decimal(100), rating.score + Decimal(6)), note="复核更正：原录入漏计专项工作",
                             submit=True)
        self.counts["results"] += len(services.period_recompute(actor=self.manager, period=p,
                                                                reason="申诉复核：更正镇街党政正职评价分"))
        services.period_republish(actor=self.manager, period=p, decision="申诉成立，已更正。")
        # dated: filed a few days after publication, the corrected score a few days later, the new
        # versions computed and published in the week after that
        filed = min(self.published_at[p.pk] + timedelta(days=self.dates.randint(2, 5), hours=self.dates.uniform(-2, 4)),
                    self.now - timedelta(hours=3))
        corrected = self._between(filed, min(filed + timedelta(days=self.dates.randint(2, 4)), self.now))
        recomputed = self._between(corrected, min(corrected + timedelta(days=2), self.now))
        republished = self._between(recomputed, min(recomputed + timedelta(days=self.dates.randint(1, 4)), self.now))
        Appeal.objects.filter(period=p).update(filed_at=filed, decided_at=republished)
        Rating.objects.filter(pk=rating.pk).update(submitted_at=corrected, updated_at=corrected)
        AssessmentResult.objects.filter(period=p, version_no__gt=1).update(computed_at=recomputed,
                                                                            published_at=republished)
        ResultFlag.objects.filter(period=p).update(created_at=republished)

    # --- three-party property assessment, quarterly, 红黑榜 ----------------------------------------------

    def property(self) -> None:
        orgs = list(Organisation.objects.filter(kind=OrganisationKind.PROPERTY, grid__path__startswith=self.county.path)
                    .select_related("grid").order_by("pk")[: max(6, int(40 * self.scale))])
        n = len(orgs)
        scheme = property_three_party_scheme_create(actor=self.manager, region=self.county,
                                                    name="物业服务企业三方季度考核", red_top_n=min(15, max(1, n // 4)),
                                                    black_bottom_n=min(5, max(1, n // 8)))
        self.counts["schemes"] += 1
        party = self._user("demo-dzz", "街道社区党组织评分人", Role.DEPARTMENT_STAFF, department=self.department)
        owners = self._user("demo-ywh", "业主委员会代表", Role.DEPARTMENT_STAFF, department=self.department)
        housing = User.objects.filter(username="dept", is_active=True).first() or self._user(
            "demo-zj", "住建部门评分人", Role.DEPARTMENT_STAFF, department=self.department)
        quality = {o.pk: self.rng.uniform(0.55, 0.98) for o in orgs}
        raters = {"party_org": party, "owners": owners, "housing": housing}
        for label, start, end in self._quarters():
            p = self._period(scheme, label, start, end)
            subjects = [services.period_subject_add(actor=self.manager, period=p, obj=o) for o in orgs]
            for group, rater in raters.items():
                services.assignment_create(actor=self.manager, period=p, group=group, rater=rater, subjects=subjects)
            services.period_open_scoring(actor=self.manager, period=p)
            for s in subjects:
                for group, rater in raters.items():
                    self._rate(p, group, rater, s, score=self._points(quality[s.subject_id], 100, 0.05))
            self._finish(p, self._published(end))
        # This quarter, open for scoring: tasks for the demo's community and department accounts.
        nxt = self._period(scheme, *self._quarter(self.today.year * 4 + (self.today.month - 1) // 3))
        subjects = [services.period_subject_add(actor=self.manager, period=nxt, obj=o) for o in orgs]
        community = User.objects.filter(username="community", is_active=True).first()
        for group, rater in (("party_org", community or party), ("owners", owners), ("housing", housing)):
            services.assignment_create(actor=self.manager, period=nxt, group=group, rater=rater, subjects=subjects)
        services.period_open_scoring(actor=self.manager, period=nxt)
        self._set_up(nxt)


def _next_day(end: date, days: int) -> date:
    return date.fromordinal(end.toordinal() + days)


def generate_demo_assessment(*, county: Region, seed: int, scale: float) -> dict[str, int]:
    """Make the three demo schemes and their periods in the demo county; returns counts."""
    with transaction.atomic():
        demo = _Demo(county, seed, scale)
        demo.jixian()
        demo.zhangjiakou()
        demo.property()
        audit_record(actor=None, action="demo.assessment", object_type="demo", object_id=county.code,
                     object_repr=f"演示考核 {county.name}", changes={"seed": seed, "scale": scale, **demo.counts})
    return demo.counts
