"""Excel exports of assessment results (ranking tables, individual score sheets), with Chinese
headers; every export is audited with the number of rows written and downloaded
through a short-lived link bound to the user who made it (core.exports)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from jiceng.core.excel import Column, build_workbook
from jiceng.core.exports import export_create
from jiceng.core.models import ExportFile

from . import selectors
from .choices import FlagKind, IndicatorKind
from .compute import D, fmt
from .explanation import step_lines
from .models import AssessmentPeriod, AssessmentResult

FLAG_LABELS = dict(FlagKind.choices)

RANKING_COLUMNS = [
    Column("rank", "名次", width=8), Column("subject", "考核对象", width=24), Column("peer_group", "排名组", width=12),
    Column("total", "总分", width=10, number_format="0.00"), Column("grade", "等次", width=10), Column("rank_of", "参评数", width=8),
    Column("tied", "并列", width=6), Column("flags", "结果运用", width=24), Column("state", "状态", width=10),
    Column("version", "结果版本", width=8),
]

SHEET_COLUMNS = [Column("section", "项目", width=24), Column("item", "内容", width=40), Column("value", "数值", width=16, number_format="0.00"),
                 Column("note", "说明", width=60)]


def ranking_export(*, actor, period: AssessmentPeriod) -> ExportFile:
    rows = selectors.period_ranking(actor, period)

    def lines():
        for row in rows:
            r = row["result"]
            yield [r.rank, r.subject.display_name, r.peer_group, r.total, r.grade, r.rank_of,
                   "是" if row["tied"] else "", "、".join(str(FLAG_LABELS.get(f, f)) for f in row["flags"]),
                   "已公布" if r.published_at else "未公布", r.version_no]

    content, count = build_workbook(RANKING_COLUMNS, lines(), sheet_title="排名表")
    return export_create(actor=actor, kind="assessment_ranking", content=content, rows=count, obj=period,
                         filename=f"{period.label}排名表.xlsx", fallback=f"ranking-{period.pk}.xlsx")


def score_sheet_rows(explained: dict) -> list[list]:
    rows: list[list] = [["考核对象", explained["subject"], "", ""], ["考核期", explained["period"], "", ""],
                        ["方案版本", f"第 {explained['scheme_version']} 版", "", ""],
                        ["结果版本", f"第 {explained['version_no']} 版", "", explained["reason"]]]
    for g in explained["groups"]:
        rows.append(["评分组", g["name"], _number(g["contribution"]),
                     f"得分 {g['raw']} / {g['max_points']}，权重 {g['weight']}%"])
    for code, ind in explained["indicators"].items():
        rows.append(_indicator_row(code, ind))
    rows += [["加权合计", "", _number(explained["base"]), ""], ["加分", "", _number(explained["bonus"]), ""],
             ["减分", "", _number(explained["deduction"]), ""], ["总分", "", _number(explained["total"]), ""],
             ["等次", explained["grade"], "", explained["grade_text"]], ["名次", explained["rank_text"], "", ""]]
    steps = explained["steps"]
    with translation.override(None):  # the sheet is written in Chinese, whatever the reader's language
        lines = step_lines(steps, explained.get("names")) if steps is not None else explained["lines"]
    rows += [["算式", line, "", ""] for line in lines]
    return rows


def _indicator_row(code: str, ind: dict) -> list:
    """A scored indicator out of its points; a bonus or deduction signed (+3, −10) against its cap,
    so that neither reads as "10 out of 5"."""
    points = fmt(D(ind["max_points"]))
    if ind["kind"] not in (IndicatorKind.BONUS, IndicatorKind.DEDUCTION):
        return ["指标", f"{ind['name']}（{code}）", _number(ind["value"]), f"满分 {points}"]
    limits = ([f"上限 {fmt(D(ind['cap']))}"] if ind.get("cap") is not None else []) + (
        [f"每次最多 {points}"] if D(points) > 0 else [])
    value = _number(ind["value"])  # a deduction negative (−10), a bonus positive, as the page signs them
    return ["加分项" if ind["kind"] == IndicatorKind.BONUS else "减分项", f"{ind['name']}（{code}）",
            -value if ind["kind"] == IndicatorKind.DEDUCTION and value else value, "，".join(limits)]


def _number(value) -> Decimal:
    """A stored number (text with 2 or 4 decimals) as a number Excel can sum, as the ranking export
    writes its totals: 59.85, not '59.85'."""
    return D(value)


def score_sheet_export(*, actor, result: AssessmentResult) -> ExportFile:
    explained = selectors.result_explain(actor, result)
    content, count = build_workbook(SHEET_COLUMNS, score_sheet_rows(explained), sheet_title="评分表")
    return export_create(actor=actor, kind="assessment_score_sheet", content=content, rows=count, obj=result,
                         filename=f"{result.period.label}{result.subject.display_name}评分表.xlsx",
                         fallback=f"score-sheet-{result.pk}.xlsx")
