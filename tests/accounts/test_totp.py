"""The TOTP implementation against RFC 6238 Appendix B, and the rules around a code: ±1 step of
clock drift, never the same step twice."""

import pytest

from jiceng.accounts import totp

# RFC 6238 Appendix B: the seeds are the ASCII digits repeated to the hash's block size.
SEED = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), VECTORS)
def test_rfc6238_test_vectors(at, sha1, sha256, sha512):
    assert totp.totp(SEED["sha1"], at, digits=8, algorithm="sha1") == sha1
    assert totp.totp(SEED["sha256"], at, digits=8, algorithm="sha256") == sha256
    assert totp.totp(SEED["sha512"], at, digits=8, algorithm="sha512") == sha512


def test_rfc4226_hotp_vectors():
    expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
    assert [totp.hotp(SEED["sha1"], i) for i in range(10)] == expected


def test_a_new_secret_is_160_bits_of_base32():
    secret = totp.new_secret()
    assert len(totp.secret_bytes(secret)) == 20
    assert secret != totp.new_secret()


def test_a_code_matches_within_one_step_of_drift_and_not_beyond():
    secret = totp.new_secret()
    key = totp.secret_bytes(secret)
    at = 1_700_000_000.0
    step = totp.time_step(at)
    assert totp.matching_step(secret, totp.totp(key, at), at=at) == step
    assert totp.matching_step(secret, totp.totp(key, at - 30), at=at) == step - 1
    assert totp.matching_step(secret, totp.totp(key, at + 30), at=at) == step + 1
    assert totp.matching_step(secret, totp.totp(key, at - 90), at=at) is None


def test_a_step_already_used_is_refused():
    secret = totp.new_secret()
    at = 1_700_000_000.0
    code = totp.totp(totp.secret_bytes(secret), at)
    step = totp.matching_step(secret, code, at=at)
    assert totp.matching_step(secret, code, at=at, after_step=step) is None


@pytest.mark.parametrize("junk", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_never_match(junk):
    assert totp.matching_step(totp.new_secret(), junk, at=1_700_000_000.0) is None


def test_the_provisioning_uri_is_what_authenticator_apps_read():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", account="alice", issuer="Jiceng 基层")
    assert uri.startswith("otpauth://totp/Jiceng%20%E5%9F%BA%E5%B1%82%3Aalice?")
    assert "secret=JBSWY3DPEHPK3PXP" in uri and "issuer=Jiceng%20%E5%9F%BA%E5%B1%82" in uri
    assert "digits=6" in uri and "period=30" in uri
