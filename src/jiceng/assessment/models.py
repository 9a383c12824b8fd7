"""考核 tables. A scheme has numbered versions; a version is frozen once a period uses it, so a
published result always points at the exact rules it was computed with."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiceng.core.models import BackgroundRun
from jiceng.regions.models import Region

from .choices import (
    AppealOutcome,
    AppealState,
    ComputationStatus,
    FlagKind,
    GroupKind,
    IndicatorKind,
    PeriodState,
    PeriodType,
    RatingState,
    SubjectType,
)

POINTS = {"max_digits": 9, "decimal_places": 4}


class FrozenResultError(RuntimeError):
    pass


class AssessmentScheme(models.Model):
    """考核方案: who is assessed (subject type), how often, and by which region's office."""

    name = models.CharField(_("方案名称"), max_length=100)
    subject_type = models.CharField(_("考核对象类型"), max_length=16, choices=SubjectType.choices)
    period_type = models.CharField(_("考核周期"), max_length=16, choices=PeriodType.choices)
    region = models.ForeignKey(Region, verbose_name=_("组织区域"), on_delete=models.PROTECT,
                               related_name="assessment_schemes")
    description = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = "region__path"
    scope_personal = False

    class Meta:
        ordering = ["region__path", "name"]
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")

    def __str__(self) -> str:
        return self.name


class SchemeVersion(models.Model):
    """The rules. ``frozen`` once any period uses the version; edits then make a new version."""

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("版本号"))
    frozen = models.BooleanField(_("已冻结"), default=False)
    max_total = models.DecimalField(_("满分"), max_digits=7, decimal_places=2, default=Decimal("100"))
    clip = models.BooleanField(_("总分限制在 0 至满分"), default=True)
    formula = models.TextField(_("计算公式"), blank=True,
                               help_text=_("留空则按权重合计；公式可用组编码、指标编码、bonus、deduction、base、"
                                           "routine_avg、max_total 与 min/max/round/safe_div。"))
    grade_bands = models.JSONField(_("等次分档"), default=list, blank=True,
                                   help_text=_('从高到低，如 [{"grade": "A", "min": "90"}, …]'))
    grade_quotas = models.JSONField(_("等次比例上限"), default=dict, blank=True,
                                    help_text=_('如 {"优秀": "20"}：该等次最多占 20%，按名次确定。'))
    streak_grade = models.CharField(_("连续等次规则：等次"), max_length=16, blank=True)
    streak_length = models.PositiveSmallIntegerField(_("连续次数"), default=0)
    candidate_grade = models.CharField(_("优先入编等次"), max_length=16, blank=True)
    red_top_n = models.PositiveSmallIntegerField(_("红榜前 N 名"), default=0)
    black_bottom_n = models.PositiveSmallIntegerField(_("黑榜后 N 名"), default=0)
    routine_weight = models.DecimalField(_("平时考核折算权重（%）"), max_digits=5, decimal_places=2,
                                         default=Decimal("0"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scheme", "number"]
        verbose_name = _("方案版本")
        verbose_name_plural = _("方案版本")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="scheme_version_unique"),
            models.CheckConstraint(condition=models.Q(max_total__gt=0), name="scheme_version_max_positive"),
            models.CheckConstraint(condition=models.Q(routine_weight__gte=0, routine_weight__lte=100),
                                   name="scheme_version_routine_weight_range"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} v{self.number}"


class RaterGroup(models.Model):
    """A group of raters with a weight (all weights of a version sum to 100%)."""

    version = models.ForeignKey(SchemeVersion, on_delete=models.CASCADE, related_name="groups")
    code = models.SlugField(_("编码"), max_length=32)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("评分方式"), max_length=16, choices=GroupKind.choices)
    weight = models.DecimalField(_("权重（%）"), max_digits=5, decimal_places=2)
    max_points = models.DecimalField(_("满分"), max_digits=7, decimal_places=2)
    anonymous = models.BooleanField(_("匿名"), default=False)
    peer = models.BooleanField(_("互评"), default=False, help_text=_("评分人为同组考核对象，不评自己。"))
    drop_extremes = models.PositiveSmallIntegerField(_("去掉最高、最低各 N 个"), default=0)
    questionnaire = models.JSONField(_("问卷"), default=dict, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "order", "id"]
        verbose_name = _("评分组")
        verbose_name_plural = _("评分组")
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="rater_group_code_unique"),
            models.CheckConstraint(condition=models.Q(weight__gte=0, weight__lte=100), name="rater_group_weight_range"),
            models.CheckConstraint(condition=models.Q(max_points__gt=0), name="rater_group_max_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """A node of the indicator tree. Leaves are scored; a node with children sums them. ``cap``
    limits a node's value (deduction areas, bonus items)."""

    version = models.ForeignKey(SchemeVersion, on_delete=models.CASCADE, related_name="indicators")
    group = models.ForeignKey(RaterGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="indicators")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    code = models.SlugField(_("编码"), max_length=32)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=IndicatorKind.choices)
    max_points = models.DecimalField(_("分值"), max_digits=7, decimal_places=2, default=Decimal("0"))
    cap = models.DecimalField(_("上限"), max_digits=7, decimal_places=2, null=True, blank=True)
    auto_key = models.CharField(_("自动指标"), max_length=64, blank=True)
    auto_target = models.DecimalField(_("满分对应值"), max_digits=12, decimal_places=4, default=Decimal("1"))
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "order", "id"]
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="indicator_code_unique"),
            models.CheckConstraint(condition=models.Q(max_points__gte=0), name="indicator_max_nonnegative"),
        ]

    def __str__(self) -> str:
        return self.name


class AssessmentPeriod(models.Model):
    """One round of a scheme (2026 Q1 …), computed with one frozen version."""

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.PROTECT, related_name="periods")
    version = models.ForeignKey(SchemeVersion, on_delete=models.PROTECT, related_name="periods")
    label = models.CharField(_("名称"), max_length=100)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    state = models.CharField(_("状态"), max_length=16, choices=PeriodState.choices, default=PeriodState.DRAFT)
    published_on = models.DateField(_("公布日期"), null=True, blank=True)
    routine_periods = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="annual_periods",
                                             verbose_name=_("折算的平时考核"))
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = "scheme__region__path"
    scope_personal = False

    class Meta:
        ordering = ["scheme", "starts_on"]
        verbose_name = _("考核期")
        verbose_name_plural = _("考核期")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="period_dates_order"),
        ]

    def __str__(self) -> str:
        return self.label


class PeriodSubject(models.Model):
    """One assessed subject in a period: a generic reference plus snapshots of its name and region."""

    period = models.ForeignKey(AssessmentPeriod, on_delete=models.CASCADE, related_name="subjects")
    subject_type = models.CharField(max_length=16, choices=SubjectType.choices)
    subject_id = models.BigIntegerField()
    display_name = models.CharField(_("名称"), max_length=200)
    region_path = models.CharField(max_length=400, db_index=True)
    peer_group = models.CharField(_("排名组"), max_length=64, blank=True, default="")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="assessment_subjects", help_text=_("考核对象本人的账号（互评、申诉）"))

    scope_path_lookup = "region_path"
    scope_personal = True

    class Meta:
        ordering = ["period", "display_name", "id"]
        verbose_name = _("考核对象")
        verbose_name_plural = _("考核对象")
        constraints = [
            models.UniqueConstraint(fields=["period", "subject_type", "subject_id"], name="period_subject_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def key(self) -> tuple[str, int]:
        return (self.subject_type, self.subject_id)


class RaterAssignment(models.Model):
    """Rater X scores subject Y in group G of a period. Raters see only these. ``rerate_requested_at``:
    during 复核 a manager sent it back to be scored again (退回重评), until the rater submits."""

    period = models.ForeignKey(AssessmentPeriod, on_delete=models.CASCADE, related_name="assignments")
    group = models.ForeignKey(RaterGroup, on_delete=models.PROTECT, related_name="assignments")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessment_assignments")
    subject = models.ForeignKey(PeriodSubject, on_delete=models.CASCADE, related_name="assignments")
    rerate_requested_at = models.DateTimeField(_("退回重评时间"), null=True, blank=True)
    rerate_reason = models.CharField(_("退回重评原因"), max_length=500, blank=True)

    class Meta:
        ordering = ["period", "group", "rater", "subject"]
        verbose_name = _("评分任务")
        verbose_name_plural = _("评分任务")
        constraints = [
            models.UniqueConstraint(fields=["group", "rater", "subject"], name="assignment_unique_rater_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.rater} → {self.subject}"


class Rating(models.Model):
    """One rater's answer for one assignment: a draft until submitted."""

    assignment = models.OneToOneField(RaterAssignment, on_delete=models.CASCADE, related_name="rating")
    state = models.CharField(_("状态"), max_length=16, choices=RatingState.choices, default=RatingState.DRAFT)
    score = models.DecimalField(_("综合评分"), null=True, blank=True, **POINTS)
    answers = models.JSONField(_("问卷答案"), default=dict, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    evidence_ref = models.CharField(_("佐证材料"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("评分")
        verbose_name_plural = _("评分")

    def __str__(self) -> str:
        return f"评分 #{self.pk}"


class IndicatorScore(models.Model):
    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="indicator_scores")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("得分"), **POINTS)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    evidence_ref = models.CharField(_("佐证材料"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("指标得分")
        verbose_name_plural = _("指标得分")
        constraints = [
            models.UniqueConstraint(fields=["rating", "indicator"], name="indicator_score_unique"),
            models.CheckConstraint(condition=models.Q(points__gte=0), name="indicator_score_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.points}"


class Adjustment(models.Model):
    """One deduction or bonus entry (扣分/加分) against an item, with its reason and evidence."""

    period = models.ForeignKey(AssessmentPeriod, on_delete=models.CASCADE, related_name="adjustments")
    subject = models.ForeignKey(PeriodSubject, on_delete=models.CASCADE, related_name="adjustments")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("分值"), **POINTS)
    note = models.CharField(_("事由"), max_length=500)
    evidence_ref = models.CharField(_("佐证材料"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    withdrawn_reason = models.CharField(_("撤销原因"), max_length=500, blank=True)

    class Meta:
        ordering = ["period", "subject", "id"]
        verbose_name = _("加减分")
        verbose_name_plural = _("加减分")
        constraints = [models.CheckConstraint(condition=models.Q(points__gt=0), name="adjustment_positive")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.points}"


class AutoValue(models.Model):
    """The value an automatic indicator returned for a subject, kept so the result can be explained."""

    period = models.ForeignKey(AssessmentPeriod, on_delete=models.CASCADE, related_name="auto_values")
    subject = models.ForeignKey(PeriodSubject, on_delete=models.CASCADE, related_name="auto_values")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=16, decimal_places=4)
    explanation = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject", "indicator"], name="auto_value_unique")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.value}"


class ResultManager(models.Manager):
    """Results without their ``detail`` — the config, every input with its rater and the arithmetic, tens
    of kilobytes a result, read only to explain one score (``selectors.result_explain`` asks for it with
    ``defer(None)``; elsewhere it is read on first use). Rankings, previews and the rules then read a
    period of any size without it."""

    def get_queryset(self):
        return super().get_queryset().defer("detail")


class AssessmentResult(models.Model):
    """A computed result. Published results are never changed: a recomputation after an appeal
    adds a new ``version_no`` with its ``reason``; the old row stays readable."""

    period = models.ForeignKey(AssessmentPeriod, on_delete=models.CASCADE, related_name="results")
    subject = models.ForeignKey(PeriodSubject, on_delete=models.CASCADE, related_name="results")
    version_no = models.PositiveSmallIntegerField(_("结果版本"), default=1)
    current = models.BooleanField(_("现行"), default=True)
    total = models.DecimalField(_("总分"), max_digits=9, decimal_places=2)
    grade = models.CharField(_("等次"), max_length=16, blank=True)
    rank = models.PositiveIntegerField(_("名次"))
    rank_of = models.PositiveIntegerField(_("参评数"))
    peer_group = models.CharField(max_length=64, blank=True, default="")
    detail = models.JSONField(default=dict)
    reason = models.CharField(_("重算原因"), max_length=500, blank=True)
    computed_at = models.DateTimeField(auto_now_add=True)
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ResultManager()

    scope_path_lookup = "subject__region_path"
    scope_personal = True  # results about people: not for the admin roles

    class Meta:
        ordering = ["period", "peer_group", "rank", "id"]
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        constraints = [models.UniqueConstraint(fields=["subject", "version_no"], name="result_version_unique")]

    def __str__(self) -> str:
        return f"{self.subject} {self.total}"

    def save(self, *args, **kwargs):
        """A published result is never changed; only its ``current`` mark moves at republication."""
        if self.pk is not None and self.published_at is not None:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= {"current", "published_at"}:
                raise FrozenResultError("published results cannot be changed; recompute makes a new version")
        super().save(*args, **kwargs)

    def same_score(self, other: AssessmentResult) -> bool:
        """Whether two versions of a subject's result have the same total and grade: a re-review that
        moved only the rank (a neighbour's correction) did not adjust this subject's own score."""
        return (self.total, self.grade) == (other.total, other.grade)


class ResultFlag(models.Model):
    """A consequence of published results (连续 C 档, 优先入编, 红榜, 黑榜) with the results behind it."""

    period = models.ForeignKey(AssessmentPeriod, on_delete=models.CASCADE, related_name="flags")
    subject = models.ForeignKey(PeriodSubject, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(_("类型"), max_length=16, choices=FlagKind.choices)
    rank = models.PositiveIntegerField(null=True, blank=True)
    published_on = models.DateField(_("公布日期"), null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    results = models.ManyToManyField(AssessmentResult, related_name="flags")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = "subject__region_path"
    scope_personal = True  # results about people: not for the admin roles

    class Meta:
        ordering = ["period", "kind", "rank", "id"]
        verbose_name = _("结果运用")
        verbose_name_plural = _("结果运用")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject}"


class Appeal(models.Model):
    """复核申请 against a subject's published result: open (待复核) until 复核后公布 resolves it with the
    reviewer's reply (``decision``) and whether the result was upheld or adjusted."""

    period = models.ForeignKey(AssessmentPeriod, on_delete=models.CASCADE, related_name="appeals")
    subject = models.ForeignKey(PeriodSubject, on_delete=models.CASCADE, related_name="appeals")
    reason = models.CharField(_("申诉理由"), max_length=1000)
    state = models.CharField(max_length=16, choices=AppealState.choices, default=AppealState.OPEN)
    decision = models.CharField(_("复核意见"), max_length=1000, blank=True)
    outcome = models.CharField(_("复核结果"), max_length=16, choices=AppealOutcome.choices, blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    filed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)

    class Meta:
        ordering = ["period", "filed_at"]
        verbose_name = _("申诉")
        verbose_name_plural = _("申诉")

    def __str__(self) -> str:
        return f"申诉 {self.subject}"

    @property
    def status_label(self) -> str:
        """待复核, 已复核：维持 / 已复核：调整 (已复核 for appeals resolved before outcomes were kept)."""
        if self.state == AppealState.RESOLVED and self.outcome:
            return gettext("已复核：%(outcome)s") % {"outcome": self.get_outcome_display()}
        return str(self.get_state_display())


class PeriodComputation(BackgroundRun):
    """计算 or 复核重算 of a period too large to compute inside the request that asks for it
    (``services.background``): asked for on the ranking page or through the API, run by background work
    (a Celery worker in production; in the embedded mode at once, after the request's commit) with the
    same service and checks, as the manager who asked and from where they asked."""

    ACTIONS = (("compute", _("计算")), ("recompute", _("复核重算")))
    STALE_AFTER = timedelta(minutes=15)  # one chunk of 500 subjects takes seconds; minutes without a word: dead

    period = models.ForeignKey(AssessmentPeriod, on_delete=models.CASCADE, related_name="computations")
    action = models.CharField(_("操作"), max_length=16, choices=ACTIONS)
    force = models.BooleanField(default=False)  # 计算 with a group raters score that has no submitted sheet, as 0
    reason = models.CharField(_("重算原因"), max_length=500, blank=True)
    request_ip = models.GenericIPAddressField(null=True, blank=True)  # the audit records' "from where"
    request_channel = models.CharField(max_length=8, default="web")
    status = models.CharField(_("状态"), max_length=16, choices=ComputationStatus.choices,
                              default=ComputationStatus.QUEUED)
    subjects = models.PositiveIntegerField(_("考核对象数"))
    done = models.PositiveIntegerField(_("已计算"), default=0)  # subjects worked out so far (PostgreSQL: live)
    message = models.CharField(_("结果"), max_length=1000, blank=True)  # what it did, or why it did not finish

    class Meta:
        ordering = ["-id"]
        verbose_name = _("后台计算")
        verbose_name_plural = _("后台计算")

    def __str__(self) -> str:
        return f"{self.period} {self.get_action_display()} {self.get_status_display()}"
