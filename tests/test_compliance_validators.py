"""compliance.validators, table-driven from the standards, with python-stdnum as an oracle."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from compliance.validators import (
    USCC_CHARSET,
    is_valid_resident_id,
    is_valid_uscc,
    mask_id_number,
    normalize_code,
    resident_id_check_character,
    uscc_check_character,
)

TODAY = dt.date(2026, 11, 26)

# Real, public USCCs (from the companies' own published licences).
REAL_USCCS = [
    ("91110000802100433B", "北京百度网讯科技有限公司"),
    ("914403001922038216", "华为技术有限公司"),
    ("91440300708461136T", "腾讯科技（深圳）有限公司"),
    ("91330100799655058B", "阿里巴巴（中国）有限公司"),
    ("91310000MA1FL1MMXL", "a Shanghai enterprise registered after 2016 (letters in the organization code)"),
    ("12100000400000624D", "a public institution (registration authority 1: 机构编制)"),
    ("53100000500021676K", "a social organization (registration authority 5: 民政)"),
]


@pytest.mark.parametrize(("code", "who"), REAL_USCCS)
def test_real_usccs_are_valid(code, who):
    assert is_valid_uscc(code), who


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("91110000802100433C", "wrong check character"),
        ("91110000802100433", "17 characters"),
        ("91110000802100433BB", "19 characters"),
        ("91110000802100433b", "lower case is not canonical"),
        ("91110000802100433B\n", "a trailing newline"),
        ("9111000080210043IB", "I is not in the character set"),
        ("911100008021O0433B", "O is not in the character set"),
        ("91AB0000802100433B", "the division code (3-8) is digits"),
        ("01110000802100433B", "0 is no registration authority"),
        ("", "empty"),
    ],
)
def test_invalid_usccs_are_refused(code, why):
    assert not is_valid_uscc(code), why


def test_letters_in_the_first_two_positions_are_valid_though_stdnum_refuses_them():
    body = "N2110000MA0000000"  # 农业 authority, letter-typed: allowed by GB 32100-2015
    code = body + uscc_check_character(body)
    assert is_valid_uscc(code)
    assert not stdnum_uscc.is_valid(code)


usccs = st.builds(
    lambda head, division, rest: head + division + rest,
    st.text("123456789", min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(USCC_CHARSET, min_size=9, max_size=9),
).map(lambda first17: first17 + uscc_check_character(first17))


@given(usccs)
def test_uscc_agrees_with_stdnum_where_stdnum_can_judge(code):
    assert is_valid_uscc(code)
    assert stdnum_uscc.is_valid(code)


@given(usccs, st.sampled_from(USCC_CHARSET))
def test_any_other_check_character_is_refused(code, other):
    forged = code[:17] + other
    assert is_valid_uscc(forged) == (other == code[17])


# GB 11643-1999's own example, and vectors built from it.
@pytest.mark.parametrize(
    ("number", "valid", "why"),
    [
        ("11010519491231002X", True, "the standard's example"),
        ("440524188001010014", True, "born in 1880: python-stdnum refuses births before 1900"),
        ("810000199901010014", True, "Hong Kong residence permit"),
        ("820000200001010011", True, "Macao residence permit"),
        ("830000199001011234", True, "Taiwan residence permit"),
        ("110105194912310021", False, "wrong check digit"),
        ("11010519491231002x", False, "lower-case x is not canonical"),
        ("110105194902300024", False, "30 February"),
        ("110105202712310021", False, "born in the future"),
        ("110105187912310026", False, "born before 1880"),
        ("990105194912310025", False, "99 is no province"),
        ("810101199901010012", False, "81 only as the residence permit prefix 810000"),
        ("11010519491231002", False, "17 characters"),
        ("110105491231002", False, "the old 15-digit form is not canonical"),
    ],
)
def test_resident_ids(number, valid, why):
    if valid:
        number = number[:17] + resident_id_check_character(number[:17])
    elif "check digit" not in why and len(number) == 18 and number[-1] != "x":
        number = number[:17] + resident_id_check_character(number[:17])  # only the named fault remains
    assert is_valid_resident_id(number, as_of=TODAY) is valid, why


def test_the_standard_example_needs_no_fixing():
    assert resident_id_check_character("11010519491231002") == "X"


ids = st.builds(
    lambda region, born, seq: region + born.strftime("%Y%m%d") + seq,
    st.sampled_from(["110105", "110101", "310104"]),  # regions python-stdnum knows for all years
    st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    st.text("0123456789", min_size=3, max_size=3),
).map(lambda first17: first17 + resident_id_check_character(first17))


@given(ids)
def test_resident_id_agrees_with_stdnum_where_stdnum_can_judge(number):
    assert is_valid_resident_id(number, as_of=TODAY)
    assert stdnum_ric.is_valid(number)


@given(ids, st.sampled_from("0123456789X"))
def test_any_other_resident_id_check_character_is_refused(number, other):
    assert is_valid_resident_id(number[:17] + other, as_of=TODAY) == (other == number[17])


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("９１１１００００８０２１００４３３Ｂ", "91110000802100433B"),  # full-width
        ("9111 0000 8021 0043 3b", "91110000802100433B"),
        ("110105-19491231-002x", "11010519491231002X"),
    ],
)
def test_typed_codes_are_normalised(typed, canonical):
    assert normalize_code(typed) == canonical


def test_id_numbers_are_masked_between_region_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number("123") == "***"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("example.com", "example.com"),
        ("HTTPS://Shop.Example.com:8443/path?q=1", "shop.example.com"),
        ("例子.中国", "xn--fsqu00a.xn--fiqs8s"),
        ("example。com", "example.com"),  # IDNA reads the ideographic full stop as a dot
        ("faß.de", "xn--fa-hia.de"),  # IDNA 2008: not fass.de, another domain
        ("localhost", None),
        ("10.0.0.1", None),
        ("-bad-.com", None),
        ("", None),
    ],
)
def test_domains_are_normalised_or_refused(typed, canonical):
    from compliance.validators import normalize_domain

    assert normalize_domain(typed) == canonical


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [("203.0.113.10", "203.0.113.10"), ("2001:DB8::1", "2001:db8::1"), ("[::1]", "::1"), ("999.1.1.1", None)],
)
def test_ips_are_normalised_or_refused(typed, canonical):
    from compliance.validators import normalize_ip

    assert normalize_ip(typed) == canonical
