"""What Jiceng keeps in a login session, in one place: login time, last activity, whether the second
factor has been passed, when the password expires, and the matching ``UserSession`` row.

Times are Unix seconds (JSON-serialisable, and ``time_machine`` moves ``time.time`` with the clock).
"""

from __future__ import annotations

import time

LOGIN_AT = "jiceng_login_at"
SEEN_AT = "jiceng_seen_at"
SECOND_FACTOR = "jiceng_2fa"
PASSWORD_EXPIRES = "jiceng_password_expires"  # noqa: S105 (a session key name)
USER_SESSION = "jiceng_user_session"

# SECOND_FACTOR values
PENDING = "pending"  # password accepted; TOTP still to pass (or to enrol)
PASSED = "passed"  # TOTP passed in this session
NOT_REQUIRED = "none"  # an account that has not turned 2FA on and whose role does not require it

# How often the last-activity time is written (a session save and one UPDATE): the idle timeout is
# enforced to within this many seconds.
TOUCH_SECONDS = 60


def now() -> float:
    return time.time()


def second_factor_passed(session) -> bool:
    return session.get(SECOND_FACTOR) in (PASSED, NOT_REQUIRED)
