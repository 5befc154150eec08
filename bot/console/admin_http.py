"""What every admin endpoint module shares (admin_api, admin_portal_api, admin_webhooks):
who may call it (an admin; a write also needs the session's CSRF token), the admin use cases'
errors as HTTP answers, typed fields of a JSON body, and answers that carry a secret."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.console.errors import Conflict, Forbidden, to_gateway_error
from bot.console.session_auth import agent_for_change, current_agent
from bot.db.agents import AgentNotFound, DuplicateAgentEmail, InvalidAgentData
from bot.db.api_keys import InvalidApiKeyData
from bot.db.audit import Actor
from bot.db.canned import InvalidCannedResponse
from bot.db.errors import DomainError, TenantNotFound
from bot.db.faq_admin import InvalidFaqAnswer
from bot.db.tenant_admin import DuplicateTenant, InvalidTenantData
from bot.gateway.errors import BadRequest, NotFound
from bot.handoff.business_hours import InvalidBusinessHours
from bot.handoff.errors import WeakPassword

ADMIN_ROLE = "admin"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# --- access and errors ----------------------------------------------------------------


async def require_admin(request: web.Request) -> None:
    """A read: a logged-in admin, else 401 / 403."""
    require_admin_role((await current_agent(request)).scope.role)


async def admin_for_change(request: web.Request) -> Actor:
    """A write: a logged-in admin with the session's CSRF token, else 401 / 403; returns who
    they are for the audit log."""
    scope = (await agent_for_change(request)).scope
    require_admin_role(scope.role)
    return Actor.agent(scope)


def require_admin_role(role: str) -> None:
    if role != ADMIN_ROLE:
        raise Forbidden("Only admins may do that.")


def admin_errors(handler: Handler) -> Handler:
    """The admin use cases' errors as HTTP answers: bad input 400, unknown 404, duplicate 409."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (
            InvalidTenantData,
            InvalidAgentData,
            InvalidCannedResponse,
            InvalidFaqAnswer,
            InvalidBusinessHours,
            InvalidApiKeyData,
        ) as error:
            raise BadRequest(str(error)) from None
        except WeakPassword as error:  # its message states the policy, never the password
            raise BadRequest(f"password: {error}") from None
        except (TenantNotFound, AgentNotFound) as error:
            raise NotFound(f"{str(error).capitalize()}.") from None
        except (DuplicateTenant, DuplicateAgentEmail) as error:
            raise Conflict(f"{str(error).capitalize()}.") from None
        except DomainError as error:
            raise to_gateway_error(error) from None

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


# --- input of a JSON body ------------------------------------------------------------------------------


def body_string(body: dict[str, Any], name: str, *, default: str | None = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' is required and must be a string.")
    return value


def body_strings(body: dict[str, Any], name: str, *, default: list[str] | None = None) -> list[str]:
    value = body.get(name, default)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest(f"'{name}' is required and must be a list of strings.")
    return value


def body_integer(body: dict[str, Any], name: str, default: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"'{name}' must be a whole number.")
    return value


def body_boolean(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise BadRequest(f"'{name}' must be true or false.")
    return value


def secret_response(payload: dict[str, Any], status: int = 200) -> web.Response:
    response = web.json_response(payload, status=status)
    response.headers["Cache-Control"] = "no-store"  # carries a secret
    return response
