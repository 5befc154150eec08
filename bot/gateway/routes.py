"""URL map of the gateway (docs/widget-protocol.md)."""

from __future__ import annotations

from aiohttp import web

from bot.gateway.assets import STATIC_DIR
from bot.gateway.handlers import assets, chat_socket, demo, health, widget_api

TENANT_API = "/api/v1/tenants/{slug}"


def add_routes(app: web.Application) -> None:
    app.router.add_get("/widget.js", assets.widget_js)
    app.router.add_get(f"{TENANT_API}/widget", widget_api.widget_config)
    app.router.add_get(
        f"{TENANT_API}/conversations/{{conversation_id}}/messages", widget_api.conversation_history
    )
    app.router.add_route("OPTIONS", TENANT_API + "/{tail:.*}", widget_api.preflight)
    app.router.add_get(f"{TENANT_API}/ws", chat_socket.chat_socket)
    app.router.add_get("/demo/{slug}", demo.demo_page)
    # The demo page's own stylesheet and script (no inline code under the CSP).
    app.router.add_static("/static", STATIC_DIR, append_version=False, show_index=False)
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_get("/metrics", health.metrics)
