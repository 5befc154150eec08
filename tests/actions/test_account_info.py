"""action_account_info: account questions answered from the database, only once verified."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from actions_harness import conversation, run, user

from actions.accounts import ActionAccountInfo
from actions.database import use_database
from bot.db import Database

OLA = {"verified": True, "account_number": "10000001", "customer_name": "Ola Nordmann"}


def asked(text: str, intent: str, **slots: object):
    return conversation(user(text, intent), slots={**OLA, **slots})


async def test_balance_is_the_amount_due_with_currency(records: Database) -> None:
    outcome = await run(ActionAccountInfo(), asked("how much do I owe", "check_balance"))

    assert outcome.texts == ["The amount due on your account is 1,249.50 NOK."]


async def test_balance_in_norwegian(records: Database) -> None:
    outcome = await run(ActionAccountInfo(), asked("hva skylder jeg", "check_balance", language="nb"))

    assert outcome.texts == ["Du skylder 1\u00a0249,50 kr."]


async def test_balance_in_pounds_for_a_british_tenant(records: Database) -> None:
    tracker = asked("balance", "check_balance", tenant="lighthouse", account_number="30000001")

    outcome = await run(ActionAccountInfo(), tracker)

    assert outcome.texts == ["The amount due on your account is £42.75."]


async def test_plan(records: Database) -> None:
    outcome = await run(ActionAccountInfo(), asked("which plan am I on", "check_plan"))

    assert outcome.texts == ["You're on the Spotpris plan."]


async def test_account_status(records: Database) -> None:
    outcome = await run(ActionAccountInfo(), asked("is my account active", "check_account_status"))

    assert outcome.texts == ["Your account is active."]


async def test_last_payment(records: Database) -> None:
    outcome = await run(ActionAccountInfo(), asked("did my payment arrive", "check_last_payment"))

    assert outcome.texts == ["Your last payment was 1,187.20 NOK, received on 20 October 2025."]


async def test_the_question_asked_before_verifying_is_the_one_answered(records: Database) -> None:
    tracker = conversation(
        user("which plan do I have?", "check_plan"),
        user("10000001", "inform", {"account_number": "10000001"}),
        user("0150", "inform"),
        slots=OLA,
    )

    outcome = await run(ActionAccountInfo(), tracker)

    assert outcome.texts == ["You're on the Spotpris plan."]


async def test_unverified_customer_learns_nothing(records: Database) -> None:
    tracker = conversation(user("how much do I owe", "check_balance"), slots={"account_number": "10000001"})

    outcome = await run(ActionAccountInfo(), tracker)

    assert outcome.texts == ["I need to confirm who you are before I can share account details."]
    assert "1,249.50" not in " ".join(outcome.texts)


async def test_account_of_another_tenant_is_never_read(records: Database) -> None:
    # Even with a (forged) verified Nordlys number, a Fjordnett conversation finds no account.
    outcome = await run(ActionAccountInfo(), asked("balance", "check_balance", tenant="fjordnett"))

    assert outcome.responses == ["utter_account_not_found"]
    assert "1,249.50" not in " ".join(outcome.texts)


async def test_unknown_tenant_gets_an_apology_and_an_error_log(
    records: Database, caplog: pytest.LogCaptureFixture
) -> None:
    outcome = await run(ActionAccountInfo(), asked("balance", "check_balance", tenant="acme"))

    assert outcome.texts == ["Sorry, something went wrong on our side. Please try again, or ask for a person."]
    assert any(record.levelno == logging.ERROR and "acme" in record.getMessage() for record in caplog.records)


async def test_unreachable_records_get_a_clear_message_and_an_error_log(
    unreachable_records: Database, caplog: pytest.LogCaptureFixture
) -> None:
    outcome = await run(ActionAccountInfo(), asked("balance", "check_balance"))

    assert outcome.texts == [
        "Sorry, I can't reach our records right now. Please try again in a moment, or ask for a person."
    ]
    assert outcome.events == []
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert errors and errors[0].exc_info is not None


async def test_an_unopenable_sqlite_database_is_reported_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = Database(f"sqlite+aiosqlite:///{tmp_path}")  # a directory, not a database file
    use_database(broken)
    try:
        outcome = await run(ActionAccountInfo(), asked("balance", "check_balance"))
    finally:
        await broken.dispose()

    assert outcome.responses == ["utter_records_unavailable"]
    assert any(record.levelno == logging.ERROR for record in caplog.records)
