"""The portal's errors: one code, one message, one HTTP status (GatewayError, so the gateway's
edge renders them as JSON for scripts; the portal's middleware renders pages for browsers).

Another tenant's portal answers 404, exactly like a tenant that does not exist, so a
firm user cannot learn which other firms there are.
"""

from __future__ import annotations

from bot.gateway.errors import GatewayError


class NotSignedIn(GatewayError):
    code = "not_logged_in"
    status = 401
    default_message = "Please sign in."


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
    default_message = "Your role may not do that."


class PageNotFound(GatewayError):
    code = "not_found"
    status = 404
    default_message = "There is no such page."


class TooManyLogins(GatewayError):
    code = "rate_limited"
    status = 429
    default_message = "Too many sign-in attempts. Please wait a minute and try again."


class InvalidInput(GatewayError):
    code = "bad_request"
    status = 400
    default_message = "The form is not valid."


class InviteUnusable(GatewayError):
    code = "invite_unusable"
    status = 410
    default_message = "This invitation link has been used or has expired. Ask your admin for a new one."
