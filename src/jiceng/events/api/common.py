"""The events router, and the renderings and lookups that several groups of endpoints share."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router

from jiceng.core.errors import NotFoundError

from .. import selectors, texts
from ..choices import EventState
from ..models import Event, EventCategory, Whistle

router = Router(tags=["事件"])


def _render(e: Event) -> dict:
    return {
        "id": e.pk, "number": e.number, "title": e.title, "category": e.category.code,
        "category_name": e.category.name, "channel": e.channel, "state": e.state,
        "state_label": str(EventState(e.state).label), "priority": e.priority, "grid_id": e.grid_id,
        "grid_name": e.grid.name, "community_id": e.community_id, "community_name": e.community.name,
        "address": e.address, "lng": e.lng, "lat": e.lat, "handler": e.handler_name,
        "reported_at": e.reported_at, "handle_due_at": e.handle_due_at, "closed_at": e.closed_at,
        "overdue": e.overdue_at is not None, "rating": e.rating, "supporter_count": e.supporter_count,
    }


def _detail(actor, e: Event) -> dict:
    steps = selectors.event_timeline(actor=actor, event=e)
    return {
        **_render(e), "description": e.description, "photos": list(e.photos or []), "reason": e.reason,
        "rating_comment": e.rating_comment, "actions": selectors.event_actions(actor=actor, event=e),
        "timeline": [{"action": s.action, "from_state": s.from_state, "to_state": s.to_state,
                      "actor": actor, "at": s.at, "note": note, "photos": list(s.photos or [])}
                     for s, actor, note in texts.shown_steps(steps)],
    }


def _category(code: str) -> EventCategory | None:
    if not code:
        return None
    found = EventCategory.objects.filter(code=code).first()
    if found is None:
        raise NotFoundError(_("未知的事项分类。"), field="category")
    return found


def _case(request, pk: int) -> Event:
    return selectors.event_get(actor=request.auth, pk=pk)


def _whistle_out(w: Whistle) -> dict:
    return {"id": w.pk, "event_id": w.event_id, "department": w.department.name, "state": w.state,
            "late": w.late, "blown_at": w.blown_at, "reported_at": w.reported_at}
