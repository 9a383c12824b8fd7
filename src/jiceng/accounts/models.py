"""Account security state kept beside ``people.User`` (which stays as it is): failed logins and
lockout, when the password was last changed, the TOTP second factor, recovery codes, and the
login sessions a person can see and end."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import EncryptedTextField


class AccountSecurity(models.Model):
    """One row per account, created the first time it is needed (a failed login, a password change)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("账号"), primary_key=True,
                                on_delete=models.CASCADE, related_name="security")
    failed_logins = models.PositiveIntegerField(_("连续失败次数"), default=0)
    last_failed_at = models.DateTimeField(_("最近失败时间"), null=True, blank=True)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True, db_index=True)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("账号锁定")
        verbose_name_plural = _("账号锁定")

    def __str__(self) -> str:
        return str(self.user)

    def is_locked(self, now=None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or timezone.now())


class TotpDevice(models.Model):
    """The account's authenticator (RFC 6238). Unconfirmed until the person types a code from it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("账号"), on_delete=models.CASCADE,
                                related_name="totp_device")
    secret = EncryptedTextField(_("密钥"))
    confirmed_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    last_used_step = models.BigIntegerField(default=-1, help_text="last time step accepted: refuses replays")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("双因素认证")
        verbose_name_plural = _("双因素认证")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A single-use code for when the phone is lost. Only a SHA-256 is stored (the code has 60
    random bits, so a fast hash is enough); the codes are shown once, when made."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("恢复码")
        verbose_name_plural = _("恢复码")
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique")]

    def __str__(self) -> str:
        return f"{self.user} {self.code_hash[:8]}"


class SessionEnd(models.TextChoices):
    LOGOUT = "logout", _("退出登录")
    IDLE = "idle", _("空闲超时")
    ABSOLUTE = "absolute", _("达到最长时限")
    ENDED = "ended", _("被本人结束")
    PASSWORD = "password", _("密码已修改")


class UserSession(models.Model):
    """A login session as the person sees it on /accounts/sessions/. ``session_key`` points at
    Django's session row (never shown); ending a session deletes that row."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("账号"), on_delete=models.CASCADE,
                             related_name="login_sessions")
    session_key = models.CharField(max_length=40, db_index=True)
    ip = models.CharField(_("来源IP"), max_length=45, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("登录时间"))
    last_seen_at = models.DateTimeField(_("最近活动"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True, db_index=True)
    end_reason = models.CharField(_("结束原因"), max_length=16, choices=SessionEnd.choices, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"
