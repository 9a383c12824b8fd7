"""Logins: the address's failure budget, failed logins and lockout (also of names that are not
accounts), the security admin's unlock, and a person's own password change.

Login failures are written in their own transaction (the caller then refuses the login), so that
refusing does not roll the count back.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.audit import audit_record
from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.scope import is_active_account
from jiceng.people.choices import Role

from ..models import AccountSecurity


class LoginRefusedError(ApplicationError):
    """A login refused before or regardless of the password (lockout, IP throttle)."""

    status = 403
    code = "login_refused"


def _user_by_username(username: str):
    User = get_user_model()
    try:
        return User._default_manager.get_by_natural_key(username)
    except User.DoesNotExist:
        return None


def _security_row(user) -> AccountSecurity:
    """The account's row, locked for this transaction."""
    row, _ = AccountSecurity.objects.select_for_update().get_or_create(user=user)
    return row


def locked_message(until: datetime) -> str:
    local = timezone.localtime(until)
    when = f"{local:%H:%M}" if local.date() == timezone.localdate() else f"{local:%m-%d %H:%M}"
    return _("账号已锁定，请于 %(when)s 后重试或联系安全管理员。") % {"when": when}


# --- login: throttle, lockout ---------------------------------------------------------------------

THROTTLED_MESSAGE = gettext_lazy("该地址登录失败次数过多，请一分钟后再试。")


def _ip_key(ip: str) -> str:
    return f"jiceng:login-ip:{ip}:{int(time.time() // 60)}"


def _unknown_key(username: str) -> str:
    # Lockout for names that are not accounts, so the lock message does not tell which names exist.
    return "jiceng:login-unknown:" + hashlib.sha256(username.casefold().encode()).hexdigest()


def login_attempt_check(*, username: str, ip: str | None) -> None:
    """Before the password is looked at: refuse an address over its failure budget for this minute
    (JICENG_LOGIN_IP_LIMIT) and a locked account, even with the right password."""
    limit = settings.JICENG_LOGIN_IP_LIMIT
    if ip and limit > 0 and (cache.get(_ip_key(ip)) or 0) >= limit:
        raise LoginRefusedError(str(THROTTLED_MESSAGE))
    user = _user_by_username(username)
    if user is None:
        state = cache.get(_unknown_key(username)) or {}
        until = state.get("until")
        until = datetime.fromtimestamp(until, tz=UTC) if until and until > time.time() else None
    else:
        until = AccountSecurity.objects.filter(user=user, locked_until__gt=timezone.now()) \
            .values_list("locked_until", flat=True).first()
    if until is not None:
        with transaction.atomic():
            audit_record(actor=None, action="login.failed", obj=user, object_type="" if user else "people.user",
                         object_repr=username[:200], changes={"username": username[:150], "reason": "locked"})
        raise LoginRefusedError(locked_message(until))


def _count_ip_failure(ip: str | None) -> None:
    if not ip or settings.JICENG_LOGIN_IP_LIMIT <= 0:
        return
    key = _ip_key(ip)
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count == settings.JICENG_LOGIN_IP_LIMIT:
        with transaction.atomic():
            audit_record(actor=None, action="login.throttle", object_type="ip", object_id=ip, object_repr=ip,
                         changes={"failures_per_minute": count})


def login_failure_record(*, username: str, ip: str | None, reason: str = "bad_password") -> datetime | None:
    """Count a failed login against the address and the account; lock the account at
    JICENG_LOCKOUT_THRESHOLD consecutive failures. Returns the lock's end when it is locked now."""
    _count_ip_failure(ip)
    user = _user_by_username(username)
    if user is None:
        return _unknown_failure(username)
    return _account_failure(user, reason=reason, username=username)


def _unknown_failure(username: str) -> datetime | None:
    key = _unknown_key(username)
    state = cache.get(key) or {"count": 0}
    state["count"] = state.get("count", 0) + 1
    until = None
    if state["count"] >= settings.JICENG_LOCKOUT_THRESHOLD:
        state["until"] = time.time() + settings.JICENG_LOCKOUT_SECONDS
        until = datetime.fromtimestamp(state["until"], tz=UTC)
    cache.set(key, state, timeout=settings.JICENG_LOCKOUT_SECONDS)
    with transaction.atomic():
        audit_record(actor=None, action="login.failed", object_type="people.user", object_repr=username[:200],
                     changes={"username": username[:150], "reason": "unknown_user", "failed_logins": state["count"]})
    return until


@transaction.atomic
def _account_failure(user, *, reason: str, username: str, actor=None) -> datetime | None:
    """``actor``: who the failure is recorded as done by — nobody known for a wrong password (the
    account is its object), the account itself for a wrong second factor (its password was right)."""
    row = _security_row(user)
    now = timezone.now()
    window = timedelta(seconds=settings.JICENG_LOCKOUT_SECONDS)
    # A lock that has run out, or failures long ago, start the count again.
    if (row.locked_until and row.locked_until <= now) or (row.last_failed_at and now - row.last_failed_at > window):
        row.failed_logins, row.locked_until = 0, None
    row.failed_logins += 1
    row.last_failed_at = now
    audit_record(actor=actor, action="login.failed", obj=user,
                 changes={"username": username[:150], "reason": reason, "failed_logins": row.failed_logins})
    locked = None
    if row.failed_logins >= settings.JICENG_LOCKOUT_THRESHOLD and not row.is_locked(now):
        row.locked_until = locked = now + window
        audit_record(actor=None, action="account.lock", obj=user,
                     changes={"locked_until": [None, row.locked_until], "failed_logins": row.failed_logins})
    row.save()
    return locked


def _failures_reset(user) -> None:
    AccountSecurity.objects.filter(user=user).exclude(failed_logins=0, locked_until=None) \
        .update(failed_logins=0, locked_until=None)


@transaction.atomic
def account_unlock(*, actor, user) -> AccountSecurity:
    """The security admin lifts a lock before it runs out (never on their own account)."""
    if not is_active_account(actor) or actor.role != Role.SECURITY_ADMIN:
        raise PermissionDeniedError(_("只有安全管理员可以解除账号锁定。"))
    if actor.pk == user.pk:
        raise PermissionDeniedError(_("不能解除自己账号的锁定。"))
    row = _security_row(user)
    before = row.locked_until
    row.failed_logins, row.locked_until, row.last_failed_at = 0, None, None
    row.save()
    audit_record(actor=actor, action="account.unlock", obj=user, changes={"locked_until": [before, None]})
    return row


# --- password -------------------------------------------------------------------------------------


@transaction.atomic
def password_change(*, actor, old_password: str, new_password: str) -> None:
    """A person changes their own password: the current one, then Django's validators (length,
    common passwords, similarity, three character classes). Restarts the password's age."""
    if not is_active_account(actor):
        raise PermissionDeniedError(_("请先登录。"))
    if not actor.check_password(old_password):
        raise ApplicationError(_("当前密码不正确。"), field="old_password")
    if new_password == old_password:
        raise ApplicationError(_("新密码不能与当前密码相同。"), field="new_password")
    try:
        validate_password(new_password, actor)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), field="new_password") from exc
    actor.set_password(new_password)
    actor.save(update_fields=["password"])
    row = _security_row(actor)
    before = row.password_changed_at
    row.password_changed_at = timezone.now()
    row.save(update_fields=["password_changed_at"])
    audit_record(actor=actor, action="password.change", obj=actor,
                 changes={"password": ["***", "***"], "password_changed_at": [before, row.password_changed_at]})
