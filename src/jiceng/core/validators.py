"""Validators for Chinese identifiers: resident ID numbers (GB 11643), unified social credit
codes (GB 32100), mobile numbers and, for a case's reporter, fixed-line numbers with their area code."""

from __future__ import annotations

import re
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_error(value: str) -> str | None:
    """None when valid, otherwise the reason (in the active language)."""
    value = value.strip().upper()
    if not _ID_RE.match(value):
        return _("身份证号须为18位，前17位为数字，末位为数字或X。")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return _("身份证号中的出生日期无效。")
    if born > timezone.localdate():
        return _("身份证号中的出生日期无效。")
    if id_check_digit(value[:17]) != value[17]:
        return _("身份证号校验位不正确。")
    return None


def birth_date_from_id(value: str) -> date:
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def gender_from_id(value: str) -> str:
    return "M" if int(value[16]) % 2 == 1 else "F"


_PHONE_SEPARATORS = re.compile(r"[\s\-.()（）－]")
_PHONE_PREFIXED = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})")


_LANDLINE_RE = re.compile(r"^0[1-9]\d{9,10}$")  # 010/021 + 8 digits, 0571 + 7 or 8 digits
_LANDLINE_PREFIXED = re.compile(r"(?:\+86|0086)([1-9]\d{9,10})")  # +86 571 8888 6666: the area code's 0 dropped
_MOBILE_DIALLED_WITH_0 = re.compile(r"0(1[3-9]\d{9})")  # 0138… as dialled from another area


def phone_normalise(value: str) -> str:
    """A mainland mobile number as people type it — "138 1234 5678", "138-1234-5678",
    "+86 138…", "0086…", "0138…" — as its 11 digits, and a fixed-line number — "0571-8888 6666",
    "(010) 8888 6666", "+86 571 8888 6666" — as its digits with the area code's 0, so that each is
    stored, hashed and matched one way; anything else comes back only without those separators."""
    bare = _PHONE_SEPARATORS.sub("", value or "")
    found = _PHONE_PREFIXED.fullmatch(bare) or _MOBILE_DIALLED_WITH_0.fullmatch(bare)
    if found:
        return found.group(1)
    found = _LANDLINE_PREFIXED.fullmatch(bare)
    return "0" + found.group(1) if found else bare


def phone_error(value: str) -> str | None:
    if not _PHONE_RE.match(value.strip()):
        return _("手机号须为11位大陆手机号码。")
    return None


def contact_phone_error(value: str) -> str | None:
    """A number to call a case's reporter back on: a mobile, or a fixed line with its area code
    (many older residents have only a landline; without the area code it cannot be called back
    from the command centre's exchange in every case). ``value`` as ``phone_normalise`` gives it."""
    value = value.strip()
    if _PHONE_RE.match(value) or _LANDLINE_RE.match(value):
        return None
    return _("请填写11位手机号，或带区号的固定电话（如 0571-8888 6666）。")


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def uscc_error(value: str) -> str | None:
    value = value.strip().upper()
    if not _USCC_RE.match(value):
        return _("统一社会信用代码须为18位（数字或大写字母，不含 I、O、S、V、Z）。")
    if uscc_check_char(value[:17]) != value[17]:
        return _("统一社会信用代码校验位不正确。")
    return None
