"""What the simulated customers say: short, realistic conversations with the demo firms.

Built from the demo data itself (bot/demo), so account numbers, postcodes, e-mails and
ticket references are the ones the seeded database holds and verification succeeds.
Every conversation is answered by the assistant alone (no handoff, no writes beyond the
transcript and Rasa's tracker): greeting, FAQ questions, an account question with
verification (by postcode or e-mail), and a ticket's status.

Wording varies between conversations so that the NLU pipeline sees different texts; the
set is fixed (no randomness), so two runs send the same turns in the same order.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from bot.demo import FIRMS
from bot.demo.specs import AccountSpec, FirmSpec

GREETINGS = ("hi", "hello there", "hey", "good morning")
FAQ_QUESTIONS = (
    "when are you open?",
    "how can I pay my bill?",
    "how do I cancel my contract",
    "what's your phone number",
    "can I change my plan?",
    "I'm moving house, what do I do",
)
ACCOUNT_QUESTIONS = (
    "how much do I owe?",
    "which plan am I on?",
    "is my account active?",
    "when did I last pay?",
)
THANKS = ("thanks", "thank you, bye", "great, thanks", "ok bye")
# Customers per firm: the documented one (active, open ticket) and numbers 2-4
# (suspended with arrears, nothing owed, never paid).
CUSTOMERS_PER_FIRM = 4


@dataclass(frozen=True)
class Conversation:
    tenant: str
    language: str  # the tenant's: the gateway sends it in metadata, and so does the direct path
    kind: str  # faq | account | ticket
    turns: tuple[str, ...]


def _ticket_of(firm: FirmSpec, account: AccountSpec) -> str | None:
    for ticket in firm.tickets:
        if ticket.account_number == account.account_number:
            return f"{firm.ticket_prefix}-{ticket.number}"
    return None


def conversations_of(firm: FirmSpec) -> list[Conversation]:
    result: list[Conversation] = []
    for index, account in enumerate(firm.accounts[:CUSTOMERS_PER_FIRM]):
        greet = GREETINGS[index % len(GREETINGS)]
        thanks = THANKS[index % len(THANKS)]
        # Half verify with the postcode, half with the e-mail on file.
        factor = account.postcode if index % 2 == 0 else account.email
        question = ACCOUNT_QUESTIONS[index % len(ACCOUNT_QUESTIONS)]
        account_turns = [greet, question, f"my account number is {account.account_number}", factor]
        ticket = _ticket_of(firm, account)
        if ticket is not None:
            account_turns.append(f"what's the status of {ticket}?")
        account_turns.append(thanks)
        result.append(Conversation(firm.slug, firm.language, "account", tuple(account_turns)))

        first_faq = FAQ_QUESTIONS[(2 * index) % len(FAQ_QUESTIONS)]
        second_faq = FAQ_QUESTIONS[(2 * index + 1) % len(FAQ_QUESTIONS)]
        result.append(Conversation(firm.slug, firm.language, "faq", (greet, first_faq, second_faq, thanks)))

    anonymous = next((t for t in firm.tickets if t.status == "open"), firm.tickets[0])
    result.append(Conversation(
        firm.slug, firm.language, "ticket",
        ("hi", f"any update on {firm.ticket_prefix}-{anonymous.number}?", "thanks"),
    ))
    return result


def all_conversations() -> list[Conversation]:
    """Interleaved by firm, so that any few consecutive customers cover every tenant."""
    per_firm = [conversations_of(firm) for firm in FIRMS]
    interleaved = itertools.chain.from_iterable(itertools.zip_longest(*per_firm))
    return [conversation for conversation in interleaved if conversation is not None]


def turns_per_conversation() -> float:
    conversations = all_conversations()
    return sum(len(c.turns) for c in conversations) / len(conversations)
