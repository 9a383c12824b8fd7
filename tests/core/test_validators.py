"""Chinese identifiers: resident ID numbers (GB 11643), unified social credit codes (GB 32100),
mobile and fixed-line numbers. Every expected check character below is worked out by hand in the comment."""

from datetime import date

import time_machine

from jiceng.core.validators import (
    birth_date_from_id,
    contact_phone_error,
    gender_from_id,
    id_check_digit,
    id_number_error,
    phone_error,
    phone_normalise,
    uscc_check_char,
    uscc_error,
)

# --- ID numbers ----------------------------------------------------------------------------------
# GB 11643: S = Σ digit_i × weight_i with weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2;
# the check character is "10X98765432"[S mod 11].


def test_id_check_digit_of_the_standard_example_is_x():
    # 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2
    # 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 → "X"
    assert id_check_digit("11010519491231002") == "X"
    assert id_number_error("11010519491231002X") is None


def test_id_check_digit_of_a_songxi_number():
    # 3 5 0 7 2 4 1 9 8 0 0 1 0 1 0 0 1
    # 21+45+0+35+16+16+2+9+48+0+0+9+0+5+0+0+2 = 208; 208 mod 11 = 10 → "2"
    assert id_check_digit("35072419800101001") == "2"
    assert id_number_error("350724198001010012") is None


def test_id_check_digit_of_a_guangdong_number():
    # 4 4 0 5 2 4 1 8 8 0 0 1 0 1 0 0 1
    # 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195; 195 mod 11 = 8 → "4"
    assert id_check_digit("44052418800101001") == "4"
    assert id_number_error("440524188001010014") is None


def test_id_number_with_wrong_check_digit_is_refused():
    assert id_number_error("350724198001010011") == "身份证号校验位不正确。"


def test_id_number_accepts_lower_case_x_and_surrounding_spaces():
    assert id_number_error(" 11010519491231002x ") is None


def test_id_number_with_impossible_birth_date_is_refused():
    # 1980-02-30 does not exist; the date is checked before the check digit.
    assert id_number_error("350724198002300010") == "身份证号中的出生日期无效。"
    assert id_number_error("350724198013010010") == "身份证号中的出生日期无效。"


@time_machine.travel(date(2026, 6, 1), tick=False)
def test_id_number_born_in_the_future_is_refused():
    # 2027-01-01 is after "today" (2026-06-01): 3 5 0 7 2 4 2 0 2 7 0 1 0 1 0 0 1
    # 21+45+0+35+16+16+4+0+12+21+0+9+0+5+0+0+2 = 186; 186 mod 11 = 10 → "2"
    assert id_check_digit("35072420270101001") == "2"
    assert id_number_error("350724202701010012") == "身份证号中的出生日期无效。"


def test_id_number_of_wrong_length_or_characters_is_refused():
    message = "身份证号须为18位，前17位为数字，末位为数字或X。"
    assert id_number_error("35072419800101001") == message  # 17 characters
    assert id_number_error("3507241980010100122") == message  # 19 characters
    assert id_number_error("35072419800101X012") == message  # X not last
    assert id_number_error("") == message


def test_birth_date_and_gender_come_from_the_id_number():
    # 17th digit 1 is odd → male; 2 is even → female.
    assert birth_date_from_id("350724198001010012") == date(1980, 1, 1)
    assert gender_from_id("350724198001010012") == "M"
    assert gender_from_id("11010519491231002X") == "F"


# --- unified social credit codes ---------------------------------------------------------------
# GB 32100: characters 0-9 A-H J-N P-R T U W-Y valued 0..30; weights 3^i mod 31
# (1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28); check = 31 - (S mod 31), 31 → 0.


def test_uscc_check_char_of_the_well_known_example():
    # 9 1 3 5 0 1 0 0 M 0 0 0 1 0 0 Y 4, with M = 21 and Y = 30:
    # 9 + 3 + 27 + 135 + 0 + 26 + 0 + 0 + 420 + 0 + 0 + 0 + 8 + 0 + 0 + 900 + 112 = 1640
    # 1640 mod 31 = 28 (31 × 52 = 1612); 31 - 28 = 3 → "3"
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert uscc_error("91350100M000100Y43") is None
    assert uscc_error(" 91350100m000100y43 ") is None


def test_uscc_with_wrong_check_char_is_refused():
    assert uscc_error("91350100M000100Y44") == "统一社会信用代码校验位不正确。"


def test_uscc_with_forbidden_letters_or_length_is_refused():
    message = "统一社会信用代码须为18位（数字或大写字母，不含 I、O、S、V、Z）。"
    assert uscc_error("91350100I000100Y43") == message  # I is not used
    assert uscc_error("91350100M000100Y4") == message  # 17 characters
    assert uscc_error("9135010AM000100Y43") == message  # the region part is 6 digits


# --- phones ------------------------------------------------------------------------------------


def test_mainland_mobile_numbers_are_accepted():
    assert phone_error("13812345678") is None
    assert phone_error("19912345678") is None


def test_bad_mobile_numbers_are_refused():
    message = "手机号须为11位大陆手机号码。"
    assert phone_error("12812345678") == message  # no 12x mobile range
    assert phone_error("1381234567") == message  # 10 digits
    assert phone_error("138123456789") == message  # 12 digits
    assert phone_error("0591-8765432") == message  # a landline
    assert phone_error("138 1234 5678") == message


def test_a_fixed_line_is_normalised_to_its_digits_with_the_area_codes_zero():
    # 0571 (杭州, four-digit area code) + 8 digits; 010 (北京, three) + 8; 0591 + 7 (an older number)
    assert phone_normalise("0571-8888 6666") == "057188886666"
    assert phone_normalise("(010) 8888 6666") == "01088886666"
    assert phone_normalise("+86 571 8888 6666") == "057188886666"  # the 0 is dropped after +86
    assert phone_normalise("0086-10-8888-6666") == "01088886666"
    assert phone_normalise("0591-8765432") == "05918765432"
    # a mobile dialled with a leading 0 from another area is the mobile
    assert phone_normalise("0138 0013 8000") == "13800138000"


def test_a_reporters_phone_may_be_a_mobile_or_a_fixed_line_with_its_area_code():
    message = "请填写11位手机号，或带区号的固定电话（如 0571-8888 6666）。"
    for good in ("13800138000", "057188886666", "01088886666", "05918765432"):
        assert contact_phone_error(good) is None, good
    assert contact_phone_error("88886666") == message  # no area code: cannot be called back from elsewhere
    assert contact_phone_error("0571888") == message  # too short
    assert contact_phone_error("0571888866661") == message  # 13 digits
    assert contact_phone_error("00571888866") == message  # 00 is not an area code
    assert contact_phone_error("12812345678") == message
    # a resident's own record still takes a mobile only
    assert phone_error("057188886666") == "手机号须为11位大陆手机号码。"
