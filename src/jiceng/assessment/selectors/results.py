"""One result and its versions: who may read it, the explanation behind its score (a rater's identity
stripped where it must not show) and what each re-review's version changed."""

from __future__ import annotations

import copy
from collections import defaultdict
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from jiceng.core.errors import NotFoundError
from jiceng.core.scope import restrict

from .. import workflow
from ..compute import band_grade, subject_total
from ..explanation import config_names, explanation_steps, step_lines
from ..models import AssessmentPeriod, AssessmentResult


def period_results(actor, period: AssessmentPeriod, *, include_unpublished: bool = False) -> QuerySet:
    """Current results of a period. Managers may see computed-but-unpublished ones."""
    qs = AssessmentResult.objects.filter(period=period, current=True).select_related("subject")
    if include_unpublished and workflow.is_manager(actor, period.scheme):
        return qs.order_by("peer_group", "rank", "subject__display_name")
    return restrict(qs.filter(published_at__isnull=False), actor).order_by("peer_group", "rank",
                                                                            "subject__display_name")


def period_has_published(period: AssessmentPeriod) -> bool:
    """Whether any current result of the period is published (whoever may read it)."""
    return AssessmentResult.objects.filter(period=period, current=True, published_at__isnull=False).exists()


def _can_view(actor, result: AssessmentResult, *, manager: bool | None = None) -> tuple[bool, bool]:
    """(may view, as manager). ``manager``: whether the actor manages the result's scheme, when the
    caller already knows (a page of one period's results asks once, not once per row)."""
    if manager is None:
        manager = workflow.is_manager(actor, result.period.scheme)
    if manager:
        return True, True
    own = result.subject.user_id is not None and actor is not None and result.subject.user_id == actor.pk
    return own and result.published_at is not None, False


def _strip_raters(inputs: dict, anonymous_groups: set[str], all_groups: bool, group_of_indicator: dict) -> dict:
    inputs = copy.deepcopy(inputs)
    for key in ("ballots", "scores"):
        for gid, entries in inputs.get(key, {}).items():
            if all_groups or gid in anonymous_groups:
                for e in entries:
                    e.pop("rater", None)
                    e.pop("rater_id", None)
    for iid, entries in inputs.get("indicator_scores", {}).items():
        if all_groups or group_of_indicator.get(iid) in anonymous_groups:
            for e in entries:
                e.pop("rater", None)
                e.pop("rater_id", None)
    return inputs


def result_get(actor, pk: int) -> AssessmentResult:
    """A result the actor may read (a manager in scope, or the subject once published)."""
    result = AssessmentResult.objects.select_related("period__scheme__region", "subject").filter(pk=pk).first()
    if result is None or not _can_view(actor, result)[0]:
        raise NotFoundError(_("未找到该记录，或您无权查看。"))
    return result


def result_explain(actor, result: AssessmentResult) -> dict:
    """Everything behind one score: each indicator's inputs, group subtotals and weights, bonuses,
    deductions, the arithmetic as steps and as lines in the reader's language (``steps`` None: a
    result stored before steps whose Chinese lines are shown as stored), the grade band and the
    rank — and a recomputation from the stored records showing the same numbers."""
    result = AssessmentResult.objects.defer(None).select_related("period__scheme__region", "subject").get(pk=result.pk)
    may, as_manager = _can_view(actor, result)
    if not may:
        raise NotFoundError(_("未找到该记录，或您无权查看。"))
    detail = result.detail
    config, numbers = detail["config"], detail["numbers"]
    again = subject_total(config, detail["inputs"])
    anonymous = {g["id"] for g in config["groups"] if g["anonymous"]}
    group_of = {i["id"]: i["group_id"] for i in config["indicators"]}
    inputs = _strip_raters(detail["inputs"], anonymous, not as_manager, group_of)
    numbers = copy.deepcopy(numbers)
    code_of = {g["id"]: g["code"] for g in config["groups"]}
    for row in numbers["groups"]:
        gid = next(g["id"] for g in config["groups"] if g["code"] == row["code"])
        if "inputs" in row:
            row["inputs"] = inputs.get("scores", {}).get(gid, [])
    names = config_names(config)
    for code, ind in numbers["indicators"].items():
        stored = next(i for i in config["indicators"] if i["code"] == code)
        iid = stored["id"]
        ind["cap"] = stored.get("cap")  # a bonus or deduction is read against its cap, not its points
        if "children" in ind:  # a section is the sum of its parts, read by name (the codes stay in children)
            ind["children_names"] = [names.get(c, c) for c in ind["children"]]
        if "inputs" in ind and ind["kind"] == "manual":
            ind["inputs"] = inputs.get("indicator_scores", {}).get(iid, [])
    steps = explanation_steps(numbers, again)
    bands = sorted(config_bands(result), key=lambda b: Decimal(b["min"]), reverse=True)
    by_score = band_grade(bands, result.total) if bands else ""
    if not bands:
        grade_text = _("本方案不分等次")
    elif by_score == result.grade:
        grade_text = _("%(total)s 分，按分档为 %(grade)s") % {"total": format(result.total, "f"), "grade": result.grade}
    else:
        quotas = result.period.version.grade_quotas or {}
        grade_text = _("%(total)s 分，按分档为 %(band)s；%(band)s 限 %(quota)s%%，按名次为 %(grade)s") % {
            "total": format(result.total, "f"), "band": by_score, "quota": quotas.get(by_score, ""),
            "grade": result.grade}
    return {
        "result_id": result.pk, "subject": result.subject.display_name, "period": result.period.label,
        "scheme_version": config["number"], "version_no": result.version_no, "reason": result.reason,
        "current": result.current, "published_at": result.published_at,
        "total": format(result.total, "f"), "grade": result.grade, "rank": result.rank, "rank_of": result.rank_of,
        "rank_text": _("第 %(rank)s 名（共 %(of)s 名）") % {"rank": result.rank, "of": result.rank_of},
        "grade_bands": bands, "grade_text": grade_text, "groups": numbers["groups"], "indicators": numbers["indicators"],
        "bonus": numbers["bonus"], "deduction": numbers["deduction"], "base": numbers["base"],
        "routine": numbers["routine"], "steps": steps,
        "lines": step_lines(steps, names) if steps is not None else numbers["lines"],
        "recomputed_total": again["total"], "verified": again["total"] == format(result.total, "f"),
        "group_codes": list(code_of.values()), "names": names,
    }


def config_bands(result: AssessmentResult) -> list[dict]:
    return list(result.period.version.grade_bands or [])


def result_history(actor, result: AssessmentResult) -> list[AssessmentResult]:
    """All versions of a subject's result in its period, oldest first (old versions stay readable)."""
    may, _as_manager = _can_view(actor, result)
    if not may:
        raise NotFoundError(_("未找到该记录，或您无权查看。"))
    history = list(AssessmentResult.objects.filter(subject=result.subject).order_by("version_no"))
    for before, after in zip([None, *history], history, strict=False):
        after.change = version_change(before, after)  # what this version changed (``version_change``)
    return history


ADJUSTED, RANK_ONLY = "adjusted", "rank"  # what a re-review's result version changed (``version_change``)


def version_change(before: AssessmentResult | None, after: AssessmentResult) -> str:
    """What a result version changed against the one before it: ``adjusted`` (the subject's own total or
    grade), ``rank`` (only the rank or the number ranked, after someone else's correction), "" for a
    first version."""
    if before is None:
        return ""
    return RANK_ONLY if after.same_score(before) else ADJUSTED


def review_changes(results: list[AssessmentResult]) -> dict[int, str]:
    """For current results past their first version: ``adjusted`` when some re-review changed the
    subject's own total or grade (each published version compared with the one before it), ``rank``
    when re-reviews only moved its rank. One query for all of them."""
    if not results:
        return {}
    versions: dict[int, list[AssessmentResult]] = defaultdict(list)
    for v in (AssessmentResult.objects.filter(subject_id__in=[r.subject_id for r in results],
                                              published_at__isnull=False)
              .only("subject_id", "version_no", "total", "grade").order_by("subject_id", "version_no")):
        versions[v.subject_id].append(v)
    out = {}
    for r in results:
        chain = [v for v in versions[r.subject_id] if v.version_no <= r.version_no]
        steps = [version_change(a, b) for a, b in zip(chain, chain[1:], strict=False)]
        out[r.subject_id] = ADJUSTED if ADJUSTED in steps else RANK_ONLY
    return out
