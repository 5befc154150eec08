"""URL map of the agent console (docs/agent-console.md)."""

from __future__ import annotations

from aiohttp import web

from bot.console import admin_api, admin_portal_api, admin_webhooks, api, pages
from bot.privacy.http import add_privacy_routes

# Relative to the sub-app's mount point (/agent).
API = "/api"
CONVERSATION = f"{API}/conversations/{{conversation_id}}"


def add_console_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("", pages.console_page)
    router.add_get("/", pages.console_page)
    router.add_get("/login", pages.login_page)
    router.add_static("/static", pages.STATIC_DIR, show_index=False)
    router.add_get("/ws", api.agent_socket)

    router.add_post(f"{API}/login", api.login)
    router.add_post(f"{API}/logout", api.logout)
    router.add_get(f"{API}/me", api.me)
    router.add_get(f"{API}/queue", api.queue)
    router.add_get(f"{API}/overview", api.supervisor_overview)

    router.add_get(CONVERSATION, api.conversation)
    router.add_get(f"{CONVERSATION}/canned", api.canned_responses)
    router.add_get(f"{CONVERSATION}/transfer_targets", api.transfer_targets)
    router.add_post(f"{CONVERSATION}/claim", api.claim)
    router.add_post(f"{CONVERSATION}/messages", api.send_message)
    router.add_post(f"{CONVERSATION}/notes", api.add_note)
    router.add_post(f"{CONVERSATION}/transfer", api.transfer)
    router.add_post(f"{CONVERSATION}/resolve", api.resolve)
    router.add_post(f"{CONVERSATION}/hand_back", api.hand_back)
    router.add_post(f"{CONVERSATION}/tickets", api.create_ticket)
    router.add_post(f"{CONVERSATION}/tickets/{{reference}}/status", api.update_ticket)

    admin_api.add_admin_routes(app, f"{API}/admin")  # role admin only (docs/agent-console.md)
    admin_portal_api.add_portal_admin_routes(app, f"{API}/admin")  # the firms' portal users
    admin_webhooks.add_webhook_routes(app, f"{API}/admin")  # a tenant's webhooks (docs/webhooks.md)
    add_privacy_routes(app, API)  # audit log, data-subject requests (bot/privacy/http.py)
