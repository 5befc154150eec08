"""Console errors and how the handoff domain's errors reach the browser (HTTP status + code).

"Not found" is the one answer for a conversation of a tenant the agent does not
serve, so nobody can probe other tenants.
"""

from __future__ import annotations

from bot.db.agents import InvalidAgentData, TenantNotServed
from bot.db.conversations import ConversationNotFound as StoredConversationNotFound
from bot.db.errors import (
    AccountNotFound,
    DomainError,
    IllegalTicketTransition,
    InvalidTicketData,
    TicketNotFound,
)
from bot.db.notes import InvalidNote
from bot.gateway.errors import BadRequest, GatewayError, NoSuchConversation, NotAllowedNow, NotFound
from bot.handoff.errors import (
    AgentNotEligible,
    InvalidCredentials,
    InvalidHandoffInput,
    NotPermitted,
    RatingNotAccepted,
    SessionInvalid,
)
from bot.handoff.ownership import IllegalTransition


class NotLoggedIn(GatewayError):
    code = "not_logged_in"
    status = 401
    default_message = "Please log in."


class WrongCredentials(GatewayError):
    code = "invalid_credentials"
    status = 401
    default_message = "E-mail or password is wrong."


class CsrfRejected(GatewayError):
    code = "csrf_rejected"
    status = 403
    default_message = "The page is out of date (security token missing or wrong); reload it."


class Forbidden(GatewayError):
    code = "forbidden"
    status = 403
    default_message = "You may not do that."


class Conflict(GatewayError):
    code = "conflict"
    status = 409
    default_message = "The conversation changed meanwhile; reload it."


class TooManyLogins(GatewayError):
    code = "rate_limited"
    status = 429
    default_message = "Too many login attempts. Please wait a minute and try again."


def to_gateway_error(error: DomainError) -> GatewayError:
    """The HTTP-facing error for an expected domain failure (never with internal details)."""
    if isinstance(error, (StoredConversationNotFound, TenantNotServed)):
        return NoSuchConversation("No such conversation.")
    if isinstance(error, (TicketNotFound, AccountNotFound)):
        return NotFound(str(error))
    if isinstance(error, NotPermitted):
        return Forbidden(str(error))
    if isinstance(error, SessionInvalid):
        return NotLoggedIn()
    if isinstance(error, InvalidCredentials):
        return WrongCredentials()
    if isinstance(error, (IllegalTransition, AgentNotEligible, IllegalTicketTransition)):
        return Conflict(str(error))
    if isinstance(
        error,
        (InvalidHandoffInput, InvalidNote, InvalidTicketData, InvalidAgentData, RatingNotAccepted),
    ):
        return BadRequest(str(error))
    return NotAllowedNow(str(error))
