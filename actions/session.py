"""Session start: carry slots over like Rasa does, then apply the gateway's metadata.

The gateway starts each conversation with metadata such as
{"tenant": "nordlys", "verified_account": "10000001", "language": "nb"}; a
customer the website has already verified skips verify_form.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import EventList, conversation_tenant, guarded
from actions.database import get_database
from actions.formatting import SUPPORTED_LANGUAGES
from bot.db import TenantRef, find_account, get_tenant

logger = logging.getLogger(__name__)

SESSION_METADATA_SLOT = "session_started_metadata"
# Who the customer is belongs to one tenant: forgotten when the tenant changes.
ANONYMOUS = {"verified": False, "account_number": None, "customer_name": None,
             "verification_failures": 0.0}


def session_metadata(tracker: Tracker) -> dict[str, Any]:
    """The session's metadata: slot session_started_metadata, else the latest message's."""
    for candidate in (tracker.get_slot(SESSION_METADATA_SLOT), tracker.latest_message.get("metadata")):
        if isinstance(candidate, dict) and candidate:
            return candidate
    return {}


def carried_over_slots(tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
    """Slot values of the previous session, as Rasa's own action_session_start keeps them."""
    if not domain.get("session_config", {}).get("carry_over_slots_to_new_session", True):
        return {}
    values: dict[str, Any] = {}
    for event in tracker.applied_events():
        if event.get("event") == "slot":
            values[event["name"]] = event.get("value")
    return values


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        metadata = session_metadata(tracker)
        slots = carried_over_slots(tracker, domain)
        slug = metadata.get("tenant") or slots.get("tenant") or conversation_tenant(tracker)

        async def identify(_: CollectingDispatcher) -> EventList:
            return await self._tenant_slots(str(slug), metadata, slots)

        if slug:
            # A failure leaves the customer anonymous; the next action reports it.
            update = await guarded(self.name(), CollectingDispatcher(), identify)
        else:
            logger.error("session of %s names no tenant and DEFAULT_TENANT is unset", tracker.sender_id)
            update = []
        for event in update:
            slots[event["name"]] = event["value"]
        return [
            SessionStarted(),
            *(SlotSet(name, value) for name, value in slots.items()),
            ActionExecuted("action_listen"),
        ]

    async def _tenant_slots(
        self, slug: str, metadata: dict[str, Any], carried: dict[str, Any]
    ) -> EventList:
        async with get_database().sessionmaker.begin() as session:
            tenant = await get_tenant(session, slug)
            if tenant is None:
                logger.error("session metadata names unknown tenant %r", slug)
                return [SlotSet("tenant", None)]
            events: EventList = [SlotSet("tenant", tenant.slug)]
            if carried.get("tenant") not in (None, tenant.slug):
                events += [SlotSet(name, value) for name, value in ANONYMOUS.items()]
            language = metadata.get("language")
            if language not in SUPPORTED_LANGUAGES:
                language = carried.get("language") or tenant.language
            events.append(SlotSet("language", language if language in SUPPORTED_LANGUAGES else "en"))
            verified_number = metadata.get("verified_account")
            if verified_number:
                ref = TenantRef.of(tenant)
                account = await find_account(session, ref, str(verified_number))
                if account is None:
                    logger.warning("verified_account from the website is not an account of %s", slug)
                else:
                    events += [
                        SlotSet("verified", True),
                        SlotSet("account_number", account.account_number),
                        SlotSet("customer_name", account.name),
                    ]
            return events
