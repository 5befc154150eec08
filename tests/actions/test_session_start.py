"""action_session_start: the gateway's metadata decides tenant, language and identity."""

from __future__ import annotations

import logging

import pytest
from actions_harness import conversation, run, user

from actions.session import ActionSessionStart
from bot.db import Database


def session_start(metadata: dict | None, **slots: object):
    return conversation(slots={"tenant": None, "session_started_metadata": metadata, **slots})


async def test_session_takes_tenant_and_language_from_the_metadata(records: Database) -> None:
    outcome = await run(ActionSessionStart(), session_start({"tenant": "fjordnett", "language": "nb"}))

    assert outcome.slots["tenant"] == "fjordnett"
    assert outcome.slots["language"] == "nb"
    assert outcome.slots.get("verified") is not True


async def test_session_starts_with_session_started_and_ends_listening(records: Database) -> None:
    outcome = await run(ActionSessionStart(), session_start({"tenant": "nordlys"}))

    assert outcome.event_types()[0] == "session_started"
    assert (outcome.events[-1]["event"], outcome.events[-1]["name"]) == ("action", "action_listen")
    assert outcome.messages == []


async def test_customer_verified_by_the_website_is_verified(records: Database) -> None:
    metadata = {"tenant": "nordlys", "verified_account": "10000001", "language": "nb"}

    outcome = await run(ActionSessionStart(), session_start(metadata))

    assert outcome.slots["verified"] is True
    assert outcome.slots["account_number"] == "10000001"
    assert outcome.slots["customer_name"] == "Ola Nordmann"


async def test_verified_account_of_another_tenant_is_not_trusted(records: Database) -> None:
    # 10000001 is a Nordlys account; Fjordnett's numbers start with 2.
    outcome = await run(
        ActionSessionStart(), session_start({"tenant": "fjordnett", "verified_account": "10000001"})
    )

    assert outcome.slots.get("verified") is not True
    assert outcome.slots.get("account_number") is None


async def test_unknown_verified_account_leaves_the_customer_anonymous(
    records: Database, caplog: pytest.LogCaptureFixture
) -> None:
    outcome = await run(
        ActionSessionStart(), session_start({"tenant": "nordlys", "verified_account": "19999999"})
    )

    assert outcome.slots.get("verified") is not True
    assert "verified_account" in caplog.text


async def test_language_defaults_to_the_tenants_language(records: Database) -> None:
    nordlys = await run(ActionSessionStart(), session_start({"tenant": "nordlys", "language": "de"}))
    lighthouse = await run(ActionSessionStart(), session_start({"tenant": "lighthouse"}))

    assert nordlys.slots["language"] == "nb"
    assert lighthouse.slots["language"] == "en"


async def test_slots_of_the_previous_session_are_carried_over(records: Database) -> None:
    previous = conversation(
        user("what's my balance", "check_balance"),
        {"event": "slot", "name": "verified", "value": True},
        {"event": "slot", "name": "account_number", "value": "10000001"},
        {"event": "slot", "name": "opened_tickets", "value": ["NRD-1043"]},
        slots={"tenant": "nordlys", "session_started_metadata": {"tenant": "nordlys"}},
    )

    outcome = await run(ActionSessionStart(), previous)

    assert outcome.slots["verified"] is True
    assert outcome.slots["account_number"] == "10000001"
    assert outcome.slots["opened_tickets"] == ["NRD-1043"]
    assert outcome.slots["tenant"] == "nordlys"


async def test_a_change_of_tenant_forgets_who_the_customer_was(records: Database) -> None:
    previous = conversation(
        {"event": "slot", "name": "tenant", "value": "nordlys"},
        {"event": "slot", "name": "verified", "value": True},
        {"event": "slot", "name": "account_number", "value": "10000001"},
        {"event": "slot", "name": "customer_name", "value": "Ola Nordmann"},
        slots={"session_started_metadata": {"tenant": "fjordnett"}},
    )

    outcome = await run(ActionSessionStart(), previous)

    assert outcome.slots["tenant"] == "fjordnett"
    assert outcome.slots["verified"] is False
    assert outcome.slots["account_number"] is None
    assert outcome.slots["customer_name"] is None


async def test_metadata_of_the_latest_message_is_used_without_session_metadata(records: Database) -> None:
    tracker = conversation(user("hi", "greet", metadata={"tenant": "lighthouse"}), slots={"tenant": None})

    outcome = await run(ActionSessionStart(), tracker)

    assert outcome.slots["tenant"] == "lighthouse"


async def test_default_tenant_comes_from_the_environment(
    records: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEFAULT_TENANT", "fjordnett")

    outcome = await run(ActionSessionStart(), session_start(None))

    assert outcome.slots["tenant"] == "fjordnett"


async def test_unknown_tenant_is_logged_and_not_set(records: Database, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        outcome = await run(ActionSessionStart(), session_start({"tenant": "acme"}))

    assert outcome.slots["tenant"] is None
    assert any(record.levelno == logging.ERROR and "acme" in record.getMessage() for record in caplog.records)


async def test_session_still_starts_when_the_database_is_unreachable(
    unreachable_records: Database, caplog: pytest.LogCaptureFixture
) -> None:
    metadata = {"tenant": "nordlys", "verified_account": "10000001"}

    outcome = await run(ActionSessionStart(), session_start(metadata))

    assert outcome.event_types()[0] == "session_started"
    assert outcome.events[-1]["name"] == "action_listen"
    assert outcome.slots.get("verified") is not True
    assert any(record.levelno == logging.ERROR for record in caplog.records)
