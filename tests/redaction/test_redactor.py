"""Personal data is replaced before storage; look-alikes and the numbers agents need stay."""

from __future__ import annotations

import pytest

from bot.redaction import Redacted, Redactor


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


REDACTED = [
    # payment cards, Luhn-checked, with spaces, dashes or none
    ("my card is 4111 1111 1111 1111", "my card is [card]", ("card",)),
    ("card: 4111-1111-1111-1111.", "card: [card].", ("card",)),
    ("5555555555554444 expires 12/27", "[card] expires 12/27", ("card",)),
    ("amex 3782 822463 10005", "amex [card]", ("card",)),
    ("old visa 4222222222222", "old visa [card]", ("card",)),
    # fødselsnummer and D-number, with or without a space after the date part
    ("fnr 15038512363", "fnr [national-id]", ("national-id",)),
    ("født 150385 12363", "født [national-id]", ("national-id",)),
    ("D-nummer 55038512357", "D-nummer [national-id]", ("national-id",)),
    ("29020451279 (leap day)", "[national-id] (leap day)", ("national-id",)),
    # Norwegian bank accounts and IBANs
    ("pay to 8601.11.17947", "pay to [bank-account]", ("bank-account",)),
    ("pay to 8601 11 17947", "pay to [bank-account]", ("bank-account",)),
    ("pay to 86011117947", "pay to [bank-account]", ("bank-account",)),
    ("IBAN NO93 8601 1117 947, thanks", "IBAN [bank-account], thanks", ("bank-account",)),
    ("NO9386011117947", "[bank-account]", ("bank-account",)),
    ("GB82 WEST 1234 5698 7654 32", "[bank-account]", ("bank-account",)),
    ("iban gb82west12345698765432", "iban [bank-account]", ("bank-account",)),
    ("DE89 3704 0044 0532 0130 00 is mine", "[bank-account] is mine", ("bank-account",)),
    # emails and phones
    ("mail me at ola.nordmann@example.no.", "mail me at [email].", ("email",)),
    ("+47 912 34 567", "[phone]", ("phone",)),
    ("+4791234567", "[phone]", ("phone",)),
    ("call me on 912 34 567", "call me on [phone]", ("phone",)),
    ("ring 0047 91234567", "ring [phone]", ("phone",)),
    ("+44 20 7946 0958 or 020 7946 0958", "[phone] or [phone]", ("phone", "phone")),
]

KEPT = [
    # look-alikes failing their checksum
    "card 4111 1111 1111 1112",
    "fnr 15038512364",
    "fnr 310285 12379",  # control digits fine, 31 February is not
    "pay to 8601.11.17948",
    "IBAN NO93 8601 1117 948",
    "GB82 WEST 1234 5698 7654 33",
    # what agents need
    "account 12345678",
    "my acct is 12 345 678",
    "91234567",  # 8 digits and no phone word: an account number
    "call me about account 23456789",
    "ticket NRD-1042",
    "ticket nrd 1042",
    # two listed accounts whose 16 digits happen to pass Luhn are not a card
    "accounts 12345678 87654329",
    # other numbers
    "450 kr",
    "due 12.05.2024",
    "meter shows 12345 kWh",
    "0150 Oslo",
]


@pytest.mark.parametrize(("text", "expected", "kinds"), REDACTED, ids=[r[0] for r in REDACTED])
def test_personal_data_is_replaced_by_its_placeholder(redactor, text, expected, kinds):
    assert redactor.redact(text) == Redacted(expected, kinds)


@pytest.mark.parametrize("text", KEPT)
def test_text_without_personal_data_is_unchanged(redactor, text):
    assert redactor.redact(text) == Redacted(text, ())


def test_plain_eleven_digits_passing_both_checks_is_a_national_id(redactor):
    assert redactor.redact("15038512363").kinds == ("national-id",)


def test_bank_grouping_makes_the_same_digits_a_bank_account(redactor):
    assert redactor.redact("1503.85.12363").kinds == ("bank-account",)
    assert redactor.redact("1503 85 12363").kinds == ("bank-account",)


def test_account_word_makes_plain_eleven_digits_a_bank_account(redactor):
    assert redactor.redact("kontonummer 15038512363") == Redacted("kontonummer [bank-account]", ("bank-account",))


def test_impossible_birth_date_written_plain_is_still_a_valid_bank_account(redactor):
    # same digits as the kept "310285 12379": not a fødselsnummer, but MOD11 holds
    assert redactor.redact("31028512379").kinds == ("bank-account",)


def test_digits_after_a_country_code_that_are_no_phone_are_still_checked(redactor):
    assert redactor.redact("+47 15038512363") == Redacted("+47 [national-id]", ("national-id",))


def test_a_message_with_everything(redactor):
    text = (
        "Hi, I'm 15038512363, card 4111 1111 1111 1111, mail ola@example.no, "
        "call +47 912 34 567, IBAN NO93 8601 1117 947, acct 12345678, ticket NRD-1042, 450 kr"
    )
    assert redactor.redact(text) == Redacted(
        "Hi, I'm [national-id], card [card], mail [email], call [phone], IBAN [bank-account], "
        "acct 12345678, ticket NRD-1042, 450 kr",
        ("national-id", "card", "email", "phone", "bank-account"),
    )


def test_a_number_run_holding_an_id_and_an_account_keeps_the_account(redactor):
    assert redactor.redact("15038512363 12345678") == Redacted("[national-id] 12345678", ("national-id",))


def test_redacting_twice_changes_nothing_more(redactor):
    once = redactor.redact("card 4111 1111 1111 1111, fnr 150385 12363, tlf 912 34 567")
    assert redactor.redact(once.text) == Redacted(once.text, ())


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "🙂 takk!", "æøå ÆØÅ", "\u00a0"])
def test_odd_input_comes_back_unchanged(redactor, text):
    assert redactor.redact(text) == Redacted(text, ())


def test_non_text_is_refused_with_a_clear_error(redactor):
    with pytest.raises(TypeError, match="can only redact a str, not bytes"):
        redactor.redact(b"4111 1111 1111 1111")
    with pytest.raises(TypeError, match="not NoneType"):
        redactor.redact(None)


def test_text_over_the_limit_is_refused_rather_than_cut(redactor):
    with pytest.raises(ValueError, match="over the redaction limit"):
        redactor.redact("x" * (Redactor.MAX_CHARS + 1))


def test_long_text_is_redacted_throughout(redactor):
    chunk = "ok 4111 1111 1111 1111 and 12345678. "
    redacted = redactor.redact(chunk * 200)
    assert redacted.text == "ok [card] and 12345678. " * 200
    assert redacted.kinds == ("card",) * 200
