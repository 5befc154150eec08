"""Account questions of a verified customer: balance, plan, status, last payment."""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import EventList, Records, TenantAction
from actions.formatting import day, language_of, money
from actions.turns import intent_of, latest_turn_with
from bot.db import Account, find_account, get_tenant

logger = logging.getLogger(__name__)

ACCOUNT_QUESTIONS = ("check_balance", "check_plan", "check_account_status", "check_last_payment")


def asked_question(tracker: Tracker) -> str | None:
    """The latest account question the customer asked, even turns ago (before verifying)."""
    turn = latest_turn_with(tracker, ACCOUNT_QUESTIONS)
    return intent_of(turn) if turn else None


class ActionAccountInfo(TenantAction):
    def name(self) -> str:
        return "action_account_info"

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
        account = await find_account(records.session, records.tenant, tracker.get_slot("account_number"))
        if account is None:
            logger.error("verified account is missing from tenant %s", records.tenant.slug)
            dispatcher.utter_message(response="utter_account_not_found")
            return []
        question = asked_question(tracker) or "check_balance"
        language = language_of(tracker.get_slot("language"))
        tenant = await get_tenant(records.session, records.tenant.slug)
        currency = tenant.currency if tenant else ""
        if question == "check_balance":
            self._balance(dispatcher, account, currency, language)
        elif question == "check_plan":
            dispatcher.utter_message(response="utter_plan", plan=account.plan)
        elif question == "check_account_status":
            dispatcher.utter_message(response=f"utter_account_status_{account.status}")
        else:
            self._last_payment(dispatcher, account, currency, language)
        return []

    @staticmethod
    def _balance(dispatcher: CollectingDispatcher, account: Account, currency: str, language: str) -> None:
        amount = money(account.amount_due, currency, language)
        response = "utter_balance" if account.amount_due > 0 else "utter_balance_nothing_due"
        dispatcher.utter_message(response=response, amount=amount)

    @staticmethod
    def _last_payment(dispatcher: CollectingDispatcher, account: Account, currency: str, language: str) -> None:
        if account.last_payment_at is None or account.last_payment_amount is None:
            dispatcher.utter_message(response="utter_no_payment_on_record")
            return
        dispatcher.utter_message(
            response="utter_last_payment",
            amount=money(account.last_payment_amount, currency, language),
            date=day(account.last_payment_at, language),
        )
