"""What the system itself writes into a case's timeline — who acted (系统, 上报人, 群众 张*) and its
notes — stored as written, in the default language (zh-hans), and shown in the page's language by
``shown_actor`` and ``shown_note``: a fixed note by its text, a timer's note rebuilt from the
step's data (the stage, the deadline, the department). A note a person typed is shown as typed."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from jiceng.people.models import Department

from .choices import Stage

ACTOR_SYSTEM = "系统"
ACTOR_REPORTER = "上报人"
ACTOR_PUBLIC = "群众"  # followed by the reporter's masked name: 群众 张*

NOTE_AUTO_REGISTER = gettext_noop("急难呼救，自动立案。")
NOTE_AUTO_DISPATCH = gettext_noop("急难呼救，按处置程序自动派遣。")
NOTE_REOPEN_UNSATISFIED = gettext_noop("群众评价不满意，按规定重办。")
NOTE_WARN = gettext_noop("%(stage)s环节即将超时（时限 %(due)s）")
NOTE_OVERDUE = gettext_noop("%(stage)s环节已超时（时限 %(due)s）")
NOTE_WHISTLE_LATE = gettext_noop("%(department)s未在时限内报到")
_FIXED_NOTES = frozenset({NOTE_AUTO_REGISTER, NOTE_AUTO_DISPATCH, NOTE_REOPEN_UNSATISFIED})


def due_text(due: datetime) -> str:
    return f"{timezone.localtime(due):%m-%d %H:%M}"


def shown_actor(label: str) -> str:
    """系统, 上报人 and 群众 (the words the system writes for who acted) in the page's language."""
    if label == ACTOR_SYSTEM:
        return pgettext("timeline actor", "系统")
    if label == ACTOR_REPORTER:
        return pgettext("timeline actor", "上报人")
    if label == ACTOR_PUBLIC or label.startswith(ACTOR_PUBLIC + " "):  # a reporter who left no name: 群众 alone
        public = pgettext("timeline actor", "群众")
        return f"{public} {label.removeprefix(ACTOR_PUBLIC).strip()}".strip()
    return label


def shown_steps(rows) -> list[tuple]:
    """Each timeline row with who acted and its note as ``shown_actor`` and ``shown_note`` give them:
    ``(row, actor, note)``; the pages and the API show the same words."""
    late = {s.data["department"] for s in rows if s.action == "whistle_late" and (s.data or {}).get("department")}
    departments = dict(Department.objects.filter(pk__in=late).values_list("pk", "name")) if late else {}
    return [(s, shown_actor(s.actor_label), shown_note(s.action, s.note, s.data or {}, s.at, departments))
            for s in rows]


def shown_note(action: str, note: str, data: dict, at: datetime, departments: dict[int, str]) -> str:
    """A system note in the page's language; any other note as it was typed. ``departments``: names
    by id, for a whistle answered late."""
    if note in _FIXED_NOTES:
        return _(note)
    stage = data.get("stage")
    if action in ("warn", "overdue") and stage in Stage.values:
        due = data.get("due_at")
        due_at = datetime.fromisoformat(due) if isinstance(due, str) else at
        template = NOTE_WARN if action == "warn" else NOTE_OVERDUE
        return _(template) % {"stage": Stage(stage).label, "due": due_text(due_at)}
    if action == "whistle_late" and data.get("department") in departments:
        return _(NOTE_WHISTLE_LATE) % {"department": departments[data["department"]]}
    return note
