"""Run one delivery worker beside an aiohttp app (a cleanup context).

Wiring, in the gateway's app factory:
    app.cleanup_ctx.append(delivery_worker_context(database.sessionmaker, WebhookSettings.from_env()))
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.webhooks.settings import WebhookSettings
from bot.webhooks.worker import DeliveryWorker


def delivery_worker_context(
    sessionmaker: async_sessionmaker[AsyncSession], settings: WebhookSettings
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(_app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        async with DeliveryWorker(sessionmaker, settings) as worker:
            task = asyncio.create_task(worker.run(stop), name="webhook-delivery-worker")
            try:
                yield
            finally:
                stop.set()
                await task  # finishes the batch in flight (bounded by the request timeout)

    return context
