"""A careful customer types personal data into the widget of the real product (gateway, Rasa
server, action server); afterwards no table of either database and no log file holds it."""

from __future__ import annotations

import aiohttp
import pytest

from bot.db import Database, find_account, tenant_ref
from bot.stack.services import StackConfig

from .scan import database_hits, log_hits, sqlite_file_hits, sqlite_tracker_path
from .widget import Customer

pytestmark = pytest.mark.e2e

NATIONAL_ID = "15038512363"  # valid fødselsnummer check digits
CARD = "4111 1111 1111 1111"  # passes Luhn
EMAIL = "kari.testkunde@example.org"
MOBILE = "93847261"
MOBILE_GROUPED = "415 92 837"
TYPED = [NATIONAL_ID, CARD, CARD.replace(" ", ""), EMAIL, MOBILE, MOBILE_GROUPED,
         MOBILE_GROUPED.replace(" ", "")]


async def test_personal_data_typed_into_the_widget_is_nowhere_at_rest(
    full_stack: StackConfig, db_url: str
) -> None:
    database = Database(db_url)
    try:
        async with database.sessionmaker() as session:
            account = await find_account(session, await tenant_ref(session, "nordlys"), "10000001")
        assert account is not None
        timeout = aiohttp.ClientTimeout(total=300)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            customer = await Customer.connect(http, full_stack.gateway_url, "nordlys")
            await customer.start()
            # Verification over two turns: the email on file is a secret answer, stored nowhere
            # but the accounts table; the account number stays for the turns after.
            assert "account number" in await customer.say("how much do I owe?")
            assert "postcode or email" in await customer.say("my account is 10000001")
            assert "verified" in await customer.say(account.email)
            assert "account number" not in await customer.say("what is my balance?")

            # A ticket over three turns: its description comes back from the redacted tracker.
            await customer.say("I need to open a case, please")
            await customer.say("Billing", payload='/inform{"ticket_category":"billing"}')
            assert "Shall I go ahead" in await customer.say(
                f"charged twice on card {CARD}; call me on {MOBILE} or {EMAIL}"
            )
            assert "I've opened ticket" in await customer.say("Yes", payload="/affirm")

            # Last, because two messages the assistant cannot use in a row bring a person.
            await customer.say(f"hi, my fødselsnummer is {NATIONAL_ID}")
            await customer.say(f"please call me on {MOBILE}")
            await customer.say(f"ring meg på {MOBILE_GROUPED}")
            await customer.say(f"my card {CARD} was charged twice, mail me at {EMAIL}")
            await customer.close()

        hits = await database_hits(db_url, TYPED)
        hits += await database_hits(db_url, [account.email], skip_tables=frozenset({"accounts"}))
        tracker_file = sqlite_tracker_path(db_url)
        if tracker_file is not None:  # on PostgreSQL Rasa's `events` table is in our database
            hits += sqlite_file_hits(tracker_file, [*TYPED, account.email])
        hits += log_hits(full_stack.log_dir, [*TYPED, account.email])
        assert hits == []
        assert await _tracker_events(db_url, tracker_file) > 20, "Rasa stored the conversation"
    finally:
        await database.dispose()


async def _tracker_events(db_url: str, tracker_file) -> int:
    """Rasa's tracker really is in SQL (a tracker store that failed to load falls back to memory)."""
    import sqlite3
    from contextlib import closing

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    if tracker_file is not None:
        with closing(sqlite3.connect(tracker_file)) as connection:
            return connection.execute("SELECT count(*) FROM events").fetchone()[0]
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text("SELECT count(*) FROM events"))).scalar_one()
    finally:
        await engine.dispose()
