"""FAQ answers: the ResponseSelector picks the topic, the tenant's records hold the answer."""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import EventList, Records, TenantAction
from actions.formatting import language_of
from bot.db import faq_answer

logger = logging.getLogger(__name__)

RETRIEVAL_INTENT = "faq"


def faq_key(tracker: Tracker) -> str | None:
    """'faq/opening_hours' predicted for the latest message -> 'opening_hours'; a button
    '/faq{"faq_topic": "opening_hours"}' (actions/fallback.py) names the topic itself."""
    topic = next(tracker.get_latest_entity_values("faq_topic"), None)
    if topic:
        return str(topic)
    selector = (tracker.latest_message.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    full_key = (selector.get("response") or {}).get("intent_response_key") or ""
    prefix, _, key = full_key.partition("/")
    return key if prefix == RETRIEVAL_INTENT and key else None


class ActionFaq(TenantAction):
    def name(self) -> str:
        return "action_faq"

    async def run_with_records(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        records: Records,
    ) -> EventList:
        key = faq_key(tracker)
        language = language_of(tracker.get_slot("language"))
        answer = await faq_answer(records.session, records.tenant, key, language) if key else None
        if answer is None:
            logger.warning("no FAQ answer %r (%s) for tenant %s", key, language, records.tenant.slug)
            dispatcher.utter_message(response="utter_faq_missing")
            return [SlotSet("handoff_offered", True)]
        dispatcher.utter_message(text=answer)
        return [SlotSet("handoff_offered", False)]
