"""The demo accounts: one per role, random passwords per install, kept in a file only the owner
can read (``DATA_DIR/demo-credentials.txt``) and printed each time ``load_demo`` runs."""

from __future__ import annotations

import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from jiceng.people.choices import Role

FILENAME = "demo-credentials.txt"
DEFAULT_URL = "http://127.0.0.1:8000/"
# username, role: the order the table lists them in.
ACCOUNTS: list[tuple[str, str]] = [
    ("sysadmin", Role.SYSTEM_ADMIN),
    ("secadmin", Role.SECURITY_ADMIN),
    ("auditor", Role.AUDIT_ADMIN),
    ("county", Role.COUNTY_STAFF),
    ("street", Role.STREET_STAFF),
    ("community", Role.COMMUNITY_STAFF),
    ("village", Role.COMMUNITY_STAFF),
    ("grid", Role.GRID_WORKER),
    ("dept", Role.DEPARTMENT_STAFF),
]
# Unambiguous characters (no 0/O, 1/l/I) and symbols that need no quoting in a shell or a URL form.
_LOWER = "abcdefghijkmnpqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SYMBOLS = "#%+-=@_"
_HEADER = ("用户名", "密码", "角色", "绑定")


@dataclass(frozen=True)
class Credential:
    username: str
    password: str
    role: str  # label, in Chinese
    binding: str


def new_password(length: int = 16) -> str:
    """``length`` random characters with at least one upper, lower, digit and symbol."""
    rnd = secrets.SystemRandom()
    chars = [rnd.choice(_LOWER), rnd.choice(_UPPER), rnd.choice(_DIGITS), rnd.choice(_SYMBOLS)]
    pool = _LOWER + _UPPER + _DIGITS + _SYMBOLS
    chars += [rnd.choice(pool) for _ in range(length - len(chars))]
    rnd.shuffle(chars)
    if not chars[0].isalnum():  # keep the first character plain, for readability
        i = next(i for i, c in enumerate(chars) if c.isalnum())
        chars[0], chars[i] = chars[i], chars[0]
    return "".join(chars)


def credentials_path() -> Path:
    return Path(settings.DATA_DIR) / FILENAME


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(credentials: list[Credential], *, url: str = DEFAULT_URL, county: str = "") -> str:
    rows = [_HEADER] + [(c.username, c.password, c.role, c.binding) for c in credentials]
    widths = [max(_width(r[i]) for r in rows) for i in range(3)]
    lines = [
        f"Jiceng 基层 · 演示县{('“' + county + '”') if county else ''}的登录账号（本机随机生成，只保存在本文件中）",
        f"访问地址 URL: {url}",
        "",
        "  ".join(_pad(h, w) for h, w in zip(_HEADER, widths, strict=False)) + "  " + _HEADER[3],
        "  ".join("-" * w for w in widths) + "  " + "-" * 24,
    ]
    for username, password, role, binding in rows[1:]:
        lines.append("  ".join(_pad(v, w) for v, w in zip((username, password, role), widths, strict=True))
                     + "  " + binding)
    lines += ["", "首次登录后请修改密码；三员分立：系统管理员、安全管理员、安全审计员为三个不同账号。"]
    return "\n".join(lines) + "\n"


def write_credentials(credentials: list[Credential], *, county: str, path: Path | None = None) -> Path:
    path = path or credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(format_table(credentials, county=county))
    path.chmod(0o600)
    return path


def read_credentials(path: Path | None = None) -> list[Credential]:
    """The accounts in a credentials file written by ``write_credentials`` ([] when absent)."""
    path = path or credentials_path()
    if not path.exists():
        return []
    out, in_table = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("---"):
            in_table = True
            continue
        if in_table:
            parts = line.split()
            if len(parts) < 3:
                break
            out.append(Credential(parts[0], parts[1], parts[2], " ".join(parts[3:])))
    return out
