"""Every write of account security: failed logins and lockout, unlock, password change, the TOTP
second factor and recovery codes, and login sessions. Keyword-only, explicit actor, one
transaction, an audit record each; passwords and codes never reach the audit log.

Login failures are written in their own transaction (the caller then refuses the login), so that
refusing does not roll the count back.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import context
from jiceng.core.audit import audit_record
from jiceng.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from jiceng.core.scope import is_active_account
from jiceng.people.choices import Role

from . import sessionstate as ss
from . import totp
from .models import AccountSecurity, RecoveryCode, SessionEnd, TotpDevice, UserSession
from .selectors import (
    confirmed_totp_device,
    password_expires_at,
    second_factor_needed_at_login,
    totp_required,
)

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols: 5 bits each, no 0/O or 1/I


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


# --- second factor (TOTP) -------------------------------------------------------------------------


def _hash_code(code: str) -> str:
    return hashlib.sha256(_normalise_recovery(code).encode()).hexdigest()


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))  # 60 bits
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


@transaction.atomic
def totp_enrolment_pending(*, actor) -> TotpDevice:
    """The unconfirmed authenticator being set up (made on first call, then kept, so that reloading
    the page shows the same QR code). Refused once one is confirmed: a second factor is replaced
    only after the security admin resets it, not by whoever holds the password."""
    if not is_active_account(actor):
        raise PermissionDeniedError(_("请先登录。"))
    device = TotpDevice.objects.select_for_update().filter(user=actor).first()
    if device is not None and device.confirmed:
        raise ConflictError(_("已启用双因素认证。"))
    if device is None:
        device = TotpDevice.objects.create(user=actor, secret=totp.new_secret())
    return device


@transaction.atomic
def totp_enrol_confirm(*, actor, code: str) -> list[str]:
    """Turn the pending authenticator on with a code from it; returns 10 fresh recovery codes (shown
    once: only their hashes are kept)."""
    if not is_active_account(actor):
        raise PermissionDeniedError(_("请先登录。"))
    device = TotpDevice.objects.select_for_update().filter(user=actor, confirmed_at__isnull=True).first()
    if device is None:
        raise ConflictError(_("没有待启用的认证器，请重新开始设置。"))
    step = totp.matching_step(device.secret, code, at=time.time(), after_step=device.last_used_step)
    if step is None:
        raise ApplicationError(_("验证码不正确，请核对手机时间后重试。"), field="code")
    device.confirmed_at = timezone.now()
    device.last_used_step = step
    device.save(update_fields=["confirmed_at", "last_used_step"])
    codes = _recovery_codes_replace(actor)
    audit_record(actor=actor, action="totp.enable", obj=actor,
                 changes={"totp": [False, True], "recovery_codes": RECOVERY_CODE_COUNT})
    return codes


def _recovery_codes_replace(user) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_hash_code(c)) for c in codes])
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, actor) -> list[str]:
    """New recovery codes replace all the old ones (for a person whose 2FA is on)."""
    if not is_active_account(actor) or confirmed_totp_device(actor) is None:
        raise PermissionDeniedError(_("请先启用双因素认证。"))
    codes = _recovery_codes_replace(actor)
    audit_record(actor=actor, action="totp.recovery_codes", obj=actor, changes={"recovery_codes": RECOVERY_CODE_COUNT})
    return codes


def totp_verify(*, actor, code: str) -> str:
    """Check the second factor: a current TOTP code not used before, or an unused recovery code
    (then used up). Returns "totp" or "recovery". A wrong code counts as a failed login, so the
    lockout also stops guessing codes."""
    if not is_active_account(actor):
        raise PermissionDeniedError(_("请先登录。"))
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=actor, confirmed_at__isnull=False).first()
        if device is None:
            raise ConflictError(_("尚未启用双因素认证。"))
        method = _consume_code(device, code)
        if method is not None:
            audit_record(actor=actor, action="login.second_factor", obj=actor, changes={"method": method})
            return method
    locked = _account_failure(actor, reason="bad_second_factor", username=actor.username, actor=actor)
    if locked is not None:
        raise LoginRefusedError(locked_message(locked))
    raise ApplicationError(_("验证码不正确或已使用过。"), field="code")


def _consume_code(device: TotpDevice, code: str) -> str | None:
    step = totp.matching_step(device.secret, code, at=time.time(), after_step=device.last_used_step)
    if step is not None:
        device.last_used_step = step
        device.save(update_fields=["last_used_step"])
        return "totp"
    normalised = _normalise_recovery(code)
    if len(normalised) != 12:
        return None
    used = RecoveryCode.objects.filter(user=device.user, code_hash=_hash_code(normalised), used_at__isnull=True) \
        .update(used_at=timezone.now())
    return "recovery" if used else None


@transaction.atomic
def totp_reset(*, actor, user) -> None:
    """The security admin removes a person's authenticator and recovery codes (phone lost and codes
    gone); the person sets up a new one at the next login."""
    if not is_active_account(actor) or actor.role != Role.SECURITY_ADMIN:
        raise PermissionDeniedError(_("只有安全管理员可以重置双因素认证。"))
    if actor.pk == user.pk:
        raise PermissionDeniedError(_("不能重置自己账号的双因素认证。"))
    had = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()
    TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit_record(actor=actor, action="totp.reset", obj=user, changes={"totp": [had, False]})


def totp_disable(*, actor, code: str) -> None:
    """Staff whose role does not require it may turn 2FA off again, with a current code. A wrong
    code counts as a failed second factor (audited, towards the lockout), as at login: whoever
    holds an open session must not be able to guess their way to removing the second factor."""
    if not is_active_account(actor):
        raise PermissionDeniedError(_("请先登录。"))
    if totp_required(actor):
        raise PermissionDeniedError(_("管理员账号必须使用双因素认证。"))
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=actor, confirmed_at__isnull=False).first()
        if device is None:
            raise ConflictError(_("尚未启用双因素认证。"))
        if totp.matching_step(device.secret, code, at=time.time(), after_step=device.last_used_step) is not None:
            device.delete()
            RecoveryCode.objects.filter(user=actor).delete()
            audit_record(actor=actor, action="totp.disable", obj=actor, changes={"totp": [True, False]})
            return
    locked = _account_failure(actor, reason="bad_second_factor", username=actor.username, actor=actor)
    if locked is not None:
        raise LoginRefusedError(locked_message(locked))
    raise ApplicationError(_("验证码不正确或已使用过。"), field="code")


# --- sessions -------------------------------------------------------------------------------------


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


# --- audit log export -----------------------------------------------------------------------------

AUDIT_EXPORT_COLUMNS = ["序号", "时间", "操作人", "操作人ID", "角色", "操作", "对象类型", "对象ID", "对象", "变更",
                        "来源IP", "渠道", "前序哈希", "哈希"]
_AUDIT_WIDTHS = [10, 20, 14, 10, 14, 22, 18, 10, 24, 60, 16, 8, 20, 20]


def audit_log_export(*, actor, since, until, output) -> int:
    """Write the audit records of local dates ``since``..``until`` (inclusive) to an .xlsx file for the
    audit admin (安全审计员), with each record's hashes so the file can be checked against the chain.
    The export itself is audited. Returns the number of records written."""
    import json
    from pathlib import Path

    from jiceng.core.excel import Column, build_workbook
    from jiceng.core.models import AuditLog

    if not is_active_account(actor) or actor.role != Role.AUDIT_ADMIN:
        raise PermissionDeniedError(_("只有安全审计员可以导出审计记录。"))
    if until < since:
        raise ApplicationError(_("结束日期不能早于开始日期。"), field="until")
    tz = timezone.get_current_timezone()
    start = datetime.combine(since, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    columns = [Column(key=f"c{i}", header=h, width=w, text=h in ("对象ID", "来源IP"))
               for i, (h, w) in enumerate(zip(AUDIT_EXPORT_COLUMNS, _AUDIT_WIDTHS, strict=True))]
    rows = (
        (e.id, timezone.localtime(e.at, tz).replace(tzinfo=None), e.actor_name, e.actor_id, e.actor_role, e.action,
         e.object_type, e.object_id, e.object_repr, json.dumps(e.changes, ensure_ascii=False, sort_keys=True),
         e.ip, e.channel, e.prev_hash, e.hash)
        for e in AuditLog.objects.filter(at__gte=start, at__lt=end).order_by("id").iterator(chunk_size=2000)
    )
    content, count = build_workbook(columns, rows, sheet_title="审计记录")
    Path(output).write_bytes(content)
    with transaction.atomic():
        audit_record(actor=actor, action="audit.export", object_type="audit", object_repr=str(output)[:200],
                     changes={"since": since, "until": until, "rows": count})
    return count


# --- first admin accounts -------------------------------------------------------------------------

FIRST_LOGIN_EXPIRED = datetime(2000, 1, 1, tzinfo=UTC)


@transaction.atomic
def admins_bootstrap(*, system_admin: str, security_admin: str, audit_admin: str) -> dict[str, str]:
    """A new installation's three admin accounts (三员分立), each with a random one-time password that
    must be changed at first login, and a second factor to enrol then. Refused once any admin
    account exists: after that, accounts are opened by the system admin and roles granted by the
    security admin (people.services). Run by the operator at the server (actor "system")."""
    from jiceng.people.choices import ADMIN_ROLES
    from jiceng.people.models import User

    from .passwords import one_time_password

    if User.objects.filter(role__in=ADMIN_ROLES).exists():
        raise ConflictError(_("已有管理员账号：初始化只能执行一次。"))
    names = {system_admin: Role.SYSTEM_ADMIN, security_admin: Role.SECURITY_ADMIN, audit_admin: Role.AUDIT_ADMIN}
    if len(names) != 3:
        raise ApplicationError(_("三个管理员须是三个不同的账号（三员分立）。"))
    passwords = {}
    for username, role in names.items():
        if User.objects.filter(username=username).exists():
            raise ApplicationError(_("用户名 %(username)s 已存在。") % {"username": username}, field="username")
        user = User(username=username, role=role, is_staff=True)
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as exc:
            raise ApplicationError(" ".join(exc.messages), field="username") from exc
        password = one_time_password()
        user.set_password(password)
        user.save()
        AccountSecurity.objects.create(user=user, password_changed_at=FIRST_LOGIN_EXPIRED)
        audit_record(actor=None, action="user.create", obj=user,
                     changes={"username": [None, username], "role": [None, role], "source": "bootstrap"})
        passwords[username] = password
    return passwords
