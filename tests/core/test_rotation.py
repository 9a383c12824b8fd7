"""Key and cipher rotation: every row re-encrypted under the new key, none lost, old key removable."""

import base64

import pytest
from django.core.management import call_command
from django.db import connection

from jiceng.core import crypto
from jiceng.core.models import AuditLog
from jiceng.people.models import Resident
from jiceng.people.services import resident_create
from tests.factories import make_id_number

K2 = base64.b64encode(b"\x02" * 32).decode()


@pytest.fixture(autouse=True)
def fresh_keys():
    crypto.clear_key_cache()
    yield
    crypto.clear_key_cache()


def raw_tokens(column: str) -> list[str]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM people_resident ORDER BY id")  # noqa: S608 - fixed column names
        return [row[0] for row in cur.fetchall()]


@pytest.mark.parametrize("cipher", ["aes-gcm", "sm4-gcm"])
def test_rotation_re_encrypts_every_row_under_the_new_key_and_cipher(county, settings, cipher):
    ids = [make_id_number(seq=2 * i + 1) for i in range(5)]
    for i, id_number in enumerate(ids):
        resident_create(actor=county.alice, name=f"居民{i}", grid=county.a1_1, id_number=id_number,
                        phone=f"1380000000{i}", tags=["低保"] if i % 2 else [])
    old_key_id = settings.FIELD_KEY_ID
    assert {crypto.key_id_of(t) for t in raw_tokens("id_number")} == {old_key_id}

    settings.FIELD_KEYS = {**settings.FIELD_KEYS, "k2": K2}
    settings.FIELD_KEY_ID = "k2"
    settings.FIELD_CIPHER = cipher
    crypto.clear_key_cache()
    call_command("rotate_field_keys", batch=2)

    tokens = raw_tokens("id_number") + raw_tokens("phone")
    assert {crypto.key_id_of(t) for t in tokens} == {"k2"}
    assert {crypto.cipher_of(t) for t in tokens} == {cipher}
    assert AuditLog.objects.filter(action="crypto.rotate").count() == 1

    settings.FIELD_KEYS = {"k2": K2}  # the old key is gone: every value still reads
    crypto.clear_key_cache()
    residents = list(Resident.objects.order_by("id"))
    assert [r.id_number for r in residents] == ids
    assert [r.tags for r in residents] == [[], ["低保"], [], ["低保"], []]
    call_command("rotate_field_keys", check=True)  # nothing left: no SystemExit(1)


def test_sm4_round_trip_and_tamper_detection(settings):
    settings.FIELD_CIPHER = "sm4-gcm"
    token = crypto.encrypt("350724198001010011")
    assert crypto.cipher_of(token) == "sm4-gcm"
    assert crypto.decrypt(token) == "350724198001010011"
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered)


# --- the keyed search hash: HMAC-SM3 for 密评, and rebuilding after a switch ------------------------


def test_hmac_sm3_matches_an_independent_implementation_and_differs_from_sha256(settings):
    import hashlib
    import hmac

    if "sm3" not in hashlib.algorithms_available:
        pytest.skip("this OpenSSL has no SM3 to compare with")
    key = base64.b64decode(settings.FIELD_HASH_KEY)
    expected = hmac.new(key, b"phone:13800138000", "sm3").hexdigest()[:40]
    assert crypto.blind_index("138 0013 8000", purpose="phone", algorithm="hmac-sm3") == expected
    settings.FIELD_HASH = "hmac-sm3"
    assert crypto.blind_index("13800138000", purpose="phone") == expected
    assert expected != crypto.blind_index("13800138000", purpose="phone", algorithm="hmac-sha256")


def test_switching_to_sm3_then_rehash_keeps_every_search_working(county, settings):
    from jiceng.people.selectors import resident_filter, resident_visible

    id_number = make_id_number(seq=7)
    resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number=id_number, phone="13800138000",
                    tags=["独居老人"])
    resident_create(actor=county.alice, name="李四", grid=county.a1_1, phone="13900139000")

    def found(**query) -> list[str]:
        return [r.name for r in resident_filter(resident_visible(county.alice), **query)]

    assert found(q="13800138000") == ["张三"] and found(tag="独居老人") == ["张三"]
    settings.FIELD_HASH = "hmac-sm3"
    assert found(q="13800138000") == [] and found(q=id_number) == []  # stale hashes: why the command exists
    with pytest.raises(SystemExit):
        call_command("rotate_field_keys", rehash=True, check=True)
    call_command("rotate_field_keys", rehash=True, batch=1)
    assert found(q="13800138000") == ["张三"] and found(q=id_number) == ["张三"]
    assert found(tag="独居老人") == ["张三"] and found(q="13900139000") == ["李四"]
    call_command("rotate_field_keys", rehash=True, check=True)  # nothing left
    entry = AuditLog.objects.get(action="crypto.rehash")
    assert entry.changes["rows"] == {"people.resident": 2}
    call_command("rotate_field_keys", rehash=True)  # a second run changes nothing
    assert AuditLog.objects.filter(action="crypto.rehash").order_by("id").last().changes["rows"] == {}
