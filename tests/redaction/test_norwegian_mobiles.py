"""Bare Norwegian mobile numbers go when the words around say phone, in Norwegian forms too;
account numbers and ticket references stay (bot/redaction/mobiles.py)."""

from __future__ import annotations

import pytest

from bot.redaction import Redactor


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("call me on 91234567", "call me on [phone]"),
        ("ring meg på 91234567", "ring meg på [phone]"),
        ("du kan ringe meg på 91234567", "du kan ringe meg på [phone]"),
        ("mobilnummeret mitt er 912 34 567", "mobilnummeret mitt er [phone]"),
        ("telefonnummeret mitt er 91234567", "telefonnummeret mitt er [phone]"),
        ("nå er mobilen 41234567", "nå er mobilen [phone]"),
        ("tlf.nr 91234567", "tlf.nr [phone]"),
        ("mobiltelefon: 41 23 45 67", "mobiltelefon: [phone]"),
        # a phone's grouping next to a phone word is a phone, even with an account mentioned
        ("Ring meg på 412 34 567 angående konto 10000001", "Ring meg på [phone] angående konto 10000001"),
        ("konto 10000001, ring meg på 91234567", "konto 10000001, ring meg på [phone]"),
    ],
)
def test_a_mobile_number_beside_a_phone_word_is_redacted(redactor: Redactor, text: str, redacted: str) -> None:
    assert redactor.redact(text).text == redacted


@pytest.mark.parametrize(
    "text",
    [
        "my account is 10000001",
        "kontonummer 10000001",
        "ring meg om konto 41234567",  # the account word is nearer than the phone word
        "my account 41234567, please ring",
        "ring tilbake om sak NRD-1042",
        "ring meg om saken FJN-1219",
        "call me on 12345678",  # no Norwegian number begins with 1
        "the meter shows 91234567 kWh",  # no phone word
    ],
)
def test_account_numbers_ticket_refs_and_other_numbers_stay(redactor: Redactor, text: str) -> None:
    assert redactor.redact(text).text == text
