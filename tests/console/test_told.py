"""What the assistant told: amounts read back from the bot's messages in either language."""

from __future__ import annotations

from decimal import Decimal

from bot.console.told import amounts_in


def test_amounts_are_read_in_english_and_norwegian_writing() -> None:
    assert amounts_in("The amount due on your account is 1,249.50 NOK.") == {Decimal("1249.50")}
    assert amounts_in("Du skylder 1\u00a0249,50 kr.") == {Decimal("1249.50")}
    assert amounts_in("You owe £42.75 today") == {Decimal("42.75")}


def test_numbers_without_two_decimals_are_not_amounts() -> None:
    assert amounts_in("Ticket FJN-1218, account 20000001, postcode 5003, 29 October 2025") == set()
