"""Browsing and searching a tenant's transcripts (bot/review/search.py), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database, TenantRef
from bot.review.errors import InvalidFilter
from bot.review.filters import ReviewFilter, parse_filter
from bot.review.search import ConversationPage, search_conversations

from .support import Turn, message_id, seed_conversation

DAY = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def search(database: Database, tenant: TenantRef, after: str | None = None, limit: int = 25,
                 **query: str) -> ConversationPage:
    async with database.sessionmaker() as session:
        return await search_conversations(session, tenant.id, parse_filter(query), after=after, limit=limit)


async def ids(database: Database, tenant: TenantRef, **query: str) -> list[str]:
    return [summary.id for summary in (await search(database, tenant, **query)).conversations]


async def test_lists_the_tenants_conversations_newest_first_without_empty_ones_or_other_tenants(
    database: Database, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    older = await seed_conversation(database, nordlys, "what do I owe", started=DAY)
    newer = await seed_conversation(database, nordlys, "my plan please", started=DAY + timedelta(hours=1))
    await seed_conversation(database, nordlys, started=DAY + timedelta(hours=2))  # a greeting only
    await seed_conversation(database, fjordnett, "another firm's customer", started=DAY + timedelta(hours=3))

    page = await search(database, nordlys)

    assert [summary.id for summary in page.conversations] == [newer, older]
    assert page.next_cursor is None
    first = page.conversations[0]
    assert (first.excerpt, first.customer_messages, first.language, first.state) == ("my plan please", 1, "en", "bot")


async def test_handed_off_means_a_person_was_asked_for_whatever_happened_next(
    database: Database, nordlys: TenantRef
) -> None:
    queued = await seed_conversation(database, nordlys, "a person please", handoff_reason="customer_request")
    await seed_conversation(database, nordlys, "what do I owe")

    assert await ids(database, nordlys, handed_off="1") == [queued]


async def test_not_understood_finds_conversations_with_a_fallback_turn_and_counts_them(
    database: Database, nordlys: TenantRef
) -> None:
    missed = await seed_conversation(
        database, nordlys, Turn("flibber the wotsit", fallback="nlu"), "what do I owe",
        Turn("10000001", fallback="dialogue"),
    )
    await seed_conversation(database, nordlys, "what do I owe", "thanks")

    page = await search(database, nordlys, not_understood="1")

    assert [summary.id for summary in page.conversations] == [missed]
    assert (page.conversations[0].not_understood, page.conversations[0].customer_messages) == (2, 3)
    assert page.conversations[0].excerpt == "flibber the wotsit"
    assert page.conversations[0].excerpt_message_id == await message_id(database, missed, 2)


async def test_low_rating_is_one_or_two_stars(database: Database, nordlys: TenantRef) -> None:
    start = DAY
    rated = {}
    for rating in (1, 2, 3, 5, None):
        start += timedelta(minutes=1)
        rated[rating] = await seed_conversation(database, nordlys, "hello", rating=rating, started=start)

    assert await ids(database, nordlys, low_rating="1") == [rated[2], rated[1]]


async def test_language_filter(database: Database, nordlys: TenantRef) -> None:
    norwegian = await seed_conversation(database, nordlys, "hvor mye skylder jeg", language="nb")
    await seed_conversation(database, nordlys, "how much do I owe", language="en")

    assert await ids(database, nordlys, language="nb") == [norwegian]


async def test_date_range_counts_whole_days_in_the_tenants_time_zone(
    database: Database, nordlys: TenantRef
) -> None:
    # Nordlys is in Europe/Oslo (UTC+1 in winter): 23:30 UTC on 1 December is already 2 December there.
    late_on_the_first = await seed_conversation(database, nordlys, "a", started=datetime(2026, 12, 1, 22, 30, tzinfo=UTC))
    early_on_the_second = await seed_conversation(database, nordlys, "b", started=datetime(2026, 12, 1, 23, 30, tzinfo=UTC))
    on_the_third = await seed_conversation(database, nordlys, "c", started=datetime(2026, 12, 3, 22, 59, tzinfo=UTC))
    await seed_conversation(database, nordlys, "d", started=datetime(2026, 12, 3, 23, 0, tzinfo=UTC))  # the 4th

    assert await ids(database, nordlys, **{"from": "2026-12-02", "to": "2026-12-03"}) == [on_the_third, early_on_the_second]
    assert await ids(database, nordlys, to="2026-12-01") == [late_on_the_first]


async def test_text_search_matches_any_message_ignoring_case_also_for_norwegian_letters(
    database: Database, nordlys: TenantRef
) -> None:
    invoice = await seed_conversation(database, nordlys, "Hei", Turn("Hvor er FAKTURAEN min?", bot="Her"),
                                      language="nb")
    moving = await seed_conversation(database, nordlys, "Jeg skal flytte til ÅLESUND")
    in_bot_reply = await seed_conversation(database, nordlys, Turn("hello", bot="Your invoice is ready"))

    page = await search(database, nordlys, q="fakturaen")
    assert [summary.id for summary in page.conversations] == [invoice]
    assert page.conversations[0].excerpt == "Hvor er FAKTURAEN min?"  # the matching message, not the first
    assert page.conversations[0].excerpt_message_id == await message_id(database, invoice, 4)  # the page opens there
    assert await ids(database, nordlys, q="ålesund") == [moving]
    assert await ids(database, nordlys, q="INVOICE") == [in_bot_reply]
    assert await ids(database, nordlys, q="nothing like this") == []


async def test_like_wildcards_in_a_search_are_plain_characters(database: Database, nordlys: TenantRef) -> None:
    percent = await seed_conversation(database, nordlys, "is it 100% renewable")
    await seed_conversation(database, nordlys, "is it 1000 renewable")
    underscore = await seed_conversation(database, nordlys, "my user is ola_n")
    await seed_conversation(database, nordlys, "my user is olaxn")

    assert await ids(database, nordlys, q="100%") == [percent]
    assert await ids(database, nordlys, q="ola_n") == [underscore]


async def test_filters_combine(database: Database, nordlys: TenantRef) -> None:
    wanted = await seed_conversation(database, nordlys, Turn("hvor er fakturaen", fallback="nlu"),
                                     language="nb", handoff_reason="nlu_fallback", rating=1)
    await seed_conversation(database, nordlys, Turn("hvor er fakturaen", fallback="nlu"), language="nb", rating=1)
    await seed_conversation(database, nordlys, Turn("where is the faktura", fallback="nlu"),
                            language="en", handoff_reason="nlu_fallback", rating=1)

    assert await ids(database, nordlys, handed_off="1", not_understood="1", low_rating="1",
                     language="nb", q="faktura") == [wanted]


async def test_pages_follow_the_cursor_without_gaps_or_repeats_even_for_equal_start_times(
    database: Database, nordlys: TenantRef
) -> None:
    seeded = [await seed_conversation(database, nordlys, f"message {n}", started=DAY + timedelta(minutes=n // 2))
              for n in range(7)]  # pairs start at the same instant
    seen: list[str] = []
    cursor = None
    sizes = []
    while True:
        page = await search(database, nordlys, after=cursor, limit=3)
        sizes.append(len(page.conversations))
        seen += [summary.id for summary in page.conversations]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert sizes == [3, 3, 1]
    assert sorted(seen) == sorted(seeded) and len(set(seen)) == 7
    starts = {conversation_id: n // 2 for n, conversation_id in enumerate(seeded)}
    assert [starts[conversation_id] for conversation_id in seen] == sorted(starts.values(), reverse=True)


async def test_a_page_cursor_keeps_working_when_newer_conversations_arrive(database: Database, nordlys: TenantRef) -> None:
    first = await seed_conversation(database, nordlys, "m1", started=DAY + timedelta(minutes=1))
    second = await seed_conversation(database, nordlys, "m0", started=DAY)
    page = await search(database, nordlys, limit=1)
    await seed_conversation(database, nordlys, "newest", started=DAY + timedelta(hours=5))

    assert [summary.id for summary in (await search(database, nordlys, after=page.next_cursor, limit=1)).conversations] == [second]
    assert page.conversations[0].id == first


@pytest.mark.parametrize("cursor", ["garbage", "bm90IGEgY3Vyc29y", ""])
async def test_a_cursor_that_is_not_one_is_a_clear_error(database: Database, nordlys: TenantRef, cursor: str) -> None:
    with pytest.raises(InvalidFilter) as error:
        await search(database, nordlys, after=cursor or "%%")
    assert error.value.field == "after"


def test_a_filter_round_trips_through_the_query_string() -> None:
    review_filter = parse_filter({"handed_off": "1", "language": "nb", "from": "2026-12-01", "q": "  faktura   min "})

    assert review_filter.text == "faktura min"
    assert parse_filter(review_filter.as_query()) == review_filter
    assert parse_filter({}) == ReviewFilter() and ReviewFilter().is_empty


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"language": "de"}, "language"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-12-05", "to": "2026-12-01"}, "to"),
        ({"low_rating": "maybe"}, "low_rating"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_filters_name_the_field(query: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidFilter) as error:
        parse_filter(query)
    assert error.value.field == field


async def test_marked_conversations_open_at_their_first_marked_message(database: Database, nordlys: TenantRef) -> None:
    from bot.review.annotations import Annotator, Mark, mark_message

    conversation_id = await seed_conversation(database, nordlys, "hei", "kan jeg betale med vipps")
    await seed_conversation(database, nordlys, "not marked")
    vipps = await message_id(database, conversation_id, 4)
    async with database.sessionmaker.begin() as session:
        await mark_message(session, nordlys.id, vipps, Mark("intent", "faq/payment_methods", None),
                           Annotator("portal_user", 1, "Anne", "admin"), redact=lambda text: text)

    page = await search(database, nordlys, annotated="1")

    [row] = page.conversations
    assert (row.id, row.excerpt, row.excerpt_message_id, row.annotations) == (
        conversation_id, "kan jeg betale med vipps", vipps, 1)
