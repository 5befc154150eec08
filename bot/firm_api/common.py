"""Pieces every endpoint declaration shares: the error answers and the page parameters."""

from __future__ import annotations

from bot.firm_api import schema as s
from bot.firm_api.operations import Param, Response
from bot.firm_api.views import CURSOR, LIMIT

DEFAULT_LIMIT = 25
ERROR = s.ref("Error")


def errors(*extra: Response, body: bool = False) -> tuple[Response, ...]:
    """The answers every operation may give besides its own."""
    common = (
        Response(400, "The request is not valid (the message names each problem)", ERROR),
        Response(401, "No valid API key", ERROR, headers=("WWW-Authenticate",)),
        Response(403, "The key lacks the operation's scope", ERROR),
        Response(404, "Not found (also: another tenant's resource)", ERROR),
        Response(429, "Over the key's rate limit", ERROR, headers=("Retry-After",)),
    )
    too_large = (Response(413, "The body is too large", ERROR),) if body else ()
    return (*common, *too_large, *extra)


PAGE_PARAMS = (
    Param("limit", LIMIT, "Items per page, 1-100 (default 25)"),
    Param("cursor", CURSOR, "Where the previous page stopped: its next_cursor"),
)
