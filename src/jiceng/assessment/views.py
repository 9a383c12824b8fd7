"""Assessment pages: periods, the ranking table, a score's explanation and printable sheet, the
rater's own assignments (phone-friendly), and the Excel exports. Thin: parse, call, render."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.exports import export_page_url
from jiceng.core.views import page_errors

from . import exports, selectors, services, workflow
from .choices import FlagKind
from .compute import fmt
from .forms import (
    AdjustmentForm,
    AppealForm,
    BulkSubjectsForm,
    NextPeriodForm,
    PeerAssignForm,
    PeriodForm,
    RaterAddForm,
    RaterRemoveForm,
    RatingForm,
    SchemeTemplateForm,
    SubjectAddForm,
    WithdrawForm,
    candidate_label,
)
from .services.roster import REMOVABLE_STATES
from .templates import TEMPLATES, scheme_from_template

FLAG_LABELS = dict(FlagKind.choices)
TRANSITIONS = {
    "open_scoring": services.period_open_scoring, "close_scoring": services.period_close_scoring,
    "compute": services.period_compute, "start_rereview": services.period_start_rereview,
}


@login_required
@require_GET
def period_list(request: HttpRequest) -> HttpResponse:
    periods = list(selectors.period_list(request.user)[:200])
    makes = workflow.may_make_schemes(request.user)
    return render(request, "assessment/period_list.html", {
        "periods": periods, "assignments": selectors.rater_assignments(request.user).count(),
        "may_make_schemes": makes, "schemes": selectors.scheme_rows(request.user) if makes else []})


@login_required
@require_GET
@page_errors
def period_ranking(request: HttpRequest, pk: int) -> HttpResponse:
    period = selectors.period_get(request.user, pk)
    rows = selectors.period_ranking(request.user, period)
    for row in rows:
        row["flag_labels"] = [(f, FLAG_LABELS.get(f, f)) for f in row["flags"]]
    is_manager = workflow.is_manager(request.user, period.scheme)
    return render(request, "assessment/ranking.html", {
        "period": period, "rows": rows, "is_manager": is_manager,
        "adjustable": is_manager and selectors.adjustment_items(period).exists(),
        "setup": {"subjects": period.subjects.count(), "assignments": period.assignments.count()} if is_manager else None,
        "actions": workflow.available(period, request.user),
        "published_count": sum(1 for r in rows if r["result"].published_at)})


@login_required
@require_POST
@page_errors
def period_transition(request: HttpRequest, pk: int) -> HttpResponse:
    period = selectors.period_get(request.user, pk)
    action = request.POST.get("action", "")
    try:
        if action in TRANSITIONS:
            TRANSITIONS[action](actor=request.user, period=period)
        elif action == "publish":
            services.period_publish(actor=request.user, period=period)
        elif action == "recompute":
            services.period_recompute(actor=request.user, period=period, reason=request.POST.get("reason", ""))
        elif action == "republish":
            services.period_republish(actor=request.user, period=period, decision=request.POST.get("reason", ""))
        else:
            raise ApplicationError("未知的操作。", field="action")
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, "已完成。")
    return redirect("assessment:ranking", pk=period.pk)


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def period_next(request: HttpRequest, pk: int) -> HttpResponse:
    """下一期: a new round of the scheme with this round's subjects and raters (managers only)."""
    period = selectors.period_get(request.user, pk)
    workflow.require_manager(request.user, period.scheme)
    starts_on, ends_on = services.next_dates(period.scheme.period_type, period.starts_on, period.ends_on)
    form = NextPeriodForm(request.POST or None, initial={
        "label": services.default_label(period.scheme.period_type, starts_on, ends_on),
        "starts_on": starts_on, "ends_on": ends_on})
    if request.method == "POST" and form.is_valid():
        try:
            made = services.period_next(actor=request.user, period=period, **form.cleaned_data)
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            note = f"已新建“{made.period.label}”：{made.subjects} 个考核对象、{made.assignments} 项评分任务。"
            if made.dropped_subjects:
                note += f" 未带入（已离岗、停用或不再符合）：{'、'.join(made.dropped_subjects[:10])}。"
            if made.dropped_raters:
                note += f" 未带入的评分人：{'、'.join(made.dropped_raters[:10])}。"
            messages.success(request, note)
            return redirect("assessment:ranking", pk=made.period.pk)
    return render(request, "assessment/period_next.html", {
        "period": period, "form": form, "subjects": period.subjects.count(),
        "assignments": period.assignments.count()}, status=400 if form.errors else 200)


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


def _manager_period(request: HttpRequest, pk: int):
    period = selectors.period_get(request.user, pk)
    if not workflow.is_manager(request.user, period.scheme):
        raise PermissionDeniedError(_("只有考核管理者可以登记加减分。"))
    return period


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def period_adjustments(request: HttpRequest, pk: int) -> HttpResponse:
    """加减分: record a bonus or deduction against a subject (in the scoring round, or for a subject
    under appeal while re-reviewing), and the period's entries with a withdraw form each."""
    period = _manager_period(request, pk)
    subjects = list(period.subjects.order_by("display_name", "id"))
    items = list(selectors.adjustment_items(period))
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
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已登记：%(subject)s %(item)s %(points)s 分。") % {
                "subject": subject.display_name, "item": made.indicator.name, "points": fmt(made.points)})
            return redirect("assessment:adjustments", pk=period.pk)
    rows = list(selectors.period_adjustments(request.user, period))
    return render(request, "assessment/adjustments.html", {
        "period": period, "form": form, "rows": rows, "open": period.state in workflow.RATING_STATES,
        "editable": period.state in workflow.RATING_STATES + tuple(workflow.APPEAL_CORRECTION_STATES),
        "withdraw_form": WithdrawForm(), "has_items": bool(items)}, status=400 if form.errors else 200)


@login_required
@require_POST
@page_errors
def adjustment_withdraw(request: HttpRequest, pk: int, adjustment_id: int) -> HttpResponse:
    period = _manager_period(request, pk)
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


def _explained(request: HttpRequest, pk: int) -> tuple:
    result = selectors.result_get(request.user, pk)
    explained = selectors.result_explain(request.user, result)
    rows = [*explained["groups"], *explained["indicators"].values()]
    for row in rows:
        for key in ("weight", "max_points"):
            if row.get(key) is not None:
                row[key] = _short(row[key])
        for entry in row.get("inputs") or []:
            if "points" in entry:
                entry["points"] = _short(entry["points"])
    indicators = [{"code": code, **ind} for code, ind in explained["indicators"].items()]
    return result, explained, indicators


@login_required
@require_GET
@page_errors
def result_explain(request: HttpRequest, pk: int) -> HttpResponse:
    result, explained, indicators = _explained(request, pk)
    return _explain_page(request, result, explained, indicators, AppealForm())


def _explain_page(request, result, explained, indicators, appeal_form, status: int = 200) -> HttpResponse:
    period, subject = result.period, result.subject
    may_appeal = (result.current and result.published_at is not None
                  and workflow.may(period, request.user, "appeal", subject=subject))
    return render(request, "assessment/result_explain.html", {
        "result": result, "e": explained, "indicators": indicators,
        "history": selectors.result_history(request.user, result),
        "flags": [(f.kind, f.get_kind_display()) for f in result.flags.all()],
        "appeals": selectors.subject_appeals(request.user, subject),
        "may_appeal": may_appeal, "appeal_form": appeal_form}, status=status)


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
    return _explain_page(request, result, explained, indicators, form, status=400)


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
    rows = (selectors.rater_assignments(request.user)
            .order_by("-period__starts_on", "period_id", "group__order", "subject__display_name"))
    return render(request, "assessment/my_assignments.html", {"assignments": rows})


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
@page_errors
def assignment_rate(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get(request.user, pk)
    form = RatingForm(request.POST or None, assignment=assignment)
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("submit") == "1"
        try:
            services.rating_save(actor=request.user, period=assignment.period, group=assignment.group,
                                 subject=assignment.subject, submit=submit, **form.service_kwargs())
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已提交。" if submit else "草稿已保存。")
            return redirect("assessment:mine")
    rating = getattr(assignment, "rating", None)
    return render(request, "assessment/assignment_rate.html", {
        "a": assignment, "form": form,
        "locked": bool(rating and rating.state == "submitted" and assignment.period.state in workflow.RATING_STATES),
    })


# --- setting up a round: a scheme from a template, its first period, subjects and raters --------


def _to_form(form, exc: ApplicationError) -> None:
    """A refused write shows on the form, on its field when the form has it; 403/404 pass through."""
    if exc.status in (403, 404):
        raise exc
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def scheme_new(request: HttpRequest) -> HttpResponse:
    """新建考核方案 from a shipped template, in a region of the actor's scope; then its first period."""
    if not workflow.may_make_schemes(request.user):
        raise PermissionDeniedError(_("只有区县、街道/乡镇、社区/村的工作人员可以新建考核方案。"))
    regions = list(selectors.setup_regions(request.user))
    form = SchemeTemplateForm(request.POST or None, templates=TEMPLATES.values(), regions=regions,
                              initial={"region": str(request.user.region_id or "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region = next(r for r in regions if str(r.pk) == data["region"])
        try:
            scheme = scheme_from_template(actor=request.user, template=data["template"], region=region,
                                          name=data["name"])
        except ApplicationError as exc:
            _to_form(form, exc)
        else:
            messages.success(request, _("已新建考核方案“%(name)s”。下一步：新建第一个考核期。") % {"name": scheme.name})
            return redirect("assessment:period-new", pk=scheme.pk)
    return render(request, "assessment/scheme_new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def period_new(request: HttpRequest, pk: int) -> HttpResponse:
    """新建考核期 of a scheme, proposed as the round containing today (``services.current_dates``)."""
    scheme = selectors.scheme_get(request.user, pk)
    workflow.require_manager(request.user, scheme)
    starts_on, ends_on = services.current_dates(scheme.period_type, timezone.localdate())
    form = PeriodForm(request.POST or None, initial={
        "label": services.default_label(scheme.period_type, starts_on, ends_on),
        "starts_on": starts_on, "ends_on": ends_on})
    if request.method == "POST" and form.is_valid():
        try:
            period = services.period_start(actor=request.user, scheme=scheme, **form.cleaned_data)
        except ApplicationError as exc:
            _to_form(form, exc)
        else:
            messages.success(request, _("已新建考核期“%(label)s”。下一步：添加考核对象。") % {"label": period.label})
            return redirect("assessment:subjects", pk=period.pk)
    return render(request, "assessment/period_new.html", {
        "scheme": scheme, "form": form, "periods": list(scheme.periods.order_by("-starts_on")[:10])},
        status=400 if form.errors else 200)


def _setup_period(request: HttpRequest, pk: int):
    period = selectors.period_get(request.user, pk)
    if not workflow.is_manager(request.user, period.scheme):
        raise PermissionDeniedError(_("只有考核管理者可以设置考核对象和评分人。"))
    return period


def _subjects_page(request: HttpRequest, period, *, bulk_form=None, add_form=None, status: int = 200) -> HttpResponse:
    rows = list(selectors.period_subject_rows(request.user, period))
    present = {r.subject_id for r in rows}
    candidates = [(o.pk, candidate_label(o)) for o in selectors.subject_candidates(request.user, period.scheme)
                  if o.pk not in present]
    regions = list(selectors.setup_regions(request.user, within=period.scheme.region))
    return render(request, "assessment/subjects.html", {
        "period": period, "rows": rows,
        "bulk_form": bulk_form or BulkSubjectsForm(regions=regions),
        "add_form": add_form or SubjectAddForm(candidates=candidates),
        "editable": period.state in workflow.STATE_EDITABLE_SUBJECTS,
        "removable": period.state in REMOVABLE_STATES}, status=status)


@login_required
@require_GET
@page_errors
def period_subjects(request: HttpRequest, pk: int) -> HttpResponse:
    """考核对象: the period's subjects with a remove button each, and forms to add in bulk or singly."""
    return _subjects_page(request, _setup_period(request, pk))


@login_required
@require_GET
@page_errors
def subjects_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """What a bulk add from the chosen region would do (HTMX fragment under the region field)."""
    period = _setup_period(request, pk)
    region = selectors.setup_regions(request.user, within=period.scheme.region).filter(
        pk=request.GET.get("region") if str(request.GET.get("region", "")).isdigit() else None).first()
    found = list(selectors.subject_candidates(request.user, period.scheme, region)) if region else []
    present = set(period.subjects.values_list("subject_id", flat=True))
    already = sum(1 for o in found if o.pk in present)
    return render(request, "assessment/_bulk_preview.html", {
        "region": region, "new": len(found) - already, "already": already})


@login_required
@require_POST
@page_errors
def subjects_bulk(request: HttpRequest, pk: int) -> HttpResponse:
    period = _setup_period(request, pk)
    regions = list(selectors.setup_regions(request.user, within=period.scheme.region))
    form = BulkSubjectsForm(request.POST, regions=regions)
    if form.is_valid():
        region = next(r for r in regions if str(r.pk) == form.cleaned_data["region"])
        try:
            made = services.period_subjects_add_bulk(actor=request.user, period=period, region=region,
                                                     peer_group=form.cleaned_data["peer_group"])
        except ApplicationError as exc:
            _to_form(form, exc)
        else:
            messages.success(request, _("已从%(region)s添加 %(added)d 个考核对象；%(skipped)d 个已在本期，已跳过。") % {
                "region": region.name, "added": len(made.added), "skipped": made.skipped})
            return redirect("assessment:subjects", pk=period.pk)
    return _subjects_page(request, period, bulk_form=form, status=400)


@login_required
@require_POST
@page_errors
def subject_add(request: HttpRequest, pk: int) -> HttpResponse:
    period = _setup_period(request, pk)
    present = set(period.subjects.values_list("subject_id", flat=True))
    objects = {o.pk: o for o in selectors.subject_candidates(request.user, period.scheme) if o.pk not in present}
    form = SubjectAddForm(request.POST, candidates=[(pk_, candidate_label(o)) for pk_, o in objects.items()])
    if form.is_valid():
        obj = objects[int(form.cleaned_data["subject"])]
        try:
            made = services.period_subject_add(actor=request.user, period=period, obj=obj,
                                               peer_group=form.cleaned_data["peer_group"])
        except ApplicationError as exc:
            _to_form(form, exc)
        else:
            messages.success(request, _("已添加“%(name)s”。") % {"name": made.display_name})
            return redirect("assessment:subjects", pk=period.pk)
    return _subjects_page(request, period, add_form=form, status=400)


@login_required
@require_POST
@page_errors
def subject_remove(request: HttpRequest, pk: int, subject_id: int) -> HttpResponse:
    period = _setup_period(request, pk)
    subject = period.subjects.filter(pk=subject_id).first()
    if subject is None:
        raise Http404
    try:
        services.period_subject_remove(actor=request.user, period=period, subject=subject)
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已移除“%(name)s”。") % {"name": subject.display_name})
    return redirect("assessment:subjects", pk=period.pk)


def _raters_page(request: HttpRequest, period, *, add_form=None, status: int = 200) -> HttpResponse:
    groups = list(period.version.groups.order_by("order", "id"))
    peer_groups = [g for g in groups if g.peer]
    return render(request, "assessment/raters.html", {
        "period": period, "groups": selectors.period_rater_rows(request.user, period),
        "add_form": add_form or RaterAddForm(groups=groups, raters=selectors.rater_candidates(request.user),
                                             subjects=period.subjects.order_by("display_name", "id")),
        "peer_form": PeerAssignForm(groups=peer_groups) if peer_groups else None,
        "editable": period.state in workflow.STATE_EDITABLE_SUBJECTS,
        "removable": period.state in REMOVABLE_STATES}, status=status)


@login_required
@require_GET
@page_errors
def period_raters(request: HttpRequest, pk: int) -> HttpResponse:
    """评分人: each rater group's raters with how many subjects they rate, forms to add a rater (or
    make the peer assignments) and to remove a rater added by mistake."""
    return _raters_page(request, _setup_period(request, pk))


@login_required
@require_POST
@page_errors
def rater_add(request: HttpRequest, pk: int) -> HttpResponse:
    period = _setup_period(request, pk)
    raters = selectors.rater_candidates(request.user)
    subjects = list(period.subjects.order_by("display_name", "id"))
    form = RaterAddForm(request.POST, groups=period.version.groups.order_by("order", "id"), raters=raters,
                        subjects=subjects)
    if form.is_valid():
        data = form.cleaned_data
        rater = raters.get(pk=int(data["rater"]))
        chosen = [s for s in subjects if str(s.pk) in data["subjects"]] or [s for s in subjects
                                                                          if s.user_id != rater.pk]
        try:
            made = services.assignment_create(actor=request.user, period=period, group=data["group"], rater=rater,
                                              subjects=chosen)
        except ApplicationError as exc:
            _to_form(form, exc)
        else:
            messages.success(request, _("%(rater)s 评 %(n)d 个考核对象。") % {"rater": rater, "n": len(made)})
            return redirect("assessment:raters", pk=period.pk)
    return _raters_page(request, period, add_form=form, status=400)


@login_required
@require_POST
@page_errors
def raters_peers(request: HttpRequest, pk: int) -> HttpResponse:
    period = _setup_period(request, pk)
    form = PeerAssignForm(request.POST, groups=[g for g in period.version.groups.all() if g.peer])
    if not form.is_valid():
        messages.error(request, _("请选择互评组。"))
        return redirect("assessment:raters", pk=period.pk)
    try:
        made = services.peer_assignments_create(actor=request.user, period=period, group=form.cleaned_data["group"])
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("互评任务共 %(n)d 项（每人评同一排名组的其他人，不评自己）。") % {"n": len(made)})
    return redirect("assessment:raters", pk=period.pk)


@login_required
@require_POST
@page_errors
def rater_remove(request: HttpRequest, pk: int) -> HttpResponse:
    period = _setup_period(request, pk)
    form = RaterRemoveForm(request.POST)
    found = (period.assignments.filter(rater_id=form.cleaned_data["rater"]).select_related("rater").first()
             if form.is_valid() else None)
    if found is None:
        raise Http404
    try:
        n = services.assignment_remove(actor=request.user, period=period, group=form.cleaned_data["group"],
                                       rater=found.rater)
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已移除 %(rater)s 的 %(n)d 项评分任务。") % {"rater": found.rater, "n": n})
    return redirect("assessment:raters", pk=period.pk)
