"""A period's steps confirmed on their own page — 开始评分, 结束评分, 公布, 复核后公布 — each showing what
it will do or why it cannot be taken yet, and 下一期. Thin: parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from jiceng.core.errors import ApplicationError
from jiceng.core.views import add_app_error, page_errors

from .. import selectors, services, workflow
from ..forms import NextPeriodForm, PublishForm
from .periods import FLAG_LABELS


def _confirmed_step(request: HttpRequest, period, action: str, **values) -> HttpResponse | ApplicationError:
    """A period step confirmed on its page: taken, it goes to the ranking saying what it did; refused,
    the refusal comes back for the page to show (a 403/404 is raised as it is)."""
    try:
        done = services.period_transition(actor=request.user, period=period, action=action, **values)
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        return exc
    messages.success(request, done.message)
    return redirect("assessment:ranking", pk=period.pk)


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def period_open(request: HttpRequest, pk: int) -> HttpResponse:
    """开始评分, confirmed on a page that says how many subjects and rating tasks the period has (by group),
    or why it cannot start (``services.period_open_refusal``: no subjects, or no task at all while raters
    score the scheme) — a period that has started can no longer be deleted."""
    period = selectors.managed_period(request.user, pk)
    refusal = services.period_open_refusal(period)
    if request.method == "POST":
        refusal = _confirmed_step(request, period, "open_scoring")
        if not isinstance(refusal, ApplicationError):
            return refusal
    return render(request, "assessment/period_open.html", {
        "period": period, "summary": selectors.period_open_summary(request.user, period),
        "refusal": refusal.message if refusal is not None else "",
        "may_open": workflow.may(period, request.user, "open_scoring")},
        status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def period_close(request: HttpRequest, pk: int) -> HttpResponse:
    """结束评分, confirmed on a page that says how many score sheets (rater × subject) are not submitted —
    computing does not count them — by group and rater; closing anyway is the manager's call."""
    period = selectors.managed_period(request.user, pk)
    if request.method == "POST":
        outcome = _confirmed_step(request, period, "close_scoring")
        if not isinstance(outcome, ApplicationError):
            return outcome
        messages.error(request, outcome.message)
    return render(request, "assessment/period_close.html", {
        "period": period, "sheets": selectors.period_missing_sheets(request.user, period),
        # groups raters score with not one sheet submitted: every subject scores 0 there
        "unrated": selectors.unrated_groups(period), "groups": len(selectors.rater_scored_groups(period)),
        "may_close": workflow.may(period, request.user, "close_scoring")},
        status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def period_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """公布, confirmed on a page that shows what will be published, from the computed results: how many, by
    grade, the flags the rules give them (红榜, 黑榜, 连续 … 档) and the first ranks — the people assessed
    see them from then on."""
    period = selectors.managed_period(request.user, pk)
    form = PublishForm(request.POST or None, initial={"published_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        outcome = _confirmed_step(request, period, "publish", published_on=form.cleaned_data["published_on"])
        if not isinstance(outcome, ApplicationError):
            return outcome
        add_app_error(form, outcome)
    preview = selectors.period_publish_preview(request.user, period)
    for row in preview["top"]:
        row["flag_labels"] = [(f, FLAG_LABELS.get(f, f)) for f in row["flags"]]
    return render(request, "assessment/period_publish.html", {
        "period": period, "form": form, "preview": preview,
        "may_publish": workflow.may(period, request.user, "publish")},
        status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def period_republish(request: HttpRequest, pk: int) -> HttpResponse:
    """复核后公布, confirmed on a page that shows the ranking that will replace the published one (each
    subject's published figures beside the new ones, changed rows marked), the appeals it answers and
    how — or why it cannot be taken yet (``services.period_republish_refusal``)."""
    period = selectors.managed_period(request.user, pk)
    refusal = services.period_republish_refusal(period)
    decision, decision_error = request.POST.get("decision", ""), ""
    if request.method == "POST":
        outcome = _confirmed_step(request, period, "republish", decision=decision)
        if not isinstance(outcome, ApplicationError):
            return outcome
        if outcome.field == "decision":  # at the field only
            decision_error = outcome.message
        else:
            refusal = outcome
    return render(request, "assessment/period_republish.html", {
        "period": period, "preview": selectors.period_republish_preview(request.user, period),
        "refusal": refusal.message if refusal is not None else "", "decision": decision,
        "decision_error": decision_error, "may_republish": workflow.may(period, request.user, "republish")},
        status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def period_next(request: HttpRequest, pk: int) -> HttpResponse:
    """下一期: a new round of the scheme with this round's subjects and raters (managers only), dated
    after the scheme's latest round — which the page names when it is not this one."""
    period = selectors.managed_period(request.user, pk)
    latest, starts_on, ends_on = services.next_round(period)
    form = NextPeriodForm(request.POST or None, initial={
        "label": services.default_label(period.scheme.period_type, starts_on, ends_on),
        "starts_on": starts_on, "ends_on": ends_on})
    if request.method == "POST" and form.is_valid():
        try:
            made = services.period_next(actor=request.user, period=period, **form.cleaned_data)
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            add_app_error(form, exc)
        else:
            note = _("已新建“%(label)s”：%(subjects)s 个考核对象、%(assignments)s 项评分任务。") % {
                "label": made.period.label, "subjects": made.subjects, "assignments": made.assignments}
            sep = pgettext("list separator", "、")
            if made.dropped_subjects:
                note += " " + _("未带入（已离岗、停用或不再符合）：%(names)s。") % {
                    "names": sep.join(made.dropped_subjects[:10])}
            if made.dropped_raters:
                note += " " + _("未带入的评分人：%(names)s。") % {"names": sep.join(made.dropped_raters[:10])}
            messages.success(request, note)
            return redirect("assessment:ranking", pk=made.period.pk)
    return render(request, "assessment/period_next.html", {
        "period": period, "form": form, "subjects": period.subjects.count(),
        "assignments": period.assignments.count(), "later": latest if latest.pk != period.pk else None}, status=400 if form.errors else 200)
