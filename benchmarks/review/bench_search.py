"""How long the review list takes on PostgreSQL with a large tenant.

    .venv/app/bin/python benchmarks/review/bench_search.py [--conversations 100000] [--admin-url postgresql://postgres@127.0.0.1:5432/test]

Creates a scratch database (dropped at the end), migrates it, loads the demo tenants, then gives
nordlys N conversations of 10 messages each (5 customer, 5 bot) spread over 90 days: 5 % with a
message not understood, 10 % handed off, 30 % rated, 30 % Norwegian; one customer message in
1,000 holds the word "vippsbetaling". Prints the median of 5 runs of each search, in ms, as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import time
from datetime import UTC, datetime

import asyncpg
from sqlalchemy.engine import make_url

from bot.db import Database, tenant_ref
from bot.db.migrate import upgrade
from bot.demo import seed_demo
from bot.review.filters import parse_filter
from bot.review.search import search_conversations

_FILL = """
INSERT INTO conversations (id, public_id, tenant_id, state, language, handoff_reason, last_seq, created_at,
                           last_activity_at, rating)
SELECT 'bench' || lpad(n::text, 10, '0'),
       -- bot.db.public_ids.public_conversation_id, in SQL
       'conv_' || left(encode(sha256(convert_to('conversation:bench' || lpad(n::text, 10, '0'), 'UTF8')), 'hex'), 32),
       $1, 'resolved', CASE WHEN n % 10 < 3 THEN 'nb' ELSE 'en' END,
       CASE WHEN n % 10 = 0 THEN 'customer_request' END, 10,
       $2::timestamptz - (n * interval '90 days' / $3), $2::timestamptz - (n * interval '90 days' / $3),
       CASE WHEN n % 10 < 3 THEN 1 + n % 5 END
FROM generate_series(1, $3) AS n;
INSERT INTO messages (tenant_id, conversation_id, seq, role, text, buttons, delivered_to_bot, created_at, fallback)
SELECT $1, 'bench' || lpad(n::text, 10, '0'), s, CASE WHEN s % 2 = 1 THEN 'customer' ELSE 'bot' END,
       CASE WHEN s % 2 = 0 THEN 'Here is what I found for you.'
            WHEN (n * 10 + s) % 1000 = 1 THEN 'kan jeg ordne vippsbetaling for regningen ' || n
            ELSE 'what do I owe on my bill this month, number ' || n || '-' || s END,
       '[]', true, $2::timestamptz - (n * interval '90 days' / $3) + s * interval '1 second',
       CASE WHEN s = 3 AND n % 20 = 0 THEN 'nlu' END
FROM generate_series(1, $3) AS n, generate_series(1, 10) AS s;
ANALYZE conversations; ANALYZE messages;
"""

QUERIES = {
    "newest first, no filter": {},
    "not understood": {"not_understood": "1"},
    "handed off + low rating": {"handed_off": "1", "low_rating": "1"},
    "Norwegian, one week": {"language": "nb", "from": "2026-11-01", "to": "2026-11-07"},
    "search, common word": {"q": "bill"},
    "search, rare word (1 in 1,000 messages)": {"q": "vippsbetaling"},
    "search, no match": {"q": "zzzz-no-such-text"},
}


async def main(conversations: int, admin_url: str) -> None:
    name = f"bpo_review_bench_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    try:
        await upgrade(url)
        database = Database(url)
        async with database.sessionmaker.begin() as session:
            await seed_demo(session)
        async with database.sessionmaker() as session:
            nordlys = await tenant_ref(session, "nordlys")
        assert nordlys is not None
        loaded = time.perf_counter()
        raw = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
        now = datetime(2026, 12, 6, tzinfo=UTC)
        for statement in _FILL.strip().split(";\n"):
            if statement.strip():
                args = [nordlys.id, now, conversations] if "$1" in statement else []
                await raw.execute(statement, *args)
        await raw.close()
        results: dict[str, float] = {"load_seconds": round(time.perf_counter() - loaded, 1)}
        for label, query in QUERIES.items():
            timings = []
            for _ in range(5):
                async with database.sessionmaker() as session:
                    started = time.perf_counter()
                    page = await search_conversations(session, nordlys.id, parse_filter(query))
                    if page.next_cursor:  # and the next page
                        await search_conversations(session, nordlys.id, parse_filter(query), after=page.next_cursor)
                    timings.append((time.perf_counter() - started) * 1000 / (2 if page.next_cursor else 1))
            results[f"{label} (ms per page)"] = round(statistics.median(timings), 1)
        await database.dispose()
        print(json.dumps({"conversations": conversations, "messages": conversations * 10, **results}, indent=2))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    options = parser.parse_args()
    asyncio.run(main(options.conversations, options.admin_url))
