"""The history generator: exactly the conversations and messages asked for, plausible, repeatable;
seed-demo's history only once per firm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.db.models import Conversation, Message, Ticket
from bot.reports import queries
from bot.reports.history import generate_history, seed_demo_history

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


async def test_generates_exactly_n_conversations_and_m_messages_that_the_reports_can_read(session, nordlys) -> None:
    from bot.handoff.demo_agents import seed_demo_agents

    await seed_demo_agents(session)  # chats go to the tenant's agents
    summary = await generate_history(session, nordlys.id, conversations=300, messages=2500, days=14, now=NOW)
    await session.commit()
    count = lambda model: session.scalar(select(func.count()).select_from(model).where(model.tenant_id == nordlys.id))  # noqa: E731
    assert (summary.conversations, summary.messages) == (300, 2500)
    assert await count(Conversation) == 300 and await count(Message) == 2500
    assert await count(Ticket) >= summary.tickets > 0  # the demo's own tickets too
    gapless = await session.scalar(
        select(func.count()).select_from(Conversation).where(
            Conversation.tenant_id == nordlys.id,
            Conversation.last_seq != select(func.max(Message.seq)).where(Message.conversation_id == Conversation.id).scalar_subquery(),
        )
    )
    assert gapless == 0  # last_seq is every conversation's highest message number

    scope = queries.ReportScope(nordlys.id, "Europe/Oslo", (NOW - timedelta(days=15)).date(), NOW.date())
    report = await queries.full_report(session, scope, per_agent=True)
    totals = report.self_service.totals
    assert totals.conversations == 300
    assert totals.self_served + totals.handed_off + totals.abandoned + totals.still_open == 300
    assert 0.4 < (report.self_service.rate or 0) < 0.9  # plausible, not degenerate
    assert sum(report.handoffs.by_reason.values()) == totals.handed_off
    assert report.fallbacks.top_messages and report.faq and report.csat.rated > 0
    said = {message.name for message in report.fallbacks.top_messages}
    assert "kan jeg snakke med et menneske?" not in said and "i want to talk to a person" not in said


async def test_the_same_arguments_give_the_same_history(session, nordlys, fjordnett) -> None:
    first = await generate_history(session, nordlys.id, conversations=50, messages=400, days=7, now=NOW, seed=5)
    second = await generate_history(session, fjordnett.id, conversations=50, messages=400, days=7, now=NOW, seed=5)
    assert first.first_day == second.first_day  # same shape, own ids
    intents = lambda tenant: session.scalars(  # noqa: E731
        select(Message.intent).where(Message.tenant_id == tenant.id).order_by(Message.created_at, Message.seq)
    )
    assert len(list(await intents(nordlys))) == len(list(await intents(fjordnett))) == 400


async def test_too_few_messages_are_refused(session, nordlys) -> None:
    import pytest

    with pytest.raises(ValueError, match="at least two messages"):
        await generate_history(session, nordlys.id, conversations=10, messages=19, now=NOW)


async def test_seed_demo_history_fills_each_firm_once(session) -> None:
    first = await seed_demo_history(session, ["nordlys", "fjordnett", "lighthouse", "no-such-firm"], now=NOW)
    assert first == ["nordlys", "fjordnett", "lighthouse"]
    assert await seed_demo_history(session, ["nordlys", "fjordnett", "lighthouse"], now=NOW) == []
