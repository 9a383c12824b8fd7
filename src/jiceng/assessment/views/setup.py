"""Setting up a round on pages: a scheme from a shipped template, its first period, its subjects
(a region's in bulk, or one at a time) and raters, and removing those added by mistake. Thin: parse,
call the services (``services/roster.py``, ``rollover.period_start``, ``templates.scheme_from_template``),
render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.views import add_app_error, page_errors

from .. import selectors, services, workflow
from ..forms import (
    BulkSubjectsForm,
    PeerAssignForm,
    PeriodForm,
    RaterAddForm,
    RaterRemoveForm,
    SchemeTemplateForm,
    SubjectAddForm,
    candidate_label,
)
from ..services.roster import REMOVABLE_STATES
from ..templates import TEMPLATES, scheme_from_template


def _to_form(form, exc: ApplicationError) -> None:
    """A refused write shows on the form, on its field when the form has it; 403/404 pass through."""
    if exc.status in (403, 404):
        raise exc
    add_app_error(form, exc)


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
    """新建考核期 of a scheme, proposed as the first round not created yet (``services.first_free_dates``):
    the round containing today for a new scheme, else the one after its latest round."""
    scheme = selectors.scheme_get(request.user, pk)
    workflow.require_manager(request.user, scheme)
    starts_on, ends_on = services.first_free_dates(scheme, timezone.localdate())
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


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def period_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """删除考核期: a draft made by mistake, confirmed on a page naming what goes with it (its subjects and
    rater assignments) — or saying why it cannot go (``services.period_delete_refusal``)."""
    period = selectors.managed_period(request.user, pk)
    refusal = services.period_delete_refusal(period)
    if request.method == "POST":
        label, scheme = period.label, period.scheme
        try:
            services.period_delete(actor=request.user, period=period)
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            refusal = exc.message
        else:
            messages.success(request, _("已删除考核期“%(label)s”（%(scheme)s）。") % {"label": label, "scheme": scheme.name})
            return redirect("assessment:periods")
    return render(request, "assessment/period_delete.html", {
        "period": period, "contents": selectors.period_contents(period), "refusal": refusal},
        status=400 if request.method == "POST" else 200)


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
    return _subjects_page(request, selectors.managed_period(request.user, pk))


@login_required
@require_GET
@page_errors
def subjects_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """What a bulk add from the chosen region would do (HTMX fragment under the region field)."""
    period = selectors.managed_period(request.user, pk)
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
    period = selectors.managed_period(request.user, pk)
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
    period = selectors.managed_period(request.user, pk)
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
    period = selectors.managed_period(request.user, pk)
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
    return _raters_page(request, selectors.managed_period(request.user, pk))


@login_required
@require_POST
@page_errors
def rater_add(request: HttpRequest, pk: int) -> HttpResponse:
    period = selectors.managed_period(request.user, pk)
    raters = selectors.rater_candidates(request.user)
    subjects = list(period.subjects.order_by("display_name", "id"))
    form = RaterAddForm(request.POST, groups=period.version.groups.order_by("order", "id"), raters=raters,
                        subjects=subjects)
    if form.is_valid():
        data = form.cleaned_data
        rater = raters.get(pk=int(data["rater"]))
        chosen = [s for s in subjects if str(s.pk) in data["subjects"]] or None  # none chosen: all but the rater
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
    period = selectors.managed_period(request.user, pk)
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
    period = selectors.managed_period(request.user, pk)
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
