"""加减分 on a page: a period's bonus and deduction entries, recorded and withdrawn by its managers.
Thin: parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.core.errors import ApplicationError
from jiceng.core.views import add_app_error, page_errors

from .. import selectors, services, workflow
from ..compute import fmt
from ..forms import AdjustmentForm, WithdrawForm


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def period_adjustments(request: HttpRequest, pk: int) -> HttpResponse:
    """加减分: record a bonus or deduction against a subject (in the scoring round, or for a subject
    under appeal while re-reviewing), and the period's entries with a withdraw form each."""
    period = selectors.managed_period(request.user, pk)
    correctable = services.correctable_subject_ids(period)  # None: every subject's (the scoring round)
    subjects = list(period.subjects.order_by("display_name", "id"))
    items = list(selectors.adjustment_items(period))
    # any subject of the period is accepted (the service says why one is refused); only those offered are listed
    form = AdjustmentForm(request.POST or None, subjects=subjects, items=items)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        subject = next(s for s in subjects if str(s.pk) == data["subject"])
        try:
            made = services.adjustment_record(actor=request.user, period=period, subject=subject,
                                              indicator=data["indicator"], points=data["points"], note=data["note"],
                                              evidence_ref=data["evidence_ref"])
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            add_app_error(form, exc)
        else:
            messages.success(request, _("已登记：%(subject)s %(item)s %(points)s 分。") % {
                "subject": subject.display_name, "item": made.indicator.name, "points": fmt(made.points)})
            return redirect("assessment:adjustments", pk=period.pk)
    offered = [s for s in subjects if correctable is None or s.pk in correctable]
    form.offer(offered)
    rows = list(selectors.period_adjustments(request.user, period))
    for row in rows:  # 撤销 only where the service would take it
        row.withdrawable = row.withdrawn_at is None and (correctable is None or row.subject_id in correctable)
    return render(request, "assessment/adjustments.html", {
        "period": period, "form": form, "rows": rows, "open": period.state in workflow.RATING_STATES,
        "reviewing": period.state in workflow.APPEAL_CORRECTION_STATES,
        "editable": bool(offered),
        "withdraw_form": WithdrawForm(), "has_items": bool(items)}, status=400 if form.errors else 200)


@login_required
@require_POST
@page_errors
def adjustment_withdraw(request: HttpRequest, pk: int, adjustment_id: int) -> HttpResponse:
    period = selectors.managed_period(request.user, pk)
    adjustment = period.adjustments.filter(pk=adjustment_id).first()
    if adjustment is None:
        raise Http404
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写撤销原因。"))
    else:
        try:
            services.adjustment_withdraw(actor=request.user, adjustment=adjustment, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已撤销。"))
    return redirect("assessment:adjustments", pk=period.pk)
