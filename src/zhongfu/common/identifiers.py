"""Checks for Chinese identifiers: GB 11643 resident ID numbers and GB 32100 credit codes.

We implement the check-digit algorithms ourselves: python-stdnum's cn.ric checks the region code
against the birth year and rejects valid numbers (see ARCHITECTURE), and cn.uscc rejects codes that
start with letters. The region prefix is checked against our own region table by the caller.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .errors import InvalidInput

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


@dataclass(frozen=True)
class ResidentId:
    number: str
    region_code: str  # the six-digit county code where the number was issued
    birth_date: dt.date
    sex: str  # "M" or "F", from the parity of the sequence digit


def parse_id_number(value: str, *, field: str = "id_number") -> ResidentId:
    """Validate an 18-character ID number and derive birth date and sex; raise InvalidInput naming the fault."""
    number = (value or "").strip().upper()
    # ASCII only: str.isdigit() also accepts "²" or "٣", which int() then refuses or misreads.
    if (
        len(number) != 18
        or not number.isascii()
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        raise InvalidInput(_("An ID number has 18 characters: 17 digits and a digit or X."), field=field)
    expected = id_check_digit(number[:17])
    if number[17] != expected:
        raise InvalidInput(
            _("The ID number's check digit is wrong (expected %(expected)s)."), field=field, expected=expected
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidInput(_("The birth date in the ID number is impossible."), field=field) from None
    if birth.year < 1900 or birth > dt.date.today():
        raise InvalidInput(_("The birth date in the ID number is impossible."), field=field)
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(number=number, region_code=number[:6], birth_date=birth, sex=sex)


def make_id_number(region_code: str, birth: dt.date, sequence: int, sex: str) -> str:
    """Build a valid ID number: used by the demo city and tests (synthetic people only)."""
    seq = sequence % 1000
    if (seq % 2 == 1) != (sex == "M"):
        seq = (seq + 1) % 1000
    first17 = f"{region_code[:6]}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17)


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def validate_uscc(value: str, *, field: str = "uscc") -> str:
    code = (value or "").strip().upper()
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        raise InvalidInput(_("A unified social credit code has 18 characters."), field=field)
    if code[17] != uscc_check_char(code[:17]):
        raise InvalidInput(_("The unified social credit code's check character is wrong."), field=field)
    return code
