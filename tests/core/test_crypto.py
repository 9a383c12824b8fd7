"""Personal information at rest: AES-GCM tokens, keyed hashes for search, key rotation, and the
masks screens show."""

import base64

import pytest
from django.db import connection
from django.test import override_settings

from jiceng.core import crypto
from jiceng.core.masking import mask_address, mask_id_number, mask_name, mask_phone, mask_tags
from jiceng.people.models import Resident
from jiceng.people.services import resident_create
from tests.factories import make_id_number

ID_NUMBER = make_id_number()  # 350724198001010012
PHONE = "13812345678"
K1 = base64.b64encode(bytes(range(32))).decode()
K2 = base64.b64encode(bytes(range(32, 64))).decode()


@pytest.fixture
def fresh_keys():
    """Keys are cached per id: clear before and after so no test sees another's keyring."""
    crypto.clear_key_cache()
    yield
    crypto.clear_key_cache()


def raw_resident_row(pk: int) -> dict:
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone, address, tags FROM people_resident WHERE id = %s", [pk])
        id_number, phone, address, tags = cur.fetchone()
    return {"id_number": id_number, "phone": phone, "address": address, "tags": tags}


# --- tokens ------------------------------------------------------------------------------------


def test_encrypt_then_decrypt_gives_the_plaintext_back():
    token = crypto.encrypt("福建省南平市松溪县松源街道 1 号")
    assert token.startswith("enc:v1:aes-gcm:")
    assert crypto.decrypt(token) == "福建省南平市松溪县松源街道 1 号"


def test_the_same_plaintext_encrypts_differently_each_time():
    assert crypto.encrypt(ID_NUMBER) != crypto.encrypt(ID_NUMBER)


def test_a_tampered_ciphertext_is_refused():
    token = crypto.encrypt(ID_NUMBER)
    head, payload = token.rsplit(":", 1)
    blob = bytearray(base64.b64decode(payload))
    blob[15] ^= 0x01  # one bit of the ciphertext
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{head}:{base64.b64encode(bytes(blob)).decode()}")


def test_a_truncated_or_foreign_token_is_refused():
    token = crypto.encrypt(ID_NUMBER)
    for bad in (token[:-8], "enc:v1:aes-gcm:k1", "enc:v1:rot13:k1:AAAA", ID_NUMBER, "enc:v1:aes-gcm:nokey:AAAA"):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(bad)


@override_settings(FIELD_KEYS={"k1": K1, "k2": K2}, FIELD_KEY_ID="k1")
def test_a_token_relabelled_with_another_key_id_is_refused(fresh_keys):
    # The key id is authenticated data: moving a value to another key's label breaks the tag.
    token = crypto.encrypt(ID_NUMBER)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token.replace(":k1:", ":k2:"))


def test_the_database_column_holds_ciphertext_only(county):
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number=ID_NUMBER,
                               phone=PHONE, address="松源街道1号", tags=["低保"])
    raw = raw_resident_row(resident.pk)
    for field, plain in (("id_number", ID_NUMBER), ("phone", PHONE), ("address", "松源街道1号"), ("tags", "低保")):
        assert raw[field].startswith("enc:v1:aes-gcm:"), field
        assert plain not in raw[field], field
    assert crypto.decrypt(raw["id_number"]) == ID_NUMBER


def test_encrypted_fields_load_as_plaintext(county):
    resident = resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number=ID_NUMBER,
                               phone=PHONE, address="松源街道1号", tags=["低保", "独居老人"])
    loaded = Resident.objects.get(pk=resident.pk)
    assert (loaded.id_number, loaded.phone, loaded.address) == (ID_NUMBER, PHONE, "松源街道1号")
    assert loaded.tags == ["低保", "独居老人"]  # sorted
    assert crypto.decrypt(raw_resident_row(resident.pk)["tags"]) == '["低保", "独居老人"]'


def test_empty_personal_fields_stay_empty(county):
    resident = resident_create(actor=county.alice, name="李四", grid=county.a1_1)
    assert raw_resident_row(resident.pk) == {"id_number": "", "phone": "", "address": "", "tags": ""}
    loaded = Resident.objects.get(pk=resident.pk)
    assert (loaded.id_number, loaded.phone, loaded.address, loaded.tags) == ("", "", "", [])


def test_plaintext_that_looks_like_a_token_is_still_encrypted(county):
    # Typed input is never trusted to be ciphertext: stored as is, it would sit in clear and
    # make the row unreadable.
    lookalike = "enc:v1:aes-gcm:k1:not-a-real-token"
    resident = resident_create(actor=county.alice, name="王五", grid=county.a1_1, address=lookalike)
    raw = raw_resident_row(resident.pk)["address"]
    assert raw != lookalike
    assert crypto.decrypt(raw) == lookalike
    assert Resident.objects.get(pk=resident.pk).address == lookalike


# --- blind index -------------------------------------------------------------------------------


def test_blind_index_is_stable_and_normalised():
    a = crypto.blind_index("11010519491231002X", purpose="id_number")
    assert a == crypto.blind_index("11010519491231002X", purpose="id_number")
    assert a == crypto.blind_index(" 110105 19491231002x ", purpose="id_number")
    assert len(a) == 40 and int(a, 16) >= 0
    assert "11010519491231002X" not in a


def test_blind_index_differs_by_purpose_and_value():
    assert crypto.blind_index(PHONE, purpose="phone") != crypto.blind_index(PHONE, purpose="id_number")
    assert crypto.blind_index(PHONE, purpose="phone") != crypto.blind_index("13812345679", purpose="phone")


# --- key rotation ------------------------------------------------------------------------------


def test_a_value_written_with_the_old_key_reads_after_rotation(fresh_keys):
    with override_settings(FIELD_KEYS={"k1": K1}, FIELD_KEY_ID="k1"):
        old = crypto.encrypt(ID_NUMBER)
    crypto.clear_key_cache()
    with override_settings(FIELD_KEYS={"k1": K1, "k2": K2}, FIELD_KEY_ID="k2"):
        assert crypto.key_id_of(old) == "k1"
        assert crypto.decrypt(old) == ID_NUMBER
        new = crypto.encrypt(ID_NUMBER)
        assert crypto.key_id_of(new) == "k2"
        assert crypto.decrypt(new) == ID_NUMBER


def test_a_resident_saved_before_rotation_reads_after_it(county, fresh_keys):
    with override_settings(FIELD_KEYS={"k1": K1}, FIELD_KEY_ID="k1"):
        resident = resident_create(actor=county.alice, name="张三", grid=county.a1_1, id_number=ID_NUMBER)
    crypto.clear_key_cache()
    with override_settings(FIELD_KEYS={"k1": K1, "k2": K2}, FIELD_KEY_ID="k2"):
        assert crypto.key_id_of(raw_resident_row(resident.pk)["id_number"]) == "k1"
        loaded = Resident.objects.get(pk=resident.pk)
        assert loaded.id_number == ID_NUMBER
        loaded.save()  # re-encrypts with the current key
        assert crypto.key_id_of(raw_resident_row(resident.pk)["id_number"]) == "k2"


def test_a_value_whose_key_was_removed_is_refused(fresh_keys):
    with override_settings(FIELD_KEYS={"k1": K1}, FIELD_KEY_ID="k1"):
        old = crypto.encrypt(ID_NUMBER)
    crypto.clear_key_cache()
    with override_settings(FIELD_KEYS={"k2": K2}, FIELD_KEY_ID="k2"), pytest.raises(crypto.DecryptionError):
        crypto.decrypt(old)


# --- masking -----------------------------------------------------------------------------------


def test_id_numbers_show_the_first_four_and_last_four():
    assert mask_id_number("350724198001010011") == "3507**********0011"
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_id_number("1234") == "****"
    assert mask_id_number("") == ""
    assert mask_id_number(None) == ""


def test_phones_show_the_first_three_and_last_four():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("12345") == "*****"
    assert mask_phone("") == ""


def test_names_addresses_and_tags_are_masked():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_name("王") == "王"
    assert mask_address("福建省南平市松溪县松源街道1号") == "福建省南平市****"
    assert mask_address("松溪县") == "松溪****"
    assert mask_tags(["低保", "独居老人"]) == "2 项（已隐藏）"
    assert mask_tags([]) == ""
