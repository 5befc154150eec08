"""What every database-backed action shares.

The action is the use case: it resolves the conversation's tenant, opens one
session and owns its transaction (`async with sessionmaker.begin()`), and turns
any failure into a clear message for the customer plus a logged error. Messages
reach the customer only once the transaction has committed, so nobody is told
"ticket opened" about a ticket that was rolled back.
"""

from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from actions.database import get_database
from bot.db import TenantRef, tenant_ref

logger = logging.getLogger(__name__)

EventList = list[dict[str, Any]]

# Used when neither the conversation nor the latest message names a tenant
# (e.g. `rasa shell` without the gateway).
DEFAULT_TENANT_VARIABLE = "DEFAULT_TENANT"


class TenantUnresolved(LookupError):
    """The conversation names no tenant, or one that does not exist."""

    def __init__(self, slug: str | None) -> None:
        super().__init__(f"no tenant {slug!r}")
        self.slug = slug


@dataclass(frozen=True)
class Records:
    """One open transaction inside the conversation's tenant."""

    session: AsyncSession
    tenant: TenantRef


def conversation_tenant(tracker: Tracker) -> str | None:
    """The tenant slug: slot `tenant`, else the latest message's metadata, else DEFAULT_TENANT."""
    slug = tracker.get_slot("tenant")
    if not slug:
        metadata = tracker.latest_message.get("metadata") or {}
        slug = metadata.get("tenant") if isinstance(metadata, dict) else None
    return slug or os.environ.get(DEFAULT_TENANT_VARIABLE) or None


@asynccontextmanager
async def tenant_records(tracker: Tracker) -> AsyncIterator[Records]:
    """One transaction in the conversation's tenant; commits when the block succeeds."""
    slug = conversation_tenant(tracker)
    async with get_database().sessionmaker.begin() as session:
        tenant = await tenant_ref(session, slug) if slug else None
        if tenant is None:
            raise TenantUnresolved(slug)
        yield Records(session=session, tenant=tenant)


async def guarded(
    action_name: str,
    dispatcher: CollectingDispatcher,
    work: Callable[[CollectingDispatcher], Awaitable[EventList]],
    *,
    on_failure: EventList | None = None,
) -> EventList:
    """Run `work` with a private dispatcher; never raises.

    On success its messages are passed on and its events returned. On failure
    the customer gets one clear message, the error is logged with its traceback,
    and `on_failure` is returned instead.
    """
    scratch = CollectingDispatcher()
    try:
        events = await work(scratch)
    except TenantUnresolved as error:
        logger.error("%s: conversation has no usable tenant (%r)", action_name, error.slug)
        dispatcher.utter_message(response="utter_something_went_wrong")
        return list(on_failure or [])
    except (SQLAlchemyError, OSError):
        logger.exception("%s: the database could not be reached", action_name)
        dispatcher.utter_message(response="utter_records_unavailable")
        return list(on_failure or [])
    except Exception:
        logger.exception("%s failed", action_name)
        dispatcher.utter_message(response="utter_something_went_wrong")
        return list(on_failure or [])
    dispatcher.messages.extend(scratch.messages)
    return events


class TenantAction(Action, ABC):
    """An action that works on the conversation tenant's records in one transaction."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        async def work(out: CollectingDispatcher) -> EventList:
            async with tenant_records(tracker) as records:
                return await self.run_with_records(out, tracker, domain, records)

        return await guarded(self.name(), dispatcher, work, on_failure=self.events_on_failure(tracker))

    @abstractmethod
    async def run_with_records(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        records: Records,
    ) -> EventList:
        """The action's work; raise on infrastructure errors, the base reports them."""

    def events_on_failure(self, tracker: Tracker) -> EventList:
        """Events to return when the work failed (default: none)."""
        return []
