"""The reviewer's side of 复核 on a result's page: the reply to an appeal (复核意见) and sending a score
back to its rater (退回重评, and taking that back). Thin: parse, call ``services/appeals.py``, render
the result page again with a refusal in its form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core.errors import ApplicationError
from jiceng.core.views import add_app_error, page_errors

from .. import selectors, services, workflow
from ..forms import AppealReplyForm, RerateCancelForm, RerateForm, rerate_target
from .results import _explain_page, _explained


def _rater(subject, rater_id: int | None):
    """The rater of one of the subject's score sheets (the choices offered only name those)."""
    if rater_id is None:
        return None
    found = subject.assignments.filter(rater_id=rater_id).select_related("rater").first()
    if found is None:
        raise Http404
    return found.rater


@login_required
@require_POST
@page_errors
def appeal_reply(request: HttpRequest, pk: int, appeal_id: int) -> HttpResponse:
    result, explained, indicators = _explained(request, pk)
    workflow.require_manager(request.user, result.period.scheme)
    appeal = result.subject.appeals.filter(pk=appeal_id).first()
    if appeal is None:
        raise Http404
    form = AppealReplyForm(request.POST, auto_id=f"reply{appeal.pk}_%s")
    if form.is_valid():
        try:
            services.appeal_reply(actor=request.user, appeal=appeal, decision=form.cleaned_data["decision"])
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            add_app_error(form, exc)
        else:
            messages.success(request, _("复核意见已保存，复核后公布时申诉人即可看到。"))
            return redirect("assessment:result", pk=result.pk)
    return _explain_page(request, result, explained, indicators, reply_form=form, reply_to=appeal.pk, status=400)


@login_required
@require_POST
@page_errors
def result_rerate(request: HttpRequest, pk: int) -> HttpResponse:
    result, explained, indicators = _explained(request, pk)
    workflow.require_manager(request.user, result.period.scheme)
    subject = result.subject
    form = RerateForm(request.POST, choices=selectors.subject_rerates(request.user, subject)["choices"])
    if form.is_valid():
        group, rater_id = rerate_target(form.cleaned_data["target"])
        try:
            sent = services.assignment_rerate_request(actor=request.user, period=result.period, subject=subject,
                                                      group=group, rater=_rater(subject, rater_id),
                                                      reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            add_app_error(form, exc)
        else:
            messages.success(request, _("已退回重评 %(n)d 份评分：评分人提交后，再复核重算。") % {"n": len(sent)})
            return redirect("assessment:result", pk=result.pk)
    return _explain_page(request, result, explained, indicators, rerate_form=form, status=400)


@login_required
@require_POST
@page_errors
def result_rerate_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    result = selectors.result_get(request.user, pk)
    workflow.require_manager(request.user, result.period.scheme)
    form = RerateCancelForm(request.POST)
    if not form.is_valid():
        raise Http404
    group, rater_id = rerate_target(form.cleaned_data["target"])
    try:
        n = services.assignment_rerate_cancel(actor=request.user, period=result.period, subject=result.subject,
                                              group=group, rater=_rater(result.subject, rater_id))
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤回 %(n)d 份退回重评，原评分不变。") % {"n": n})
    return redirect("assessment:result", pk=result.pk)
