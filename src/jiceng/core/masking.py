"""Masking of personal information for screens and API responses (shown unless revealed)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """张三 → 张*, 欧阳小明 → 欧**明: the public wall shows no more than this."""
    if not value:
        return ""
    if len(value) == 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_address(value: str | None, keep: int = 6) -> str:
    if not value:
        return ""
    if len(value) <= keep:
        return value[:2] + "****"
    return value[:keep] + "****"


def mask_tags(values: list[str] | None) -> str:
    if not values:
        return ""
    return _("%(count)s 项（已隐藏）") % {"count": len(values)}
