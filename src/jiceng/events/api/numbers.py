"""The command centre's numbers: each with its definition and the links to the cases behind its
numerator and denominator, broken down, exported; and the whistle statistics."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from ninja import Field, Query

from jiceng.core.api_schemas import (
    EXPORT_CREATED_DESCRIPTION,
    LIST_ERRORS,
    READ_ERRORS,
    Error,
    ExportOut,
    PageParams,
    lookup_or_404,
    paginate,
)
from jiceng.core.errors import ApplicationError, NotFoundError
from jiceng.core.exports import export_out
from jiceng.people.models import Department
from jiceng.regions.models import Region

from .. import exports, selectors
from .common import _category, _render, _whistle_out, router
from .schemas import (
    MAX_BREAKDOWN_DAYS,
    BreakdownIn,
    BreakdownRowOut,
    CasePage,
    NumberCasesIn,
    NumberOut,
    NumbersIn,
    WhistleListIn,
    WhistlePage,
    WhistleStatOut,
    WhistleStatsIn,
)


def _department(pk: int | None) -> tuple[Department | None, bool]:
    """The department a question names, and whether it asks for 属地处置 (0). Any staff may name any
    department: departments are not personal data, and the numbers stay within the caller's scope."""
    if not pk:
        return None, pk == 0
    found = Department.objects.filter(pk=pk).first()
    if found is None:
        raise NotFoundError(_("部门（ID %(id)s）不存在。") % {"id": pk}, field="department")
    return found, False


class _Question:
    """A question of the numbers parsed from the query: the selectors' keyword arguments (``dims``)
    and the same question as query parameters (``query``), for the links to the cases."""

    def __init__(self, actor, params: NumbersIn):
        selectors.numbers_check(actor)
        region = lookup_or_404(Region.objects.all(), actor, params.region, field="region", label=pgettext("record type", "区域"))
        category = _category(params.category)
        department, unassigned = _department(params.department)
        self.dims = {"start": params.start, "end": params.end, "region": region, "category": category,
                     "department": department, "unassigned": unassigned}
        self.query = {"region": region.pk if region else None, "category": category.code if category else None,
                      "department": params.department}


def _number_out(n: selectors.Number, query: dict) -> dict:
    """One number with the addresses of its cases: the question's own parameters (the period is the
    number's own, so a month's or a day's row links to that month or day)."""
    params = {k: v for k, v in {"start": n.params["start"], "end": n.params["end"], **query}.items()
              if v is not None}
    cases = reverse("api:number_cases", kwargs={"key": n.key})
    return {**{k: v for k, v in n.as_dict().items() if k != "params"},
            "cases": f"{cases}?{urlencode(params)}",
            "base": f"{cases}?{urlencode({**params, 'of': 'denominator'})}" if n.base is not None else None}


@router.get("/numbers", response={200: list[NumberOut], LIST_ERRORS: Error}, summary="指挥中心指标",
            description="期内（start 起、end 止，不含 end）的全部指标，可按区域、事项分类、处置部门筛选；"
                        "每个指标给出分子、分母、定义，以及构成分子（cases）和分母（base）的事件清单地址。"
                        "只统计当前用户管辖范围内的事件。")
def numbers(request, params: Query[NumbersIn]):
    q = _Question(request.auth, params)
    found = selectors.event_numbers(actor=request.auth, **q.dims)
    return [_number_out(n, q.query) for n in found.values()]


@router.get("/numbers/breakdown", response={200: list[BreakdownRowOut], LIST_ERRORS: Error},
            summary="指挥中心指标分组统计",
            description="同一问题的指标按下级区域、下级事项分类、处置部门、月或日分组，每组一行；"
                        "每行指标的 cases、base 链接按该行自己的条件（该下级区域、该分类、该部门、该月或该日）。"
                        "按区域、分类分组时每个下级一行（无事件也列出），按部门、月、日分组时只列有事件的组。"
                        "keys 限定指标（逗号分隔，默认全部）。")
def number_breakdown(request, params: Query[BreakdownIn]):
    if params.by == "day" and (params.end - params.start).days > MAX_BREAKDOWN_DAYS:
        raise ApplicationError(_("按日分组的统计时段最长 %(max)s 天。") % {"max": MAX_BREAKDOWN_DAYS}, field="end")
    q = _Question(request.auth, params)
    keys = list(dict.fromkeys(params.keys.split(","))) if params.keys else None
    out = []
    for row in selectors.event_numbers_by(actor=request.auth, by=params.by, keys=keys, **q.dims):
        key, own = _row_question(params.by, row)
        out.append({"key": key, "label": row.label,
                    "numbers": [_number_out(n, {**q.query, **own}) for n in row.numbers.values()]})
    return out


class NumbersExportIn(NumbersIn):
    by: Literal["region", "category", "department", "month"] = Field(
        ..., description="分组方式，同 GET /numbers/breakdown（不含 day）")


@router.get("/numbers/export", response={200: ExportOut, LIST_ERRORS: Error}, summary="Excel 导出指挥中心指标分组统计",
            description="与 GET /numbers/breakdown 同样的条件和分组，每组一行（各项计数、比率（%）和平均办结时长），"
                        "末行为整个问题的合计；与指标统计页的“导出 Excel”相同。" + EXPORT_CREATED_DESCRIPTION)
def numbers_export(request, params: Query[NumbersExportIn]):
    q = _Question(request.auth, params)
    return export_out(exports.numbers_export(actor=request.auth, by=params.by, **q.dims))


def _row_question(by: str, row: selectors.Row) -> tuple[str, dict]:
    """A breakdown row's key, and the query parameters that make its question (the period of a month's
    or a day's row is its numbers' own)."""
    if by == "region":
        return str(row.key.pk), {"region": row.key.pk}
    if by == "category":
        return row.key.code, {"category": row.key.code}
    if by == "department":
        return (str(row.key.pk), {"department": row.key.pk}) if row.key is not None else ("", {"department": 0})
    return row.label, {}


@router.get("/numbers/{key}/cases", response={200: CasePage, READ_ERRORS: Error}, summary="构成某指标分子或分母的事件",
            description="与 GET /numbers 同样的条件；of=numerator（默认）列出构成分子的事件，of=denominator 列出构成分母的"
                        "事件（没有分母的指标 400）。按上报时间倒序分页。count 即统计表中的数字（分子；平均时长为其所平均的件数，"
                        "即分母；of=denominator 为分母），不再逐条重数。")
def number_cases(request, key: str, params: Query[NumberCasesIn], page: Query[PageParams]):
    _definition, (cases, count) = _number_cases(request, key, params)
    return paginate(cases, page, _render, count=count)


def _number_cases(request, key: str, params: NumberCasesIn):
    """(the number's definition, (the cases of its numerator or its denominator, newest first, how many))."""
    definition = selectors.DEFINITIONS.get(key)
    if definition is None:
        raise NotFoundError(_("未知指标。"))
    if params.of == "denominator" and definition.denominator is None:
        raise ApplicationError(_("指标“%(label)s”没有分母。") % {"label": definition.label}, field="of")
    q = _Question(request.auth, params)
    found = selectors.event_numbers(actor=request.auth, keys=[key], **q.dims)[key]
    return definition, found.listed(params.of)


@router.get("/numbers/{key}/cases/export", response={200: ExportOut, READ_ERRORS: Error},
            summary="Excel 导出构成某指标分子或分母的事件",
            description="与 GET /numbers/{key}/cases 同样的条件和顺序，导出全部页（上报人姓名、电话脱敏）；超过 "
                        f"{exports.CASES_EXPORT_MAX} 件时 400。" + EXPORT_CREATED_DESCRIPTION)
def number_cases_export(request, key: str, params: Query[NumberCasesIn]):
    definition, (cases, count) = _number_cases(request, key, params)
    side = "（分母）" if params.of == "denominator" else ""
    return export_out(exports.cases_export(actor=request.auth, cases=cases, title=f"{definition.label}{side}",
                                           fallback=f"event-{key}-cases", total=count))


@router.get("/whistles/stats", response={200: list[WhistleStatOut], LIST_ERRORS: Error}, summary="吹哨报到统计",
            description="期内（按吹哨时间，start 起、end 止，不含 end）每个被吹哨部门的被吹哨次数、按时报到、超时后报到、"
                        "超时未报到、尚未报到（未超时）和按时报到率；超时的先列。只统计当前用户能看到的吹哨（部门工作人员只看本部门）。")
def whistle_stats(request, params: Query[WhistleStatsIn]):
    selectors.numbers_check(request.auth)
    region = lookup_or_404(Region.objects.all(), request.auth, params.region, field="region", label=pgettext("record type", "区域"))
    rows = selectors.whistle_stats(actor=request.auth, start=params.start, end=params.end, region=region)
    return [{"department_id": r.department.pk, "department": r.department.name, "called": r.called,
             "reported_in_time": r.reported_in_time, "reported_late": r.reported_late,
             "unanswered_late": r.unanswered_late, "waiting": r.waiting, "late": r.late, "in_time_rate": r.in_time_rate} for r in rows]


@router.get("/whistles", response={200: WhistlePage, LIST_ERRORS: Error}, summary="吹哨统计中某一项所计的吹哨",
            description="与 GET /whistles/stats 同样的条件（start、end、region），一个部门（department）的一项统计（kind）"
                        "所计的吹哨，按吹哨时间倒序分页；count 等于统计表中的数字。")
def whistle_list(request, params: Query[WhistleListIn], page: Query[PageParams]):
    selectors.numbers_check(request.auth)
    region = lookup_or_404(Region.objects.all(), request.auth, params.region, field="region", label=pgettext("record type", "区域"))
    department = Department.objects.filter(pk=params.department).first()
    if department is None:
        raise NotFoundError(_("部门（ID %(pk)s）不存在，或不在您的管辖范围内。") % {"pk": params.department}, field="department")
    whistles = selectors.whistle_list(actor=request.auth, start=params.start, end=params.end, region=region,
                                      department=department, kind=params.kind)
    return paginate(whistles, page, lambda w: _whistle_out(w) | {
        "event_number": w.event.number, "event_title": w.event.title, "blower": w.blower_region.name, "due_at": w.due_at})
