"""What the handoff use cases return: ownership changes with the events to act on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot.db.tenants import TenantRef
from bot.handoff.ownership import Ownership, OwnershipEvent


@dataclass(frozen=True)
class OwnershipChange:
    """One conversation moved from `before` to `after`; `events` say what to tell whom."""

    tenant: TenantRef
    conversation_id: str
    before: Ownership
    after: Ownership
    events: tuple[OwnershipEvent, ...]
    agent_name: str | None = None  # display name of the new owner, when there is one

    @property
    def event_kinds(self) -> tuple[str, ...]:
        return tuple(event.kind for event in self.events)


@dataclass(frozen=True)
class Outcome:
    """The change asked for, plus queued chats that the freed capacity went to."""

    change: OwnershipChange
    dispatched: tuple[OwnershipChange, ...] = ()


@dataclass(frozen=True)
class QueueStatus:
    position: int  # 1 = next in line (among the tenant's queued chats in that language)
    estimated_wait: timedelta | None  # None: nobody available to estimate from
    agents_available: int


ClosedReason = Literal["outside_hours", "no_agent_available"]


@dataclass(frozen=True)
class HandoffOutcome:
    """Where a handoff request (or a customer leaving a message) ended up.

    - queued: `queue` says where the customer stands;
    - assigned: change.agent_name is the agent who took it;
    - left a message: `ticket_reference` is the ticket with the transcript,
      `closed_reason` why nobody could take it now and `next_opening` when
      the tenant opens next (None when unknown or open).
    """

    change: OwnershipChange
    queue: QueueStatus | None = None
    ticket_reference: str | None = None
    closed_reason: ClosedReason | None = None
    next_opening: datetime | None = None

    @property
    def kind(self) -> Literal["queued", "assigned", "left_message"]:
        if self.ticket_reference is not None:
            return "left_message"
        return "assigned" if self.change.after.state == "assigned" else "queued"


class Redacted(Protocol):
    text: str


class TextRedactor(Protocol):
    """bot.redaction.Redactor: replaces personal data with placeholders (build once, share)."""

    def redact(self, text: str) -> Redacted: ...
