"""Who owns a conversation: the one state machine of human handoff (pure, no I/O).

    bot ──request_handoff──▶ queued ──assign(agent)──▶ assigned(agent) ──resolve──▶ resolved
     ▲                        │  ▲                      │    │  ▲                      │
     │◀──hand_back────────────┘  └──requeue─────────────┘    └──transfer(other agent)  │
     │◀──hand_back──────────────────────────────────────────┘                          │
     │◀──leave_message (queued only: a ticket instead of waiting)                      │
     └◀──customer_returned─────────────────────────────────────────────────────────────┘

Decisions:
- A resolved conversation goes back to the *bot* when the customer writes again
  (customer_returned), not to the agent who resolved it: that agent may be busy
  or gone, the bot answers at once and can escalate again, and the agent's
  internal notes stay on the conversation for whoever takes it next.
- assign covers both auto-assignment and an agent's claim; claiming a chat that
  is not queued (e.g. someone else won the race) is illegal.
- transfer goes to *another* agent; "transferring" to the owner is illegal.
- requeue is the disconnect path (owner gone past the grace period); the chat
  keeps its place in the queue (queued_at is not reset by the caller).
- Who may issue a command (owner, supervisor, tenant scope) is checked by the
  use cases; this module only knows states.

`transition(current, command)` returns the new Ownership and the events to emit,
or raises IllegalTransition. The events tell the gateway and the agent console
what to show (e.g. bot_resumed: resume the paused Rasa tracker).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.db.errors import DomainError

State = Literal["bot", "queued", "assigned", "resolved"]
STATES: tuple[State, ...] = ("bot", "queued", "assigned", "resolved")

EventKind = Literal[
    "queued",
    "assigned",
    "transferred",
    "requeued",
    "resolved",
    "rating_requested",
    "handed_back",
    "message_left",
    "reopened",
    "bot_resumed",
]


@dataclass(frozen=True)
class Ownership:
    """A conversation's owner: an agent when assigned; resolved keeps the agent who
    resolved it (the rating is theirs; None only if that agent was deleted)."""

    state: State
    agent_id: int | None = None

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"unknown ownership state {self.state!r}")
        if self.state == "assigned" and self.agent_id is None:
            raise ValueError("an assigned conversation needs an agent")
        if self.state in ("bot", "queued") and self.agent_id is not None:
            raise ValueError(f"a conversation in state {self.state!r} has no agent")


BOT = Ownership("bot")
QUEUED = Ownership("queued")


@dataclass(frozen=True)
class OwnershipEvent:
    kind: EventKind
    agent_id: int | None = None
    previous_agent_id: int | None = None


# --- commands --------------------------------------------------------------------


@dataclass(frozen=True)
class RequestHandoff:
    """The assistant escalated: wait for a person."""


@dataclass(frozen=True)
class Assign:
    """An agent takes the queued chat (auto-assignment or a claim)."""

    agent_id: int


@dataclass(frozen=True)
class Transfer:
    to_agent_id: int


@dataclass(frozen=True)
class Requeue:
    """The owner disconnected past the grace period."""


@dataclass(frozen=True)
class Resolve:
    pass


@dataclass(frozen=True)
class HandBack:
    """Back to the bot: the agent (or a supervisor) ends the human part."""


@dataclass(frozen=True)
class LeaveMessage:
    """The customer stops waiting and leaves a message (a ticket) instead."""


@dataclass(frozen=True)
class CustomerReturned:
    """The customer writes again after the chat was resolved."""


Command = (
    RequestHandoff | Assign | Transfer | Requeue | Resolve | HandBack | LeaveMessage | CustomerReturned
)
COMMANDS: tuple[type[Command], ...] = (
    RequestHandoff,
    Assign,
    Transfer,
    Requeue,
    Resolve,
    HandBack,
    LeaveMessage,
    CustomerReturned,
)


class IllegalTransition(DomainError, ValueError):
    """The command is not allowed in the conversation's current state."""

    def __init__(self, current: Ownership, command: Command, why: str = "") -> None:
        name = type(command).__name__
        super().__init__(f"cannot {name} a conversation in state {current.state!r}{why}")
        self.current = current
        self.command = command


@dataclass(frozen=True)
class Transition:
    before: Ownership
    after: Ownership
    events: tuple[OwnershipEvent, ...]


def transition(current: Ownership, command: Command) -> Transition:
    """The ownership after `command`, with the events to emit; IllegalTransition if not allowed."""
    after, events = _apply(current, command)
    return Transition(current, after, events)


def _apply(current: Ownership, command: Command) -> tuple[Ownership, tuple[OwnershipEvent, ...]]:
    state, owner = current.state, current.agent_id
    match command:
        case RequestHandoff() if state == "bot":
            return QUEUED, (OwnershipEvent("queued"),)
        case Assign(agent_id=agent) if state == "queued":
            return Ownership("assigned", agent), (OwnershipEvent("assigned", agent),)
        case Transfer(to_agent_id=agent) if state == "assigned":
            if agent == owner:
                raise IllegalTransition(current, command, ": it is already that agent's chat")
            return (
                Ownership("assigned", agent),
                (OwnershipEvent("transferred", agent, previous_agent_id=owner),),
            )
        case Requeue() if state == "assigned":
            return QUEUED, (OwnershipEvent("requeued", previous_agent_id=owner),)
        case Resolve() if state == "assigned":
            return (
                Ownership("resolved", owner),
                (OwnershipEvent("resolved", owner), OwnershipEvent("rating_requested", owner)),
            )
        case HandBack() if state in ("queued", "assigned"):
            return BOT, (
                OwnershipEvent("handed_back", previous_agent_id=owner),
                OwnershipEvent("bot_resumed"),
            )
        case LeaveMessage() if state == "queued":
            return BOT, (OwnershipEvent("message_left"), OwnershipEvent("bot_resumed"))
        case CustomerReturned() if state == "resolved":
            return BOT, (
                OwnershipEvent("reopened", previous_agent_id=owner),
                OwnershipEvent("bot_resumed"),
            )
    raise IllegalTransition(current, command)
