"""API bearer tokens: created and revoked here, checked by ``jiceng.api.TokenAuth``.

The token is returned once, at creation; only its SHA-256 is stored (a leaked database does not
leak usable tokens). The first characters are kept as ``prefix`` so a person can tell tokens
apart in lists and audit records without the secret.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record
from .errors import ApplicationError, PermissionDeniedError
from .models import ApiToken

TOKEN_PREFIX = "jc_"  # noqa: S105 (a marker, not a secret)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _may_manage_tokens_of(actor, user) -> bool:
    """A person manages their own tokens; the security admin manages everyone's. ``actor=None``
    is the operator at the server's command line (``jiceng api_token``)."""
    from jiceng.people.choices import Role

    if actor is None:
        return True
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return actor.pk == user.pk or actor.role == Role.SECURITY_ADMIN


@transaction.atomic
def api_token_create(*, actor, user, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token for ``user``. Returns the row and the token itself (shown once, never stored)."""
    if not _may_manage_tokens_of(actor, user):
        raise PermissionDeniedError(_("您无权为该账号创建 API 令牌。"))
    from jiceng.people.choices import Role

    if user.role == Role.RESIDENT:  # residents use the pages; integrations act as staff accounts
        raise PermissionDeniedError(_("居民账号不能创建 API 令牌。"), field="user")
    if not user.is_active:
        raise ApplicationError(_("该账号已停用，不能创建令牌。"), field="user")
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("请填写令牌名称（用途）。"), field="name")
    if len(name) > 100:
        raise ApplicationError(_("令牌名称最多 100 个字符。"), field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise ApplicationError(_("过期时间须晚于当前时间。"), field="expires_at")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user, name=name, prefix=token[:12], token_hash=token_digest(token), expires_at=expires_at,
    )
    audit_record(
        actor=actor, action="api_token.create", obj=row, object_repr=f"{user.username}: {row}",
        changes={"user": [None, user.username], "name": [None, name], "prefix": [None, row.prefix],
                 "expires_at": [None, expires_at]},
    )
    return row, token


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if not _may_manage_tokens_of(actor, token.user):
        raise PermissionDeniedError(_("您无权吊销该令牌。"))
    if token.revoked:
        return token
    token.revoked = True
    token.save(update_fields=["revoked"])
    audit_record(actor=actor, action="api_token.revoke", obj=token, object_repr=f"{token.user.username}: {token}",
                 changes={"revoked": [False, True]})
    return token
