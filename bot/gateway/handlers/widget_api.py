"""The widget's REST endpoints: its configuration and a conversation's history."""

from __future__ import annotations

from aiohttp import web

from bot.db import conversations as store
from bot.gateway import protocol
from bot.gateway.cors import require_allowed_origin
from bot.gateway.errors import BadRequest, NoSuchConversation
from bot.gateway.keys import DATABASE, SETTINGS
from bot.gateway.chat.start import check_identity, unsaved_greeting
from bot.gateway.tenant_context import TenantContext, load_tenant


async def widget_config(request: web.Request) -> web.Response:
    """GET /api/v1/tenants/{slug}/widget: branding and limits (never the identity secret)."""
    tenant = await _tenant_for(request)
    return web.json_response(tenant.public_config(request.app[SETTINGS].max_message_chars))


async def conversation_history(request: web.Request) -> web.Response:
    """GET .../conversations/{conversation_id}/messages?after=SEQ: stored messages after SEQ.

    A conversation the firm's site signed in is only shown with the same identity in
    the X-User-Id / X-User-Hash headers; otherwise it is "not found".
    """
    tenant = await _tenant_for(request)
    after = _after(request)
    async with request.app[DATABASE].sessionmaker() as session:
        conversation = await store.get_conversation(
            session, tenant.ref, request.match_info["conversation_id"]
        )
        if conversation is None:
            raise NoSuchConversation("No such conversation.")
        if conversation.verified_by == "site":
            identity = await check_identity(
                session,
                tenant,
                request.headers.get("X-User-Id"),
                request.headers.get("X-User-Hash"),
            )
            if identity.account_id != conversation.verified_account_id:
                raise NoSuchConversation("No such conversation.")
        if conversation.last_seq == 0:  # nobody wrote yet: the greeting is shown, not stored
            messages = [unsaved_greeting(tenant, conversation.created_at)] if after < 1 else []
        else:
            messages = await store.messages_after(session, tenant.ref, conversation.id, after)
    return web.json_response(
        {
            "conversation_id": conversation.id,
            "state": conversation.state,
            "ended": conversation.ended_at is not None,
            "messages": [_without_type(protocol.message(message)) for message in messages],
        }
    )


async def preflight(request: web.Request) -> web.Response:
    """OPTIONS for any tenant API path: 204 with CORS headers for an allowed Origin, else 403."""
    await _tenant_for(request, origin_required=True)
    return web.Response(status=204)


async def _tenant_for(request: web.Request, *, origin_required: bool = False) -> TenantContext:
    async with request.app[DATABASE].sessionmaker() as session:
        tenant = await load_tenant(session, request.match_info["slug"])
    require_allowed_origin(request, tenant, required=origin_required)
    return tenant


def _after(request: web.Request) -> int:
    raw = request.query.get("after", "0")
    if not raw.isdigit():
        raise BadRequest("'after' must be a whole number >= 0.")
    return int(raw)


def _without_type(frame: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in frame.items() if key != "type"}
