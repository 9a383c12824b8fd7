"""Assessment pages: periods, the ranking table, a score's explanation and printable sheet, the
rater's own assignments (phone-friendly), and the Excel exports (setting a round up: ``setup.py``).
Thin: parse, call, render."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core.errors import ApplicationError
from jiceng.core.exports import export_page_url
from jiceng.core.views import add_app_error, page_errors

from .. import exports, selectors, services, workflow
from ..choices import AppealState, FlagKind, IndicatorKind, PeriodState, RatingState
from ..compute import fmt, signed
from ..forms import (
    AdjustmentForm,
    AppealForm,
    AppealReplyForm,
    NextPeriodForm,
    PublishForm,
    RatingForm,
    RerateForm,
    WithdrawForm,
)

FLAG_LABELS = dict(FlagKind.choices)
KIND_LABELS = dict(IndicatorKind.choices)


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
        "actions": workflow.available(period, request.user),
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


@login_required
@require_GET
@page_errors
def ranking_export(request: HttpRequest, pk: int) -> HttpResponse:
    period = selectors.period_get(request.user, pk)
    return redirect(export_page_url(exports.ranking_export(actor=request.user, period=period)))


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


@login_required
@require_GET
@never_cache
def my_assignments(request: HttpRequest) -> HttpResponse:
    """The tasks still to do (not submitted in periods open for rating, or sent back during 复核), then the
    finished ones."""
    order = ("-period__starts_on", "period_id", "group__order", "subject__display_name")
    return render(request, "assessment/my_assignments.html", {
        "todo": selectors.rater_todo(request.user).order_by(*order),
        "done": selectors.rater_done(request.user).order_by(*order)})


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
@page_errors
def assignment_rate(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get(request.user, pk)
    rating = getattr(assignment, "rating", None)
    # submitted in the scoring round, or the period no longer open for it: the sheet as it is, read-only
    locked = services.rating_refusal(assignment.period, assignment.subject, rating)
    form = RatingForm(request.POST or None, assignment=assignment, read_only=bool(locked))
    refused = False
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("submit") == "1"
        try:
            services.rating_save(actor=request.user, period=assignment.period, group=assignment.group,
                                 subject=assignment.subject, submit=submit, **form.service_kwargs())
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            refused = True
            if exc.message != locked:  # the read-only sheet already says why, once, above the form
                form.add_error(None, exc.message)
        else:
            names = {"subject": assignment.subject.display_name, "group": assignment.group.name}
            messages.success(request, (_("已提交对“%(subject)s”的评分（%(group)s）。") if submit
                                       else _("已保存对“%(subject)s”的评分草稿（%(group)s）。")) % names)
            return redirect("assessment:mine")
    return render(request, "assessment/assignment_rate.html", {
        "a": assignment, "form": form, "locked": locked,
        # a correction in 复核 replaces a submitted score only by submitting (services.rating_save)
        "correcting": rating is not None and rating.state == RatingState.SUBMITTED},
        status=400 if refused or form.errors else 200)

