"""Open311 api_keys: API tokens of a staff account that files cases on the hotline channel."""

from __future__ import annotations

from datetime import datetime

from jiceng.core.api_tokens import api_token_create
from jiceng.core.errors import ApplicationError
from jiceng.core.models import ApiToken
from jiceng.people.choices import REGION_STAFF_ROLES

OPEN311_PREFIX = "Open311："


def open311_key_create(*, actor, user, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Issue a key acting as ``user`` (a county, street or community staff account, whose scope
    applies to what the key files and reads). ``actor=None`` is the server's command line."""
    if user.role not in REGION_STAFF_ROLES:
        raise ApplicationError("Open311 密钥须签发给县、街道或社区工作人员账号（工单按热线渠道受理）。", field="user")
    name = (name or "").strip()
    if not name:
        raise ApplicationError("请填写对接系统名称。", field="name")
    return api_token_create(actor=actor, user=user, name=f"{OPEN311_PREFIX}{name}"[:100], expires_at=expires_at)
