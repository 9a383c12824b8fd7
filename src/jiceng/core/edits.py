"""Two people editing one record: the second save must not silently undo the first.

An edit page and a PATCH call may say which version of the record they started from — its
``updated_at`` as read. The service compares it with the row it has locked: when someone saved in
between, the edit is refused with a conflict (409) that says who changed what and when (from the
record's last audit entry), and nothing is written. The page then shows the form again at the new
version, with what was saved since in the fields this editor left alone (``conflict_merge``), so a
second save keeps both people's changes.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .audit_review import with_actor_names
from .errors import ApplicationError, ConflictError
from .models import AuditLog


class StaleEditError(ConflictError):
    code = "stale_edit"


def version_of(obj: models.Model) -> str:
    """The version an edit starts from, as a form or an API client carries it."""
    return obj.updated_at.isoformat()


def version_parse(value: str | datetime | None) -> datetime | None:
    """A version as posted: an ISO time (naive is read as the server's zone); blank or unreadable is
    None (no check: a form from before versions were carried, a client that does not send one)."""
    if value is None or isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return timezone.make_aware(parsed) if parsed is not None and timezone.is_naive(parsed) else parsed


def _field_label(model: type[models.Model], name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def editable_fields_check(changes, allowed) -> None:
    """Refuse an edit naming a field the service does not change (an API client's typo, a read-only
    field), at the first such field, before anything is written."""
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ApplicationError(_("不能修改字段：%(fields)s") % {"fields": ", ".join(unknown)}, field=unknown[0])


def edit_unchanged_check(obj: models.Model, seen: datetime | None, *, what: str) -> None:
    """Refuse the edit when ``obj`` (the locked row) was saved after the version ``seen``. ``what``
    names the record for the message (居民“王芳”)."""
    if seen is None or obj.updated_at == seen:
        return
    last = (AuditLog.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
            .order_by("-id").only("actor_id", "actor_name", "at", "changes").first())
    who, at, fields = _("其他人"), obj.updated_at, ""
    if last is not None:
        at = last.at
        who = with_actor_names([last])[0].actor_full_name or last.actor_name
        if isinstance(last.changes, dict) and last.changes:
            fields = pgettext("list separator", "、").join(_field_label(type(obj), name) for name in sorted(last.changes))
    message = _("%(what)s已在您打开之后被%(who)s于 %(at)s 修改") % {
        "what": what, "who": who, "at": f"{timezone.localtime(at):%Y-%m-%d %H:%M}"}
    if fields:
        message += _("（%(fields)s）") % {"fields": fields}
    raise StaleEditError(message + _("，本次修改未保存。"))


# --- after a conflict: take the other's changes to the fields this editor left alone ----------------
#
# The form also carries, per field, a keyed digest of the value it was opened with (never the value:
# an address or care tags would otherwise sit in the page twice). After a conflict a field whose
# posted value still matches its digest was not touched by this editor, so it takes the value saved
# since; a field the editor changed keeps the editor's value. Saving again then overwrites only what
# this editor meant to change.


def _plain(value: Any) -> str:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        return json.dumps(sorted(_plain(v) for v in value), ensure_ascii=False)
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _digest(value: Any) -> str:
    return salted_hmac("jiceng.core.edits", _plain(value)).hexdigest()[:16]


def opened_digests(values: dict[str, Any]) -> str:
    """What an edit form carries of the values it was opened with: a digest per field."""
    return json.dumps({name: _digest(value) for name, value in values.items()}, sort_keys=True)


def _opened(opened: str) -> dict:
    try:
        digests = json.loads(opened or "{}")
    except ValueError:
        return {}
    return digests if isinstance(digests, dict) else {}


def conflict_merge(opened: str, posted: dict[str, Any], saved: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """After a conflict, field by field — ``posted`` as the form cleaned it, ``saved`` the record now (as
    the form's initial): the values to take from ``saved`` (changed by the other, left alone by this
    editor), and the fields both changed, differently (the editor's value stays, to be checked)."""
    digests = _opened(opened)
    take, both = {}, []
    for name, mine in posted.items():
        if name not in digests or name not in saved or _plain(mine) == _plain(saved[name]):
            continue
        editor_changed = digests[name] != _digest(mine)
        other_changed = digests[name] != _digest(saved[name])
        if other_changed and not editor_changed:
            take[name] = saved[name]
        elif other_changed:
            both.append(name)
    return take, both


def as_posted(value: Any) -> list[str]:
    """A field's value as a browser posts it (a list: one item, several for a multiple choice, none
    for an unticked box)."""
    if isinstance(value, bool):
        return ["on"] if value else []
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        return [_plain(v) for v in value]
    return [_plain(value)]
