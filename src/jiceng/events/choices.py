from django.db import models
from django.utils.translation import gettext_lazy as _


class EventState(models.TextChoices):
    """The states of a case (GB/T 30428 / CJJ/T 106: 采集 → 立案 → 派遣 → 处置 → 反馈 → 核查结案 → 评价)."""

    PENDING = "pending", _("待受理")
    REGISTERED = "registered", _("已立案")
    REJECTED = "rejected", _("不予立案")
    DISPATCHED = "dispatched", _("已派遣")
    RETURNED = "returned", _("已退单")
    RULING = "ruling", _("待审定")
    SIGNED = "signed", _("已签收")
    HANDLING = "handling", _("处置中")
    TO_VERIFY = "to_verify", _("待核查")
    CLOSED = "closed", _("已结案")
    RATED = "rated", _("已评价")
    SUSPENDED = "suspended", _("挂起")
    VOID = "void", _("作废")


CLOSED_STATES = (EventState.CLOSED, EventState.RATED)
# Cases that never count in any number: not registered, or declared invalid.
EXCLUDED_STATES = (EventState.REJECTED, EventState.VOID)
FINAL_STATES = (EventState.CLOSED, EventState.RATED, EventState.REJECTED, EventState.VOID)
OPEN_STATES = tuple(s for s in EventState if s not in FINAL_STATES)


class Channel(models.TextChoices):
    RESIDENT = "resident", _("群众上报")
    PATROL = "patrol", _("网格员巡查")
    HOTLINE = "hotline", _("热线受理")
    IOT = "iot", _("物联感知")
    EMERGENCY = "emergency", _("急难呼救")


class Priority(models.IntegerChoices):
    URGENT = 1, _("特急")
    HIGH = 2, _("紧急")
    NORMAL = 3, _("一般")


class HandlerLevel(models.TextChoices):
    """Who handles a category by default (the procedure's 责任主体)."""

    COMMUNITY = "community", _("社区/村")
    STREET = "street", _("街道/乡镇")
    COUNTY = "county", _("区县")
    DEPARTMENT = "department", _("职能部门")


class UnitKind(models.TextChoices):
    REGION = "region", _("属地")
    DEPARTMENT = "department", _("部门")


class Clock(models.TextChoices):
    WORKING = "working", _("工作时")
    CALENDAR = "calendar", _("自然时")


class UnsatisfiedAction(models.TextChoices):
    REOPEN = "reopen", _("重办")
    RECORD = "record", _("仅记录")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class RatingSource(models.TextChoices):
    REPORTER = "reporter", _("上报人评价")
    CALLBACK = "callback", _("回访评价")


class Stage(models.TextChoices):
    """The clocked stages of a case and of a whistle."""

    ACCEPT = "accept", _("受理")
    SIGN = "sign", _("签收")
    HANDLE = "handle", _("处置")
    VERIFY = "verify", _("核查")
    WHISTLE = "whistle", _("报到")


class WhistleState(models.TextChoices):
    CALLED = "called", _("待报到")
    REPORTED = "reported", _("已报到")
    DONE = "done", _("已反馈")
    CANCELLED = "cancelled", _("已撤销")


class Period(models.TextChoices):
    DAY = "day", _("日")
    MONTH = "month", _("月")
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年")
