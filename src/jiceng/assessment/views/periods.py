"""The periods pages: the list, a period's ranking table and its plain state changes, a scheme's
cumulative ranking (积分排名) and the ranking's Excel export. Thin: parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from jiceng.core.errors import ApplicationError
from jiceng.core.exports import export_page_url
from jiceng.core.views import page_errors

from .. import exports, selectors, services, workflow
from ..choices import FlagKind, PeriodState

FLAG_LABELS = dict(FlagKind.choices)


@login_required
@require_GET
def period_list(request: HttpRequest) -> HttpResponse:
    periods = list(selectors.period_list(request.user)[:200])
    makes = workflow.may_make_schemes(request.user)
    return render(request, "assessment/period_list.html", {
        "periods": periods, "mine": selectors.own_results(request.user),
        "assignments": selectors.rater_todo(request.user).count(),
        "may_make_schemes": makes, "schemes": selectors.scheme_rows(request.user) if makes else []})


@login_required
@require_GET
@page_errors
def period_ranking(request: HttpRequest, pk: int) -> HttpResponse:
    return _ranking_page(request, selectors.period_get(request.user, pk))


def _ranking_page(request: HttpRequest, period, *, reason_error: str = "", status: int = 200) -> HttpResponse:
    """The ranking page; ``reason_error``: a refused 复核重算 / 复核后公布, shown once, at the reason field."""
    rows = selectors.period_ranking(request.user, period)
    for row in rows:
        row["flag_labels"] = [(f, FLAG_LABELS.get(f, f)) for f in row["flags"]]
    is_manager = workflow.is_manager(request.user, period.scheme)
    computation = services.computation_shown(period) if is_manager else None
    under_way = computation is not None and computation.under_way
    return render(request, "assessment/ranking.html", {
        "period": period, "rows": rows, "is_manager": is_manager,
        # 排名组 only where the scheme ranks subjects in groups (a column of "—" otherwise)
        "peer_groups": any(row["result"].peer_group for row in rows),
        # the viewer's own result as the person assessed (their row may be outside their data scope)
        "mine": selectors.own_results(request.user, period),
        # the scheme's cumulative ranking, for those who may read the scheme (not a rater from elsewhere)
        "cumulative": selectors.scheme_list(request.user).filter(pk=period.scheme_id).exists(),
        # published results, none of them in the viewer's scope: say so rather than "no results yet"
        "none_in_scope": not rows and not is_manager and selectors.period_has_published(period),
        "adjustable": is_manager and selectors.adjustment_items(period).exists(),
        "setup": {"subjects": period.subjects.count(), "assignments": period.assignments.count()} if is_manager else None,
        "republished_on": selectors.period_republished_on(period),
        # a 计算 / 复核重算 in the background: its progress (the page refreshes itself), or how it ended
        "computation": computation, "under_way": under_way,
        "stale": computation is not None and computation.is_stale(),  # its worker died: the manager may ask again
        "actions": [] if under_way else workflow.available(period, request.user),
        # 计算 with a group raters score that has no submitted sheet: said beside the button, with its box
        "compute_refusal": (services.period_compute_refusal(period)
                            if workflow.may(period, request.user, "compute") else None),
        # 复核重算's new versions, not yet published: how many, with the link to the ranking they make
        "pending": (period.results.filter(published_at__isnull=True).count()
                    if is_manager and period.state == PeriodState.REREVIEW else 0),
        "published_count": sum(1 for r in rows if r["result"].published_at), "reason_error": reason_error,
        # appealed and not yet republished: the table may still change
        "under_review": period.state in (PeriodState.APPEAL, PeriodState.REREVIEW)},
        status=status)


@login_required
@require_POST
@page_errors
def period_transition(request: HttpRequest, pk: int) -> HttpResponse:
    period = selectors.period_get(request.user, pk)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")  # 复核重算's reason, or 复核后公布's 复核意见: one field on the page
    try:
        done = services.period_transition(actor=request.user, period=period, action=action, reason=reason,
                                          decision=reason, force=request.POST.get("force") == "1")
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        if exc.field in ("reason", "decision"):  # at the field only, not again among the page's messages
            return _ranking_page(request, period, reason_error=exc.message, status=400)
        if exc.field == "force":  # 计算 not confirmed: the page says why beside the button and its box, once
            return _ranking_page(request, period, status=400)
        messages.error(request, exc.message)
    else:
        messages.success(request, done.message)
    return redirect("assessment:ranking", pk=period.pk)


@login_required
@require_GET
@page_errors
def scheme_cumulative(request: HttpRequest, pk: int) -> HttpResponse:
    """积分排名: the sum of each subject's current published totals over the chosen periods of a scheme
    (all its published periods by default), with each period's total linked to its explanation."""
    scheme = selectors.scheme_get(request.user, pk)
    published = selectors.published_periods(scheme)
    chosen_ids = {int(v) for v in request.GET.getlist("period") if v.isdigit()}
    chosen = [p for p in published if p.pk in chosen_ids] or published
    rows = selectors.cumulative_ranking(request.user, scheme, chosen)
    for row in rows:
        row["cells"] = [row["by_period"].get(p.pk) for p in chosen]
    return render(request, "assessment/cumulative.html", {
        "scheme": scheme, "published": published, "chosen": chosen, "chosen_ids": {p.pk for p in chosen},
        "rows": rows})


@login_required
@require_GET
@page_errors
def ranking_export(request: HttpRequest, pk: int) -> HttpResponse:
    period = selectors.period_get(request.user, pk)
    return redirect(export_page_url(exports.ranking_export(actor=request.user, period=period)))
