"""Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), with the standard library only.

Written out rather than taken from a package because it is forty lines, it is checked against the
RFC's own test vectors (tests/accounts/test_totp.py), and it keeps the second factor free of a
dependency that would need its own review for the 等保 assessment.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP = 30  # seconds per code (RFC 6238 default, what every authenticator app uses)
DIGITS = 6
WINDOW = 1  # steps accepted either side of now: clock drift between phone and server
_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def new_secret() -> str:
    """160 random bits (RFC 4226's recommended key length), base32 without padding."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def secret_bytes(secret_b32: str) -> bytes:
    cleaned = "".join(secret_b32.split()).upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    """RFC 4226 §5.3: HMAC of the 8-byte counter, dynamic truncation, modulo 10^digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), _ALGORITHMS[algorithm]).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def time_step(at: float, *, step: int = STEP) -> int:
    return int(at // step)


def totp(key: bytes, at: float, *, step: int = STEP, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    """RFC 6238 §4: HOTP with the counter T = floor(unix time / step)."""
    return hotp(key, time_step(at, step=step), digits=digits, algorithm=algorithm)


def matching_step(secret_b32: str, code: str, *, at: float, after_step: int = -1, window: int = WINDOW) -> int | None:
    """The time step ``code`` belongs to, within ``window`` steps of ``at`` and later than
    ``after_step`` (the last step already used: a code is good once), or None."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    key = secret_bytes(secret_b32)
    now = time_step(at)
    found = None
    for candidate in range(now - window, now + window + 1):
        # Compare every candidate (constant work whatever matches) and keep the match.
        if hmac.compare_digest(hotp(key, candidate), code) and candidate > after_step:
            found = candidate
    return found


def provisioning_uri(secret_b32: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI authenticator apps read from the QR code (Google Authenticator's format)."""
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": secret_b32, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS,
                       "period": STEP}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"
