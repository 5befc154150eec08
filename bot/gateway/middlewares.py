"""Request logging and the edge where errors become JSON answers."""

from __future__ import annotations

import logging
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.gateway.errors import GatewayError
from bot.gateway.keys import METRICS

log = logging.getLogger("bot.gateway.requests")
error_log = logging.getLogger("bot.gateway.errors")

_HTTP_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
}


def error_response(code: str, message: str, status: int) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def route_of(request: web.Request) -> str:
    """The route pattern, never the concrete path: paths carry conversation ids (bearer secrets)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "-"


@web.middleware
async def request_log_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One line per request: method, route pattern, status, duration. No query, body or ids."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        log.info(
            "%s %s %s %.1fms tenant=%s",
            request.method,
            route_of(request),
            status,
            (time.perf_counter() - started) * 1000,
            request.match_info.get("slug", "-"),
        )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except GatewayError as error:
        error_log.info(
            "%s on %s (tenant %s)",
            error.code,
            route_of(request),
            request.match_info.get("slug", "-"),
        )
        request.config_dict[METRICS].errors.labels(error.code).inc()
        return error_response(error.code, error.message, error.status)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = _HTTP_CODES.get(error.status, f"http_{error.status}")
        request.config_dict[METRICS].errors.labels(code).inc()
        return error_response(code, error.reason, error.status)
    except Exception:
        error_log.exception("unexpected error on %s %s", request.method, route_of(request))
        request.config_dict[METRICS].errors.labels(GatewayError.code).inc()
        return error_response(GatewayError.code, GatewayError.default_message, GatewayError.status)
