"""Two people editing one record: the second save must not silently undo the first.

An edit page and a PATCH call may say which version of the record they started from — its
``updated_at`` as read. The service compares it with the row it has locked: when someone saved in
between, the edit is refused with a conflict (409) that says who changed what and when (from the
record's last audit entry), and nothing is written. The page then shows the editor's own entries
again with the new version, so a second save is a deliberate choice to overwrite.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ConflictError
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
        user = get_user_model().objects.filter(pk=last.actor_id).only("full_name", "username").first() \
            if last.actor_id else None
        who = (user.full_name or user.username) if user is not None else last.actor_name
        if isinstance(last.changes, dict) and last.changes:
            fields = "、".join(_field_label(type(obj), name) for name in sorted(last.changes))
    message = _("%(what)s已在您打开之后被%(who)s于 %(at)s 修改") % {
        "what": what, "who": who, "at": f"{timezone.localtime(at):%Y-%m-%d %H:%M}"}
    if fields:
        message += _("（%(fields)s）") % {"fields": fields}
    raise StaleEditError(message + _("，本次修改未保存。"))
