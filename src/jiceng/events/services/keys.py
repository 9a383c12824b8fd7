"""Open311 api_keys: API tokens of a staff account that files cases on the hotline channel."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core.api_tokens import api_token_create
from jiceng.core.audit import audit_record
from jiceng.core.errors import ApplicationError
from jiceng.core.models import ApiToken
from jiceng.people.choices import REGION_STAFF_ROLES, Role
from jiceng.people.models import User
from jiceng.regions.choices import RegionLevel
from jiceng.regions.models import Region

OPEN311_PREFIX = "Open311："


def open311_key_create(*, actor, user, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Issue a key acting as ``user`` (a county, street or community staff account, whose scope
    applies to what the key files and reads). ``actor=None`` is the server's command line."""
    if user.role not in REGION_STAFF_ROLES:
        raise ApplicationError(_("Open311 密钥须签发给县、街道或社区工作人员账号（工单按热线渠道受理）。"), field="user")
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("请填写对接系统名称。"), field="name")
    return api_token_create(actor=actor, user=user, name=f"{OPEN311_PREFIX}{name}"[:100], expires_at=expires_at)


def open311_account(*, name: str, county: Region | None = None) -> User:
    """The account a key issued for ``name`` acts as when no staff account is named: one county
    staff account per integration (``open311-…``, full name "Open311 对接：name"), with no usable
    password — it cannot sign in to the pages, only file and read through its keys, within the
    county. ``county`` may be left out where the installation has one county. Created once (audited),
    then reused for the next key of the same integration."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("请填写对接系统名称。"), field="name")
    if county is None:
        counties = list(Region.objects.filter(level=RegionLevel.COUNTY)[:2])
        if len(counties) != 1:
            raise ApplicationError(_("本系统有多个区县（或尚无区县）：请指定区县，或指定承接工单的工作人员账号。"),
                                   field="region")
        county = counties[0]
    if county.level != RegionLevel.COUNTY:
        raise ApplicationError(_("请指定区县。"), field="region")
    username = f"open311-{hashlib.sha256(f'{county.code}:{name}'.encode()).hexdigest()[:10]}"
    with transaction.atomic():
        account = User.objects.filter(username=username).first()
        if account is not None:
            return account
        account = User(username=username, role=Role.COUNTY_STAFF, region=county, full_name=f"Open311 对接：{name}"[:100])
        account.set_unusable_password()
        account.save()
        audit_record(actor=None, action="user.create", obj=account,
                     changes={"username": [None, username], "role": [None, Role.COUNTY_STAFF],
                              "region": [None, county.code], "by": "open311-key"})
    return account
