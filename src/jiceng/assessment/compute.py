"""The arithmetic of a result, as pure functions over plain data.

``version_config`` turns a scheme version into a dict; ``gather_inputs`` reads a period's records
into one dict per subject; ``subject_total`` computes one subject's numbers and the arithmetic as
steps (a kind and its numbers, put into words in the reader's language by ``explanation.step_lines``);
``rank_and_grade`` ranks a peer group and assigns grade bands with quotas. A result
stores its config and inputs, so re-running ``subject_total`` on them reproduces its numbers.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from . import formula as formula_mod
from .choices import GroupKind, IndicatorKind, RatingState

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def D(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def fmt(value: Decimal, places: int = 4) -> str:
    """Numbers in explanations: at most ``places`` decimals, no trailing zeros."""
    q = D(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format(q, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def q2(value: Decimal) -> Decimal:
    return D(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- config -----------------------------------------------------------------------------------


def version_config(version) -> dict:
    groups = list(version.groups.all())
    indicators = list(version.indicators.all())
    return {
        "version_id": version.pk,
        "number": version.number,
        "max_total": str(version.max_total),
        "clip": version.clip,
        "formula": version.formula,
        "routine_weight": str(version.routine_weight),
        "groups": [
            {"id": str(g.pk), "code": g.code, "name": g.name, "kind": g.kind, "weight": str(g.weight),
             "max_points": str(g.max_points), "drop_extremes": g.drop_extremes, "anonymous": g.anonymous,
             "peer": g.peer, "questionnaire": g.questionnaire}
            for g in groups
        ],
        "indicators": [
            {"id": str(i.pk), "code": i.code, "name": i.name, "kind": i.kind,
             "group_id": str(i.group_id) if i.group_id else None,
             "parent_id": str(i.parent_id) if i.parent_id else None, "max_points": str(i.max_points),
             "cap": str(i.cap) if i.cap is not None else None, "auto_target": str(i.auto_target)}
            for i in indicators
        ],
    }


def questionnaire_max(questionnaire: dict) -> Decimal:
    levels = questionnaire.get("levels") or []
    top = max((D(level["points"]) for level in levels), default=ZERO)
    return top * len(questionnaire.get("items") or [])


# --- inputs -----------------------------------------------------------------------------------


def gather_inputs(period, subjects=None) -> dict[str, dict]:
    """One dict per subject id (as str) of everything the arithmetic needs; a fixed number of queries.
    The scores are read as plain rows, not model instances: a chunk of 500 subjects × 40 indicators ×
    10 raters is 200,000 scores, and building a model (with its rating, assignment, group and rater)
    for each was most of a period's computation (bench/assessment_period.py)."""
    from django.contrib.auth import get_user_model

    from .models import Adjustment, AutoValue, IndicatorScore, RaterGroup, Rating

    subjects = list(subjects if subjects is not None else period.subjects.all())
    data: dict[str, dict] = {
        str(s.pk): {"indicator_scores": defaultdict(list), "auto": {}, "ballots": defaultdict(list),
                    "scores": defaultdict(list), "adjustments": defaultdict(list), "routine": []}
        for s in subjects
    }
    submitted = {"assignment__period": period, "state": RatingState.SUBMITTED, "assignment__subject__in": subjects}
    ratings = list(Rating.objects.filter(**submitted).order_by("assignment_id").values_list(
        "pk", "assignment__subject_id", "assignment__group_id", "assignment__rater_id", "answers", "score", "note",
        "evidence_ref"))
    groups = RaterGroup.objects.in_bulk({r[2] for r in ratings})
    named = {r[3] for r in ratings if not groups[r[2]].anonymous}
    names = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=named)} if named else {}
    by_rating = {}
    for pk, subject_id, group_id, rater_id, answers, score, note, evidence in ratings:
        group = groups[group_id]
        entry = data[str(subject_id)]
        # Anonymous groups (民主测评, 互评) keep no trace of who answered in the result.
        rater = {} if group.anonymous else {"rater_id": rater_id, "rater": names[rater_id]}
        if group.kind == GroupKind.QUESTIONNAIRE:
            entry["ballots"][str(group_id)].append({**rater, "answers": answers})
        elif group.kind == GroupKind.SINGLE:
            entry["scores"][str(group_id)].append({**rater, "points": str(score), "note": note, "evidence": evidence})
        else:
            by_rating[pk] = (entry, rater)
    scores = (IndicatorScore.objects.filter(**{f"rating__{k}": v for k, v in submitted.items()})
              .order_by("rating_id", "indicator_id")
              .values_list("rating_id", "indicator_id", "points", "note", "evidence_ref"))
    for rating_id, indicator_id, points, note, evidence in scores.iterator(chunk_size=10_000):
        if rating_id in by_rating:  # (a questionnaire's or a single score's sheet has no indicator scores)
            entry, rater = by_rating[rating_id]
            entry["indicator_scores"][str(indicator_id)].append(
                {**rater, "points": str(points), "note": note, "evidence": evidence})
    adjustments = Adjustment.objects.filter(period=period, subject__in=subjects, withdrawn_at__isnull=True)
    for pk, subject_id, indicator_id, points, note, evidence in adjustments.order_by("id").values_list(
            "pk", "subject_id", "indicator_id", "points", "note", "evidence_ref"):
        data[str(subject_id)]["adjustments"][str(indicator_id)].append(
            {"id": pk, "points": str(points), "note": note, "evidence": evidence})
    for subject_id, indicator_id, value, explanation in AutoValue.objects.filter(
            period=period, subject__in=subjects).values_list("subject_id", "indicator_id", "value", "explanation"):
        data[str(subject_id)]["auto"][str(indicator_id)] = {"value": str(value), "explanation": explanation}
    routine = list(period.routine_periods.all())
    if routine:
        from .models import AssessmentResult

        keys = {(s.subject_type, s.subject_id): str(s.pk) for s in subjects}
        rows = (AssessmentResult.objects.filter(period__in=routine, current=True, published_at__isnull=False)
                .select_related("subject", "period").order_by("period__starts_on"))
        for res in rows:
            sid = keys.get((res.subject.subject_type, res.subject.subject_id))
            if sid:
                data[sid]["routine"].append({"result_id": res.pk, "period": res.period.label,
                                             "total": str(res.total)})
    return {k: {key: dict(v) if isinstance(v, defaultdict) else v for key, v in entry.items()}
            for k, entry in data.items()}


# --- arithmetic -------------------------------------------------------------------------------


def trimmed_mean(values: list[Decimal], drop: int) -> tuple[Decimal, list[Decimal], list[Decimal]]:
    """Mean after dropping the ``drop`` highest and lowest; no drop when too few values."""
    ordered = sorted(values)
    if not ordered:
        return ZERO, [], []
    if drop and len(ordered) > 2 * drop:
        kept = ordered[drop:-drop]
        dropped = ordered[:drop] + ordered[-drop:]
    else:
        kept, dropped = ordered, []
    return sum(kept, ZERO) / len(kept), kept, dropped


def ballot_points(questionnaire: dict, answers: dict) -> Decimal:
    points = {lv["code"]: D(lv["points"]) for lv in questionnaire.get("levels", [])}
    return sum((points.get(answers.get(item["code"]), ZERO) for item in questionnaire.get("items", [])), ZERO)


def subject_total(config: dict, inputs: dict) -> dict:
    """Everything about one subject's score, with the arithmetic as steps: plain data (a kind, names as
    entered, numbers as shown), so that a stored result reads in whatever language its reader uses."""
    max_total = D(config["max_total"])
    indicators = config["indicators"]
    children: dict[str | None, list[dict]] = defaultdict(list)
    for ind in indicators:
        children[ind["parent_id"]].append(ind)
    groups_by_id = {g["id"]: g for g in config["groups"]}
    steps: list[dict] = []
    values: dict[str, Decimal] = {}
    details: dict[str, dict] = {}

    def node_value(ind: dict) -> Decimal:
        kids = children.get(ind["id"], [])
        detail: dict = {"name": ind["name"], "kind": ind["kind"], "max_points": ind["max_points"]}
        if kids:
            raw = sum((node_value(k) for k in kids), ZERO)
            detail["children"] = [k["code"] for k in kids]
        elif ind["kind"] == IndicatorKind.MANUAL:
            group = groups_by_id.get(ind["group_id"]) or {"drop_extremes": 0}
            given = inputs.get("indicator_scores", {}).get(ind["id"], [])
            raw, kept, dropped = trimmed_mean([D(s["points"]) for s in given], group["drop_extremes"])
            detail.update(inputs=given, kept=[fmt(v) for v in kept], dropped=[fmt(v) for v in dropped])
        elif ind["kind"] == IndicatorKind.AUTO:
            auto = inputs.get("auto", {}).get(ind["id"])
            value = D(auto["value"]) if auto else ZERO
            target = D(ind["auto_target"]) or Decimal(1)
            ratio = min(max(value / target, ZERO), Decimal(1))
            raw = ratio * D(ind["max_points"])
            detail.update(value=fmt(value), target=fmt(target), explanation=(auto or {}).get("explanation", {}))
            steps.append({"kind": "auto", "name": ind["name"], "value": fmt(value), "target": fmt(target),
                          "points": fmt(D(ind["max_points"])), "result": fmt(raw)})
        else:
            entries = inputs.get("adjustments", {}).get(ind["id"], [])
            raw = sum((D(e["points"]) for e in entries), ZERO)
            detail["inputs"] = entries
        if ind["cap"] is not None and raw > D(ind["cap"]):
            steps.append({"kind": "cap", "name": ind["name"], "value": fmt(raw), "cap": fmt(D(ind["cap"]))})
            raw = D(ind["cap"])
        values[ind["code"]] = raw
        detail["value"] = fmt(raw)
        details[ind["code"]] = detail
        return raw

    roots = children.get(None, [])
    group_rows = []
    base = ZERO
    for group in config["groups"]:
        gmax = D(group["max_points"])
        row: dict = {"code": group["code"], "name": group["name"], "kind": group["kind"],
                     "weight": group["weight"], "max_points": group["max_points"]}
        if group["kind"] == GroupKind.INDICATORS:
            parts = [(r["code"], node_value(r)) for r in roots if r["group_id"] == group["id"]]
            raw = sum((v for _, v in parts), ZERO)
            row["indicators"] = [c for c, _ in parts]
            steps.append({"kind": "sum", "name": group["name"], "parts": [fmt(v) for _, v in parts],
                          "result": fmt(raw)} if parts else {"kind": "no_indicators", "name": group["name"]})
        elif group["kind"] == GroupKind.QUESTIONNAIRE:
            ballots = inputs.get("ballots", {}).get(group["id"], [])
            totals = [ballot_points(group["questionnaire"], b["answers"]) for b in ballots]
            raw, kept, dropped = trimmed_mean(totals, group["drop_extremes"])
            row.update(ballots=sorted(fmt(t) for t in totals), kept=[fmt(v) for v in kept],
                       dropped=[fmt(v) for v in dropped], count=len(totals))
            steps.append({"kind": "ballots", "name": group["name"], "count": len(totals),
                          "dropped": [fmt(v) for v in dropped], "mean": fmt(raw)})
        else:
            given = inputs.get("scores", {}).get(group["id"], [])
            raw, kept, dropped = trimmed_mean([D(s["points"]) for s in given], group["drop_extremes"])
            row.update(inputs=given, kept=[fmt(v) for v in kept], dropped=[fmt(v) for v in dropped],
                       count=len(given))
            steps.append({"kind": "scores", "name": group["name"], "count": len(given),
                          "dropped": [fmt(v) for v in dropped], "mean": fmt(raw)})
        raw = min(raw, gmax)
        normalised = raw / gmax
        contribution = D(group["weight"]) / HUNDRED * normalised * max_total
        base += contribution
        values[group["code"]] = normalised * HUNDRED
        row.update(raw=fmt(raw), normalised=fmt(normalised * HUNDRED), contribution=fmt(contribution))
        steps.append({"kind": "weighted", "name": group["name"], "raw": fmt(raw), "max": fmt(gmax),
                      "weight": fmt(D(group["weight"])), "max_total": fmt(max_total), "result": fmt(contribution)})
        group_rows.append(row)

    bonus = deduction = ZERO
    for root in roots:
        if root["kind"] in (IndicatorKind.BONUS, IndicatorKind.DEDUCTION) and root["group_id"] is None:
            value = node_value(root)
            if root["kind"] == IndicatorKind.BONUS:
                bonus += value
            else:
                deduction += value
    for ind in indicators:  # leaves not reached above (e.g. indicators of a non-indicator group)
        if ind["code"] not in values:
            node_value(ind)
    routine = inputs.get("routine", [])
    routine_avg = (sum((D(r["total"]) for r in routine), ZERO) / len(routine)) if routine else ZERO
    values.update(bonus=bonus, deduction=deduction, base=base, routine_avg=routine_avg, max_total=max_total)
    steps.append({"kind": "subtotals", "base": fmt(base), "bonus": fmt(bonus), "deduction": fmt(deduction)})
    if config["formula"]:
        total = formula_mod.formula_evaluate(config["formula"], values)
        steps.append({"kind": "formula", "formula": config["formula"], "result": fmt(total)})
    else:
        total = base + bonus - deduction
        steps.append({"kind": "add", "base": fmt(base), "bonus": fmt(bonus), "deduction": fmt(deduction),
                      "result": fmt(total)})
        rw = D(config["routine_weight"])
        if rw and routine:
            annual = total
            total = (HUNDRED - rw) / HUNDRED * annual + rw / HUNDRED * routine_avg
            steps.append({"kind": "annual", "annual": fmt(annual), "annual_weight": fmt(HUNDRED - rw),
                          "routine": fmt(routine_avg), "routine_weight": fmt(rw), "result": fmt(total)})
    unclipped = total
    if config["clip"]:
        total = min(max(total, ZERO), max_total)
        if total != unclipped:
            steps.append({"kind": "clip", "max": fmt(max_total), "value": fmt(unclipped), "result": fmt(total)})
    total = q2(total)
    steps.append({"kind": "total", "total": format(total, "f")})
    return {
        "total": format(total, "f"), "unclipped": fmt(unclipped), "base": fmt(base), "bonus": fmt(bonus),
        "deduction": fmt(deduction), "routine_avg": fmt(routine_avg), "routine": routine,
        "groups": group_rows, "indicators": details, "steps": steps,
    }


def signed(kind: str, value: str) -> str:
    """An indicator's value as a score sheet shows it: a deduction ``−2``, a bonus ``+1`` (so neither
    reads as "2 out of 5"), anything else as is."""
    if D(value) == ZERO or kind not in (IndicatorKind.BONUS, IndicatorKind.DEDUCTION):
        return value
    return ("−" if kind == IndicatorKind.DEDUCTION else "+") + value


def competition_ranks(totals: dict[str, Decimal]) -> dict[str, int]:
    """1, 2, 2, 4: one more than the number of strictly higher totals."""
    ordered = sorted(totals.values(), reverse=True)
    first = {}
    for i, v in enumerate(ordered):
        first.setdefault(v, i + 1)
    return {k: first[v] for k, v in totals.items()}


def band_grade(bands: list[dict], total: Decimal) -> str:
    for band in sorted(bands, key=lambda b: D(b["min"]), reverse=True):
        if total >= D(band["min"]):
            return band["grade"]
    return ""


def assign_grades(bands: list[dict], quotas: dict, totals: dict[str, Decimal]) -> dict[str, str]:
    """Grade by thresholds, then apply quotas by rank: a grade limited to p% keeps at most
    floor(n × p / 100) subjects; those beyond it — and all subjects tied at the cut — move one
    band down (and may move again if that band is limited too)."""
    ordered_bands = [b["grade"] for b in sorted(bands, key=lambda b: D(b["min"]), reverse=True)]
    grades = {k: band_grade(bands, v) for k, v in totals.items()}
    n = len(totals)
    for i, grade in enumerate(ordered_bands):
        if grade not in quotas:
            continue
        limit = int(n * D(quotas[grade]) / HUNDRED)
        members = {k: totals[k] for k, g in grades.items() if g == grade}
        for k, v in members.items():
            at_or_above = sum(1 for other in members.values() if other >= v)
            if at_or_above > limit:
                grades[k] = ordered_bands[i + 1] if i + 1 < len(ordered_bands) else ""
    return grades


def rank_and_grade(version, rows: list[tuple[str, str, Decimal]]) -> dict[str, tuple[int, int, str]]:
    """rows: (subject id, peer group, total) → {subject id: (rank, group size, grade)}."""
    by_group: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for sid, peer_group, total in rows:
        by_group[peer_group][sid] = total
    out = {}
    for totals in by_group.values():
        ranks = competition_ranks(totals)
        grades = assign_grades(version.grade_bands or [], version.grade_quotas or {}, totals)
        for sid in totals:
            out[sid] = (ranks[sid], len(totals), grades[sid])
    return out
