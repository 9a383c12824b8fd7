"""A case's page (its timeline, photos, whistles and the steps the viewer may take), the steps posted
from it, and 我的待办 (the steps that are the viewer's job now, posted to the same views)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.core.access import staff_required
from jiceng.core.errors import ApplicationError
from jiceng.core.paging import page_of
from jiceng.core.views import local_next, page_errors

from .. import selectors, services, texts, workflow
from ..choices import EventState, Rating, RatingSource, Stage
from ..forms import ActionForm, MergeForm, UnitForm, WhistleForm, WhistleNoteForm
from ..models import Event, Whistle
from ..selectors.queues import QUEUE_WINDOW, event_queue
from ..units import Unit, escalation_target, units_serving
from .photos import _photos, _store_photo

# Actions a page offers (the API has them all); value: does the form need a note.
PAGE_ACTIONS = ("register", "reject", "dispatch", "escalate", "sign", "return", "start", "submit", "verify",
                "verify_fail", "suspend", "resume", "reopen", "void", "supervise", "rate")
# Actions whose form picks something for the case: a unit, departments, the master case.
FORM_ACTIONS = ("redispatch", "rule", "whistle", "merge")
# A called department's steps on one whistle: URL word → workflow action, and what to say when done.
WHISTLE_STEPS = {"report": ("whistle_report", gettext_lazy("已报到。")), "feedback": ("whistle_feedback", gettext_lazy("已反馈处置情况。"))}


def _step_detail(action: str, data: dict) -> str:
    """What a step decided, from its recorded data: the unit sent to, the rating, the departments
    whistled, the stage that ran late."""
    if not data:
        return ""
    if isinstance(data.get("unit"), dict):
        return _("派往 %(unit)s") % {"unit": data["unit"].get("name", "")}
    if action == "rate" and data.get("rating") in Rating.values:
        source = dict(RatingSource.choices).get(data.get("source", ""), "")
        return f"{Rating(data['rating']).label}" + (f"（{source}）" if source else "")
    if data.get("departments"):
        return pgettext("list separator", "、").join(str(d) for d in data["departments"])
    if data.get("stage") in Stage.values:
        return _("%(stage)s环节") % {"stage": Stage(data["stage"]).label}
    return ""


def _steps(rows) -> list[dict]:
    """Timeline rows with the labels of their action and states, and what the step decided; what the
    system wrote (who acted, its notes) in the page's language (``events.texts``)."""
    labels = dict(EventState.choices)
    return [{"at": s.at, "actor_label": actor, "action": s.action, "note": note, "photos": s.photos or [],
             "label": workflow.TRANSITIONS[s.action].label if s.action in workflow.TRANSITIONS else s.action,
             "detail": _step_detail(s.action, s.data or {}),
             "to_state": labels.get(s.to_state, "") if s.to_state != s.from_state else ""}
            for s, actor, note in texts.shown_steps(rows)]


def _choice_form(actor, event: Event, action: str, data=None):
    """The form of a FORM_ACTIONS step, its choices limited to what the actor may pick on this case."""
    auto_id = f"id_{action}_%s"
    if action in ("redispatch", "rule"):
        current = Unit.of_event(event) if action == "redispatch" else None
        units = [u for u in units_serving(event) if current is None or u.key != current.key]
        return UnitForm(data, units=units, auto_id=auto_id)
    if action == "whistle":
        return WhistleForm(data, departments=selectors.whistle_departments(event=event), auto_id=auto_id)
    if action == "merge":
        form = MergeForm(data, masters=selectors.event_visible(actor), auto_id=auto_id)
        form.fields["master"].widget.attrs["list"] = "ev-merge-masters"
        return form
    raise Http404


def _note_form(whistle: Whistle, data=None) -> WhistleNoteForm:
    return WhistleNoteForm(data, auto_id=f"id_whistle{whistle.pk}_%s")


def _whistle_rows(actor, event: Event, bound: dict) -> list[dict]:
    """The case's whistles the actor sees, each with the step the actor's department may take now."""
    pending = dict((w.pk, step) for w, step in selectors.whistle_pending(actor=actor, event=event))
    rows = []
    for w in selectors.whistle_visible(actor).filter(event_id=event.pk).order_by("blown_at", "id"):
        step = pending.get(w.pk)
        late = "" if not w.late else (_("逾期报到") if w.reported_at else _("逾期未报到"))
        rows.append({"w": w, "late": late, "step": step and step.removeprefix("whistle_"),
                     "label": step and workflow.transition(step).label,
                     "form": bound.get(f"w{w.pk}") or (_note_form(w) if step else None)})
    return rows


def _case_context(request, event: Event, bound: dict | None = None, refused: str = "") -> dict:
    actor, bound = request.user, bound or {}
    allowed = selectors.event_actions(actor=actor, event=event)
    actions = [a for a in allowed if a in PAGE_ACTIONS]  # verify_fail is a transition of its own
    labels = {a: workflow.transition(a).label for a in actions}
    if "escalate" in labels:  # say where it goes; nothing above the county: no button
        try:
            labels["escalate"] = _("%(action)s至%(unit)s") % {"action": labels["escalate"],
                                                             "unit": escalation_target(event).name}
        except ApplicationError:
            actions.remove("escalate")
    choice = [{"action": a, "label": workflow.transition(a).label,
               "form": bound.get(a) or _choice_form(actor, event, a)} for a in allowed if a in FORM_ACTIONS]
    return {
        "event": event, "timeline": _steps(selectors.event_timeline(actor=actor, event=event)),
        "photos": _photos(event), "refused": refused,
        "actions": [(a, labels[a], selectors.response_templates(action=a, category=event.category))
                    for a in actions], "form": ActionForm(),
        "choice_actions": choice, "whistles": _whistle_rows(actor, event, bound),
        "merge_candidates": selectors.merge_candidates(actor=actor, event=event) if "merge" in allowed else [],
        "master": Event.objects.filter(pk=event.duplicate_of_id).first() if event.duplicate_of_id else None}


def _refused(request, event: Event, bound: dict | None = None, message: str = "", status: int = 400):
    """The case page again, with the refused form's errors (or the refusal) and nothing changed."""
    return render(request, "events/case.html", _case_context(request, event, bound, refused=message),
                  status=status)


@require_GET
@staff_required
@page_errors
def case_page(request, pk: int):
    event = selectors.event_get(actor=request.user, pk=pk)
    return render(request, "events/case.html", _case_context(request, event))


def _act(request, event: Event, action: str, form: ActionForm) -> None:
    actor, note = request.user, form.cleaned_data.get("note", "")
    if action == "register":
        services.event_register(actor=actor, event=event, note=note, dispatch=True)
    elif action == "dispatch":
        services.event_dispatch(actor=actor, event=event, note=note)
    elif action in ("sign", "start", "resume"):
        getattr(services, f"event_{action}")(actor=actor, event=event, note=note)
    elif action in ("reject", "escalate", "return", "suspend", "reopen", "void"):
        getattr(services, f"event_{action}")(actor=actor, event=event, reason=note)
    elif action == "submit":
        services.event_submit(actor=actor, event=event, note=note,
                              photos=_store_photo(request, form, event, "submit"))
    elif action in ("verify", "verify_fail"):
        services.event_verify(actor=actor, event=event, passed=action == "verify", note=note,
                              photos=_store_photo(request, form, event, "verify"))
    elif action == "supervise":
        services.event_supervise(actor=actor, event=event, note=note)
    elif action == "rate":
        services.event_rate_callback(actor=actor, event=event, rating=form.cleaned_data.get("rating") or "",
                                     comment=note)
    else:
        raise Http404


def _take(actor, event: Event, action: str, data: dict) -> None:
    if action == "redispatch":
        services.event_redispatch(actor=actor, event=event, unit=data["unit"], note=data["note"])
    elif action == "rule":
        services.event_rule(actor=actor, event=event, unit=data["unit"], note=data["note"])
    elif action == "whistle":
        services.whistle_blow(actor=actor, event=event, departments=data["departments"], reason=data["reason"])
    elif action == "merge":
        services.event_merge(actor=actor, duplicate=event, master=data["master"], note=data["note"])


def _choice_act(request, pk: int, action: str):
    """改派 / 审定 / 吹哨 / 合并: refused as the service would (the state, then the actor), then the
    form; bad input shows the case page again with the form's errors (400) and nothing changed."""
    actor = request.user
    event = selectors.event_get(actor=actor, pk=pk)
    try:
        selectors.event_check(actor=actor, event=event, action=action)
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        return _refused(request, event, message=exc.message, status=exc.status)
    form = _choice_form(actor, event, action, request.POST)
    if form.is_valid():
        try:
            _take(actor, event, action, form.cleaned_data)
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            form.add_error(None, exc.message)
            return _refused(request, event, {action: form}, status=exc.status)
        messages.success(request, _done(action, event))
        return redirect(local_next(request, reverse("events:case", args=[pk])))
    return _refused(request, event, {action: form})


def _done(action: str, event: Event | None = None) -> str:
    """The message after a step: 已立案。 / "Register: done." — and where the case went when the
    step also dispatched it (立案 by the category's procedure, 审定, 上报升级, 重办)."""
    text = _("已%(action)s。") % {"action": workflow.transition(action).label}
    if event is not None and action != "dispatch":
        event.refresh_from_db()
        if event.state == EventState.DISPATCHED and event.handler_name:
            text += _("案件已派往%(unit)s，等待签收。") % {"unit": event.handler_name}
    return text


@require_http_methods(["GET", "POST"])
@staff_required
@page_errors
def case_act(request, pk: int, action: str):
    """One step from the case page. A GET (a reload, or the language switched after a refused
    form re-rendered here) goes back to the case page."""
    if request.method == "GET":
        return redirect("events:case", pk=pk)
    if action in FORM_ACTIONS:
        return _choice_act(request, pk, action)
    if action not in PAGE_ACTIONS:
        raise Http404
    event = selectors.event_get(actor=request.user, pk=pk)
    case_url = reverse("events:case", args=[pk])
    back = local_next(request, case_url)
    number = event.number

    def about(text: str) -> str:
        # Back on a list of cases (我的待办, 待我核查), the message names the case it is about.
        return text if urlsplit(back).path == case_url else _("%(number)s：%(text)s") % {"number": number, "text": text}

    form = ActionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, about(pgettext("list separator", "；").join(
            str(e) for errs in form.errors.values() for e in errs)))
    else:
        try:
            _act(request, event, action, form)
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, about(exc.message))
        else:
            messages.success(request, about(_done(action, event)))
    return redirect(back)


@require_http_methods(["GET", "POST"])
@staff_required
@page_errors
def whistle_act(request, pk: int, step: str):
    """报到 / 部门反馈 by staff of the called department, from the case page or 我的待办 (a GET goes
    back to the case page)."""
    if step not in WHISTLE_STEPS:
        raise Http404
    actor = request.user
    whistle = selectors.whistle_visible(actor).filter(pk=pk).first()
    if whistle is None:
        raise Http404
    if request.method == "GET":
        return redirect("events:case", pk=whistle.event_id)
    event = selectors.event_get(actor=actor, pk=whistle.event_id)
    form = _note_form(whistle, request.POST)
    if form.is_valid():
        note = form.cleaned_data["note"]
        try:
            if step == "report":
                services.whistle_report(actor=actor, whistle=whistle, note=note)
            else:
                services.whistle_feedback(actor=actor, whistle=whistle, feedback=note)
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            form.add_error("note" if exc.field == "note" else None, exc.message)
            return _refused(request, event, {f"w{whistle.pk}": form}, status=exc.status)
        messages.success(request, WHISTLE_STEPS[step][1])
        return redirect(local_next(request, reverse("events:case", args=[event.pk])))
    return _refused(request, event, {f"w{whistle.pk}": form})


@require_GET
@staff_required
def mine(request):
    """我的待办: open cases with a step that is the viewer's job now (受理, 派遣, 审定, 签收, 处置, 核查),
    overdue first then by deadline (the 300 most urgent, twenty a page, saying so when more wait),
    with links to the case page for the steps whose form picks something (改派, 审定, 吹哨, 合并); for
    department staff, the whistles waiting for their department's 报到 or 反馈."""
    actor = request.user
    queue = event_queue(actor=actor)  # the list the home page counts (events.selectors.queues)
    rows = [(event, [(a, workflow.transition(a).label) for a in allowed if a in PAGE_ACTIONS],
             [(a, workflow.transition(a).label) for a in allowed if a in FORM_ACTIONS])
            for event, allowed in queue.rows]
    whistles = [{"w": w, "step": step.removeprefix("whistle_"), "label": workflow.transition(step).label,
                 "form": _note_form(w)} for w, step in selectors.whistle_pending(actor=actor)]
    page = page_of(request, rows, 20)
    return render(request, "events/mine.html", {"rows": page.object_list, "page": page, "form": ActionForm(),
                                                "whistles": whistles if page.number == 1 else [],
                                                "truncated": queue.truncated, "window": QUEUE_WINDOW})
