"""Masking of personal information for screens and API responses (shown unless revealed)."""

from __future__ import annotations

from datetime import date

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


def mask_house(building: str | None) -> str:
    """A dwelling down to its building (教师雅居1栋****): where to call, not which door — the room
    with the name would make the masked address pointless."""
    if not building:
        return ""
    return building + "****"


def age_on(birth: date | None, today: date) -> int | None:
    """What a masked view shows of a birth date: the age in completed years (周岁). The birth date is
    eight of the ten digits a masked ID number hides; the age leaves its day and month hidden."""
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def mask_tags(values: list[str] | None) -> str:
    if not values:
        return ""
    return _("%(count)s 项（已隐藏）") % {"count": len(values)}
