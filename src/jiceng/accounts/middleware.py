"""Session rules for staff, and the Content-Security-Policy header.

``SessionSecurityMiddleware`` (after authentication, messages and the request context), for every
request of a logged-in session, in this order:

1. absolute timeout (``SESSION_COOKIE_AGE`` after login) and idle timeout
   (``JICENG_SESSION_IDLE_SECONDS`` without a request): the session is ended and flushed; a page is
   redirected to the login with a message, an ``/api/`` request gets 401;
2. a session ended from elsewhere (the person's sessions page) is logged out;
3. second factor: a session that must pass TOTP and has not reaches only the 2FA pages and logout
   (this is also what guards ``/admin/``, whose site only opens to the admin roles, who all need 2FA);
4. an expired password (``JICENG_PASSWORD_MAX_AGE_DAYS``) reaches only the password page and logout.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from . import services
from . import sessionstate as ss
from .models import SessionEnd
from .selectors import confirmed_totp_device, totp_required


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


class ContentSecurityPolicyMiddleware:
    """Adds ``Content-Security-Policy`` (settings.JICENG_CSP) unless the view set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "JICENG_CSP", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class SessionSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not hasattr(request, "session"):
            return self.get_response(request)
        refused = self._check(request, user)
        return refused if refused is not None else self.get_response(request)

    # --- the checks, in order -----------------------------------------------------------------------

    def _check(self, request, user):
        session = request.session
        if ss.LOGIN_AT not in session:
            # A session from before these rules (or made without Django's login): start it now.
            services.session_start(user=user, request=request)
        now = ss.now()
        if now - session[ss.LOGIN_AT] > settings.SESSION_COOKIE_AGE:
            hours = settings.SESSION_COOKIE_AGE // 3600
            return self._expire(request, user, SessionEnd.ABSOLUTE, _("登录已超过 %(hours)s 小时，请重新登录。") % {
                "hours": hours})
        if now - session.get(ss.SEEN_AT, 0) > settings.JICENG_SESSION_IDLE_SECONDS:
            minutes = settings.JICENG_SESSION_IDLE_SECONDS // 60
            return self._expire(request, user, SessionEnd.IDLE, _("已超过 %(minutes)s 分钟未操作，请重新登录。") % {
                "minutes": minutes})
        if not services.session_touch(request=request):
            return self._expire(request, user, SessionEnd.ENDED, _("该会话已被结束，请重新登录。"))
        if session.get(ss.SECOND_FACTOR) == ss.NOT_REQUIRED and totp_required(user):
            session[ss.SECOND_FACTOR] = ss.PENDING  # granted an admin role during this session
        if not ss.second_factor_passed(session):
            return self._second_factor_gate(request, user)
        expires = session.get(ss.PASSWORD_EXPIRES)
        if expires is not None and now >= expires:
            return self._password_gate(request)
        return None

    def _expire(self, request, user, reason: str, message: str):
        services.session_end(user=user, request=request, reason=reason)
        logout(request)
        if _is_api(request):
            return JsonResponse({"code": "session_expired", "message": message}, status=401)
        messages.info(request, message)
        return redirect_to_login(request.get_full_path())

    def _second_factor_gate(self, request, user):
        if _exempt(request, "accounts:2fa-"):
            return None
        if _is_api(request):
            return JsonResponse({"code": "second_factor_required", "message": _("请先在网页上完成双因素认证。")},
                                status=401)
        target = "accounts:2fa-verify" if confirmed_totp_device(user) is not None else "accounts:2fa-setup"
        return redirect(f"{reverse(target)}?next={_quoted(request)}")

    def _password_gate(self, request):
        if _exempt(request, "accounts:password"):
            return None
        if _is_api(request):
            return JsonResponse({"code": "password_expired", "message": _("密码已过期，请先在网页上修改密码。")},
                                status=403)
        messages.warning(request, _("密码已超过有效期，请修改密码后继续。"))
        return redirect(f"{reverse('accounts:password')}?next={_quoted(request)}")


def _quoted(request) -> str:
    return quote(request.get_full_path(), safe="/")


def _exempt(request, url_name_prefix: str) -> bool:
    """Logout, the language switch and the pages that resolve the gate stay reachable."""
    if request.path in (reverse("logout"), reverse("set_language")):
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return (match.view_name or "").startswith(url_name_prefix)
