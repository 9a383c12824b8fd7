"""Encryption of personal information at rest, and keyed hashes for exact-match search.

Ciphertext format: ``enc:v1:<cipher>:<key id>:<base64(nonce || ciphertext+tag)>``. The cipher and
the key id travel with each value, so a key (or the algorithm) can be rotated by re-encrypting
rows while old rows stay readable. The keyed hash (HMAC-SHA256 or HMAC-SM3, with a separate key)
lets a caller find a resident by the exact ID number or phone without storing it in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "enc:v1:"


class DecryptionError(ValueError):
    pass


@lru_cache(maxsize=16)
def _key(key_id: str) -> bytes:
    try:
        raw = settings.FIELD_KEYS[key_id]
    except KeyError as exc:
        raise DecryptionError(f"unknown field key id {key_id!r}") from exc
    key = base64.b64decode(raw)
    if len(key) not in (16, 32):
        raise DecryptionError("field keys must be 16 or 32 bytes (base64)")
    return key


def clear_key_cache() -> None:
    _key.cache_clear()
    _sm4_key.cache_clear()
    _hash_key.cache_clear()


CIPHERS = ("aes-gcm", "sm4-gcm")


@lru_cache(maxsize=16)
def _sm4_key(key_id: str) -> bytes:
    """SM4 takes 16-byte keys: a 16-byte key is used as is, a 32-byte one is narrowed with
    HKDF over SM3 (国密 hash), so one keyring serves both ciphers."""
    key = _key(key_id)
    if len(key) == 16:
        return key
    return HKDF(algorithm=hashes.SM3(), length=16, salt=None, info=b"jiceng-sm4-gcm").derive(key)


def _seal(cipher: str, key_id: str, nonce: bytes, data: bytes) -> bytes:
    aad = key_id.encode()
    if cipher == "aes-gcm":
        return AESGCM(_key(key_id)).encrypt(nonce, data, aad)
    if cipher == "sm4-gcm":
        encryptor = Cipher(algorithms.SM4(_sm4_key(key_id)), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(aad)
        return encryptor.update(data) + encryptor.finalize() + encryptor.tag
    raise DecryptionError(f"unsupported field cipher {cipher!r}")


def _open(cipher: str, key_id: str, nonce: bytes, sealed: bytes) -> bytes:
    aad = key_id.encode()
    if cipher == "aes-gcm":
        return AESGCM(_key(key_id)).decrypt(nonce, sealed, aad)
    if cipher == "sm4-gcm":
        if len(sealed) < 16:
            raise InvalidTag
        decryptor = Cipher(algorithms.SM4(_sm4_key(key_id)), modes.GCM(nonce, sealed[-16:])).decryptor()
        decryptor.authenticate_additional_data(aad)
        return decryptor.update(sealed[:-16]) + decryptor.finalize()
    raise DecryptionError(f"unsupported field cipher {cipher!r}")


def encrypt(plaintext: str, *, key_id: str | None = None, cipher: str | None = None) -> str:
    """Seal with the configured cipher (AES-256-GCM by default; SM4-GCM for 密评 deployments)."""
    key_id = key_id or settings.FIELD_KEY_ID
    cipher = cipher or settings.FIELD_CIPHER
    nonce = os.urandom(12)
    sealed = _seal(cipher, key_id, nonce, plaintext.encode("utf-8"))
    return f"{PREFIX}{cipher}:{key_id}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str) -> str:
    if not token.startswith(PREFIX):
        raise DecryptionError("value is not an encrypted token")
    try:
        cipher, key_id, payload = token[len(PREFIX):].split(":", 2)
        blob = base64.b64decode(payload)
    except ValueError as exc:
        raise DecryptionError("malformed encrypted token") from exc
    if cipher not in CIPHERS:
        raise DecryptionError(f"unsupported field cipher {cipher!r}")
    try:
        return _open(cipher, key_id, blob[:12], blob[12:]).decode("utf-8")
    except (InvalidTag, UnicodeDecodeError, ValueError) as exc:  # never echo the value
        raise DecryptionError("encrypted value failed authentication") from exc


def encrypt_bytes(data: bytes) -> tuple[str, str, bytes]:
    """Seal a blob (an export file) with the configured cipher: (cipher, key id, nonce || sealed)."""
    key_id, cipher = settings.FIELD_KEY_ID, settings.FIELD_CIPHER
    nonce = os.urandom(12)
    return cipher, key_id, nonce + _seal(cipher, key_id, nonce, data)


def decrypt_bytes(cipher: str, key_id: str, blob: bytes) -> bytes:
    if cipher not in CIPHERS:
        raise DecryptionError(f"unsupported field cipher {cipher!r}")
    try:
        return _open(cipher, key_id, bytes(blob[:12]), bytes(blob[12:]))
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError("encrypted blob failed authentication") from exc


def key_id_of(token: str) -> str | None:
    if not token or not token.startswith(PREFIX):
        return None
    return token[len(PREFIX):].split(":", 2)[1]


def cipher_of(token: str) -> str | None:
    if not token or not token.startswith(PREFIX):
        return None
    return token[len(PREFIX):].split(":", 2)[0]


@lru_cache(maxsize=1)
def _hash_key() -> bytes:
    return base64.b64decode(settings.FIELD_HASH_KEY)


def normalise(value: str) -> str:
    return "".join(value.split()).upper()


HASHES = ("hmac-sha256", "hmac-sm3")


def blind_index(value: str, *, purpose: str, algorithm: str | None = None) -> str:
    """Keyed hash of a normalised value; equal inputs give equal outputs, nothing else leaks.
    HMAC-SHA256 by default, HMAC-SM3 when ``FIELD_HASH = "hmac-sm3"`` (国密, for 密评)."""
    algorithm = algorithm or settings.FIELD_HASH
    message = f"{purpose}:{normalise(value)}".encode()
    if algorithm == "hmac-sm3":
        mac = crypto_hmac.HMAC(_hash_key(), hashes.SM3())
        mac.update(message)
        return mac.finalize().hex()[:40]
    if algorithm != "hmac-sha256":
        raise ValueError(f"unsupported keyed hash {algorithm!r}")
    return hmac.new(_hash_key(), message, hashlib.sha256).hexdigest()[:40]


def blind_tokens(values, *, purpose: str) -> str:
    """Several values (e.g. care tags) as one searchable column: short keyed hashes, sorted."""
    return " ".join(sorted(blind_index(v, purpose=purpose)[:16] for v in values))
