"""The JSON API (django-ninja): one NinjaAPI, one router per domain, one error handler.

Authentication: the browser session (with CSRF) or a bearer token (``Authorization: Bearer …``).
Every list is narrowed by the same data scope as the pages.
"""

from __future__ import annotations

import hashlib
import re

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from jiceng.core import rows
from jiceng.core.errors import ApplicationError
from jiceng.core.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        digest = hashlib.sha256(token.encode()).hexdigest()
        # Every API call of an integration comes through here: two reads by key without the ORM's
        # compilation (``core.rows``), instead of one compiled join.
        found = rows.row(ApiToken, token_hash=digest, revoked=False)
        if found is None:
            return None
        now = timezone.now()
        if found.expires_at is not None and found.expires_at <= now:
            return None
        user = rows.row(get_user_model(), pk=found.user_id)
        if user is None or not user.is_active:
            return None
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """Django's session cookie; unsafe methods also need the CSRF token (ninja checks it)."""

    param_name = "sessionid"

    def __init__(self):
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


_API_MODULE = re.compile(r"(jiceng\.\w+\.api)\.\w+")


class JicengAPI(NinjaAPI):
    """An operation id is ``<module>_<view>``, and generated clients know it by that name: a view in
    ``jiceng.<app>.api.<module>`` (a domain's api.py that became a package) keeps the id it had in
    ``jiceng.<app>.api``."""

    def get_openapi_operation_id(self, operation) -> str:
        module = operation.view_func.__module__
        found = _API_MODULE.fullmatch(module)
        if found:
            module = found.group(1)
        return (module + "_" + operation.view_func.__name__).replace(".", "_")


api = JicengAPI(
    title="Jiceng 基层 API",
    version="1",
    description=(
        "基层治理平台接口。所有列表与详情均按调用者的数据范围过滤：范围外的记录返回 404，"
        "不出现在列表和合计中。个人信息（身份证号、手机号、住址、关爱标签）默认脱敏返回；"
        "有权限的角色可通过 reveal 接口查看完整值，每次查看都记入审计日志。\n\n"
        "认证：浏览器会话（写操作需 CSRF 令牌）或 `Authorization: Bearer <token>`。"
        "错误统一为 `{code, message, field?, errors?}`。"
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(ApplicationError)
def application_error(request, exc: ApplicationError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    errors = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
        errors.setdefault(".".join(loc) or "__all__", []).append(err.get("msg", "invalid"))
    field = next(iter(errors), None)
    message = f"{field}: {errors[field][0]}" if field else _("请求参数无效。")
    return api.create_response(request, {"code": "invalid", "message": message, "field": field, "errors": errors},
                               status=400)


_HTTP_CODES = {400: "invalid", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
_HTTP_MESSAGES = {
    "Cannot parse request body": gettext_lazy("请求体无法解析（须为合法的 JSON）。"),
    "CSRF check Failed": gettext_lazy("CSRF 校验失败，请刷新页面后重试。"),
}


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    """django-ninja's own errors (unparsable body, CSRF) in the same shape as ours."""
    body = {"code": _HTTP_CODES.get(exc.status_code, "error"), "message": str(_HTTP_MESSAGES.get(exc.message, exc.message))}
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return api.create_response(request, {"code": "unauthenticated", "message": _("请先登录或提供有效的令牌。")},
                               status=401)


def _register_routers() -> None:
    from jiceng.people.api import router as people_router
    from jiceng.regions.api import router as regions_router

    api.add_router("/regions/", regions_router)
    api.add_router("/people/", people_router)
    api.add_router("/engagement/", "jiceng.engagement.api.router")
    api.add_router("/assessment/", "jiceng.assessment.api.router")
    api.add_router("/events/", "jiceng.events.api.router")
    api.add_router("/exports/", "jiceng.core.api.router")


_register_routers()
