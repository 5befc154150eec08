"""Rasa's SQL tracker store, writing events with personal data redacted.

endpoints.yml names it (`tracker_store: type: bot.engine.tracker_store.RedactingSQLTrackerStore`);
Rasa builds it with the same arguments as its own SQL store (dialect, url, db, ...).

Rasa reloads a conversation from this store at the start of every message, and keeps the
tracker in memory until the turn's events are saved: a turn sees what the customer typed,
later turns see the redacted copy. Nothing the dialogue reads on a later turn is personal:
the verified flag, the account number, ticket refs (bot/redaction/events.py).
"""

from __future__ import annotations

import itertools
import json
import logging
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.engine.rest_channel import SAVED_PARSE_DATA
from bot.redaction import Redactor
from bot.redaction.events import redact_events, verify_form_running

logger = logging.getLogger(__name__)


class RedactingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore (SQLite, PostgreSQL) that redacts every event before writing it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Builds a spaCy tokenizer pipeline: once, when Rasa starts.
        self._redactor = Redactor()

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's SQLTrackerStore.save, with the new events redacted as one batch (a secret
        answer in a slot is also taken out of the message that gave it)."""
        await self.stream_events(tracker)  # no event broker is configured
        # What the turn was understood as, for the REST channel's answer (bot/engine/rest_channel.py).
        SAVED_PARSE_DATA.set(tracker.latest_message.parse_data if tracker.latest_message else None)

        with self.session_scope() as session:
            stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
            events = [event.as_dict() for event in itertools.islice(tracker.events, stored, None)]
            verifying = verify_form_running(event.as_dict() for event in itertools.islice(tracker.events, stored))
            for event, data in zip(events, redact_events(events, self._redactor, verifying=verifying)):
                intent = data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY)
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event["event"],
                        timestamp=data.get("timestamp"),
                        intent_name=intent,
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()

        logger.debug("Tracker with sender_id '%s' stored to database", tracker.sender_id)
