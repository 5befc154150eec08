"""Check digits that tell a real card, fødselsnummer, bank account or IBAN from a look-alike."""

from __future__ import annotations

from datetime import date
from typing import Optional, Sequence

_FNR_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
# Shared by the fødselsnummer's second control digit and Norwegian bank account numbers,
# which is why every valid fødselsnummer also passes as a bank account number.
_MOD11_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

# ISO 13616 lengths per country (SWIFT IBAN registry).
# fmt: off
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}
# fmt: on


def luhn_valid(digits: str) -> bool:
    """Payment card check (ISO/IEC 7812)."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mod11_control(digits: Sequence[int], weights: Sequence[int]) -> Optional[int]:
    """The MOD11 control digit, or None where none exists (remainder 1)."""
    control = 11 - sum(d * w for d, w in zip(digits, weights)) % 11
    if control == 11:
        return 0
    return None if control == 10 else control


def norwegian_bank_account_valid(digits: str) -> bool:
    """11-digit Norwegian account number with its MOD11 check digit."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    values = [int(c) for c in digits]
    return _mod11_control(values[:10], _MOD11_WEIGHTS) == values[10]


def fodselsnummer_birth_date(digits: str) -> Optional[date]:
    """The birth date a fødselsnummer or D-number encodes, if it is a real date."""
    day, month, year = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    individual = int(digits[6:9])
    if day > 40:
        day -= 40  # D-number: 4 added to the first digit
    if individual <= 499:
        century = 1900
    elif individual <= 749 and year >= 54:
        century = 1800
    elif year <= 39:
        century = 2000
    elif individual >= 900:
        century = 1900
    else:
        return None
    try:
        return date(century + year, month, day)
    except ValueError:
        return None


def fodselsnummer_valid(digits: str) -> bool:
    """Norwegian fødselsnummer or D-number: both control digits and a real birth date."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    values = [int(c) for c in digits]
    if _mod11_control(values[:9], _FNR_K1_WEIGHTS) != values[9]:
        return False
    if _mod11_control(values[:10], _MOD11_WEIGHTS) != values[10]:
        return False
    return fodselsnummer_birth_date(digits) is not None


def iban_valid(compact: str) -> bool:
    """IBAN without spaces, any case: known country, its length, and the mod-97 check."""
    iban = compact.upper()
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[2:4].isdigit() or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1
