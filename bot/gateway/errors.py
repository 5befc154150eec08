"""Every error the gateway explains to a client: one code, one message, one HTTP status.

REST answers them as `{"error": {"code", "message"}}` with `status`; the WebSocket
sends them as `error` frames and stays open (see docs/widget-protocol.md).
"""

from __future__ import annotations

from typing import ClassVar


class GatewayError(Exception):
    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "Something went wrong on our side."

    def __init__(self, message: str | None = None, *, client_id: str | None = None) -> None:
        self.message = message or self.default_message
        self.client_id = client_id
        super().__init__(self.message)


class NoSuchTenant(GatewayError):
    code = "unknown_tenant"
    status = 404
    default_message = "This chat is not set up for that company."


class OriginNotAllowed(GatewayError):
    code = "origin_not_allowed"
    status = 403
    default_message = "This website may not use this company's chat."


class NoSuchConversation(GatewayError):
    code = "conversation_not_found"
    status = 404
    default_message = "That conversation was not found; a new one has been started."


class NotFound(GatewayError):
    code = "not_found"
    status = 404
    default_message = "Nothing here."


class BadRequest(GatewayError):
    code = "bad_request"
    status = 400
    default_message = "The request is not valid."


class BadJson(GatewayError):
    code = "bad_json"
    status = 400
    default_message = "Each frame must be one JSON object."


class UnknownFrame(GatewayError):
    code = "unknown_frame"
    status = 400
    default_message = "Unknown frame type or missing/invalid fields."


class HelloRequired(GatewayError):
    code = "hello_required"
    status = 400
    default_message = "Send a hello frame first."


class BadIdentity(GatewayError):
    code = "bad_identity"
    status = 403
    default_message = "We could not confirm who you are; you can still chat without signing in."


class MessageTooLong(GatewayError):
    code = "message_too_long"
    status = 413
    default_message = "That message is too long."


class TooManyConversations(GatewayError):
    code = "too_many_conversations"
    status = 429
    default_message = "Too many new conversations from here just now. Please try again in a minute."


class RateLimited(GatewayError):
    code = "rate_limited"
    status = 429
    default_message = "You are sending messages too quickly. Please wait a moment and try again."


class AssistantUnavailable(GatewayError):
    code = "assistant_unavailable"
    status = 503
    default_message = (
        "Our assistant is not responding right now. Your message is saved and will be "
        "answered as soon as it is back — or ask for a person."
    )


class NotAllowedNow(GatewayError):
    """A valid request the conversation's state does not allow (e.g. rating an open chat)."""

    code = "not_allowed"
    status = 409
    default_message = "That is not possible in this conversation right now."


class ServiceUnavailable(GatewayError):
    code = "service_unavailable"
    status = 503
    default_message = "The chat service is temporarily unavailable. Please try again shortly."
