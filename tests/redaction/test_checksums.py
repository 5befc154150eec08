"""The check-digit rules the redactor relies on."""

from bot.redaction.checksums import (
    fodselsnummer_birth_date,
    fodselsnummer_valid,
    iban_valid,
    luhn_valid,
    norwegian_bank_account_valid,
)


def test_luhn_accepts_test_cards_and_rejects_a_changed_digit():
    assert luhn_valid("4111111111111111")
    assert luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("4111 1111 1111 1111")  # digits only


def test_fodselsnummer_needs_both_control_digits():
    assert fodselsnummer_valid("15038512363")
    assert not fodselsnummer_valid("15038512364")  # second control digit
    assert not fodselsnummer_valid("15038512353")  # first control digit


def test_fodselsnummer_needs_a_real_birth_date():
    # 31 February: both control digits are right, the date is not
    assert not fodselsnummer_valid("31028512379")


def test_d_number_adds_four_to_the_first_digit():
    assert fodselsnummer_valid("55038512357")
    assert str(fodselsnummer_birth_date("55038512357")) == "1985-03-15"


def test_individual_number_decides_the_century():
    assert str(fodselsnummer_birth_date("29020451279")) == "2004-02-29"
    assert str(fodselsnummer_birth_date("15038512363")) == "1985-03-15"


def test_bank_account_mod11():
    assert norwegian_bank_account_valid("86011117947")
    assert not norwegian_bank_account_valid("86011117948")


def test_every_fodselsnummer_also_passes_the_bank_account_check():
    """Why the redactor needs a rule for 11-digit numbers that pass both."""
    assert norwegian_bank_account_valid("15038512363")


def test_iban_mod97_country_and_length():
    assert iban_valid("NO9386011117947")
    assert iban_valid("gb82west12345698765432")
    assert not iban_valid("NO9386011117948")  # one digit changed
    assert not iban_valid("NO938601111794")  # Norwegian IBANs have 15 characters
    assert not iban_valid("XX9386011117947")  # no such country
