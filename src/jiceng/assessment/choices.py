from django.db import models
from django.utils.translation import gettext_lazy as _


class SubjectType(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员")
    STAFF = "staff", _("社区工作者（账号）")
    SECRETARY = "secretary", _("社区书记")
    COMMUNITY = "community", _("社区/村")
    STREET = "street", _("街道/乡镇")
    PROPERTY = "property", _("物业服务企业")
    DEPARTMENT = "department", _("部门")


class PeriodType(models.TextChoices):
    MONTH = "month", _("月度")
    BIMONTH = "bimonth", _("双月")
    QUARTER = "quarter", _("季度")
    HALF_YEAR = "half_year", _("半年")
    YEAR = "year", _("年度")
    TERM = "term", _("任期")


class GroupKind(models.TextChoices):
    INDICATORS = "indicators", _("指标评分")
    QUESTIONNAIRE = "questionnaire", _("民主测评问卷")
    SINGLE = "single", _("综合评分（评委/互评/单位评价）")


class IndicatorKind(models.TextChoices):
    MANUAL = "manual", _("人工评分")
    AUTO = "auto", _("自动计算")
    DEDUCTION = "deduction", _("减分项")
    BONUS = "bonus", _("加分项")


class PeriodState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SCORING_OPEN = "scoring_open", _("评分中")
    SCORING_CLOSED = "scoring_closed", _("评分结束")
    COMPUTED = "computed", _("已计算")
    PUBLISHED = "published", _("已公布")
    APPEAL = "appeal", _("申诉中")
    REREVIEW = "rereview", _("复核中")
    REPUBLISHED = "republished", _("复核后公布")


class RatingState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")


class FlagKind(models.TextChoices):
    ADJUST = "adjust", _("建议调整")
    PERMANENT = "permanent", _("优先入编")
    RED = "red", _("红榜")
    BLACK = "black", _("黑榜")


class AppealState(models.TextChoices):
    OPEN = "open", _("待复核")
    RESOLVED = "resolved", _("已复核")


class AppealOutcome(models.TextChoices):
    """How a re-review ended for the appellant: set at 复核后公布 from whether their result changed."""

    UPHELD = "upheld", _("维持")
    ADJUSTED = "adjusted", _("调整")


# 德能勤绩廉 and the four answers, the democratic-evaluation questionnaire of the shipped templates.
DEFAULT_QUESTIONNAIRE = {
    "items": [
        {"code": "de", "name": "德"}, {"code": "neng", "name": "能"}, {"code": "qin", "name": "勤"},
        {"code": "ji", "name": "绩"}, {"code": "lian", "name": "廉"},
    ],
    "levels": [
        {"code": "excellent", "name": "优秀", "points": "20"},
        {"code": "competent", "name": "称职", "points": "16"},
        {"code": "basic", "name": "基本称职", "points": "12"},
        {"code": "incompetent", "name": "不称职", "points": "0"},
    ],
}


class ComputationStatus(models.TextChoices):
    """A 计算 or 复核重算 of a large period run by background work (``services.background``)."""

    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("未完成")
