"""A case (案件) and what hangs on it: its timeline (流转记录), its supporters (附议) and its ratings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import EncryptedTextField
from jiceng.people.models import Department
from jiceng.regions.models import Region

from ..choices import OPEN_STATES, Channel, EventState, Priority, Rating, RatingSource, UnitKind
from .catalogue import EventCategory


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
            # the console's live counts (待受理, 处置中, 待核查, 超期未办结) over a region's open cases: read
            # from the index alone, grid and deadline in it, instead of visiting every open case's row
            # (docs/benchmarks.md, "Events: the command centre's pages at a city of the province")
            models.Index(fields=["state", "grid", "handle_due_at"], name="event_state_grid"),
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
        from ..selectors import event_visible

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
