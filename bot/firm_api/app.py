"""The public REST API as its own sub-application: `create_firm_api_app(deps)`.

Mounted by the gateway with `app.add_subapp("/api", ...)`: /api/v1/firm/... (the endpoints),
/api/v1/openapi.json (the document, written from the same declarations that validate each
request) and /api/docs (a reference page rendered from that document).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from bot.firm_api import accounts, conversations, reports, tickets
from bot.firm_api.deps import FirmApiDeps
from bot.firm_api.docs_page import STYLESHEET, render_docs
from bot.firm_api.errors import FirmApiError
from bot.firm_api.keys import DEPS
from bot.firm_api.openapi import openapi_document
from bot.firm_api.operations import Operation, route_handler
from bot.firm_api.views import COMPONENTS as VIEW_COMPONENTS

MOUNT = "/api"
ALL_OPERATIONS: tuple[Operation, ...] = (
    *tickets.OPERATIONS, *conversations.OPERATIONS, *accounts.OPERATIONS, *reports.OPERATIONS
)
COMPONENTS = {**VIEW_COMPONENTS, **reports.COMPONENTS}


def create_firm_api_app(deps: Callable[[], FirmApiDeps]) -> web.Application:
    app = web.Application(middlewares=[firm_api_errors])

    async def shared_ctx(app: web.Application) -> AsyncIterator[None]:
        app[DEPS] = deps()
        yield

    app.cleanup_ctx.append(shared_ctx)
    document = openapi_document(ALL_OPERATIONS, COMPONENTS, MOUNT)
    docs_html = render_docs(document)

    def request_deps(request: web.Request) -> FirmApiDeps:
        return request.app[DEPS]

    for operation in ALL_OPERATIONS:
        app.router.add_route(operation.method, operation.path, route_handler(operation, request_deps, COMPONENTS))

    async def openapi_json(_request: web.Request) -> web.Response:
        return web.json_response(document)

    async def docs(_request: web.Request) -> web.Response:
        return web.Response(text=docs_html, content_type="text/html")

    async def stylesheet(_request: web.Request) -> web.Response:
        return web.Response(text=STYLESHEET, content_type="text/css")

    app.router.add_get("/v1/openapi.json", openapi_json)
    app.router.add_get("/docs", docs)
    app.router.add_get("/docs.css", stylesheet)
    return app


@web.middleware
async def firm_api_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        response = await handler(request)
    except FirmApiError as error:
        payload: dict[str, object] = {"code": error.code, "message": error.message}
        if error.details is not None:
            payload["details"] = error.details
        response = web.json_response({"error": payload}, status=error.status, headers=error.response_headers())
    # Answers about a firm's customers are never cached by anyone in between.
    response.headers.setdefault("Cache-Control", "no-store")
    return response
