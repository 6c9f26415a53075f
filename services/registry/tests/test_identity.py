"""Resident ID numbers: the full GB 11643 rules, and masking."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhiyuan_registry.domain.identity import (
    IdentityError,
    check_char,
    mask_id_number,
    mask_mobile,
    mask_name,
    parse_resident_id,
    validate_mobile,
)

TODAY = date(2026, 11, 23)


def make_id(area: str = "110101", born: date = date(1990, 3, 7), serial: str = "123") -> str:
    first17 = f"{area}{born:%Y%m%d}{serial}"
    return first17 + check_char(first17)


valid_ids = st.builds(
    make_id,
    area=st.sampled_from(["110101", "110108", "310104", "440305", "810000", "820000", "830000"]),
    born=st.dates(min_value=date(1930, 1, 1), max_value=date(2012, 11, 23)),
    serial=st.from_regex(r"[0-9]{3}", fullmatch=True),
)


@given(valid_ids)
def test_numbers_with_a_correct_check_character_are_accepted(number: str) -> None:
    parsed = parse_resident_id(number, today=TODAY)
    assert parsed.number == number
    assert parsed.birth_date.strftime("%Y%m%d") == number[6:14]


@given(valid_ids, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_character_change_is_refused(number: str, position: int, char: str) -> None:
    changed = number[:position] + char + number[position + 1 :]
    if changed == number:
        return
    with pytest.raises(IdentityError):
        parse_resident_id(changed, today=TODAY)


def test_x_check_character_is_accepted_lower_case_too() -> None:
    number = next(n for n in (make_id(serial=f"{i:03d}") for i in range(1000)) if n.endswith("X"))
    assert parse_resident_id(number.lower(), today=TODAY).number == number


@pytest.mark.parametrize(
    ("number", "rule"),
    [
        ("11010119900307123", "shape"),
        ("1101011990030712345", "shape"),
        ("99010119900307123X", "area_code"),
        (make_id(area="810101"), "area_code"),
        (make_id(born=date(2030, 1, 1)), "birth_date"),
        ("110101" + "19900231" + "1234", "birth_date"),
    ],
)
def test_refusals_name_the_rule(number: str, rule: str) -> None:
    with pytest.raises(IdentityError) as refused:
        parse_resident_id(number, today=TODAY)
    assert refused.value.rule == rule
    assert refused.value.field == "id_number"


@pytest.mark.parametrize("digits", ["１１０１０１１９９００３０７１２３Ｘ", "110101199003071෦෦X"])
def test_digits_of_other_scripts_are_refused(digits: str) -> None:
    with pytest.raises(IdentityError) as refused:
        parse_resident_id(digits, today=TODAY)
    assert refused.value.rule == "shape"


def test_age_counts_birthdays() -> None:
    parsed = parse_resident_id(make_id(born=date(2012, 11, 24)), today=TODAY)
    assert parsed.age_on(TODAY) == 13
    assert parsed.age_on(date(2026, 11, 24)) == 14


def test_masks() -> None:
    assert mask_id_number("11010119900307123X") == "110***********123X"
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_name("张三明") == "张*明"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧**娜"


@pytest.mark.parametrize("raw", ["13812345678", "+86 138 1234 5678", "138-1234-5678"])
def test_mobile_accepted_forms(raw: str) -> None:
    assert validate_mobile(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "abc"])
def test_mobile_refused(raw: str) -> None:
    with pytest.raises(IdentityError):
        validate_mobile(raw)
