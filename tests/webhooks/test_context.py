"""The worker runs beside an aiohttp app and stops with it."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.db import Database, TenantRef
from bot.db.webhooks import add_endpoint, record_event
from bot.webhooks.context import delivery_worker_context
from tests.webhooks.conftest import FAST, Receiver, wait_for


async def test_an_app_with_the_worker_context_delivers_events_until_it_stops(
    database: Database, nordlys: TenantRef, receiver: Receiver
) -> None:
    async with database.sessionmaker.begin() as session:
        await add_endpoint(session, nordlys.id, receiver.url(), ["*"])
    app = web.Application()
    app.cleanup_ctx.append(delivery_worker_context(database.sessionmaker, FAST))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with database.sessionmaker.begin() as session:
            event_id = await record_event(session, nordlys.id, "conversation.started", {})
        await wait_for(lambda: receiver.ids() == [event_id], timeout=10)
    finally:
        await server.close()

    async with database.sessionmaker.begin() as session:
        await record_event(session, nordlys.id, "conversation.resolved", {})
    await asyncio.sleep(0.2)  # ten poll intervals of a worker that was still running
    assert receiver.ids() == [event_id], "a stopped app's worker sends nothing more"
