"""Random passwords that pass the project's validators (used for one-time initial passwords)."""

from __future__ import annotations

import secrets

_LOWER = "abcdefghijkmnpqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SYMBOLS = "#%+-=@_"


def one_time_password(length: int = 16) -> str:
    """``length`` characters, at least one of each class, none easily confused (0/O, 1/l/I)."""
    rnd = secrets.SystemRandom()
    chars = [rnd.choice(_LOWER), rnd.choice(_UPPER), rnd.choice(_DIGITS), rnd.choice(_SYMBOLS)]
    pool = _LOWER + _UPPER + _DIGITS + _SYMBOLS
    chars += [rnd.choice(pool) for _ in range(length - len(chars))]
    rnd.shuffle(chars)
    return "".join(chars)
