"""The public API's errors: one code, one HTTP status, a message a developer can act on.

Answered as `{"error": {"code", "message"}}` (the gateway's shape), some with `details`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bot.gateway.errors import GatewayError


class FirmApiError(GatewayError):
    headers: ClassVar[dict[str, str]] = {}

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        super().__init__(message)
        self.details = details

    def response_headers(self) -> dict[str, str]:
        return dict(self.headers)


class Unauthenticated(FirmApiError):
    code = "unauthenticated"
    status = 401
    default_message = "Send a valid API key: 'Authorization: Bearer <key>'."
    headers = {"WWW-Authenticate": 'Bearer realm="firm-api"'}


class MissingScope(FirmApiError):
    code = "missing_scope"
    status = 403
    default_message = "This API key may not do that."


class ResourceNotFound(FirmApiError):
    # Also for another tenant's resources: a key never learns what exists elsewhere.
    code = "not_found"
    status = 404
    default_message = "Not found."


class InvalidRequest(FirmApiError):
    code = "invalid_request"
    status = 400
    default_message = "The request is not valid."


class InvalidAccounts(FirmApiError):
    code = "invalid_accounts"
    status = 422
    default_message = "Some accounts are not valid; nothing was changed."


class TransitionNotAllowed(FirmApiError):
    code = "transition_not_allowed"
    status = 409
    default_message = "The ticket cannot move to that status from its current one."


class TooManyRequests(FirmApiError):
    code = "rate_limited"
    status = 429
    default_message = "Too many requests for this API key; retry after the time in Retry-After."

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__()
        self.retry_after_seconds = retry_after_seconds

    def response_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}
