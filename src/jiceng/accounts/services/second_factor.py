"""The TOTP second factor: enrolment, verification at login (a wrong code counts towards the
lockout), recovery codes (only their hashes kept), the security admin's reset, turning it off."""

from __future__ import annotations

import hashlib
import secrets
import time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.audit import audit_record
from jiceng.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from jiceng.core.scope import is_active_account
from jiceng.people.choices import Role

from .. import totp
from ..models import RecoveryCode, TotpDevice
from ..selectors import confirmed_totp_device, totp_required
from .login import LoginRefusedError, _account_failure, locked_message

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols: 5 bits each, no 0/O or 1/I


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
