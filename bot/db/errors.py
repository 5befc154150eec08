"""Domain errors raised by the data functions; callers map them to messages/HTTP."""

from __future__ import annotations


class DomainError(Exception):
    """Base for expected, explainable failures (not bugs, not outages)."""


class TicketNotFound(DomainError, LookupError):
    def __init__(self, reference: str) -> None:
        super().__init__(f"no ticket {reference!r} for this tenant")
        self.reference = reference


class IllegalTicketTransition(DomainError, ValueError):
    def __init__(self, reference: str, current: str, requested: str) -> None:
        super().__init__(f"ticket {reference} cannot go from {current!r} to {requested!r}")
        self.reference = reference
        self.current = current
        self.requested = requested


class InvalidTicketData(DomainError, ValueError):
    """A field given to open_ticket is missing, too long or not an allowed value."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class AccountNotFound(DomainError, LookupError):
    """An account id that does not exist for this tenant."""

    def __init__(self, account_id: int) -> None:
        super().__init__(f"no account with id {account_id} for this tenant")
        self.account_id = account_id


class TenantNotFound(DomainError, LookupError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"no tenant {slug!r}")
        self.slug = slug
