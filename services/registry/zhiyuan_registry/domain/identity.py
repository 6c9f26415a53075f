"""Resident identity numbers (GB 11643-1999) and the masking of personal data.

Pure functions: today's date is an argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Residence permits for Hong Kong, Macao and Taiwan residents (港澳台居民居住证) use 81/82/83.
PERMIT_PREFIXES = {"81": "hong_kong", "82": "macao", "83": "taiwan"}
# GB/T 2260 province-level codes (the first two digits of a mainland area code).
PROVINCES = frozenset(
    ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"]
)
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII only: int() would accept other scripts' digits
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


class IdentityError(ValueError):
    """Why an ID number or mobile was refused, in Chinese and English."""

    def __init__(self, field: str, rule: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} {en}")
        self.field = field
        self.rule = rule
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class ResidentId:
    number: str
    area_code: str
    birth_date: date
    kind: str  # "resident" or one of PERMIT_PREFIXES' values

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    @property
    def id_type(self) -> str:
        return "resident_id_card" if self.kind == "resident" else f"residence_permit_{self.kind}"


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def parse_resident_id(raw: str, *, today: date) -> ResidentId:
    """Validate fully: shape, area code, a real birth date not in the future, MOD 11-2."""
    number = raw.strip().upper()
    if not _SHAPE.match(number):
        raise IdentityError(
            "id_number", "shape", "身份证号码应为18位：17位数字加1位数字或X。", "An ID number is 17 digits and a digit or X."
        )
    area = number[:6]
    if area[:2] not in PROVINCES and area[:2] not in PERMIT_PREFIXES:
        raise IdentityError("id_number", "area_code", f"地区码 {area} 不存在。", f"Area code {area} does not exist.")
    if area[:2] in PERMIT_PREFIXES and area[2:] != "0000":
        raise IdentityError(
            "id_number", "area_code", f"居住证号码的地区码应为 {area[:2]}0000。", f"A residence permit's area code is {area[:2]}0000."
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentityError(
            "id_number", "birth_date", "出生日期不是有效日期。", "The birth date in the ID number is not a real date."
        ) from None
    if born > today or born.year < 1900:
        raise IdentityError(
            "id_number", "birth_date", "出生日期不可能。", "The birth date in the ID number is impossible."
        )
    if check_char(number[:17]) != number[17]:
        raise IdentityError(
            "id_number", "check_digit", "校验码不正确，请核对号码。", "The check character is wrong; please check the number."
        )
    return ResidentId(number=number, area_code=area, birth_date=born, kind=PERMIT_PREFIXES.get(area[:2], "resident"))


def validate_mobile(raw: str) -> str:
    number = raw.strip().replace(" ", "").replace("-", "")
    if number.startswith("+86"):
        number = number[3:]
    if not _MOBILE.match(number):
        raise IdentityError(
            "mobile", "shape", "手机号应为11位，以1开头。", "A mobile number is 11 digits starting with 1."
        )
    return number


def mask_id_number(number: str) -> str:
    """``110***********123X``: area's first three and the last four stay."""
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_mobile(number: str) -> str:
    """``138****5678``."""
    return number[:3] + "****" + number[-4:]


def mask_name(name: str) -> str:
    """``张*明`` for three or more characters, ``张*`` for two; the middle never shows."""
    name = name.strip()
    if len(name) <= 1:
        return name + "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
