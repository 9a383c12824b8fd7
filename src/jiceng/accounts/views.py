"""Account security pages: password change, TOTP setup and verification, recovery codes, and the
person's own sessions. Thin: parse, call a service, render."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.core.api_tokens import api_token_create, api_token_revoke
from jiceng.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from jiceng.core.views import add_app_error, local_next, page_errors
from jiceng.events.services.keys import open311_key_create
from jiceng.people.choices import Role
from jiceng.people.models import User

from . import selectors, services
from . import sessionstate as ss
from .forms import CodeForm, PasswordChangeForm, TokenForm
from .models import SessionEnd
from .totp import provisioning_uri


def _next_url(request: HttpRequest, default: str = "home") -> str:
    return local_next(request, reverse(default), from_query=True)


def _with_next(name: str, request: HttpRequest) -> str:
    target = request.GET.get("next", "")
    return f"{reverse(name)}?{urlencode({'next': target})}" if target else reverse(name)


def _private(response: HttpResponse) -> HttpResponse:
    """Pages that show a secret (TOTP key, recovery codes) are never cached."""
    add_never_cache_headers(response)
    return response


@login_required
def security_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "accounts/home.html", {
        "password_expires_at": selectors.password_expires_at(user),
        "totp_device": selectors.confirmed_totp_device(user),
        "totp_required": selectors.totp_required(user),
        "recovery_codes_left": selectors.recovery_codes_left(user),
        "session_count": selectors.sessions_active(user).count(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(actor=request.user, old_password=form.cleaned_data["old_password"],
                                     new_password=form.cleaned_data["new_password"])
        except ApplicationError as exc:
            add_app_error(form, exc)
        else:
            update_session_auth_hash(request, request.user)  # keeps this session, with a new id
            services.session_rekeyed(request=request)
            services.sessions_end(actor=request.user, keep_key=request.session.session_key,
                                  reason=SessionEnd.PASSWORD)
            expires = selectors.password_expires_at(request.user)
            request.session[ss.PASSWORD_EXPIRES] = expires.timestamp() if expires else None
            messages.success(request, _("密码已修改，其他设备上的登录已退出。"))
            return redirect(_next_url(request, "accounts:home"))
    expires = request.session.get(ss.PASSWORD_EXPIRES)
    return render(request, "accounts/password_change.html", {
        "form": form, "expired": expires is not None and ss.now() >= expires,
        "next": request.GET.get("next", ""), "help_texts": _password_help(),
    })


def _password_help() -> list[str]:
    from django.contrib.auth.password_validation import password_validators_help_texts

    return password_validators_help_texts()


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def totp_setup(request: HttpRequest) -> HttpResponse:
    if selectors.confirmed_totp_device(request.user) is not None:
        if ss.second_factor_passed(request.session):
            return redirect("accounts:home")
        return redirect(_with_next("accounts:2fa-verify", request))
    device = services.totp_enrolment_pending(actor=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_enrol_confirm(actor=request.user, code=form.cleaned_data["code"])
        except ApplicationError as exc:
            add_app_error(form, exc)
        else:
            services.session_second_factor_passed(user=request.user, request=request)
            return _private(render(request, "accounts/recovery_codes.html",
                                   {"codes": codes, "next": _next_url(request), "just_enabled": True}))
    uri = provisioning_uri(device.secret, account=request.user.username, issuer=settings.JICENG_TOTP_ISSUER)
    return _private(render(request, "accounts/totp_setup.html", {
        "form": form, "secret": device.secret, "secret_groups": _groups(device.secret), "uri": uri,
        "qr": segno.make(uri, error="m").svg_data_uri(scale=5, border=2),
        "required": selectors.totp_required(request.user), "next": request.GET.get("next", ""),
    }))


def _groups(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _locked_out(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    """Too many wrong codes: the account is now locked, and this session ends with it."""
    services.session_end(user=request.user, request=request, reason=SessionEnd.LOGOUT)
    logout(request)
    messages.error(request, exc.message)
    return redirect("login")


@login_required
@require_http_methods(["GET", "POST"])
def totp_verify(request: HttpRequest) -> HttpResponse:
    if ss.second_factor_passed(request.session):
        return redirect(_next_url(request))
    if selectors.confirmed_totp_device(request.user) is None:
        return redirect(_with_next("accounts:2fa-setup", request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            method = services.totp_verify(actor=request.user, code=form.cleaned_data["code"])
        except services.LoginRefusedError as exc:
            return _locked_out(request, exc)
        except ApplicationError as exc:
            add_app_error(form, exc)
        else:
            services.session_second_factor_passed(user=request.user, request=request)
            if method == "recovery":
                left = selectors.recovery_codes_left(request.user)
                messages.warning(request, _("已使用一个恢复码，还剩 %(left)s 个。请尽快在“账号安全”中重新生成。") % {"left": left})
            return redirect(_next_url(request))
    return render(request, "accounts/totp_verify.html", {"form": form, "next": request.GET.get("next", "")})


@login_required
@require_POST
@page_errors
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponse:
    codes = services.recovery_codes_regenerate(actor=request.user)
    return _private(render(request, "accounts/recovery_codes.html",
                           {"codes": codes, "next": reverse("accounts:home"), "just_enabled": False}))


@login_required
@require_POST
@page_errors
def totp_disable(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            services.totp_disable(actor=request.user, code=form.cleaned_data["code"])
        except services.LoginRefusedError as exc:
            return _locked_out(request, exc)
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            messages.error(request, exc.message)
        else:
            request.session[ss.SECOND_FACTOR] = ss.NOT_REQUIRED
            messages.success(request, _("已关闭双因素认证。"))
    return redirect("accounts:home")


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def sessions(request: HttpRequest) -> HttpResponse:
    current = request.session.get(ss.USER_SESSION)
    if request.method == "POST":
        if request.POST.get("end") == "others":
            ended = services.sessions_end(actor=request.user, keep_key=request.session.session_key)
        else:
            ids = [int(v) for v in request.POST.getlist("session") if v.isdigit() and int(v) != current]
            ended = services.sessions_end(actor=request.user, sessions=ids, keep_key=request.session.session_key)
        messages.success(request, _("已结束 %(ended)s 个会话。") % {"ended": ended})
        return redirect("accounts:sessions")
    rows = list(selectors.sessions_active(request.user))
    return render(request, "accounts/sessions.html", {"rows": rows, "current": current, "now": timezone.now()})


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def tokens(request: HttpRequest) -> HttpResponse:
    """API tokens and Open311 keys: one's own; the security admin issues them for any staff account
    (e.g. the hotline account behind an Open311 key) and sees and revokes all. A new token is
    shown once, on this answer only."""
    user = request.user
    if user.role == Role.RESIDENT:  # the page itself: a resident has no tokens to list (the service refuses them)
        raise PermissionDeniedError(_("居民账号不能创建 API 令牌。"))
    manages_all = user.role == Role.SECURITY_ADMIN
    form, issued = TokenForm(), None
    if request.method == "POST" and request.POST.get("revoke"):
        row = selectors.tokens_visible(user).filter(pk=request.POST["revoke"]).first() \
            if request.POST["revoke"].isdigit() else None
        if row is None:
            raise NotFoundError(_("令牌不存在。"))
        api_token_revoke(actor=user, token=row)
        messages.success(request, _("已吊销令牌“%(name)s”。") % {"name": row.name})
        return redirect("accounts:tokens")
    status = 200
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            owner = user
            if data["username"] and data["username"] != user.username:
                owner = User.objects.filter(username=data["username"], is_active=True).first() if manages_all else None
                if owner is None:
                    form.add_error("username" if manages_all else None, _("账号不存在或已停用，或您无权为他人签发。"))
            if not form.errors:
                expires_at = timezone.now() + timedelta(days=data["days"]) if data["days"] else None
                try:
                    if data["kind"] == "open311":
                        row, token = open311_key_create(actor=user, user=owner, name=data["name"], expires_at=expires_at)
                    else:
                        row, token = api_token_create(actor=user, user=owner, name=data["name"], expires_at=expires_at)
                except ApplicationError as exc:
                    if exc.status == 403:
                        raise
                    add_app_error(form, exc)
                else:
                    issued, form = {"row": row, "token": token}, TokenForm()
        if form.errors:
            status = 400
    rows = selectors.tokens_visible(user).select_related("user").order_by("-created_at")[:200]
    response = render(request, "accounts/tokens.html", {"form": form, "rows": rows, "issued": issued,
                                                        "manages_all": manages_all, "now": timezone.now()},
                      status=status)
    return _private(response)
