"""Every write of account security: failed logins and lockout, unlock, password change, the TOTP
second factor and recovery codes, and login sessions. Keyword-only, explicit actor, one
transaction, an audit record each; passwords and codes never reach the audit log.

Login failures are written in their own transaction (the caller then refuses the login), so that
refusing does not roll the count back.
"""

from .admins import FIRST_LOGIN_EXPIRED, admins_bootstrap, audit_log_export
from .login import (
    THROTTLED_MESSAGE,
    LoginRefusedError,
    account_unlock,
    locked_message,
    login_attempt_check,
    login_failure_record,
    password_change,
)
from .second_factor import (
    RECOVERY_CODE_COUNT,
    recovery_codes_regenerate,
    totp_disable,
    totp_enrol_confirm,
    totp_enrolment_pending,
    totp_reset,
    totp_verify,
)
from .sessions import (
    session_end,
    session_rekeyed,
    session_second_factor_passed,
    session_start,
    session_touch,
    sessions_end,
)

__all__ = [
    "FIRST_LOGIN_EXPIRED", "RECOVERY_CODE_COUNT", "THROTTLED_MESSAGE", "LoginRefusedError",
    "account_unlock", "admins_bootstrap", "audit_log_export", "locked_message", "login_attempt_check",
    "login_failure_record", "password_change", "recovery_codes_regenerate", "session_end", "session_rekeyed",
    "session_second_factor_passed", "session_start", "session_touch", "sessions_end", "totp_disable",
    "totp_enrol_confirm", "totp_enrolment_pending", "totp_reset", "totp_verify",
]
