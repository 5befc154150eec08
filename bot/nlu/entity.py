"""The entity record every finder produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict

ACCOUNT_NUMBER = "account_number"
TICKET_REF = "ticket_ref"
EMAIL = "email"
PHONE = "phone"
AMOUNT = "amount"
POSTCODE = "postcode"

LABELS = (ACCOUNT_NUMBER, TICKET_REF, EMAIL, PHONE, AMOUNT, POSTCODE)


@dataclass(frozen=True)
class Entity:
    """One finding; start/end are character offsets into the original text."""

    label: str
    start: int
    end: int
    text: str  # the text as written, text == original[start:end]
    value: str  # normalized: "12345678", "NRD-1042", "+4791234567", "1200.50 NOK", "BS1 4DJ"
    # amounts carry {"amount": "1200.50", "currency": "NOK"}; other labels leave it empty
    details: Dict[str, str] = field(default_factory=dict, hash=False)
