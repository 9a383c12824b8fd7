"""Reads, narrowed to what the actor may see. Results never carry a rater's identity to the
subject; anonymous groups (民主测评, 互评) never carry it to anyone."""

from __future__ import annotations

import copy
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.errors import NotFoundError
from jiceng.core.scope import is_active_account, restrict, scope_q

from . import workflow
from .choices import AppealState
from .compute import band_grade, competition_ranks, subject_total
from .explanation import config_names, explanation_steps, step_lines
from .models import Appeal, AssessmentPeriod, AssessmentResult, AssessmentScheme, RaterAssignment, ResultFlag


def scheme_list(actor) -> QuerySet[AssessmentScheme]:
    return restrict(AssessmentScheme.objects.select_related("region"), actor)


def scheme_rows(actor) -> QuerySet[AssessmentScheme]:
    """The schemes in the actor's scope with their number of periods (the list page's 考核方案)."""
    from django.db.models import Count

    return scheme_list(actor).annotate(period_count=Count("periods")).order_by("region__path", "name", "pk")


def rater_assignments(actor, period: AssessmentPeriod | None = None) -> QuerySet[RaterAssignment]:
    """Only the actor's own tasks: a rater never sees other raters' work."""
    if not is_active_account(actor):
        return RaterAssignment.objects.none()
    qs = RaterAssignment.objects.filter(rater=actor).select_related("group", "subject", "period__scheme", "rating")
    return qs.filter(period=period) if period is not None else qs


def rater_todo(actor) -> QuerySet[RaterAssignment]:
    """The actor's tasks still to do (what 我的评分任务 counts): not submitted, in periods open for rating;
    and, while a period is re-reviewed, those a manager sent back to be scored again (退回重评)."""
    from django.db.models import Q

    from .choices import RatingState

    scoring = Q(period__state__in=workflow.RATING_STATES) & ~Q(rating__state=RatingState.SUBMITTED)
    rerate = Q(period__state__in=workflow.APPEAL_CORRECTION_STATES, rerate_requested_at__isnull=False)
    return rater_assignments(actor).filter(scoring | rerate)


def rater_done(actor) -> QuerySet[RaterAssignment]:
    """The actor's other tasks of periods past their draft: submitted, or no longer open for rating —
    still readable, not counted as to-dos. Tasks of draft periods (not yet open) are neither."""
    from .choices import PeriodState

    return (rater_assignments(actor).exclude(period__state=PeriodState.DRAFT)
            .exclude(pk__in=rater_todo(actor).values("pk")))


def rater_tasks(actor, status: str = "todo") -> QuerySet[RaterAssignment]:
    """我的评分任务 by status: ``todo`` (``rater_todo``), ``done`` (``rater_done``) or ``all`` — both, which
    is every task of the actor's periods past their draft."""
    from .choices import PeriodState

    if status == "todo":
        return rater_todo(actor)
    if status == "done":
        return rater_done(actor)
    return rater_assignments(actor).exclude(period__state=PeriodState.DRAFT)


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


def result_explain(actor, result: AssessmentResult) -> dict:
    """Everything behind one score: each indicator's inputs, group subtotals and weights, bonuses,
    deductions, the arithmetic as steps and as lines in the reader's language (``steps`` None: a
    result stored before steps whose Chinese lines are shown as stored), the grade band and the
    rank — and a recomputation from the stored records showing the same numbers."""
    result = AssessmentResult.objects.select_related("period__scheme__region", "subject").get(pk=result.pk)
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


def period_flags(actor, period: AssessmentPeriod, kind: str | None = None) -> QuerySet[ResultFlag]:
    qs = restrict(ResultFlag.objects.filter(period=period).select_related("subject")
                  .prefetch_related("results"), actor)
    return qs.filter(kind=kind) if kind else qs


def cumulative_ranking(actor, scheme: AssessmentScheme, periods: list[AssessmentPeriod] | None = None) -> list[dict]:
    """积分排名: sum of current published totals over periods, competition-ranked."""
    qs = AssessmentResult.objects.filter(period__scheme=scheme, current=True, published_at__isnull=False)
    if periods is not None:
        qs = qs.filter(period__in=periods)
    qs = restrict(qs.select_related("subject", "period").order_by("period__starts_on"), actor)
    sums: dict[tuple, dict] = defaultdict(lambda: {"total": Decimal(0), "periods": [], "result_ids": [],
                                                   "by_period": {}})
    for r in qs:
        row = sums[r.subject.key]
        row["name"] = r.subject.display_name
        row["total"] += r.total
        row["periods"].append(r.period.label)
        row["result_ids"].append(r.pk)
        row["by_period"][r.period_id] = r
    ranks = competition_ranks({k: v["total"] for k, v in sums.items()})
    out = [{"subject_type": k[0], "subject_id": k[1], "rank": ranks[k], **v} for k, v in sums.items()]
    return sorted(out, key=lambda r: (r["rank"], r["name"]))


def scheme_version_definition(version) -> dict:
    """A version as the definition dict ``scheme_create`` / ``scheme_version_create`` take: copy it,
    change it, and save it as the next version."""
    groups = list(version.groups.all())
    code_of = {g.pk: g.code for g in groups}
    indicators = list(version.indicators.all())
    ind_code = {i.pk: i.code for i in indicators}
    return {
        "max_total": str(version.max_total), "clip": version.clip, "formula": version.formula,
        "grade_bands": list(version.grade_bands), "grade_quotas": dict(version.grade_quotas),
        "streak_grade": version.streak_grade, "streak_length": version.streak_length,
        "candidate_grade": version.candidate_grade, "red_top_n": version.red_top_n,
        "black_bottom_n": version.black_bottom_n, "routine_weight": str(version.routine_weight),
        "groups": [{"code": g.code, "name": g.name, "kind": g.kind, "weight": str(g.weight),
                    "max_points": str(g.max_points), "anonymous": g.anonymous, "peer": g.peer,
                    "drop_extremes": g.drop_extremes, "questionnaire": g.questionnaire} for g in groups],
        "indicators": [{"code": i.code, "name": i.name, "kind": i.kind,
                        "group": code_of.get(i.group_id) if i.parent_id is None else None,
                        "parent": ind_code.get(i.parent_id), "max_points": str(i.max_points),
                        "cap": None if i.cap is None else str(i.cap), "auto_key": i.auto_key,
                        "auto_target": str(i.auto_target)} for i in indicators],
    }


# --- lookups for the pages and the API ---------------------------------------------------------


def period_list(actor) -> QuerySet[AssessmentPeriod]:
    """Periods of schemes in the actor's scope, plus those the actor rates in or is assessed in."""
    from django.db.models import Q

    if not is_active_account(actor):
        return AssessmentPeriod.objects.none()
    q = Q(assignments__rater=actor) | Q(subjects__user=actor)
    scoped = scope_q(AssessmentPeriod, actor)
    if scoped is not None:
        q |= scoped
    ids = AssessmentPeriod.objects.filter(q).values("pk")
    return (AssessmentPeriod.objects.filter(pk__in=ids).select_related("scheme__region", "version")
            .annotate(republished_at=Max("appeals__decided_at")).order_by("-starts_on", "-pk"))


def period_republished_on(period: AssessmentPeriod) -> date | None:
    """The day of the period's latest 复核后公布 (None before any): ``published_on`` keeps the first
    publication's date (红黑榜 are dated by it); each 复核后公布 resolves the open appeals at that moment
    (``Appeal.decided_at``). Read from ``period_list``'s annotation when there."""
    if hasattr(period, "republished_at"):
        at = period.republished_at
    else:
        at = period.appeals.aggregate(at=Max("decided_at"))["at"]
    return timezone.localtime(at).date() if at is not None else None


def period_get(actor, pk: int) -> AssessmentPeriod:
    period = period_list(actor).filter(pk=pk).first()
    if period is None:
        raise NotFoundError(_("未找到该考核期，或您无权查看。"))
    return period


def managed_period(actor, pk: int) -> AssessmentPeriod:
    """A period the actor may see (else 404) of a scheme they manage (else 403): what setting up a
    round, 加减分 and 新建下一期 need, on pages and in the API alike."""
    period = period_get(actor, pk)
    workflow.require_manager(actor, period.scheme)
    return period


def scheme_get(actor, pk: int) -> AssessmentScheme:
    scheme = scheme_list(actor).filter(pk=pk).first()
    if scheme is None:
        raise NotFoundError(_("未找到该考核方案，或您无权查看。"))
    return scheme


def result_get(actor, pk: int) -> AssessmentResult:
    """A result the actor may read (a manager in scope, or the subject once published)."""
    result = AssessmentResult.objects.select_related("period__scheme__region", "subject").filter(pk=pk).first()
    if result is None or not _can_view(actor, result)[0]:
        raise NotFoundError(_("未找到该记录，或您无权查看。"))
    return result


def assignment_get(actor, pk: int) -> RaterAssignment:
    assignment = rater_assignments(actor).filter(pk=pk).first()
    if assignment is None:
        raise NotFoundError(_("未找到该评分任务，或它不是您的任务。"))
    return assignment


ADJUSTED, RANK_ONLY = "adjusted", "rank"  # what a re-review's result version changed (``version_change``)


def period_ranking(actor, period: AssessmentPeriod) -> list[dict]:
    """The ranking table: current results (published ones, or computed ones for a manager), with
    ties marked and each subject's flags (红榜/黑榜/连续 C 档/优先入编)."""
    results = list(period_results(actor, period, include_unpublished=True))
    flags: dict[int, list[str]] = defaultdict(list)
    for f in ResultFlag.objects.filter(period=period).order_by("kind"):
        flags[f.subject_id].append(f.kind)
    ties: dict[tuple, int] = defaultdict(int)
    for r in results:
        ties[(r.peer_group, r.rank)] += 1
    manager = workflow.is_manager(actor, period.scheme)
    appealed = set(Appeal.objects.filter(period=period, state=AppealState.OPEN).values_list("subject_id", flat=True))
    changes = review_changes([r for r in results if r.version_no > 1 and r.published_at is not None])
    return [{"result": r, "tied": ties[(r.peer_group, r.rank)] > 1, "flags": flags.get(r.subject_id, []),
             # whether the row may link to its explanation: the result page's own check
             "may_open": _can_view(actor, r, manager=manager)[0],
             # 复核中: an appeal waits, the numbers may change; 已复核调整: a re-review changed the subject's own
             # total or grade; 名次随复核变化: only its rank moved (a neighbour's correction), its score stands
             "appeal_pending": r.subject_id in appealed,
             "reviewed": changes.get(r.subject_id) == ADJUSTED,
             "rank_moved": changes.get(r.subject_id) == RANK_ONLY}
            for r in results]


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


def own_results(actor, period: AssessmentPeriod | None = None) -> list[AssessmentResult]:
    """The actor's own current published results (as the person assessed), newest period first — of
    one period when given: what 我的结果 shows, each one the actor may open."""
    if not is_active_account(actor):
        return []
    qs = (AssessmentResult.objects.filter(current=True, published_at__isnull=False, subject__user=actor)
          .select_related("period__scheme", "subject").order_by("-period__starts_on", "-period_id", "pk"))
    if period is not None:
        qs = qs.filter(period=period)
    return [r for r in qs if _can_view(actor, r, manager=False)[0]]


def adjustment_items(period: AssessmentPeriod) -> QuerySet:
    """The period's 加分/减分 items (leaves of its scheme version) an entry may be recorded against."""
    from .choices import IndicatorKind

    return period.version.indicators.filter(children__isnull=True,
                                            kind__in=[IndicatorKind.BONUS, IndicatorKind.DEDUCTION]).order_by("code")


def period_adjustments(actor, period: AssessmentPeriod) -> QuerySet:
    """Every 加分/减分 entry of a period, newest first, withdrawn ones included (managers only)."""
    if not workflow.is_manager(actor, period.scheme):
        return period.adjustments.none()
    return (period.adjustments.select_related("subject", "indicator", "recorded_by", "withdrawn_by")
            .order_by("-recorded_at", "-id"))


def subject_appeals(actor, subject) -> list[Appeal]:
    """A subject's appeals, for the person assessed and the scheme's managers only. The reply of an appeal
    still open is the reviewer's draft: managers read it, the appellant once it is resolved."""
    if not workflow.relations(subject.period, actor, subject):
        return []
    appeals = list(subject.appeals.order_by("filed_at", "pk"))
    if not workflow.is_manager(actor, subject.period.scheme):
        for a in appeals:
            if a.state == AppealState.OPEN:
                a.decision = ""  # not saved: this reader's copy only
    return appeals


def appeal_get(actor, pk: int) -> Appeal:
    """An appeal the actor may read (its subject's own account, a manager of the scheme), else 404."""
    appeal = Appeal.objects.select_related("period__scheme__region", "subject").filter(pk=pk).first()
    if appeal is None or not workflow.relations(appeal.period, actor, appeal.subject):
        raise NotFoundError(_("未找到该申诉，或您无权查看。"))
    return appeal


def subject_rerates(actor, subject) -> dict:
    """For the scheme's managers re-reviewing a subject: what may be sent back to be scored again —
    one rater of a named group, or a whole anonymous group (``value`` ``group`` or ``group:rater id``) —
    and what was sent back and is not submitted yet."""
    if not workflow.is_manager(actor, subject.period.scheme):
        return {"choices": [], "waiting": []}
    by_group: dict[int, list[RaterAssignment]] = defaultdict(list)
    groups = {}
    for a in subject.assignments.select_related("group", "rater").order_by("group__order", "group_id", "rater_id"):
        by_group[a.group_id].append(a)
        groups[a.group_id] = a.group
    choices, waiting = [], []
    for gid, assignments in by_group.items():
        g = groups[gid]
        if g.anonymous:
            units = [(g.code, _("%(group)s（全组 %(n)s 人）") % {"group": g.name, "n": len(assignments)}, assignments)]
        else:
            units = [(f"{g.code}:{a.rater_id}", f"{g.name} · {a.rater}", [a]) for a in assignments]
        for value, label, members in units:
            choices.append((value, label))
            sent = [a for a in members if a.rerate_requested_at is not None]
            if sent:
                waiting.append({"value": value, "label": label, "count": len(sent), "reason": sent[0].rerate_reason,
                                "at": sent[0].rerate_requested_at})
    return {"choices": choices, "waiting": waiting}


def published_periods(scheme: AssessmentScheme) -> list[AssessmentPeriod]:
    """A scheme's periods with published results, oldest first (what a cumulative ranking sums)."""
    return list(scheme.periods.filter(state__in=workflow.PUBLISHED_STATES).order_by("starts_on", "id"))


def period_contents(period: AssessmentPeriod) -> dict[str, int]:
    """What a period holds: its subjects and rater assignments (which go with a deleted draft) and the
    saved records that forbid deleting it (its 删除 page, ``services.period_delete_refusal``)."""
    from .models import Rating

    return {"subjects": period.subjects.count(), "assignments": period.assignments.count(),
            "ratings": Rating.objects.filter(assignment__period=period).count(),
            "adjustments": period.adjustments.count(), "results": period.results.count(),
            "appeals": period.appeals.count()}


def rater_scored_groups(period: AssessmentPeriod) -> list:
    """The groups of the period's scheme version that raters score: a questionnaire, a single score, or
    indicators of which at least one leaf is scored by hand (an all-automatic group needs no rater)."""
    from .choices import GroupKind, IndicatorKind
    from .models import Indicator

    manual = set(Indicator.objects.filter(version=period.version, kind=IndicatorKind.MANUAL,
                                          children__isnull=True).values_list("group_id", flat=True))
    return [g for g in period.version.groups.order_by("order", "id")
            if g.kind != GroupKind.INDICATORS or g.pk in manual]


def unrated_groups(period: AssessmentPeriod) -> list:
    """The groups raters score (``rater_scored_groups``) without a single submitted score sheet in the
    period — no task, or none submitted: every subject scores 0 there. 结束评分's page warns of them;
    计算 waits for the manager's explicit word (``services.period_compute_refusal``)."""
    from .choices import RatingState
    from .models import Rating

    submitted = set(Rating.objects.filter(assignment__period=period, state=RatingState.SUBMITTED)
                    .values_list("assignment__group_id", flat=True))
    return [g for g in rater_scored_groups(period) if g.pk not in submitted]


def period_open_summary(actor, period: AssessmentPeriod) -> dict:
    """开始评分's confirmation, for the scheme's managers: the period's subjects and rating tasks, each
    group scored by raters with its tasks and raters — those with none are named, as every subject would
    score 0 there."""
    from django.db.models import Count

    if not workflow.is_manager(actor, period.scheme):
        return {"subjects": 0, "assignments": 0, "groups": [], "idle": []}
    counts = {c["group_id"]: c for c in period.assignments.values("group_id").annotate(
        tasks=Count("id"), raters=Count("rater_id", distinct=True)).order_by()}
    groups = [{"group": g, "tasks": counts.get(g.pk, {}).get("tasks", 0), "raters": counts.get(g.pk, {}).get("raters", 0)}
              for g in rater_scored_groups(period)]
    return {"subjects": period.subjects.count(), "assignments": period.assignments.count(), "groups": groups,
            "idle": [row["group"] for row in groups if not row["tasks"]]}


def period_missing_sheets(actor, period: AssessmentPeriod) -> dict:
    """结束评分's warning, for the scheme's managers: of the period's rater × subject score sheets (its
    assignments), those not submitted — none saved, or a draft, which computing does not count — in all
    and by group and rater."""
    from django.db.models import Count

    from jiceng.people.models import User

    from .choices import RatingState

    if not workflow.is_manager(actor, period.scheme):
        return {"sheets": 0, "missing": 0, "drafts": 0, "rows": []}
    open_sheets = (period.assignments.exclude(rating__state=RatingState.SUBMITTED)
                   .values("group_id", "rater_id").annotate(missing=Count("id"), drafts=Count("rating")).order_by())
    counts = list(open_sheets)
    groups = {g.pk: g for g in period.version.groups.all()}
    users = User.objects.in_bulk({c["rater_id"] for c in counts})
    rows = sorted(({"group": groups[c["group_id"]], "rater": users[c["rater_id"]], "missing": c["missing"],
                    "drafts": c["drafts"]} for c in counts),
                  key=lambda r: (r["group"].order, r["group"].pk, str(r["rater"]), r["rater"].pk))
    return {"sheets": period.assignments.count(), "missing": sum(c["missing"] for c in counts),
            "drafts": sum(c["drafts"] for c in counts), "rows": rows}


# --- setting up a round: who may be assessed, who may rate ------------------------------------

SETUP_LEVELS = (1, 2, 3, 4)  # 市, 区县, 街道/乡镇, 社区/村: a scheme belongs to one of these (never a grid)


def setup_regions(actor, within=None) -> QuerySet:
    """Regions (市 … 社区/村) in the actor's scope — under ``within`` when given — that a scheme may
    belong to, or that subjects may be added from in bulk."""
    from jiceng.regions.models import Region

    qs = restrict(Region.objects.filter(level__in=SETUP_LEVELS), actor)
    if within is not None:
        qs = qs.filter(path__startswith=within.path)
    return qs.order_by("path")


def subject_candidates(actor, scheme: AssessmentScheme, region=None) -> QuerySet:
    """Whom a scheme may assess, for one of its managers: the objects of its subject type under its
    region (and under ``region`` when given) that still qualify — a grid worker in post, an active
    community staff account (社区工作者 and 社区书记 alike: accounts carry no post), a community, a
    street, a property-service company, a department. Nothing for anyone else."""
    from jiceng.people.choices import Role
    from jiceng.people.models import Department, GridWorker, User
    from jiceng.regions.choices import OrganisationKind, RegionLevel
    from jiceng.regions.models import Organisation, Region

    from .choices import SubjectType

    kind = scheme.subject_type
    if kind == SubjectType.GRID_WORKER:
        qs, lookup = GridWorker.objects.filter(active=True).select_related("community", "user"), "community__path"
    elif kind in (SubjectType.STAFF, SubjectType.SECRETARY):
        qs = User.objects.filter(is_active=True, role=Role.COMMUNITY_STAFF).select_related("region")
        lookup = "region__path"
    elif kind in (SubjectType.COMMUNITY, SubjectType.STREET):
        level = RegionLevel.COMMUNITY if kind == SubjectType.COMMUNITY else RegionLevel.STREET
        qs, lookup = Region.objects.filter(level=level), "path"
    elif kind == SubjectType.PROPERTY:
        qs, lookup = Organisation.objects.filter(kind=OrganisationKind.PROPERTY).select_related("grid"), "grid__path"
    else:
        qs, lookup = Department.objects.select_related("region"), "region__path"
    if not workflow.is_manager(actor, scheme):
        return qs.none()
    qs = qs.filter(**{f"{lookup}__startswith": scheme.region.path})
    if region is not None:
        qs = qs.filter(**{f"{lookup}__startswith": region.path})
    name = "full_name" if kind in (SubjectType.STAFF, SubjectType.SECRETARY) else "name"
    return qs.order_by(lookup, name, "pk")


def rater_candidates(actor) -> QuerySet:
    """Accounts the actor may name as raters: active staff, department staff and grid workers of the
    actor's region subtree (never the admin roles or residents)."""
    from django.db.models import Q

    from jiceng.people.choices import REGION_STAFF_ROLES, Role
    from jiceng.people.models import User

    if not is_active_account(actor):
        return User.objects.none()
    paths = actor.scope_paths(personal=False)
    qs = User.objects.filter(is_active=True, role__in=[*REGION_STAFF_ROLES, Role.DEPARTMENT_STAFF, Role.GRID_WORKER])
    if not paths:
        return qs.none()
    if "/" not in paths:
        q = Q()
        for path in paths:
            q |= (Q(region__path__startswith=path) | Q(department__region__path__startswith=path)
                  | Q(grid_worker__community__path__startswith=path))
        qs = qs.filter(q)
    return qs.select_related("region", "department").order_by("full_name", "username", "pk")


def period_subject_rows(actor, period: AssessmentPeriod) -> QuerySet:
    """A period's subjects for its managers, each with how many rater assignments and saved ratings
    it has (a subject with ratings cannot be removed)."""
    from django.db.models import Count

    if not workflow.is_manager(actor, period.scheme):
        return period.subjects.none()
    return (period.subjects.select_related("user")
            .annotate(assignment_count=Count("assignments", distinct=True),
                      rating_count=Count("assignments__rating", distinct=True))
            .order_by("peer_group", "display_name", "id"))


def period_rater_rows(actor, period: AssessmentPeriod) -> list[dict]:
    """For its managers, a period's raters by group: each rater with the number of subjects they rate
    and of ratings already saved (a rater with ratings cannot be removed)."""
    from django.db.models import Count

    from jiceng.people.models import User

    if not workflow.is_manager(actor, period.scheme):
        return []
    counts = (period.assignments.values("group_id", "rater_id")
              .annotate(subjects=Count("id"), ratings=Count("rating")).order_by())
    by_group: dict[int, list[dict]] = defaultdict(list)
    users = User.objects.in_bulk({c["rater_id"] for c in counts})
    for c in counts:
        by_group[c["group_id"]].append({"rater": users[c["rater_id"]], "subjects": c["subjects"],
                                        "ratings": c["ratings"]})
    return [{"group": g, "raters": sorted(by_group.get(g.pk, []),
                                          key=lambda r: (str(r["rater"]), r["rater"].pk))}
            for g in period.version.groups.order_by("order", "id")]


# --- what 公布 and 复核后公布 will publish (their confirmation pages) ----------------------------

PREVIEW_TOP = 5  # the first ranks a 公布 confirmation shows (the ranking page has them all)


def _grade_counts(period: AssessmentPeriod, results: list[AssessmentResult]) -> list[tuple[str, int]]:
    """(grade, how many) for each band of the scheme version, best first; "" for results without a grade."""
    bands = sorted(period.version.grade_bands or [], key=lambda b: Decimal(str(b["min"])), reverse=True)
    if not bands:
        return []
    counts: dict[str, int] = {b["grade"]: 0 for b in bands}
    for r in results:
        counts[r.grade] = counts.get(r.grade, 0) + 1
    return list(counts.items())


def _flag_counts(drafts) -> list[dict]:
    """The flags the rules would give, by kind (红榜, 黑榜, 连续 … 档, 优先入编): how many, and whom."""
    from .choices import FlagKind

    labels = dict(FlagKind.choices)
    out = []
    for kind in (FlagKind.RED, FlagKind.BLACK, FlagKind.ADJUST, FlagKind.PERMANENT):
        names = [d.result.subject.display_name for d in drafts if d.kind == kind]
        if names:
            out.append({"kind": kind, "label": labels[kind], "count": len(names), "names": names})
    return out


def period_publish_preview(actor, period: AssessmentPeriod) -> dict:
    """公布's confirmation, for the scheme's managers: the computed results that would be published — how
    many, how many of each grade, the flags the rules would give them (结果运用: ``rules.rule_flags``) and
    the first ranks — all from the stored results, as 公布 would publish them."""
    from .rules import rule_flags

    if not workflow.is_manager(actor, period.scheme):
        return {"results": 0, "grades": [], "flags": [], "top": [], "peer_groups": False}
    results = list(period.results.filter(current=True, published_at__isnull=True).select_related("subject")
                   .order_by("rank", "peer_group", "subject__display_name", "pk"))
    drafts = rule_flags(period, results)
    kinds: dict[int, list[str]] = defaultdict(list)
    for d in drafts:
        kinds[d.result.pk].append(d.kind)
    top = [{"result": r, "flags": kinds.get(r.pk, [])} for r in results[:PREVIEW_TOP]]
    return {"results": len(results), "grades": _grade_counts(period, results), "flags": _flag_counts(drafts),
            "top": top, "peer_groups": any(r.peer_group for r in results)}


def period_republish_preview(actor, period: AssessmentPeriod) -> dict:
    """复核后公布's confirmation, for the scheme's managers: the ranking that will replace the published one
    — every subject's published total, grade and rank beside those it will have (its new version from
    复核重算, or the same), a changed row marked ``adjusted`` (its own total or grade) or ``rank`` (only its
    rank); the open appeals with the outcome each will get (调整 where the subject's score changes, 维持
    otherwise) and whether it has its own reply; the flags after; and ``stale``: the subjects whose
    numbers, computed from the records now, differ from what would be published — corrections made after
    (or without) 复核重算, which this publication would leave out."""
    from .choices import AppealOutcome
    from .rules import rule_flags
    from .services.results import compute_all

    empty = {"rows": [], "changed": 0, "adjusted": 0, "appeals": [], "flags": [], "stale": [], "peer_groups": False}
    if not workflow.is_manager(actor, period.scheme):
        return empty
    current = {r.subject_id: r for r in period.results.filter(current=True).select_related("subject")}
    pending = {r.subject_id: r for r in period.results.filter(published_at__isnull=True).select_related("subject")}
    rows = []
    for sid in current.keys() | pending.keys():
        old, new = current.get(sid), pending.get(sid) or current[sid]
        change = "" if new is old else (version_change(old, new) if old is not None else ADJUSTED)
        rows.append({"subject": new.subject, "old": old, "new": new, "change": change})
    rows.sort(key=lambda r: (r["new"].peer_group, r["new"].rank, r["subject"].display_name, r["subject"].pk))
    adjusted = {r["subject"].pk for r in rows if r["change"] == ADJUSTED}
    appeals = [{"appeal": a, "replied": bool(a.decision.strip()),
                "outcome": AppealOutcome(AppealOutcome.ADJUSTED if a.subject_id in adjusted else AppealOutcome.UPHELD)}
               for a in period.appeals.filter(state=AppealState.OPEN).select_related("subject").order_by("filed_at", "pk")]
    shown = {r["subject"].pk: r["new"] for r in rows}
    stale = []
    for sid, row in compute_all(period).items():
        now = (Decimal(row["numbers"]["total"]), row["grade"], row["rank"], row["rank_of"])
        r = shown.get(int(sid))
        if r is None or (r.total, r.grade, r.rank, r.rank_of) != now:
            stale.append(row["subject"].display_name)
    return {"rows": rows, "changed": sum(1 for r in rows if r["change"]), "adjusted": len(adjusted),
            "appeals": appeals, "flags": _flag_counts(rule_flags(period, [r["new"] for r in rows])),
            "stale": sorted(stale), "peer_groups": any(r["new"].peer_group for r in rows)}
