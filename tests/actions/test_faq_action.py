"""action_faq: the predicted FAQ topic answered from the tenant's own records."""

from __future__ import annotations

import logging

import pytest
from actions_harness import conversation, run, user
from sqlalchemy import delete

from actions.faq import ActionFaq
from bot.db import Database, FaqAnswer, TenantRef, faq_answer


def question(key: str | None, **slots: object):
    return conversation(user("when are you open?", "faq", faq_key=key), slots=slots)


async def stored_answer(database: Database, tenant: TenantRef, key: str, language: str) -> str:
    async with database.sessionmaker() as session:
        answer = await faq_answer(session, tenant, key, language)
    assert answer is not None
    return answer


async def test_faq_is_answered_from_the_tenants_records(records: Database, nordlys: TenantRef) -> None:
    outcome = await run(ActionFaq(), question("opening_hours"))

    assert outcome.texts == [await stored_answer(records, nordlys, "opening_hours", "en")]
    assert outcome.slots == {"handoff_offered": False}


async def test_a_did_you_mean_button_names_its_topic(records: Database, nordlys: TenantRef) -> None:
    # '/faq{"faq_topic":"opening_hours"}' from actions/fallback.py: no response selector output.
    tracker = conversation(user('/faq{"faq_topic":"opening_hours"}', "faq", {"faq_topic": "opening_hours"}),
                           slots={"language": "nb"})

    outcome = await run(ActionFaq(), tracker)

    assert outcome.texts == [await stored_answer(records, nordlys, "opening_hours", "nb")]


async def test_faq_answers_differ_per_tenant(
    records: Database, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    at_nordlys = await run(ActionFaq(), question("opening_hours", tenant="nordlys"))
    at_fjordnett = await run(ActionFaq(), question("opening_hours", tenant="fjordnett"))

    assert at_nordlys.texts != at_fjordnett.texts
    assert at_fjordnett.texts == [await stored_answer(records, fjordnett, "opening_hours", "en")]
    assert "Fjordnett" in at_fjordnett.texts[0]


async def test_faq_in_the_conversation_language(records: Database, nordlys: TenantRef) -> None:
    outcome = await run(ActionFaq(), question("payment_methods", language="nb"))

    assert outcome.texts == [await stored_answer(records, nordlys, "payment_methods", "nb")]
    assert "AvtaleGiro" in outcome.texts[0]


async def test_missing_answer_is_admitted_and_a_person_offered(records: Database, nordlys: TenantRef) -> None:
    async with records.sessionmaker.begin() as session:
        await session.execute(
            delete(FaqAnswer).where(FaqAnswer.tenant_id == nordlys.id, FaqAnswer.key == "moving_home")
        )

    outcome = await run(ActionFaq(), question("moving_home"))

    assert outcome.texts == ["Sorry, I don't have a good answer to that. Would you like me to connect you with a person?"]
    assert outcome.slots == {"handoff_offered": True}


async def test_message_without_a_predicted_topic_gets_the_honest_answer(records: Database) -> None:
    outcome = await run(ActionFaq(), question(None))

    assert outcome.responses == ["utter_faq_missing"]
    assert outcome.slots == {"handoff_offered": True}


async def test_unreachable_records_during_a_faq_are_reported(
    unreachable_records: Database, caplog: pytest.LogCaptureFixture
) -> None:
    outcome = await run(ActionFaq(), question("opening_hours"))

    assert outcome.responses == ["utter_records_unavailable"]
    assert any(record.levelno == logging.ERROR for record in caplog.records)
