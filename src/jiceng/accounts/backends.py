"""Django's ModelBackend with the login rules of 等保 身份鉴别 around it: a failure budget per address
(JICENG_LOGIN_IP_LIMIT a minute), lockout of an account after JICENG_LOCKOUT_THRESHOLD failures
(the right password is refused too until the lock ends), every failure audited.

Working as a backend means every way in that checks a password — the login page, the Django admin
login, ``Client.login`` — obeys the same rules. Why a login was refused is left on the request for
``accounts.forms.LoginForm`` to show.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from jiceng.core.context import ip_from_request

from . import services

REFUSAL_ATTR = "_jiceng_login_refusal"


def _refuse(request, message: str) -> None:
    if request is not None:
        setattr(request, REFUSAL_ATTR, message)
    raise PermissionDenied(message)  # stops Django trying any other backend


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        ip = ip_from_request(request) if request is not None else None
        try:
            services.login_attempt_check(username=username, ip=ip)
        except services.LoginRefusedError as exc:
            _refuse(request, exc.message)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            return user
        locked_until = services.login_failure_record(username=username, ip=ip)
        if locked_until is not None:
            _refuse(request, services.locked_message(locked_until))
        return None
