"""The retention sweep on a timer, in one process: `make run`'s supervisor (bot/stack/run.py),
however many gateways and Rasa servers it starts."""

from __future__ import annotations

import asyncio
import logging

from bot.db.engine import Database
from bot.privacy.retention import sweep
from bot.privacy.tracker import TrackerStore

log = logging.getLogger(__name__)

FIRST_SWEEP_SECONDS = 60.0  # after start-up, once migrations and the services are done
EVERY_SECONDS = 3600.0  # retention is counted in days: hourly is prompt enough


def start_retention_timer(database_url: str) -> asyncio.Task[None]:
    """A task sweeping every EVERY_SECONDS; cancel it to stop."""
    return asyncio.create_task(sweep_periodically(database_url), name="retention-sweep")


async def sweep_periodically(
    database_url: str, first_seconds: float = FIRST_SWEEP_SECONDS, every_seconds: float = EVERY_SECONDS
) -> None:
    database, tracker = Database(database_url), TrackerStore.beside(database_url)
    try:
        await asyncio.sleep(first_seconds)
        while True:
            try:
                result = await sweep(database, tracker)
            except Exception:  # a database outage must not end the timer; the next run retries
                log.exception("retention sweep failed; retrying in %.0f s", every_seconds)
            else:
                if result.conversations or result.orphan_trackers:
                    log.warning(
                        "retention sweep deleted %d conversations and %d orphaned Rasa trackers",
                        result.conversations, result.orphan_trackers,
                    )
            await asyncio.sleep(every_seconds)
    finally:
        await database.dispose()
        await tracker.dispose()
