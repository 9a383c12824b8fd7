"""Deploy checks (``jiceng check --deploy``) for the account-security settings: a deployer who
loosens a 等保 control below the baseline hears about it before go-live."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def account_security_baseline(app_configs, **kwargs):
    problems = []
    threshold = settings.JICENG_LOCKOUT_THRESHOLD
    if not 0 < threshold <= 10:
        problems.append(Warning("JICENG_LOCKOUT_THRESHOLD should be between 1 and 10 (等保: 登录失败处理).",
                                id="jiceng.W001"))
    if settings.JICENG_LOCKOUT_SECONDS < 600:
        problems.append(Warning("JICENG_LOCKOUT_SECONDS should be at least 600.", id="jiceng.W002"))
    idle = settings.JICENG_SESSION_IDLE_SECONDS
    if not 0 < idle <= 1800:
        problems.append(Warning("JICENG_SESSION_IDLE_SECONDS should be between 1 and 1800 (登录连接超时自动退出).",
                                id="jiceng.W003"))
    if not 0 < settings.JICENG_PASSWORD_MAX_AGE_DAYS <= 180:
        problems.append(Warning("JICENG_PASSWORD_MAX_AGE_DAYS should be between 1 and 180 (口令定期更换).",
                                id="jiceng.W004"))
    csp = settings.JICENG_CSP or ""
    if not csp or "unsafe-inline" in csp or "unsafe-eval" in csp or "frame-ancestors" not in csp:
        problems.append(Warning("JICENG_CSP should be set, name frame-ancestors, and allow no 'unsafe-inline' "
                                "or 'unsafe-eval'.", id="jiceng.W005"))
    hasher = settings.PASSWORD_HASHERS[0].rsplit(".", 1)[-1]
    if hasher not in {"PBKDF2PasswordHasher", "Argon2PasswordHasher", "ScryptPasswordHasher",
                      "BCryptSHA256PasswordHasher"}:
        problems.append(Warning(f"PASSWORD_HASHERS starts with {hasher}, not a slow password hash.", id="jiceng.W006"))
    if settings.JICENG_LOGIN_IP_LIMIT <= 0:
        problems.append(Warning("JICENG_LOGIN_IP_LIMIT is off: nothing slows password guessing from one address.",
                                id="jiceng.W007"))
    return problems
