import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhongfu.common.errors import InvalidInput
from zhongfu.common.identifiers import make_id_number, parse_id_number, uscc_check_char, validate_uscc


def test_known_valid_number_parses_birth_and_sex():
    rid = parse_id_number("11010519491231002X")  # the GB 11643 standard's own example
    assert rid.birth_date == dt.date(1949, 12, 31)
    assert rid.sex == "F"
    assert rid.region_code == "110105"


def test_wrong_check_digit_is_refused_with_expected_digit():
    with pytest.raises(InvalidInput) as e:
        parse_id_number("110105194912310021")
    assert e.value.field == "id_number"
    assert "X" in str(e.value)


@pytest.mark.parametrize("value", ["", "1234", "11010519491231002", "1101051949123100ZX", "110105194912310O2X"])
def test_malformed_numbers_are_refused(value):
    with pytest.raises(InvalidInput):
        parse_id_number(value)


def test_impossible_birth_date_is_refused():
    number = make_id_number("330106", dt.date(1980, 1, 1), 11, "M")
    bad = number[:10] + "0230" + number[14:17]  # 30 February
    from zhongfu.common.identifiers import id_check_digit

    with pytest.raises(InvalidInput) as e:
        parse_id_number(bad + id_check_digit(bad))
    assert "birth" in str(e.value.message) or "出生" in str(e.value)


def test_new_hangzhou_codes_are_accepted_by_the_check_digit():
    # python-stdnum raises KeyError on 330113/330114; our check is the algorithm only.
    for code in ("330113", "330114"):
        assert parse_id_number(make_id_number(code, dt.date(2001, 3, 4), 7, "M")).region_code == code


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    seq=st.integers(0, 999),
    sex=st.sampled_from("MF"),
)
def test_generated_numbers_round_trip(birth, seq, sex):
    rid = parse_id_number(make_id_number("330106", birth, seq, sex))
    assert (rid.birth_date, rid.sex) == (birth, sex)


def test_uscc_check_character():
    first17 = "91330106MA2AXXXX0"
    code = first17 + uscc_check_char(first17)
    assert validate_uscc(code) == code
    wrong = first17 + ("0" if code[-1] != "0" else "1")
    with pytest.raises(InvalidInput):
        validate_uscc(wrong)


def test_uscc_starting_with_letters_is_valid():
    # stdnum's cn.uscc refuses N2/Y1 prefixes; the standard allows them.
    for prefix in ("N2", "Y1"):
        first17 = prefix + "330106" + "123456789"
        assert validate_uscc(first17 + uscc_check_char(first17))
