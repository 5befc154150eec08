"""The structured entity extractor on tricky customer messages.

The same CASES run under spaCy 3.4 in the engine environment (tests/engine), so keep this
module free of app-only imports.
"""

from __future__ import annotations

import pytest

from bot.nlu.entities import StructuredExtractor
from bot.nlu.entity import ACCOUNT_NUMBER, AMOUNT, EMAIL, PHONE, POSTCODE, TICKET_REF

A, T, E, P, M, Z = ACCOUNT_NUMBER, TICKET_REF, EMAIL, PHONE, AMOUNT, POSTCODE

# (message, [(label, text as written, normalized value), ...] in order of appearance)
CASES = [
    # account numbers
    ("my acct is 12 345 678", [(A, "12 345 678", "12345678")]),
    ("account 1234-5678.", [(A, "1234-5678", "12345678")]),
    ("it's 12345678", [(A, "12345678", "12345678")]),
    ("acct:12345678", [(A, "12345678", "12345678")]),
    ("kundenr.12345678", [(A, "12345678", "12345678")]),
    ("acct 12345678- thanks", [(A, "12345678", "12345678")]),
    ("accounts 12345678, 87654321", [(A, "12345678", "12345678"), (A, "87654321", "87654321")]),
    ("123456789 is nine digits", []),
    ("1234567 is seven", []),
    ("card 4111 1111 1111 1111", []),
    ("1234 5678-9999", []),
    ("12.345.678", []),
    ("due 12.05.2024", []),
    ("due 12-05-2024", []),
    ("due 2024-05-12", []),
    ("customer since 2019", []),
    ("meter shows 12345 kWh", []),
    ("meter reading 12345678 kWh", []),
    ("I live at 0150 Oslo", [(Z, "0150", "0150")]),
    # ticket references
    ("ticket nrd-1042?", [(T, "nrd-1042", "NRD-1042")]),
    ("NRD 1042 is still open", [(T, "NRD 1042", "NRD-1042")]),
    ("my case nrd1042 is open", [(T, "nrd1042", "NRD-1042")]),
    ("ref abc 123456", [(T, "abc 123456", "ABC-123456")]),
    ("what about NRD1042", [(T, "NRD1042", "NRD-1042")]),
    ("nrd1042", []),
    ("I bought a ticket for 1042", []),
    ("flew SAS 2024", []),
    ("NRD-1234567 has seven digits", []),
    ("ticket NRD 1042 12345678", [(T, "NRD 1042", "NRD-1042"), (A, "12345678", "12345678")]),
    ("status of ABC-123 and xyz-98765", [(T, "ABC-123", "ABC-123"), (T, "xyz-98765", "XYZ-98765")]),
    # emails
    ("mail me at ola.nordmann@example.no", [(E, "ola.nordmann@example.no", "ola.nordmann@example.no")]),
    ("mail me at ola.nordmann@example.no.", [(E, "ola.nordmann@example.no", "ola.nordmann@example.no")]),
    ("(Kari+bpo@Example.COM).", [(E, "Kari+bpo@Example.COM", "Kari+bpo@example.com")]),
    ("email:ola@x.no", [(E, "ola@x.no", "ola@x.no")]),
    ("user@localhost is not an address", []),
    # phones
    ("+47 912 34 567", [(P, "+47 912 34 567", "+4791234567")]),
    ("0047 91234567", [(P, "0047 91234567", "+4791234567")]),
    ("+44 20 7946 0958", [(P, "+44 20 7946 0958", "+442079460958")]),
    ("+44 (0)20 7946 0958", [(P, "+44 (0)20 7946 0958", "+442079460958")]),
    ("call me on 912 34 567", [(P, "912 34 567", "+4791234567")]),
    ("my mobile: 91234567", [(P, "91234567", "+4791234567")]),
    ("91234567 is my mobile number", [(P, "91234567", "+4791234567")]),
    ("+4791234567, thanks", [(P, "+4791234567", "+4791234567")]),
    ("+47 12345678", [(P, "+47 12345678", "+4712345678")]),
    ("020 7946 0958", [(P, "020 7946 0958", "+442079460958")]),
    # the nearer context word decides
    ("call me about account 23456789", [(A, "23456789", "23456789")]),
    ("ring 91234567 about account 23456789", [(P, "91234567", "+4791234567"), (A, "23456789", "23456789")]),
    ("+47 1234", []),
    ("+46 70 123 45 67", [(P, "+46 70 123 45 67", "+46701234567")]),
    ("+1 415 555 2671", [(P, "+1 415 555 2671", "+14155552671")]),
    ("+47 912 34 567 12345678", [(P, "+47 912 34 567", "+4791234567"), (A, "12345678", "12345678")]),
    # amounts
    ("450 kr", [(M, "450 kr", "450.00 NOK")]),
    ("NOK 1 200,50", [(M, "NOK 1 200,50", "1200.50 NOK")]),
    ("£12.50", [(M, "£12.50", "12.50 GBP")]),
    ("1200 NOK", [(M, "1200 NOK", "1200.00 NOK")]),
    ("12.50 pounds", [(M, "12.50 pounds", "12.50 GBP")]),
    ("kr 450,-", [(M, "kr 450,-", "450.00 NOK")]),
    ("kr. 1.200,-", [(M, "kr. 1.200,-", "1200.00 NOK")]),
    ("I paid 450kr", [(M, "450kr", "450.00 NOK")]),
    ("€12,5", [(M, "€12,5", "12.50 EUR")]),
    ("$1,200.50", [(M, "$1,200.50", "1200.50 USD")]),
    ("12 345 678 kr", [(M, "12 345 678 kr", "12345678.00 NOK")]),
    ("account 12345678 450 kr", [(A, "12345678", "12345678"), (M, "450 kr", "450.00 NOK")]),
    ("I have 450 apples", []),
    ("NOK 12.05.2024", []),
    # postcodes: four digits need a postcode word or a place name; UK ones their shape in capitals
    ("my postcode is 0150", [(Z, "0150", "0150")]),
    ("BS1 4DJ", [(Z, "BS1 4DJ", "BS1 4DJ")]),
    ("postcode sw1a 2aa", [(Z, "sw1a 2aa", "SW1A 2AA")]),
    ("SW1A2AA", [(Z, "SW1A2AA", "SW1A 2AA")]),
    ("pin 1234", []),
    ("customer since 2019 Fjordnett", []),
    ("an MP3 4GB player", []),
    ("sw1a 2aa", []),
    # Norwegian: amounts
    ("regningen var på 749,50 kr", [(M, "749,50 kr", "749.50 NOK")]),
    ("det står kr 1 200,- på fakturaen", [(M, "kr 1 200,-", "1200.00 NOK")]),
    ("1.200 kroner", [(M, "1.200 kroner", "1200.00 NOK")]),
    ("NOK 300 for mye", [(M, "NOK 300", "300.00 NOK")]),
    ("trakk 1.200,50 NOK", [(M, "1.200,50 NOK", "1200.50 NOK")]),
    ("jeg betalte 450,- i går", [(M, "450,-", "450.00 NOK")]),
    ("fakturaen var på 1 200,- denne gangen", [(M, "1 200,-", "1200.00 NOK")]),
    ("konto 12345678 1 200,-", [(A, "12345678", "12345678"), (M, "1 200,-", "1200.00 NOK")]),
    ("forfalt 3. mars", []),
    ("12.05.2024,-", []),
    # Norwegian: phones need a phone word, in any of its forms
    ("ring meg på 912 34 567", [(P, "912 34 567", "+4791234567")]),
    ("kan dere ringe meg på 91234567", [(P, "91234567", "+4791234567")]),
    ("mobilnummeret mitt er 912 34 567", [(P, "912 34 567", "+4791234567")]),
    ("telefonnummeret mitt er 91234567", [(P, "91234567", "+4791234567")]),
    ("tlf.nr. 91234567", [(P, "91234567", "+4791234567")]),
    ("tlf: +47 912 34 567", [(P, "+47 912 34 567", "+4791234567")]),
    ("jeg treffes på 91 23 45 67", [(P, "91 23 45 67", "+4791234567")]),
    ("du kan nå meg på 912 34 567", [(P, "912 34 567", "+4791234567")]),
    ("nummeret mitt er 91234567", [(A, "91234567", "91234567")]),
    ("ring meg om kontoen 23456789", [(A, "23456789", "23456789")]),
    # Norwegian: accounts and tickets inside sentences
    ("kontonr 10000001", [(A, "10000001", "10000001")]),
    ("kontonummeret mitt er 10 000 001", [(A, "10 000 001", "10000001")]),
    ("kundenummer: 10000001", [(A, "10000001", "10000001")]),
    ("saksnummer NRD-1042", [(T, "NRD-1042", "NRD-1042")]),
    ("sak nrd 1042", [(T, "nrd 1042", "NRD-1042")]),
    ("hva er status på saka mi nrd1042?", [(T, "nrd1042", "NRD-1042")]),
    ("saksnr fjn 2001", [(T, "fjn 2001", "FJN-2001")]),
    ("saken min fra 2023", []),
    ("sak fra mai 2024", []),
    # Norwegian: verification answers
    ("postnummeret er 0150", [(Z, "0150", "0150")]),
    ("postnr: 0150", [(Z, "0150", "0150")]),
    ("postnr.0150", [(Z, "0150", "0150")]),
    ("jeg bor i 0150 Oslo", [(Z, "0150", "0150")]),
    ("e-posten min er ola@nordmann.no", [(E, "ola@nordmann.no", "ola@nordmann.no")]),
    ("eposten min er kåre@example.no", [(E, "kåre@example.no", "kåre@example.no")]),
    ("Bjørn.Dæhlie@Blåbær.no.", [(E, "Bjørn.Dæhlie@Blåbær.no", "Bjørn.Dæhlie@blåbær.no")]),
    (
        "kontonummer 10000001, postnummer 0150",
        [(A, "10000001", "10000001"), (Z, "0150", "0150")],
    ),
    # several in one message
    (
        "account 12345678 about ticket NRD-1042",
        [(A, "12345678", "12345678"), (T, "NRD-1042", "NRD-1042")],
    ),
    (
        "Refund 450 kr to account 1234 5678, ref NRD-1042, call +47 912 34 567 or mail a@b.no",
        [
            (M, "450 kr", "450.00 NOK"),
            (A, "1234 5678", "12345678"),
            (T, "NRD-1042", "NRD-1042"),
            (P, "+47 912 34 567", "+4791234567"),
            (E, "a@b.no", "a@b.no"),
        ],
    ),
]


@pytest.fixture(scope="module")
def extractor() -> StructuredExtractor:
    return StructuredExtractor()


@pytest.mark.parametrize(("message", "expected"), CASES, ids=[c[0] for c in CASES])
def test_extracts_exactly_the_expected_entities(extractor, message, expected):
    found = extractor.extract(message)
    assert [(e.label, e.text, e.value) for e in found] == expected
    for entity in found:
        assert message[entity.start : entity.end] == entity.text


def test_offsets_point_into_the_original_text(extractor):
    [entity] = extractor.extract("my acct is 12 345 678")
    assert (entity.start, entity.end) == (11, 21)
    [entity] = extractor.extract("ticket nrd-1042?")
    assert (entity.start, entity.end) == (7, 15)


def test_amount_details_carry_amount_and_currency(extractor):
    [entity] = extractor.extract("NOK 1 200,50")
    assert entity.details == {"amount": "1200.50", "currency": "NOK"}


def test_labels_restrict_what_is_extracted():
    only_tickets = StructuredExtractor(labels=[TICKET_REF])
    found = only_tickets.extract("account 12345678 about ticket NRD-1042")
    assert [e.label for e in found] == [TICKET_REF]


def test_unknown_label_is_rejected_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown entity labels.*iban"):
        StructuredExtractor(labels=["iban"])


def test_empty_and_whitespace_messages_have_no_entities(extractor):
    assert extractor.extract("") == []
    assert extractor.extract("   \n ") == []
