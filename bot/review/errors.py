"""Conversation review's domain errors; the portal pages map them to HTTP (bot/portal/review_routes.py).

A conversation of another tenant is reported exactly like one that does not exist: the
data functions filter by tenant and raise bot.db.conversations.ConversationNotFound.
"""

from __future__ import annotations

from bot.db.errors import DomainError


class MessageNotFound(DomainError, LookupError):
    """No customer message with that id in this tenant's conversations."""

    def __init__(self) -> None:
        super().__init__("no such customer message for this tenant")


class AnnotationNotFound(DomainError, LookupError):
    def __init__(self) -> None:
        super().__init__("no such annotation for this tenant")


class InvalidAnnotation(DomainError, ValueError):
    """An unknown intent, a missing note, a note too long ...: `field` says which input."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class InvalidFilter(DomainError, ValueError):
    """A search filter or page cursor that cannot be read."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
