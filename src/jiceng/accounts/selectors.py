"""Reads for account security: lock state, password age, the second factor, a person's sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from jiceng.people.choices import ADMIN_ROLES

from .models import AccountSecurity, TotpDevice, UserSession


def locked_accounts() -> QuerySet[AccountSecurity]:
    """Accounts locked right now, latest lock first (the security admin's list)."""
    return (AccountSecurity.objects.filter(locked_until__gt=timezone.now())
            .select_related("user").order_by("-locked_until"))


def account_locked_until(user) -> datetime | None:
    until = AccountSecurity.objects.filter(user=user).values_list("locked_until", flat=True).first()
    return until if until is not None and until > timezone.now() else None


def password_expires_at(user) -> datetime | None:
    """When the password must be changed: JICENG_PASSWORD_MAX_AGE_DAYS after the last change (or
    after the account was opened, for a password never changed here). None when ageing is off."""
    days = settings.JICENG_PASSWORD_MAX_AGE_DAYS
    if days <= 0:
        return None
    changed = AccountSecurity.objects.filter(user=user).values_list("password_changed_at", flat=True).first()
    return (changed or user.date_joined) + timedelta(days=days)


def totp_required(user) -> bool:
    """The three admin roles must use a second factor; other staff may turn it on for themselves."""
    return user.role in ADMIN_ROLES


def confirmed_totp_device(user) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def second_factor_needed_at_login(user) -> bool:
    return totp_required(user) or confirmed_totp_device(user) is not None


def recovery_codes_left(user) -> int:
    return user.recovery_codes.filter(used_at__isnull=True).count()


def sessions_active(user) -> QuerySet[UserSession]:
    """The person's sessions that may still be in use: not ended, not past the idle or the absolute
    timeout (a browser that was simply closed leaves a session that times out on its own)."""
    now = timezone.now()
    return UserSession.objects.filter(
        user=user, ended_at__isnull=True,
        last_seen_at__gt=now - timedelta(seconds=settings.JICENG_SESSION_IDLE_SECONDS),
        created_at__gt=now - timedelta(seconds=settings.SESSION_COOKIE_AGE),
    ).order_by("-last_seen_at")


def tokens_visible(user) -> QuerySet:
    """API tokens and Open311 keys a person may list and revoke: their own; all for the security admin."""
    from jiceng.core.models import ApiToken
    from jiceng.people.choices import Role

    qs = ApiToken.objects.all()
    return qs if user.role == Role.SECURITY_ADMIN else qs.filter(user=user)
