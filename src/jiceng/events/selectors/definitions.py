"""What the command centre's numbers mean and who reads them: each number's definition (``DEFINITIONS``,
as in docs/events.md), the ``Number`` that explains itself, the periods asked about (half-open [start,
end) of local dates, ``settings.TIME_ZONE``) and the roles that may look (docs/events.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.people.choices import Role
from jiceng.regions.models import Region
from jiceng.regions.selectors import region_roots

from ..choices import Period

COUNT, RATIO, HOURS = "count", "ratio", "hours"


@dataclass(frozen=True)
class Definition:
    key: str
    label: str  # lazy: in the viewer's language
    kind: str
    numerator: tuple[str, ...]
    denominator: str | None
    text: str  # lazy


DEFINITIONS: dict[str, Definition] = {d.key: d for d in [
    Definition("registered", _("立案数"), COUNT, ("registered",), None,
               _("期内立案的事件数（首次进入“已立案”的时间在期内；作废、不予立案的不计）。")),
    Definition("closed", _("结案数"), COUNT, ("closed",), None,
               _("期内立案的事件中，目前处于已结案或已评价的件数（重办中的事件再次结案前不计）。")),
    Definition("close_rate", _("结案率（办结率）"), RATIO, ("closed",), "registered", _("结案数 ÷ 立案数。")),
    Definition("closed_on_time", _("按期结案数"), COUNT, ("closed_on_time",), None,
               _("结案数中，最后一次结案时间不晚于处置时限（签收起算、按挂起时间顺延）的件数。")),
    Definition("on_time_rate", _("按期结案率"), RATIO, ("closed_on_time",), "closed", _("按期结案数 ÷ 结案数。")),
    Definition("rated", _("评价数"), COUNT, ("rated",), None, _("期内立案的事件中已有评价的件数（以最近一次评价为准）。")),
    Definition("satisfaction_rate", _("满意率"), RATIO, ("satisfied", "basic"), "rated",
               _("（满意 + 基本满意）÷ 评价数，以每件事件最近一次评价为准。")),
    Definition("unsatisfied", _("不满意数"), COUNT, ("unsatisfied",), None, _("最近一次评价为不满意的件数。")),
    Definition("dispatched", _("派遣数"), COUNT, ("dispatched",), None, _("期内立案的事件中已派遣过的件数。")),
    Definition("returned", _("退单数"), COUNT, ("returned",), None, _("期内立案的事件中被退单至少一次的件数。")),
    Definition("return_rate", _("退单率"), RATIO, ("returned",), "dispatched", _("退单数 ÷ 派遣数。")),
    Definition("reopened", _("重办数"), COUNT, ("reopened",), None,
               _("期内立案的事件中重办过（核查不通过、不满意重办或指挥中心重办）的件数。")),
    Definition("suspended", _("挂起数"), COUNT, ("suspended",), None, _("期内立案的事件中挂起过的件数。")),
    Definition("whistled", _("吹哨数"), COUNT, ("whistled",), None, _("期内立案的事件中吹过哨的件数。")),
    Definition("overdue", _("超期数"), COUNT, ("overdue",), None,
               _("期内立案的事件中任一环节（受理、签收、处置、核查）超过时限的件数。")),
    Definition("overdue_handle", _("处置超期数"), COUNT, ("overdue_handle",), None,
               _("期内立案的事件中处置环节超过时限的件数。")),
    Definition("due", _("应结案数"), COUNT, ("due",), None,
               _("应结日在期内的事件数。应结日 = 结案时间与处置时限中较早者（未结案的为处置时限）："
                 "期内到期的，加上期内提前结案的，每件只计一次。")),
    Definition("closed_flow", _("期内结案数"), COUNT, ("closed_flow",), None,
               _("最后一次结案时间在期内、目前仍为已结案或已评价的件数（不论何时立案）。")),
    Definition("avg_accept_hours", _("平均受理时长（小时）"), HOURS, ("accept_seconds",), "registered",
               _("上报到立案的平均自然时长。")),
    Definition("avg_dispatch_hours", _("平均派遣时长（小时）"), HOURS, ("dispatch_seconds",), "dispatched",
               _("立案到首次派遣的平均自然时长。")),
    Definition("avg_sign_hours", _("平均签收时长（小时）"), HOURS, ("sign_seconds",), "closed",
               _("已结案事件最后一次派遣到签收的平均自然时长。")),
    Definition("avg_handle_hours", _("平均处置时长（小时）"), HOURS, ("handle_seconds",), "closed",
               _("已结案事件签收到最后一次处置反馈的平均自然时长（含挂起时间）。")),
    Definition("avg_verify_hours", _("平均核查时长（小时）"), HOURS, ("verify_seconds",), "closed",
               _("已结案事件最后一次处置反馈到结案的平均自然时长。")),
    Definition("avg_total_hours", _("平均办结时长（小时）"), HOURS, ("total_seconds",), "closed",
               _("已结案事件上报到结案的平均自然时长。")),
]}


@dataclass(frozen=True)
class Number:
    """One number that explains itself."""

    key: str
    label: str
    definition: str
    kind: str
    numerator: int
    denominator: int | None
    cases: QuerySet = field(repr=False, compare=False)
    base: QuerySet | None = field(default=None, repr=False, compare=False)
    params: dict = field(default_factory=dict, compare=False)

    @property
    def value(self) -> float | int | None:
        if self.kind == COUNT:
            return self.numerator
        if not self.denominator:
            return None
        if self.kind == RATIO:
            return round(self.numerator / self.denominator, 4)
        return round(self.numerator / self.denominator / 3600, 2)

    @property
    def display(self) -> str:
        value = self.value
        if value is None:
            return "—"
        if self.kind == RATIO:
            return f"{value * 100:.1f}%"
        return str(value)

    def listed(self, side: str = "numerator") -> tuple[QuerySet, int]:
        """The cases one side of the number counts (``numerator``: those it counts, or for an average the
        cases it is averaged over; ``denominator``), newest report first, and how many there are: the figure
        itself, which the rollup keeps equal to the records (``rollup_verify``), so that the list of a
        city's or a province's year is not counted a second time row by row (seconds at 25 M cases;
        docs/benchmarks.md, "A number's cases")."""
        if side == "denominator":
            return self.base.order_by("-reported_at", "-id"), self.denominator
        return self.cases.order_by("-reported_at", "-id"), self.denominator if self.kind == HOURS else self.numerator

    def as_dict(self) -> dict:
        return {"key": self.key, "label": str(self.label), "definition": str(self.definition), "kind": self.kind,
                "numerator": self.numerator, "denominator": self.denominator, "value": self.value,
                "display": self.display, "params": self.params}


# --- periods -----------------------------------------------------------------------------------


def period_range(period: str, day: date) -> tuple[date, date]:
    """The [start, end) dates of the day/month/quarter/year holding ``day``."""
    if period == Period.DAY:
        return day, day + timedelta(days=1)
    if period == Period.MONTH:
        start = day.replace(day=1)
    elif period == Period.QUARTER:
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    elif period == Period.YEAR:
        start = date(day.year, 1, 1)
    else:
        raise ApplicationError(_("统计周期须为日、月、季度或年。"), field="period")
    months = {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}[Period(period)]
    month = start.month - 1 + months
    return start, date(start.year + month // 12, month % 12 + 1, 1)


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    return (datetime.combine(start, datetime.min.time(), tzinfo=tz),
            datetime.combine(end, datetime.min.time(), tzinfo=tz))


# --- who may look ------------------------------------------------------------------------------

# Who reads the command centre's numbers (pages and API alike): the staff of regions and departments
# and grid workers; residents and the three administrators do not.
NUMBER_ROLES = (Role.COUNTY_STAFF, Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.DEPARTMENT_STAFF)
OWN_NODES_MAX = 50


def numbers_check(actor) -> None:
    if getattr(actor, "role", None) not in NUMBER_ROLES:
        raise PermissionDeniedError(_("指标统计供区县、街道、社区工作人员，网格员和部门工作人员查看。"))


def own_nodes(actor) -> list[Region]:
    """The region nodes an actor's numbers are about when no region is named: their bound region, or
    a grid worker's grids; none for department staff (their numbers follow their department)."""
    if getattr(actor, "role", None) == Role.DEPARTMENT_STAFF:
        return []
    return region_roots(actor=actor)[:OWN_NODES_MAX]
