"""Identity verification (verify_form): account number, then postcode or email on file.

Each wrong answer (an account number with a postcode or email not on file) counts;
after MAX_FAILURES the form stops and the rules hand the conversation to a person
(reason "verification_failed"). Every attempt checks exactly one factor, so a message
full of postcodes cannot guess its way in. An answer that cannot be checked at all
(no 8-digit number; neither digits nor an email for the factor) is a miss, not a guess:
after a miss the turn before, the form stops the same way and the rules hand off
(reason "repeated_misses"), as the fallbacks and the ticket forms do (actions/misses.py).

A success is also written to our database, on the conversation (sender id =
conversation id, as the gateway sends it): the agent console then shows the
account and how it was verified, as for a customer the firm's site signed in.
"""

from __future__ import annotations

import logging
import re

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import EventList, Records, TenantAction
from actions.misses import previous_turn_missed
from bot.db import normalize_account_number, verify_account
from bot.db.conversations import ConversationNotFound, set_verified_account

logger = logging.getLogger(__name__)

MAX_FAILURES = 3
# Stored in place of the postcode/email once it matched: the slot only has to be filled.
FACTOR_MATCHED = "matched"

_DIGIT_GROUPS = re.compile(r"\d[\d \-]*\d|\d")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
_NO_POSTCODE = re.compile(r"(?<![\d\-])\d{4}(?![\d\-])")


def account_number_in(text: str) -> str | None:
    """The one 8-digit account number written in `text` ('12 345 678', '1234-5678'), else None."""
    numbers = {n for n in map(normalize_account_number, _DIGIT_GROUPS.findall(text)) if n}
    return numbers.pop() if len(numbers) == 1 else None


def factor_in(text: str, *, whole_text_counts: bool) -> str | None:
    """The single postcode or email to check: an email, else a UK or Norwegian postcode.

    When the customer was asked for the factor, the whole answer counts as one
    (e.g. 'bs14dj'); inside a message that gave the account number it does not.
    """
    for pattern in (_EMAIL, _UK_POSTCODE):
        match = pattern.search(text)
        if match:
            return match.group(0)
    four_digits = _NO_POSTCODE.findall(text)
    if len(four_digits) == 1:
        return four_digits[0]
    stripped = text.strip()
    return stripped if whole_text_counts and stripped else None


def could_be_factor(answer: str) -> bool:
    """Whether an answer to "postcode or email?" can be checked at all: every postcode on
    file has a digit and every email an @ ("I don't know", "hæ?" have neither)."""
    return "@" in answer or any(character.isdigit() for character in answer)


class ValidateVerifyForm(TenantAction):
    def name(self) -> str:
        return "validate_verify_form"

    def events_on_failure(self, tracker: Tracker) -> EventList:
        # Records unreachable: forget this turn's answers so the form asks again;
        # the outage is not the customer's failure and is not counted.
        return [
            SlotSet(name, None) for name in tracker.slots_to_validate() if name != "requested_slot"
        ]

    async def run_with_records(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        records: Records,
    ) -> EventList:
        if tracker.get_slot("verified"):
            return [SlotSet("requested_slot", None)]
        answers = tracker.slots_to_validate()
        if not {"account_number", "verification_factor"} & answers.keys():
            # Nothing answered (e.g. an interruption): returning no events lets the
            # form reject the turn, so the rules can handle what was said.
            return []
        failures = int(tracker.get_slot("verification_failures") or 0)
        number = tracker.get_slot("account_number")
        factor = answers.get("verification_factor")
        events: EventList = []

        if "account_number" in answers:
            number = account_number_in(str(answers["account_number"] or ""))
            if number is None:
                return _unusable(dispatcher, tracker, "account_number", "utter_account_number_invalid")
            # 'my account is 10000001, postcode 0150' answers both questions at once.
            factor = factor or factor_in(
                _without_digits_of(self._latest_text(tracker), number), whole_text_counts=False
            )
            events.append(SlotSet("account_number", number))

        if "verification_factor" in answers and not could_be_factor(str(factor or "")):
            return _unusable(dispatcher, tracker, "verification_factor", "utter_verification_factor_invalid")

        verified = False
        if number and factor:
            checked = await self._check_factor(
                dispatcher, records, tracker.sender_id, number, str(factor)
            )
            verified = any(event["name"] == "verified" for event in checked)
            failures += 0 if verified else 1
            events += checked
        elif "verification_factor" in answers:
            events.append(SlotSet("verification_factor", None))

        events.append(SlotSet("verification_failures", float(failures)))
        if failures >= MAX_FAILURES and not verified:
            events.append(SlotSet("requested_slot", None))  # ends the form; rules hand off
        return events

    async def _check_factor(
        self,
        dispatcher: CollectingDispatcher,
        records: Records,
        conversation_id: str,
        number: str,
        answer: str,
    ) -> EventList:
        factor = factor_in(answer, whole_text_counts=True)
        account = await verify_account(records.session, records.tenant, number, factor)
        if account is None:
            dispatcher.utter_message(response="utter_verification_mismatch")
            return [SlotSet("account_number", None), SlotSet("verification_factor", None)]
        try:
            await set_verified_account(
                records.session,
                records.tenant,
                conversation_id,
                account.id,
                by="assistant",
                facts=("account_number", matched_factor(str(factor))),
            )
        except ConversationNotFound:
            # Not a gateway conversation (e.g. `rasa shell`): the slots are all there is.
            logger.info("verified a conversation the gateway does not know; slots only")
        dispatcher.utter_message(response="utter_verified", name=account.name)
        return [
            SlotSet("account_number", account.account_number),
            SlotSet("verification_factor", FACTOR_MATCHED),
            SlotSet("verified", True),
            SlotSet("customer_name", account.name),
        ]

    @staticmethod
    def _latest_text(tracker: Tracker) -> str:
        return str(tracker.latest_message.get("text") or "")


def _unusable(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, response: str) -> EventList:
    """An answer that cannot be checked: asked again, not counted as a failed verification.
    After a miss the turn before, the form ends instead and the rules hand off."""
    if previous_turn_missed(tracker):
        return [SlotSet(slot, None), SlotSet("requested_slot", None)]
    dispatcher.utter_message(response=response)
    return [SlotSet(slot, None)]


def matched_factor(factor: str) -> str:
    """The name of the factor that matched: 'email' or 'postcode' (an email has an @)."""
    return "email" if "@" in factor else "postcode"


def _without_digits_of(text: str, account_number: str) -> str:
    """`text` minus the account number, so its digits are not mistaken for a postcode."""
    for group in _DIGIT_GROUPS.findall(text):
        if normalize_account_number(group) == account_number:
            text = text.replace(group, " ")
    return text
