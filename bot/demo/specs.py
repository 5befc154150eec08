"""Plain data types describing demo content; no database code here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class AccountSpec:
    account_number: str
    name: str
    email: str
    phone: str
    postcode: str
    plan: str
    amount_due: Decimal
    status: str
    last_payment_amount: Decimal | None
    last_payment_at: date | None
    created_at: datetime


@dataclass(frozen=True)
class TicketSpec:
    number: int
    account_number: str | None
    subject: str
    description: str
    category: str
    priority: str
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DemoCustomer:
    """A documented account to try the bot with; `postcode`/`email` verify it."""

    tenant_slug: str
    account_number: str
    name: str
    postcode: str
    email: str


@dataclass(frozen=True)
class FirmSpec:
    slug: str
    name: str
    trade: str
    language: str
    time_zone: str
    currency: str
    ticket_prefix: str
    business_hours: dict[str, list[list[str]]]
    branding: dict[str, Any]
    allowed_origins: list[str]
    accounts: tuple[AccountSpec, ...]
    tickets: tuple[TicketSpec, ...]
    faq: dict[tuple[str, str], str] = field(default_factory=dict)  # (key, language) -> answer

    @property
    def demo_customer(self) -> DemoCustomer:
        first = self.accounts[0]
        return DemoCustomer(self.slug, first.account_number, first.name, first.postcode, first.email)

    @property
    def next_ticket_number(self) -> int:
        """The first number after the demo tickets, so new tickets never collide."""
        return max(ticket.number for ticket in self.tickets) + 1
