"""SSCC-18 numbers: structure and GS1 mod-10 check digit."""

import pytest

from ordermesh.packing import sscc

# Published example: GS1 EANCOM 1997, segment GIN ("GIN+BJ+354123450000000014",
# ref.gs1.org/standards/eancom/1997). The second is GS1's example company prefix 0614141
# with serial 123456789, its check digit worked by hand (1*3+0+6*3+1+4*3+1+4*3+1+1*3+2+3*3
# +4+5*3+6+7*3+8+9*3 = 143 -> 7).
PUBLISHED = ["354123450000000014", "106141411234567897"]


@pytest.mark.parametrize("number", PUBLISHED)
def test_published_ssccs_have_a_valid_check_digit(number):
    assert sscc.is_valid(number)
    assert sscc.check_digit(number[:17]) == number[17]


@pytest.mark.parametrize("number", PUBLISHED)
def test_any_single_changed_digit_is_detected(number):
    for i in range(18):
        for d in "0123456789":
            if d != number[i]:
                assert not sscc.is_valid(number[:i] + d + number[i + 1:])


def test_an_sscc_is_extension_prefix_serial_and_check_digit():
    assert sscc.make_sscc(1, "0614141", 123456789) == "106141411234567897"
    assert sscc.make_sscc(3, "5412345", 1) == "354123450000000014"


def test_a_longer_company_prefix_leaves_fewer_serial_digits():
    assert sscc.serial_digits("0614141") == 9
    assert sscc.serial_digits("0614141999") == 6
    assert sscc.last_serial("0614141999") == 999_999
    number = sscc.make_sscc(0, "0614141999", 42)
    assert len(number) == 18 and number.startswith("00614141999000042")
    assert sscc.is_valid(number)


@pytest.mark.parametrize("ext, prefix, serial", [
    (10, "0614141", 1), (0, "061414", 1), (0, "06141419999", 1), (0, "06141a1", 1),
    (0, "0614141", 10**9), (0, "0614141", -1)])
def test_impossible_parts_are_refused(ext, prefix, serial):
    with pytest.raises(ValueError):
        sscc.make_sscc(ext, prefix, serial)


def test_wrong_lengths_and_characters_are_not_valid_ssccs():
    assert not sscc.is_valid("35412345000000001")
    assert not sscc.is_valid("3541234500000000140")
    assert not sscc.is_valid("35412345000000001X")


def test_the_barcode_carries_ai_00_and_the_text_shows_it_in_brackets():
    assert sscc.gs1_element("354123450000000014") == "00354123450000000014"
    assert sscc.human_readable("354123450000000014") == "(00) 354123450000000014"
