"""Where the current request comes from (client IP), for audit records written by services."""

from __future__ import annotations

import contextvars

_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("jiceng_client_ip", default=None)
_channel: contextvars.ContextVar[str] = contextvars.ContextVar("jiceng_channel", default="system")
# Records asked for by id that exist but are outside the caller's scope (``core.scope``), for the
# refusal's audit record (``core.denials``); None outside a request.
_out_of_scope: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("jiceng_out_of_scope", default=None)


def set_request_context(*, ip: str | None, channel: str):
    return _client_ip.set(ip), _channel.set(channel), _out_of_scope.set([])


def reset_request_context(tokens) -> None:
    ip_token, channel_token, scope_token = tokens
    _client_ip.reset(ip_token)
    _channel.reset(channel_token)
    _out_of_scope.reset(scope_token)


def out_of_scope_note(what: str) -> None:
    noted = _out_of_scope.get()
    if noted is not None:
        noted.append(what)


def out_of_scope() -> list[str]:
    return list(_out_of_scope.get() or [])


def client_ip() -> str | None:
    return _client_ip.get()


def channel() -> str:
    return _channel.get()


def ip_from_request(request) -> str | None:
    """REMOTE_ADDR; behind a trusted proxy (JICENG_TRUST_X_FORWARDED_FOR) the first forwarded hop."""
    from django.conf import settings

    if getattr(settings, "JICENG_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:45]
    return (request.META.get("REMOTE_ADDR") or None) and request.META["REMOTE_ADDR"][:45]
