"""A firm publishes an FAQ answer; the assistant's FAQ action gives it to the next customer who asks.

Runs the real action (actions/faq.py) on the real seeded database, as the action server does:
no restart, no retraining, no cache to clear.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.db import Database
from bot.db.audit import Actor
from bot.firm_settings import use_cases

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "actions"))
from actions_harness import conversation, run, user  # noqa: E402

from actions.database import use_database  # noqa: E402
from actions.faq import ActionFaq  # noqa: E402

FIRM_ADMIN = Actor("portal_user", 1, "admin")


def asks_opening_hours(language: str, tenant: str = "nordlys"):  # type: ignore[no-untyped-def]
    return conversation(user("when are you open?", "faq", faq_key="opening_hours"),
                        slots={"language": language, "tenant": tenant})


async def test_a_published_answer_is_the_assistants_next_answer_in_that_language(database: Database) -> None:
    use_database(database)
    try:
        before = await run(ActionFaq(), asks_opening_hours("nb"))
        await use_cases.publish_faq_answer(
            database.sessionmaker, "nordlys", "opening_hours", "nb",
            "Vi har åpent 07–18 alle hverdager fra 1. januar.", actor=FIRM_ADMIN)

        after = await run(ActionFaq(), asks_opening_hours("nb"))
        in_english = await run(ActionFaq(), asks_opening_hours("en"))
        at_another_firm = await run(ActionFaq(), asks_opening_hours("nb", tenant="fjordnett"))
    finally:
        use_database(None)

    assert after.texts == ["Vi har åpent 07–18 alle hverdager fra 1. januar."]
    assert before.texts != after.texts
    assert in_english.texts != after.texts  # only the Norwegian answer was edited
    assert at_another_firm.texts != after.texts  # and only this firm's
