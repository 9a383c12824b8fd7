"""Login sessions: started after Django's login, touched on activity, followed when Django gives
them a new id, ended by logout or timeout, and ended by their owner from the sessions page."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import context
from jiceng.core.audit import audit_record
from jiceng.core.errors import PermissionDeniedError
from jiceng.core.scope import is_active_account

from .. import sessionstate as ss
from ..models import SessionEnd, UserSession
from ..selectors import password_expires_at, second_factor_needed_at_login
from .login import _failures_reset


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


@transaction.atomic
def session_start(*, user, request) -> UserSession:
    """Right after Django's login (which has already given the session a new id): note login time,
    activity, second-factor state and password expiry in the session, and list the session."""
    now = timezone.now()
    session = request.session
    pending = second_factor_needed_at_login(user)
    expires = password_expires_at(user)
    session[ss.LOGIN_AT] = session[ss.SEEN_AT] = now.timestamp()
    session[ss.SECOND_FACTOR] = ss.PENDING if pending else ss.NOT_REQUIRED
    session[ss.PASSWORD_EXPIRES] = expires.timestamp() if expires else None
    if session.session_key is None:
        session.save()
    row = UserSession.objects.create(
        user=user, session_key=session.session_key or "", ip=context.client_ip() or request.META.get("REMOTE_ADDR", "")[:45],
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300], created_at=now, last_seen_at=now,
    )
    session[ss.USER_SESSION] = row.pk
    if not pending:
        _failures_reset(user)  # with a second factor, the count is cleared only once that passes
    audit_record(actor=user, action="login", obj=user,
                 changes={"second_factor": "pending" if pending else "not_required", "session": row.pk})
    return row


@transaction.atomic
def session_second_factor_passed(*, user, request) -> None:
    request.session[ss.SECOND_FACTOR] = ss.PASSED
    _failures_reset(user)


def session_touch(*, request) -> bool:
    """Note activity (at most once a minute). False when the session was ended elsewhere."""
    session = request.session
    now = ss.now()
    if now - session.get(ss.SEEN_AT, 0) < ss.TOUCH_SECONDS:
        return True
    session[ss.SEEN_AT] = now
    row_id = session.get(ss.USER_SESSION)
    if row_id is None:
        return True
    return bool(UserSession.objects.filter(pk=row_id, ended_at__isnull=True)
                .update(last_seen_at=timezone.now(), session_key=session.session_key or ""))


def session_rekeyed(*, request) -> None:
    """Django gave the session a new id (e.g. after a password change): follow it."""
    row_id = request.session.get(ss.USER_SESSION)
    if row_id is not None and request.session.session_key:
        UserSession.objects.filter(pk=row_id).update(session_key=request.session.session_key)


@transaction.atomic
def session_end(*, user, request, reason: str) -> None:
    """The current session ends (logout or timeout). The caller then logs the request out."""
    row_id = request.session.get(ss.USER_SESSION)
    if row_id is None:
        return
    ended = UserSession.objects.filter(pk=row_id, ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=reason)
    if ended and reason != SessionEnd.LOGOUT:
        audit_record(actor=user, action="session.expire", obj=user, changes={"session": row_id, "reason": reason})
    elif ended:
        audit_record(actor=user, action="logout", obj=user, changes={"session": row_id})


@transaction.atomic
def sessions_end(*, actor, sessions: list[int] | None = None, keep_key: str | None = None,
                 reason: str = SessionEnd.ENDED) -> int:
    """End the actor's own sessions (``sessions`` ids, or all), except the one with ``keep_key`` (the
    one in use). Django's session rows are deleted, so those browsers are logged out at once."""
    if not is_active_account(actor):
        raise PermissionDeniedError(_("请先登录。"))
    rows = UserSession.objects.select_for_update().filter(user=actor, ended_at__isnull=True)
    if sessions is not None:
        rows = rows.filter(pk__in=sessions)
    if keep_key:
        rows = rows.exclude(session_key=keep_key)
    rows = list(rows)
    store = _session_store()
    for row in rows:
        store(session_key=row.session_key).delete()
    UserSession.objects.filter(pk__in=[r.pk for r in rows]).update(ended_at=timezone.now(), end_reason=reason)
    if rows:
        audit_record(actor=actor, action="session.end", obj=actor,
                     changes={"sessions": [r.pk for r in rows], "reason": reason})
    return len(rows)
