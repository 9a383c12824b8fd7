"""Receivers for Django's login/logout signals: they call the session services and nothing else."""

from __future__ import annotations

from . import services
from .models import SessionEnd


def logged_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        services.session_start(user=user, request=request)


def logged_out(sender, request, user, **kwargs) -> None:
    if user is not None and request is not None and hasattr(request, "session"):
        services.session_end(user=user, request=request, reason=SessionEnd.LOGOUT)
