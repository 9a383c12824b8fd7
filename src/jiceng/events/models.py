"""Grid events (网格事件): categories with their standard procedure, cases, their timeline,
supporters, whistles (吹哨报到), supervision, stage timers, the working calendar and the rollup
behind the command centre's numbers."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import EncryptedTextField
from jiceng.people.choices import DepartmentKind
from jiceng.people.models import Department
from jiceng.regions.models import Region

from .choices import (
    OPEN_STATES,
    Channel,
    Clock,
    EventState,
    HandlerLevel,
    Priority,
    Rating,
    RatingSource,
    Stage,
    UnitKind,
    UnsatisfiedAction,
    WhistleState,
)

category_code_validator = RegexValidator(r"^[0-9A-Za-z_-]{1,32}$", _("编码只能由字母、数字、下划线和连字符组成。"))


class EventCategory(models.Model):
    """事项分类, a tree (``path`` of codes, like regions), each node carrying its standard procedure
    (常态事件标准化处置程序): who handles it by default, the stage deadlines, the priority and the
    rules for closure, returns and unsatisfied ratings."""

    code = models.CharField(_("编码"), max_length=32, unique=True, validators=[category_code_validator])
    name = models.CharField(_("名称"), max_length=50)
    parent = models.ForeignKey("self", verbose_name=_("上级分类"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=200, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)
    description = models.TextField(_("处置标准"), blank=True)
    handler_level = models.CharField(_("默认处置层级"), max_length=16, choices=HandlerLevel.choices,
                                     default=HandlerLevel.COMMUNITY)
    department_kind = models.CharField(_("责任部门类别"), max_length=16, choices=DepartmentKind.choices,
                                       blank=True, default="")
    priority = models.PositiveSmallIntegerField(_("优先级"), choices=Priority.choices, default=Priority.NORMAL)
    clock = models.CharField(_("计时方式"), max_length=16, choices=Clock.choices, default=Clock.WORKING)
    accept_hours = models.DecimalField(_("受理时限（小时）"), max_digits=7, decimal_places=2, default=2)
    sign_hours = models.DecimalField(_("签收时限（小时）"), max_digits=7, decimal_places=2, default=2)
    handle_hours = models.DecimalField(_("处置时限（小时）"), max_digits=7, decimal_places=2, default=24)
    verify_hours = models.DecimalField(_("核查时限（小时）"), max_digits=7, decimal_places=2, default=8)
    whistle_hours = models.DecimalField(_("报到时限（小时）"), max_digits=7, decimal_places=2, default=2)
    warn_percent = models.PositiveSmallIntegerField(
        _("预警点（时限的百分比）"), default=75, validators=[MinValueValidator(1), MaxValueValidator(99)])
    photo_required = models.BooleanField(_("结案须附照片"), default=True)
    max_returns = models.PositiveSmallIntegerField(_("退单次数上限（达到后须审定）"), default=2,
                                                   validators=[MinValueValidator(1)])
    unsatisfied_action = models.CharField(_("不满意时"), max_length=16, choices=UnsatisfiedAction.choices,
                                          default=UnsatisfiedAction.REOPEN)
    duplicate_radius_m = models.PositiveIntegerField(_("疑似重复半径（米）"), default=100)
    duplicate_days = models.PositiveSmallIntegerField(_("疑似重复天数"), default=3)

    class Meta:
        ordering = ["path"]
        verbose_name = _("事项分类")
        verbose_name_plural = _("事项分类")
        constraints = [
            models.CheckConstraint(condition=Q(warn_percent__gte=1, warn_percent__lte=99), name="category_warn_range"),
            models.CheckConstraint(condition=Q(max_returns__gte=1), name="category_max_returns_positive"),
            models.CheckConstraint(
                condition=Q(accept_hours__gt=0, sign_hours__gt=0, handle_hours__gt=0, verify_hours__gt=0,
                            whistle_hours__gt=0),
                name="category_hours_positive"),
            models.CheckConstraint(
                condition=~Q(handler_level=HandlerLevel.DEPARTMENT) | ~Q(department_kind=""),
                name="category_department_kind_when_department"),
        ]

    def __str__(self) -> str:
        return self.name


class ResponseTemplate(models.Model):
    """常用语: a text snippet for a category (or all categories) and the state it is used in."""

    category = models.ForeignKey(EventCategory, verbose_name=_("事项分类"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="templates",
                                 help_text=_("留空则适用于所有分类。"))
    action = models.CharField(_("用于操作"), max_length=32)
    title = models.CharField(_("标题"), max_length=50)
    text = models.TextField(_("内容"))
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["action", "sort", "id"]
        verbose_name = _("常用语")
        verbose_name_plural = _("常用语")
        constraints = [models.UniqueConstraint(fields=["category", "action", "title"], name="template_unique")]

    def __str__(self) -> str:
        return self.title


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a holiday (放假) on a weekday or a make-up workday
    (调休上班) on a weekend."""

    day = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"))
    name = models.CharField(_("说明"), max_length=50, blank=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")

    def __str__(self) -> str:
        return f"{self.day} {'上班' if self.is_workday else '放假'} {self.name}"


class Event(models.Model):
    """One case (案件). ``version`` grows with every change: a transition made from a stale copy is
    refused with a conflict, so of two people acting on one case at once exactly one wins."""

    BLIND_INDEXES = {"reporter_phone_hash": ("reporter_phone", "phone")}

    # Foreign keys covered by a composite index below carry no index of their own (fewer index
    # writes per case; lookups by these columns use the composites).
    category = models.ForeignKey(EventCategory, verbose_name=_("事项分类"), on_delete=models.PROTECT,
                                 related_name="events", db_index=False)
    channel = models.CharField(_("来源渠道"), max_length=16, choices=Channel.choices)
    priority = models.PositiveSmallIntegerField(_("优先级"), choices=Priority.choices, default=Priority.NORMAL)
    title = models.CharField(_("标题"), max_length=100)
    description = models.TextField(_("问题描述"), blank=True)
    photos = models.JSONField(_("照片"), default=list, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地点"), max_length=200, blank=True)
    grid = models.ForeignKey(Region, verbose_name=_("所属网格"), on_delete=models.PROTECT, related_name="events",
                             db_index=False)
    community = models.ForeignKey(Region, verbose_name=_("所属社区/村"), on_delete=models.PROTECT,
                                  related_name="community_events", db_index=False)
    reporter_name = EncryptedTextField(_("上报人"))
    reporter_phone = EncryptedTextField(_("联系电话"))
    reporter_phone_hash = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上报账号"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="reported_events")
    source_ref = models.CharField(_("来源编号"), max_length=100, blank=True,
                                  help_text=_("物联设备编号或热线工单号。"))
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)

    state = models.CharField(_("状态"), max_length=16, choices=EventState.choices, default=EventState.PENDING)
    version = models.PositiveIntegerField(default=0, editable=False)
    handler_kind = models.CharField(_("处置单位类型"), max_length=16, choices=UnitKind.choices, blank=True,
                                    default="")
    handler_region = models.ForeignKey(Region, verbose_name=_("处置属地"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="handled_events", db_index=False)
    handler_department = models.ForeignKey(Department, verbose_name=_("处置部门"), null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="handled_events", db_index=False)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处置人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="handled_events", db_index=False)

    reported_at = models.DateTimeField(_("上报时间"), default=timezone.now)
    registered_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    first_dispatched_at = models.DateTimeField(_("首次派遣时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("处置反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    first_returned_at = models.DateTimeField(_("首次退单时间"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("最近重办时间"), null=True, blank=True)
    handle_due_at = models.DateTimeField(_("处置时限"), null=True, blank=True,
                                         help_text=_("签收时起算，挂起的时间顺延。"))
    overdue_at = models.DateTimeField(_("首次超期时间"), null=True, blank=True)
    handle_overdue_at = models.DateTimeField(_("处置超期时间"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("本次挂起时间"), null=True, blank=True)
    suspended_from = models.CharField(max_length=16, blank=True, default="", editable=False)
    suspended_seconds = models.PositiveIntegerField(_("累计挂起（秒）"), default=0)

    return_count = models.PositiveSmallIntegerField(_("退单次数"), default=0)
    returns_locked = models.BooleanField(_("已审定（不可再退单）"), default=False)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    suspend_count = models.PositiveSmallIntegerField(_("挂起次数"), default=0)
    whistle_count = models.PositiveSmallIntegerField(_("吹哨次数"), default=0)
    supporter_count = models.PositiveIntegerField(_("附议人数"), default=0)

    rating = models.CharField(_("评价"), max_length=16, choices=Rating.choices, blank=True, default="")
    rating_comment = models.CharField(_("评价意见"), max_length=500, blank=True)
    rating_source = models.CharField(_("评价方式"), max_length=16, choices=RatingSource.choices, blank=True,
                                     default="")
    duplicate_of = models.ForeignKey("self", verbose_name=_("重复于"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="duplicates")
    reason = models.CharField(_("不予立案/作废原因"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path_lookup = "grid__path"
    scope_personal = True

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        indexes = [
            models.Index(fields=["state", "reported_at"], name="event_state_reported"),
            models.Index(fields=["grid", "reported_at"], name="event_grid_reported"),
            models.Index(fields=["category", "state", "reported_at"], name="event_category_state"),
            models.Index(fields=["handler_department", "state"], name="event_department_state"),
            models.Index(fields=["handler_region", "state"], name="event_region_state"),
            models.Index(fields=["registered_at"], name="event_registered"),
            # the case lists' order (newest first, read backwards): a county's console reads its first
            # page without sorting the year's cases
            models.Index(fields=["reported_at", "id"], name="event_reported"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=EventState.values), name="event_state_valid"),
            models.CheckConstraint(condition=Q(rating="") | Q(rating__in=Rating.values), name="event_rating_valid"),
            models.CheckConstraint(
                condition=Q(handler_kind="") | Q(handler_kind=UnitKind.REGION, handler_region__isnull=False)
                | Q(handler_kind=UnitKind.DEPARTMENT, handler_department__isnull=False),
                name="event_handler_consistent"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @classmethod
    def attachment_owner_visible(cls, actor):
        """Photos of a case are seen by whoever sees the case (incl. handling departments)."""
        from .selectors import event_visible

        return event_visible(actor)

    @property
    def number(self) -> str:
        """案件编号: the report date and the id (no separate counter to race on)."""
        day = timezone.localtime(self.reported_at).strftime("%Y%m%d") if self.reported_at else "00000000"
        return f"{day}{self.pk or 0:07d}"

    @property
    def is_open(self) -> bool:
        """Still in the loop (not 结案, 评价, 不予立案 or 作废)."""
        return self.state in OPEN_STATES

    @property
    def handler_name(self) -> str:
        if self.handler_kind == UnitKind.DEPARTMENT and self.handler_department_id:
            return self.handler_department.name
        if self.handler_kind == UnitKind.REGION and self.handler_region_id:
            return self.handler_region.name
        return ""


class EventTransition(models.Model):
    """The case's timeline: one row per transition or note, with who, when, what and where.
    (The (event, at) index serves every lookup by case; no separate index on the foreign keys.)"""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="transitions", db_index=False)
    action = models.CharField(_("操作"), max_length=32)
    from_state = models.CharField(_("原状态"), max_length=16, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="event_transitions", db_index=False)
    actor_label = models.CharField(_("操作方"), max_length=100, blank=True)
    at = models.DateTimeField(_("时间"))
    note = models.TextField(_("意见"), blank=True)
    photos = models.JSONField(_("照片"), default=list, blank=True)
    lng = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    audit_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("事件流转记录")
        verbose_name_plural = _("事件流转记录")
        indexes = [models.Index(fields=["event", "at"], name="transition_event_at")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.action} {self.from_state}→{self.to_state}"


class EventSupporter(models.Model):
    """附议 ("me too"): another resident reporting a case already open."""

    BLIND_INDEXES = {"phone_hash": ("phone", "phone")}

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="supporters")
    name = EncryptedTextField(_("姓名"))
    phone = EncryptedTextField(_("联系电话"))
    phone_hash = models.CharField(max_length=40, blank=True, editable=False)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices, default=Channel.RESIDENT)
    note = models.CharField(_("补充说明"), max_length=500, blank=True)
    photos = models.JSONField(_("照片"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("附议")
        verbose_name_plural = _("附议")
        constraints = [models.UniqueConstraint(fields=["event", "phone_hash"], condition=~Q(phone_hash=""),
                                               name="supporter_once_per_phone")]

    def __str__(self) -> str:
        return f"{self.event_id} 附议"


class EventRating(models.Model):
    """Every rating given (the case keeps the latest in ``Event.rating``)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="ratings")
    rating = models.CharField(_("评价"), max_length=16, choices=Rating.choices)
    comment = models.CharField(_("意见"), max_length=500, blank=True)
    source = models.CharField(_("方式"), max_length=16, choices=RatingSource.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                           related_name="event_ratings")
    round = models.PositiveSmallIntegerField(_("轮次"), default=0)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("评价记录")
        verbose_name_plural = _("评价记录")

    def __str__(self) -> str:
        return f"{self.event_id} {self.rating}"


class Whistle(models.Model):
    """吹哨报到: a street or community calls a department to a case; the department must report
    (报到) by ``due_at`` and then act (反馈). ``late`` flags a report not made in time."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="whistles")
    department = models.ForeignKey(Department, verbose_name=_("报到部门"), on_delete=models.PROTECT,
                                   related_name="whistles")
    blown_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("吹哨人"), on_delete=models.PROTECT,
                                 related_name="whistles_blown")
    blower_region = models.ForeignKey(Region, verbose_name=_("吹哨单位"), on_delete=models.PROTECT,
                                      related_name="whistles_blown")
    reason = models.CharField(_("事由"), max_length=500)
    blown_at = models.DateTimeField(_("吹哨时间"))
    due_at = models.DateTimeField(_("报到时限"))
    state = models.CharField(_("状态"), max_length=16, choices=WhistleState.choices, default=WhistleState.CALLED)
    late = models.BooleanField(_("逾期未报到"), default=False)
    late_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(_("报到时间"), null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="whistles_reported")
    feedback = models.TextField(_("处置反馈"), blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)
    feedback_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="whistles_answered")

    class Meta:
        ordering = ["-blown_at", "id"]
        verbose_name = _("吹哨报到")
        verbose_name_plural = _("吹哨报到")
        indexes = [models.Index(fields=["department", "blown_at"], name="whistle_department_blown")]
        constraints = [models.UniqueConstraint(
            fields=["event", "department"], condition=Q(state__in=[WhistleState.CALLED, WhistleState.REPORTED]),
            name="whistle_one_open_call_per_department")]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.department}"


class Supervision(models.Model):
    """督办: a superior's note on a case, with an optional date by which it must move."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="supervisions")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("督办人"), on_delete=models.PROTECT,
                           related_name="supervisions")
    at = models.DateTimeField(_("督办时间"))
    note = models.TextField(_("督办意见"))
    respond_by = models.DateTimeField(_("限期"), null=True, blank=True)
    handler_kind = models.CharField(max_length=16, blank=True)
    handler_region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    handler_department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+")

    class Meta:
        ordering = ["-at", "id"]
        verbose_name = _("督办")
        verbose_name_plural = _("督办")

    def __str__(self) -> str:
        return f"{self.event_id} 督办"


class Timer(models.Model):
    """A stage deadline kept in the database (nothing lives only in memory, so timers survive a
    restart). Open while ``stopped_at`` is empty; frozen while ``paused_at`` is set, with the
    remaining clock seconds (working or calendar, per ``clock``) kept for the resume."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="timers")
    stage = models.CharField(_("环节"), max_length=16, choices=Stage.choices)
    whistle = models.ForeignKey(Whistle, null=True, blank=True, on_delete=models.CASCADE, related_name="timers")
    clock = models.CharField(max_length=16, choices=Clock.choices)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(_("时限"))
    warn_at = models.DateTimeField(_("预警时间"))
    warned_at = models.DateTimeField(null=True, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    remaining_seconds = models.BigIntegerField(null=True, blank=True)
    warn_remaining_seconds = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("时限")
        verbose_name_plural = _("时限")
        indexes = [
            models.Index(fields=["due_at"], name="timer_due_open",
                         condition=Q(stopped_at__isnull=True, fired_at__isnull=True)),
            models.Index(fields=["warn_at"], name="timer_warn_open",
                         condition=Q(stopped_at__isnull=True, warned_at__isnull=True)),
            # overdue now (selectors.overdue_now: the console's 超期未办结 tile, its list, the map):
            # the few timers that fired and still run, found without reading every timer
            models.Index(fields=["event"], name="timer_fired_running",
                         condition=Q(stopped_at__isnull=True, fired_at__isnull=False)),
            models.Index(fields=["event", "stage"], name="timer_event_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.stage} {self.due_at:%Y-%m-%d %H:%M}"


class RollupCounters(models.Model):
    """The counters both rollups keep (``rollup.COUNTERS``), each summed over the cases of a key."""

    registered = models.IntegerField(default=0)
    dispatched = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    suspended = models.IntegerField(default=0)
    whistled = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    basic = models.IntegerField(default=0)
    unsatisfied = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    overdue_handle = models.IntegerField(default=0)
    due = models.IntegerField(default=0)
    closed_flow = models.IntegerField(default=0)
    accept_seconds = models.BigIntegerField(default=0)
    dispatch_seconds = models.BigIntegerField(default=0)
    sign_seconds = models.BigIntegerField(default=0)
    handle_seconds = models.BigIntegerField(default=0)
    verify_seconds = models.BigIntegerField(default=0)
    total_seconds = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class EventRollup(RollupCounters):
    """Counters per day × deepest grid × category × handling department (``department_key`` 0 = none),
    kept in the same transaction as every change to a case (``rollup.apply``), so a region ×
    category × month question is a path-prefix + date-range sum. Each counter is dated by its own
    day (立案日, 应结日 or 结案日; docs/events.md)."""

    day = models.DateField()
    grid = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_index=False)
    category = models.ForeignKey(EventCategory, on_delete=models.PROTECT, related_name="+", db_index=False)
    department_key = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("事件统计汇总")
        verbose_name_plural = _("事件统计汇总")
        constraints = [models.UniqueConstraint(fields=["day", "grid", "category", "department_key"],
                                               name="rollup_key")]
        indexes = [
            models.Index(fields=["grid", "day"], name="rollup_grid_day"),
            models.Index(fields=["category", "day"], name="rollup_category_day"),
            models.Index(fields=["department_key", "day"], name="rollup_department_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.grid_id} {self.category_id} {self.department_key}"


class EventRollupMonth(RollupCounters):
    """The same counters per month (its first day) × street (the level-3 ancestor of the grid) ×
    category × handling department: a city or county month sums a few thousand rows instead of
    the ~250,000 daily grid rows. Kept by ``rollup.apply`` from the same delta, in the same statement
    batch and transaction as ``EventRollup``, so month = Σ its days by construction; a grid never
    changes street (a region's parent cannot be changed), so the key never goes stale."""

    month = models.DateField()
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_index=False)
    category = models.ForeignKey(EventCategory, on_delete=models.PROTECT, related_name="+", db_index=False)
    department_key = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("事件统计月汇总")
        verbose_name_plural = _("事件统计月汇总")
        constraints = [models.UniqueConstraint(fields=["month", "street", "category", "department_key"],
                                               name="rollup_month_key")]
        indexes = [
            models.Index(fields=["street", "month"], name="rollup_month_street"),
            models.Index(fields=["category", "month"], name="rollup_month_category"),
            models.Index(fields=["department_key", "month"], name="rollup_month_department"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.street_id} {self.category_id} {self.department_key}"
