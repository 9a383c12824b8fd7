"""The rater's own assignments (phone-friendly): the tasks to do and done, and one score sheet. Thin:
parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.core.errors import ApplicationError
from jiceng.core.views import page_errors

from .. import selectors, services
from ..choices import RatingState
from ..forms import RatingForm


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
