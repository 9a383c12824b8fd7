"""The catalogue of grid events: categories with their standard procedure (常态事件标准化处置程序),
the response templates (常用语) and the working calendar's exceptions (节假日与调休)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.people.choices import DepartmentKind

from ..choices import Clock, HandlerLevel, Priority, UnsatisfiedAction

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
