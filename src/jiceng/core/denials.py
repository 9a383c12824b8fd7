"""Refused requests (403, and 404 for a record outside one's scope) as security events in the audit log.

MLPS 2.0 level 3 asks that important security events be audited with who, when, from where and
whether it succeeded; a request refused for lack of permission (a page or API call outside one's
role or data scope, a failed CSRF check, the admin refusing a change) is one, and so is asking by id
for a record that exists outside one's scope (answered 404, as for one that does not exist: someone
trying ids). Each is recorded as
``access.denied`` with the method, the path (never the query string: searches carry names and
phone numbers) and the reason shown to the caller. A client hammering one URL is recorded once per
account (or address) and URL every few minutes, so a loop cannot flood the hash chain.
"""

from __future__ import annotations

import hashlib
import json

from django.core.cache import cache

from .audit import audit_record
from .context import client_ip, out_of_scope

REPEAT_SECONDS = 300
REASON_ATTRIBUTE = "_jiceng_denied_reason"


def denial_reason_note(request, reason: str) -> None:
    """Remember why a request was refused (the message its caller sees) for the audit record."""
    setattr(request, REASON_ATTRIBUTE, str(reason)[:200])


def refusal_record(*, request, response) -> bool:
    """After a request: audit it if it was refused (403), or answered 404 for a record that exists
    outside the caller's scope (``core.scope.get_scoped_or_404`` noted it). The reason is the one
    noted on the way (``denial_reason_note``), else the API error body's message."""
    noted = out_of_scope()
    if not (response.status_code == 403 or (response.status_code == 404 and noted)):
        return False
    if not hasattr(request, REASON_ATTRIBUTE):
        denial_reason_note(request, _api_message(response))
    return access_denied_record(request=request, status=response.status_code, out_of_scope=noted)


def _api_message(response) -> str:
    """The message of the API's error body (``{code, message}``), or nothing."""
    if not response.get("Content-Type", "").startswith("application/json") or getattr(response, "streaming", False):
        return ""
    try:
        return str(json.loads(response.content).get("message", ""))
    except (ValueError, AttributeError):
        return ""


def access_denied_record(*, request, status: int, out_of_scope: list[str] | None = None) -> bool:
    """Audit one refused request, unless the same caller was refused the same URL moments ago.
    ``out_of_scope``: the records asked for that exist outside the caller's scope (the caller got 404,
    as for a record that does not exist). Returns whether a record was written."""
    user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    who = f"u{actor.pk}" if actor is not None else f"ip{client_ip() or ''}"  # behind a proxy: the forwarded address
    target = f"{request.method} {request.path}"
    key = "jiceng:denied:" + hashlib.sha256(f"{who} {target}".encode()).hexdigest()[:32]
    if not cache.add(key, 1, timeout=REPEAT_SECONDS):
        return False
    changes = {"status": status, "reason": getattr(request, REASON_ATTRIBUTE, "")}
    if out_of_scope:
        changes["out_of_scope"] = out_of_scope
    # (outside any transaction, the record's own makes it atomic)
    audit_record(actor=actor, action="access.denied", object_type="url", object_repr=target[:200], changes=changes)
    return True
