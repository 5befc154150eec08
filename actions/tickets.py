"""Support tickets: the ticket form, opening a confirmed ticket, and ticket status."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import EventList, Records, TenantAction
from actions.fallback import MissCountingFormValidation
from actions.formatting import day, language_of, ticket_status
from actions.privacy import redact
from actions.turns import latest_turn_with
from bot.db import InvalidTicketData, find_account, normalize_reference, open_ticket
from bot.db.tickets import ticket_of_customer
from bot.db.types import utcnow
from bot.db import audit

logger = logging.getLogger(__name__)

CATEGORIES = ("billing", "technical", "account", "claim", "other")
# Words a customer types instead of pressing a category button (English and Bokmål).
_CATEGORY_WORDS = {
    "billing": ("bill", "billing", "invoice", "payment", "charge", "charged", "price", "faktura",
                "regning", "betaling"),
    "technical": ("technical", "tech", "internet", "broadband", "wifi", "router", "fault", "outage",
                  "power", "meter", "connection", "teknisk", "feil"),
    "account": ("account", "login", "log in", "password", "address", "details", "konto"),
    "claim": ("claim", "insurance", "damage", "stolen", "accident", "skade", "skademelding"),
    "other": ("other", "something else", "none of", "annet", "noe annet"),
}
DESCRIPTION_MIN_CHARS = 10
SUBJECT_MAX_CHARS = 80
# Ticket lookups one conversation may make in LOOKUP_WINDOW (counted in the audit log).
MAX_LOOKUPS = 5
LOOKUP_WINDOW = timedelta(minutes=15)
_REFERENCE_IN_TEXT = re.compile(r"#?[A-Za-z]{3}\s*[-\u2013\s]?\s*\d{1,9}")


def category_of(answer: str) -> str | None:
    """'billing' / 'It's about my invoice' / 'teknisk' -> a ticket category, else None."""
    text = answer.strip().lower()
    if text in CATEGORIES:
        return text
    words = set(re.findall(r"[a-zæøå]+", text))
    for category, keywords in _CATEGORY_WORDS.items():
        if any((keyword in text) if " " in keyword else (keyword in words) for keyword in keywords):
            return category
    return None


def subject_of(description: str) -> str:
    """The description's first sentence, short enough for a ticket list."""
    first = re.split(r"(?<=[.!?])\s", description.strip(), maxsplit=1)[0]
    return first if len(first) <= SUBJECT_MAX_CHARS else first[: SUBJECT_MAX_CHARS - 1].rstrip() + "…"


def reference_in(answer: str) -> str | None:
    """'it's nrd 1042' -> 'NRD-1042'; None when no ticket reference is written."""
    for match in _REFERENCE_IN_TEXT.finditer(answer):
        reference = normalize_reference(match.group(0))
        if reference:
            return reference
    return None


class ValidateTicketForm(MissCountingFormValidation):
    def name(self) -> str:
        return "validate_ticket_form"

    async def extract_ticket_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # As the form starts (nothing asked yet), the request itself often names the
        # category ("I want to file a claim", "my internet is down"): don't ask again.
        if tracker.get_slot("requested_slot") is not None or tracker.get_slot("ticket_category"):
            return {}
        request = latest_turn_with(tracker, ("open_ticket",)) or {}
        category = category_of(str(request.get("text") or ""))
        return {"ticket_category": category} if category else {}

    async def validate_ticket_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        category = category_of(str(value or ""))
        if category is None:
            self.unusable(dispatcher, tracker, "utter_ticket_category_invalid")
        return {"ticket_category": category}

    async def validate_ticket_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        description = " ".join(str(value or "").split())
        if len(description) < DESCRIPTION_MIN_CHARS or description.startswith("/"):
            self.unusable(dispatcher, tracker, "utter_ticket_description_too_short")
            return {"ticket_description": None}
        return {"ticket_description": description}


class ActionOpenTicket(TenantAction):
    """Writes the confirmed ticket, linked to the verified account and this conversation."""

    def name(self) -> str:
        return "action_open_ticket"

    async def run_with_records(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        records: Records,
    ) -> EventList:
        if not tracker.get_slot("verified"):
            dispatcher.utter_message(response="utter_verify_first")
            return []
        category = tracker.get_slot("ticket_category")
        description = tracker.get_slot("ticket_description")
        if category not in CATEGORIES or not description:
            logger.error("action_open_ticket ran without a complete ticket form")
            dispatcher.utter_message(response="utter_something_went_wrong")
            return _forget_ticket_form()
        account = await find_account(records.session, records.tenant, tracker.get_slot("account_number"))
        if account is None:
            logger.error("verified account is missing from tenant %s", records.tenant.slug)
            dispatcher.utter_message(response="utter_account_not_found")
            return _forget_ticket_form()
        private = redact(description)
        try:
            ticket = await open_ticket(
                records.session,
                records.tenant,
                account_id=account.id,
                conversation_id=tracker.sender_id,
                subject=subject_of(private),
                description=private,
                category=category,
            )
        except InvalidTicketData as error:
            logger.error("ticket not opened: %s", error)
            dispatcher.utter_message(response="utter_ticket_not_opened", problem=error.problem)
            return _forget_ticket_form()
        dispatcher.utter_message(response="utter_ticket_opened", reference=ticket.reference)
        opened = list(tracker.get_slot("opened_tickets") or [])
        return [*_forget_ticket_form(), SlotSet("opened_tickets", [*opened, ticket.reference])]


class ActionCancelTicket(Action):
    def name(self) -> str:
        return "action_cancel_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        dispatcher.utter_message(response="utter_ticket_cancelled")
        return _forget_ticket_form()


class ValidateTicketStatusForm(MissCountingFormValidation):
    def name(self) -> str:
        return "validate_ticket_status_form"

    async def validate_ticket_ref(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        reference = reference_in(str(value or ""))
        if reference is None:
            self.unusable(dispatcher, tracker, "utter_ticket_ref_invalid")
        return {"ticket_ref": reference}


class ActionTicketStatus(TenantAction):
    """A ticket's status, only for the customer it belongs to: opened in this conversation, or
    on the account the customer is verified as. Everyone else hears "not found", exactly as
    for a reference that does not exist, and a conversation may look up only a few references
    in a while, so a firm's sequential references cannot be walked."""

    def name(self) -> str:
        return "action_ticket_status"

    async def run_with_records(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        records: Records,
    ) -> EventList:
        reference = reference_in(str(tracker.get_slot("ticket_ref") or ""))
        if reference is None:
            dispatcher.utter_message(response="utter_ticket_ref_invalid")
            return [SlotSet("ticket_ref", None)]
        conversation = tracker.sender_id
        since = utcnow() - LOOKUP_WINDOW
        tenant_id = records.tenant.id
        if await audit.count_since(records.session, tenant_id, audit.TICKET_LOOKUP, conversation, since) >= MAX_LOOKUPS:
            dispatcher.utter_message(response="utter_ticket_lookups_limited")
            return [SlotSet("ticket_ref", None)]
        account = None
        if tracker.get_slot("verified"):
            account = await find_account(records.session, records.tenant, tracker.get_slot("account_number"))
        ticket = await ticket_of_customer(
            records.session, records.tenant, reference,
            conversation_id=conversation, account_id=account.id if account else None,
        )
        await audit.record(
            records.session, audit.Actor.customer(), audit.TICKET_LOOKUP, tenant_id=tenant_id,
            target_kind="conversation", target_id=conversation,
            details={"reference": reference, "found": ticket is not None},
        )
        if ticket is None:
            dispatcher.utter_message(response="utter_ticket_not_found", reference=reference)
            return [SlotSet("ticket_ref", None)]
        language = language_of(tracker.get_slot("language"))
        dispatcher.utter_message(
            response="utter_ticket_status_with_subject",
            reference=ticket.reference,
            subject=ticket.subject,
            status=ticket_status(ticket.status, language),
            updated=day(ticket.updated_at, language),
        )
        if ticket.public_reply and ticket.public_reply_at is not None:
            # The firm's latest word on the case (public API): the customer hears it here.
            dispatcher.utter_message(
                response="utter_ticket_public_reply",
                reply=ticket.public_reply,
                replied=day(ticket.public_reply_at, language),
            )
        return [SlotSet("ticket_ref", None)]


def _forget_ticket_form() -> EventList:
    return [SlotSet("ticket_category", None), SlotSet("ticket_description", None)]
