"""Amounts, dates and stored codes as the customer reads them, in English or Bokmål."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

SUPPORTED_LANGUAGES = ("en", "nb")

_NB_MONTHS = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)
_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
_CURRENCY_SYMBOLS = {"GBP": "£"}

_TICKET_STATUS = {
    "en": {"open": "open", "pending": "waiting on more information", "resolved": "resolved",
           "closed": "closed"},
    "nb": {"open": "åpen", "pending": "venter på mer informasjon", "resolved": "løst",
           "closed": "lukket"},
}


def language_of(value: object) -> str:
    """A supported language code; anything else falls back to English."""
    return value if isinstance(value, str) and value in SUPPORTED_LANGUAGES else "en"


def money(amount: Decimal, currency: str, language: str) -> str:
    """Decimal('1249.5'), 'NOK' -> '1,249.50 NOK' (en) / '1 249,50 kr' (nb); GBP -> '£42.75'."""
    english = f"{amount:,.2f}"
    if language == "nb":
        digits = english.replace(",", "\u00a0").replace(".", ",")
        return f"{digits} kr" if currency == "NOK" else f"{digits} {currency}"
    symbol = _CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{english}" if symbol else f"{english} {currency}"


def day(value: date | datetime, language: str) -> str:
    """date(2025, 10, 20) -> '20 October 2025' (en) / '20. oktober 2025' (nb)."""
    if language == "nb":
        return f"{value.day}. {_NB_MONTHS[value.month - 1]} {value.year}"
    return f"{value.day} {_EN_MONTHS[value.month - 1]} {value.year}"


def ticket_status(status: str, language: str) -> str:
    return _TICKET_STATUS[language_of(language)].get(status, status)
