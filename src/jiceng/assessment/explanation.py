"""The arithmetic of a result in words, in the reader's language.

``compute.subject_total`` records each step as plain data (a kind, the names as entered, the numbers
as shown); the words are added here, when the result is read, so that a result stored once reads in
Chinese or in English. Results computed before the steps existed stored their lines as Chinese text
(``numbers["lines"]``): those are read through ``explanation_steps``.
"""

from __future__ import annotations

import re

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext


def _listed(values: list[str]) -> str:
    return pgettext("list separator", "、").join(values)


def _ballots(step: dict) -> str:
    values = {"name": step["name"], "count": step["count"], "mean": step["mean"], "dropped": _listed(step["dropped"])}
    if step["dropped"]:
        return ngettext("%(name)s：%(count)s 份问卷，去掉 %(dropped)s，平均 %(mean)s",
                        "%(name)s：%(count)s 份问卷，去掉 %(dropped)s，平均 %(mean)s", step["count"]) % values
    return ngettext("%(name)s：%(count)s 份问卷，平均 %(mean)s",
                    "%(name)s：%(count)s 份问卷，平均 %(mean)s", step["count"]) % values


def _scores(step: dict) -> str:
    values = {"name": step["name"], "count": step["count"], "mean": step["mean"], "dropped": _listed(step["dropped"])}
    if step["dropped"]:
        return ngettext("%(name)s：%(count)s 个评分，去掉 %(dropped)s，平均 %(mean)s",
                        "%(name)s：%(count)s 个评分，去掉 %(dropped)s，平均 %(mean)s", step["count"]) % values
    return ngettext("%(name)s：%(count)s 个评分，平均 %(mean)s",
                    "%(name)s：%(count)s 个评分，平均 %(mean)s", step["count"]) % values


TOKENS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d*)?|\.\d+|\s+|.")
OPERATORS = {"*": "×", "/": "÷", "-": "−"}


def _builtin_names() -> dict[str, str]:
    """The names every formula may use besides the scheme's codes (docs/assessment.md), as a reader says them."""
    return {"bonus": _("加分"), "deduction": _("减分"), "base": _("加权合计"), "routine_avg": _("平时平均"),
            "max_total": _("满分")}


def readable_formula(formula: str, names: dict[str, str]) -> str:
    """A scheme's formula with each code read as its name (``names``: group and indicator codes → names;
    bonus, deduction … in the reader's language) and × ÷ − for * / -: ``quant * 0.7 + bonus`` reads
    量化考核 × 0.7 + 加分. Function names (min, max, round, safe_div) and numbers stay as written."""
    known = {**_builtin_names(), **names}
    out = []
    for token in TOKENS.findall(formula):
        out.append(known.get(token, OPERATORS.get(token, token)))
    return "".join(out)


def step_text(step: dict, names: dict[str, str] | None = None) -> str:
    """One step as a line of the explanation, in the active language; with ``names`` (codes → names), a
    formula reads with names instead of codes."""
    kind = step["kind"]
    if kind == "auto":
        return _("%(name)s：自动值 %(value)s ÷ %(target)s（封顶 1）× %(points)s = %(result)s") % step
    if kind == "cap":
        return _("%(name)s：%(value)s 超过上限 %(cap)s，按 %(cap)s 计") % step
    if kind == "sum":
        return _("%(name)s：%(parts)s = %(result)s") % {**step, "parts": " + ".join(step["parts"])}
    if kind == "no_indicators":
        return _("%(name)s：无指标 = 0") % step
    if kind == "ballots":
        return _ballots(step)
    if kind == "scores":
        return _scores(step)
    if kind == "weighted":
        return _("%(name)s：%(raw)s ÷ %(max)s × %(weight)s%% × %(max_total)s = %(result)s") % step
    if kind == "subtotals":
        return _("加权合计 = %(base)s；加分 %(bonus)s；减分 %(deduction)s") % step
    if kind == "formula":
        formula = readable_formula(step["formula"], names) if names is not None else step["formula"]
        return _("按公式 %(formula)s = %(result)s") % {**step, "formula": formula}
    if kind == "add":
        return "{base} + {bonus} − {deduction} = {result}".format(**step)
    if kind == "annual":
        return _("年度折算：%(annual)s × %(annual_weight)s%% + 平时平均 %(routine)s × %(routine_weight)s%% = "
                 "%(result)s") % step
    if kind == "clip":
        return _("限制在 0 至 %(max)s：%(value)s → %(result)s") % step
    if kind == "total":
        return _("总分 = %(total)s") % step
    raise ValueError(f"unknown explanation step {kind!r}")


def step_lines(steps: list[dict], names: dict[str, str] | None = None) -> list[str]:
    return [step_text(step, names) for step in steps]


def config_names(config: dict) -> dict[str, str]:
    """A stored result's codes → names (its groups and indicators), for reading its formula."""
    return {**{g["code"]: g["name"] for g in config["groups"]}, **{i["code"]: i["name"] for i in config["indicators"]}}


def explanation_steps(numbers: dict, recomputed: dict) -> list[dict] | None:
    """The steps of a stored result. One stored before steps existed has only its Chinese lines: the
    steps of its recomputation (``subject_total`` on its stored config and inputs) stand in for them
    when they read, in Chinese, exactly as the stored lines — the same arithmetic, word for word.
    Otherwise None: the stored lines are all there is and are shown as stored."""
    if "steps" in numbers:
        return numbers["steps"]
    with translation.override(None):  # the msgids: the Chinese the old lines were written in
        same = step_lines(recomputed["steps"]) == numbers.get("lines")
    return recomputed["steps"] if same else None
