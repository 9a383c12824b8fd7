"""A result's pages: the explanation of its score (with its versions, appeals and the reviewer's side of
复核), the printable sheet, 申诉 and the sheet's Excel export. Thin: parse, call, render."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiceng.core.errors import ApplicationError
from jiceng.core.exports import export_page_url
from jiceng.core.views import page_errors

from .. import exports, selectors, services, workflow
from ..choices import AppealState, IndicatorKind
from ..compute import fmt, signed
from ..forms import AppealForm, AppealReplyForm, RerateForm

KIND_LABELS = dict(IndicatorKind.choices)


def _short(value) -> str:
    """Stored numbers carry 2 or 4 decimals; the page shows them as the arithmetic lines do."""
    try:
        return fmt(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


def _rate(value) -> str:
    """得分率 as the site shows a rate (办结率 on the numbers page): one decimal and a per-cent sign.
    The result (and the API) keep the four decimals of the arithmetic."""
    return f"{Decimal(str(value)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def _explained(request: HttpRequest, pk: int) -> tuple:
    result = selectors.result_get(request.user, pk)
    explained = selectors.result_explain(request.user, result)
    for group in explained["groups"]:
        group["rate"] = _rate(group["normalised"])
    rows = [*explained["groups"], *explained["indicators"].values()]
    for row in rows:
        for key in ("weight", "max_points"):
            if row.get(key) is not None:
                row[key] = _short(row[key])
        for entry in row.get("inputs") or []:
            if "points" in entry:
                entry["points"] = _short(entry["points"])
    indicators = [{"code": code, **ind, **_reading(ind)} for code, ind in explained["indicators"].items()]
    return result, explained, indicators


def _reading(ind: dict) -> dict:
    """How the explanation and the printed sheet show an indicator: its kind, its value (a deduction
    −2, a bonus +1) and what that value is read against — the points of a scored indicator, the cap
    (and per-entry maximum) of a bonus or deduction."""
    kind = ind["kind"]
    if kind in (IndicatorKind.BONUS, IndicatorKind.DEDUCTION):
        limits = {"cap": _short(ind["cap"]) if ind.get("cap") is not None else None,
                  "points": ind["max_points"] if Decimal(str(ind["max_points"])) > 0 else None}
        if limits["cap"] and limits["points"]:
            against = _("上限 %(cap)s，每次最多 %(points)s") % limits
        elif limits["cap"]:
            against = _("上限 %(cap)s") % limits
        else:
            against = _("每次最多 %(points)s") % limits if limits["points"] else "—"
    else:
        against = ind["max_points"]
    return {"kind_label": KIND_LABELS.get(kind, kind), "shown": signed(kind, ind["value"]), "against": against}


@login_required
@require_GET
@page_errors
def result_explain(request: HttpRequest, pk: int) -> HttpResponse:
    result, explained, indicators = _explained(request, pk)
    return _explain_page(request, result, explained, indicators)


def _explain_page(request, result, explained, indicators, *, appeal_form=None, reply_form=None, reply_to=None,
                  rerate_form=None, status: int = 200) -> HttpResponse:
    """The result page; a refused 申诉, 复核意见 or 退回重评 comes back in its own form (``reply_to``: the
    appeal whose reply form was posted)."""
    period, subject = result.period, result.subject
    appeals = selectors.subject_appeals(request.user, subject)
    pending = [a for a in appeals if a.state == AppealState.OPEN]
    may_appeal = (result.current and result.published_at is not None and not pending
                  and workflow.may(period, request.user, "appeal", subject=subject))
    review = None
    if pending and workflow.is_manager(request.user, period.scheme):  # the reviewer's side of 复核
        for a in pending:
            a.reply_form = reply_form if reply_to == a.pk else AppealReplyForm(
                initial={"decision": a.decision}, auto_id=f"reply{a.pk}_%s")
        rerates = selectors.subject_rerates(request.user, subject)
        review = {"rerates": rerates, "correcting": period.state in workflow.APPEAL_CORRECTION_STATES,
                  "rerate_form": rerate_form or RerateForm(choices=rerates["choices"])}
    history = selectors.result_history(request.user, result)
    return render(request, "assessment/result_explain.html", {
        "result": result, "e": explained, "indicators": indicators, "history": history,
        # this version only moved the rank (someone else's correction): say so, its score was not corrected
        "rank_only": next((h.change for h in history if h.pk == result.pk), "") == selectors.RANK_ONLY,
        "is_manager": workflow.is_manager(request.user, period.scheme),  # codes beside names: managers only
        "flags": [(f.kind, f.get_kind_display()) for f in result.flags.all()],
        "appeals": appeals, "pending": pending, "review": review,
        "may_appeal": may_appeal, "appeal_form": appeal_form or AppealForm()}, status=status)


@login_required
@require_POST
@page_errors
def result_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    """申诉: the person assessed (or a manager for them) appeals a published result, with a reason."""
    result, explained, indicators = _explained(request, pk)
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            services.appeal_file(actor=request.user, period=result.period, subject=result.subject,
                                 reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            form.add_error("reason" if exc.field == "reason" else None, exc.message)
        else:
            messages.success(request, _("申诉已提交，考核管理者复核后会重新公布结果。"))
            return redirect("assessment:result", pk=result.pk)
    return _explain_page(request, result, explained, indicators, appeal_form=form, status=400)


@login_required
@require_GET
@page_errors
def result_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    result, explained, indicators = _explained(request, pk)
    return render(request, "assessment/result_sheet.html", {"result": result, "e": explained,
                                                            "indicators": indicators})


@login_required
@require_GET
@page_errors
def result_export(request: HttpRequest, pk: int) -> HttpResponse:
    result = selectors.result_get(request.user, pk)
    return redirect(export_page_url(exports.score_sheet_export(actor=request.user, result=result)))
