"""Expected failures of the handoff use cases; the console/gateway maps them to messages and HTTP.

Not found is deliberately the same answer for "does not exist" and "belongs to a
tenant you do not serve" (bot.db.conversations.ConversationNotFound,
bot.db.agents.TenantNotServed), so an agent cannot probe other tenants.
"""

from __future__ import annotations

from bot.db.errors import DomainError
from bot.handoff.ownership import Command, IllegalTransition, Ownership


class OwnershipChanged(IllegalTransition):
    """Someone else changed the conversation's owner first (e.g. won the claim race).

    `current` is the ownership this writer had read, now outdated.
    """

    def __init__(self, expected: Ownership, command: Command) -> None:
        super().__init__(expected, command)
        self.args = ("the conversation was taken or changed meanwhile; reload it",)


class NotPermitted(DomainError, PermissionError):
    """The agent may see the conversation but not do this to it (e.g. not their chat)."""

    def __init__(self, action: str) -> None:
        super().__init__(f"you may not {action}")
        self.action = action


class AgentNotEligible(DomainError, ValueError):
    """The agent cannot take this chat: not serving its tenant, its language, or not online."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"agent cannot take this chat: {reason}")
        self.reason = reason


class AgentAtCapacity(AgentNotEligible):
    def __init__(self) -> None:
        super().__init__("already at the maximum number of concurrent chats")


class RatingNotAccepted(DomainError, ValueError):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class InvalidHandoffInput(DomainError, ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class WeakPassword(DomainError, ValueError):
    def __init__(self, problem: str) -> None:
        super().__init__(f"password {problem}")
        self.problem = problem


class InvalidCredentials(DomainError):
    """Unknown e-mail or wrong password (one error for both: no account probing)."""

    def __init__(self) -> None:
        super().__init__("e-mail or password is wrong")


class SessionInvalid(DomainError):
    """The session token is unknown, expired or revoked: log in again."""

    def __init__(self) -> None:
        super().__init__("not logged in (session unknown, expired or ended)")
