"""What the assistant already told the customer, read from the transcript against the records.

Nothing is stored twice: the bot's stored messages say what was said, the account
and tickets say what is true now. A fact counts as told when a bot message states
it (the amount due as written in either language, a ticket by its reference), so
the agent sees what the customer already knows and does not repeat it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from bot.db.models import Account, Message, Ticket

# '1,249.50' (en), '1 249,50' (nb, also with a no-break space), '£42.75', '499.00'.
_AMOUNT = re.compile(r"(?<![\d.,])\d{1,3}(?:[,.\u00a0 ]\d{3})*[.,]\d{2}(?![\d])")


def amounts_in(text: str) -> set[Decimal]:
    """Every amount written with two decimals in `text`, whatever its separators."""
    found = set()
    for match in _AMOUNT.finditer(text):
        written = match.group(0)
        whole = re.sub(r"\D", "", written[:-3])
        found.add(Decimal(f"{whole}.{written[-2:]}"))
    return found


def told_facts(
    messages: Iterable[Message], account: Account | None, tickets: Sequence[Ticket]
) -> list[dict[str, Any]]:
    """The account's amount due and the tickets the bot's messages stated, in that order."""
    said = [message.text for message in messages if message.role == "bot"]
    told: list[dict[str, Any]] = []
    if account is not None and any(account.amount_due in amounts_in(text) for text in said):
        told.append({"fact": "amount_due", "value": str(account.amount_due)})
    for ticket in tickets:
        reference = ticket.reference.casefold()
        if any(reference in text.casefold() for text in said):
            told.append({"fact": "ticket", "reference": ticket.reference, "status": ticket.status})
    return told
