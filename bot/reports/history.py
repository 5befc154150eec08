"""Plausible chat history for reports: demos, tests of scale and `make bench-reports`.

`generate_history` writes N conversations with exactly M messages for one tenant over the
last D days, shaped like real traffic: more on weekdays and in the afternoon, outcomes
(served by the assistant, handed to a person, abandoned, still open), handoff reasons,
queue and handling times with long tails, ratings skewed to the top, intents and FAQ topics
in Zipf-like proportions, and a small set of messages the assistant did not understand.
Everything is drawn from a seeded random generator: the same arguments give the same history.

Rows go in by bulk: PostgreSQL's COPY, SQLite's executemany. The text is already what the
product would store (no personal data in it: placeholders as the redactor leaves them).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AgentTenant, Conversation, Message, Tenant, Ticket
from bot.db.public_ids import public_conversation_id
from bot.db.tickets import format_reference
from bot.reports.requests import is_request

BATCH = 20_000

# (intent, weight, English text, Norwegian text) of requests the assistant serves itself.
REQUESTS: tuple[tuple[str, int, str, str], ...] = (
    ("check_balance", 30, "how much do I owe?", "hvor mye skylder jeg?"),
    ("faq/opening_hours", 22, "when are you open?", "når har dere åpent?"),
    ("ticket_status", 16, "what's the status of my case [TICKET]", "status på saken min?"),
    ("faq/payment_methods", 12, "how can I pay?", "hvordan kan jeg betale?"),
    ("check_plan", 10, "which plan do I have?", "hvilket abonnement har jeg?"),
    ("open_ticket", 9, "my meter reading is wrong, please open a case", "måleravlesningen er feil"),
    ("faq/moving_home", 7, "I'm moving house", "jeg skal flytte"),
    ("check_last_payment", 6, "did you get my last payment?", "har dere fått betalingen min?"),
    ("faq/change_plan", 5, "can I change my plan?", "kan jeg bytte abonnement?"),
    ("check_account_status", 4, "is my account active?", "er kontoen min aktiv?"),
    ("faq/cancel_contract", 3, "how do I cancel?", "hvordan sier jeg opp?"),
    ("faq/contact_details", 2, "change my email to [EMAIL]", "endre e-post til [EMAIL]"),
)
SMALL_TALK: tuple[tuple[str, str, str], ...] = (
    ("greet", "hi", "hei"),
    ("thank", "thanks!", "takk!"),
    ("goodbye", "bye", "ha det"),
    ("affirm", "yes", "ja"),
    ("inform", "[ACCOUNT] and [POSTCODE]", "[ACCOUNT] og [POSTCODE]"),
)
NOT_UNDERSTOOD: tuple[tuple[str, str], ...] = (
    ("can I get a discount for being loyal", "kan jeg få lojalitetsrabatt"),
    ("the app keeps crashing", "appen krasjer hele tiden"),
    ("why is my bill so high this month", "hvorfor er regningen så høy"),
    ("do you sponsor the local football team", "sponser dere fotballaget"),
    ("where is my refund", "hvor er tilbakebetalingen min"),
    ("price for business customers", "pris for bedriftskunder"),
    ("is there an outage in [LOCATION]", "er det brudd i [LOCATION]"),
    ("I got two letters", "jeg fikk to brev"),
)
# (stored reason, weight, the customer's last intent before it)
HANDOFF_REASONS: tuple[tuple[str, int, str], ...] = (
    ("customer_request", 45, "request_human"),
    ("complaint", 15, "complain"),
    ("nlu_fallback", 18, "nlu_fallback"),
    ("repeated_misses", 6, "nlu_fallback"),
    ("verification_failed", 8, "inform"),
    ("unanswered_question", 5, "affirm"),
    ("assistant_unavailable", 3, "check_balance"),
)
# What the customer said last before the handoff, by its intent (nlu_fallback: NOT_UNDERSTOOD).
LAST_WORDS: dict[str, tuple[str, str]] = {
    "request_human": ("I want to talk to a person", "kan jeg snakke med et menneske?"),
    "complain": ("this is the third time I write, terrible service", "dette er tredje gang jeg skriver"),
    "inform": ("[ACCOUNT] and [POSTCODE]", "[ACCOUNT] og [POSTCODE]"),
    "affirm": ("yes please", "ja takk"),
    "check_balance": ("how much do I owe?", "hvor mye skylder jeg?"),
}
RATINGS = (1, 2, 3, 4, 5)
RATING_WEIGHTS = (4, 5, 10, 30, 51)
# Weekday (0 = Monday) and local hour weights of when conversations start.
WEEKDAY_WEIGHTS = (1.15, 1.1, 1.05, 1.0, 0.95, 0.55, 0.45)
HOUR_WEIGHTS = (
    0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.2, 3.0, 3.2, 3.1,
    3.0, 3.2, 3.1, 2.8, 2.4, 2.0, 1.8, 1.7, 1.5, 1.2, 0.8, 0.4,
)


@dataclass(frozen=True)
class HistorySummary:
    conversations: int
    messages: int
    tickets: int
    first_day: str
    last_day: str


@dataclass
class _Plan:
    conversation: dict[str, Any]
    messages: list[dict[str, Any]]
    ticket_closed_reason: str | None = None


def _weighted(rng: random.Random, items: Sequence[Any], weights: Sequence[float]) -> Any:
    return rng.choices(items, weights)[0]


def _message_counts(rng: random.Random, conversations: int, messages: int) -> list[int]:
    """How many messages each conversation has: at least 2 (greeting + question), summing to
    exactly `messages`, spread like real chats (most short, a long tail)."""
    if messages < 2 * conversations:
        raise ValueError("at least two messages per conversation (the greeting and the question)")
    extra = messages - 2 * conversations
    weights = [rng.expovariate(1.0) for _ in range(conversations)]
    total = sum(weights) or 1.0
    counts = [2 + int(extra * weight / total) for weight in weights]
    short = messages - sum(counts)
    for index in rng.sample(range(conversations), k=min(short, conversations)):
        counts[index] += 1
    short = messages - sum(counts)
    counts[0] += short  # rounding leftovers (only when short > conversations)
    return counts


def _start_times(rng: random.Random, count: int, days: int, end: datetime, zone: ZoneInfo) -> list[datetime]:
    local_end = end.astimezone(zone)
    first_day = (local_end - timedelta(days=days)).date()
    day_list = [first_day + timedelta(days=offset) for offset in range(days)]
    day_weights = [WEEKDAY_WEIGHTS[day.weekday()] for day in day_list]
    starts: list[datetime] = []
    for _ in range(count):
        day = _weighted(rng, day_list, day_weights)
        hour = _weighted(rng, range(24), HOUR_WEIGHTS)
        local = datetime(day.year, day.month, day.day, hour, tzinfo=zone) + timedelta(
            seconds=rng.randrange(3600)
        )
        starts.append(min(local.astimezone(UTC), end - timedelta(minutes=1)))
    starts.sort()
    return starts


def _plan_conversation(
    rng: random.Random,
    tenant_id: int,
    language: str,
    started: datetime,
    count: int,
    agents: list[tuple[int, str]],
    now: datetime,
) -> _Plan:
    nb = language == "nb"
    conversation_id = secrets.token_urlsafe(24)
    roll = rng.random()
    recent = (now - started) < timedelta(hours=1)
    outcome = (
        "open" if recent and roll < 0.5
        else "handoff" if roll < 0.30
        else "abandoned" if roll < 0.40
        else "served"
    )
    messages: list[dict[str, Any]] = []
    clock = started

    def add(role: str, text: str, intent: str | None = None, agent_name: str | None = None) -> None:
        nonlocal clock
        messages.append(
            {
                "tenant_id": tenant_id, "conversation_id": conversation_id, "seq": len(messages) + 1,
                "role": role, "text": text, "buttons": [], "payload": None,
                "client_id": secrets.token_hex(8) if role == "customer" else None,
                "agent_name": agent_name, "delivered_to_bot": True, "intent": intent,
                "created_at": clock,
            }
        )
        clock += timedelta(seconds=rng.randint(4, 40))

    def customer(intent: str, text: tuple[str, str]) -> None:
        add("customer", text[1] if nb else text[0], intent)

    def request() -> None:
        intent, _w, en, nbt = _weighted(rng, REQUESTS, [r[1] for r in REQUESTS])
        if rng.random() < 0.09:  # not understood first, then rephrased
            customer("nlu_fallback", _weighted(rng, NOT_UNDERSTOOD, [1 / (i + 1) for i in range(len(NOT_UNDERSTOOD))]))
        else:
            customer(intent, (en, nbt))

    add("bot", "Hei! Hva kan jeg hjelpe deg med?" if nb else "Hi! How can I help you today?")
    conversation: dict[str, Any] = {
        "id": conversation_id, "public_id": public_conversation_id(conversation_id),  # COPY skips defaults
        "tenant_id": tenant_id, "state": "bot", "language": language,
        "handoff_reason": None, "handoff_summary": None, "created_at": started,
        "ended_at": None, "assigned_agent_id": None, "queued_at": None, "assigned_at": None,
        "resolved_at": None, "rating": None, "rating_comment": None,
        "verified_account_id": None, "verified_by": None, "verified_with": None,
    }
    closed_reason = None
    if outcome == "abandoned":
        while len(messages) < count:
            kind = rng.random()
            if len(messages) % 2 == 1:
                if kind < 0.5:
                    greet = SMALL_TALK[0]
                    customer(greet[0], (greet[1], greet[2]))
                else:
                    customer("nlu_fallback", rng.choice(NOT_UNDERSTOOD))
            else:
                add("bot", "Beklager, det forsto jeg ikke." if nb else "Sorry, I didn't get that.")
    elif outcome in ("served", "open"):
        while len(messages) < count:
            if len(messages) % 2 == 1:
                if len(messages) == 1 or rng.random() < 0.6:
                    request()
                else:
                    talk = rng.choice(SMALL_TALK)
                    customer(talk[0], (talk[1], talk[2]))
            else:
                add("bot", "Her er svaret." if nb else "Here is what I found.")
    else:
        reason, _w, last_intent = _weighted(rng, HANDOFF_REASONS, [r[1] for r in HANDOFF_REASONS])
        conversation["handoff_reason"] = reason
        conversation["handoff_summary"] = {"text": f"Handoff ({reason.replace('_', ' ')})"}
        bot_part = min(count - 1, rng.choice((2, 4, 4, 6)))
        while len(messages) < bot_part:
            if len(messages) % 2 == 1:
                if len(messages) + 2 >= bot_part:
                    customer(last_intent, LAST_WORDS.get(last_intent) or rng.choice(NOT_UNDERSTOOD))
                else:
                    request()
            else:
                add("bot", "Et øyeblikk." if nb else "One moment.")
        add("system", "En person tar over." if nb else "A person will take over.")
        after_hours = rng.random() < 0.18
        if after_hours or not agents:
            closed_reason = "outside_hours" if after_hours else "no_agent_available"
            while len(messages) < count:
                add("bot", "Vi har lagt igjen en melding." if nb else "We have left a message for the team.")
        else:
            queued = clock
            wait = min(rng.lognormvariate(4.0, 0.9), 3600.0)  # median ~55 s, long tail
            assigned = queued + timedelta(seconds=wait)
            agent_id, agent_name = rng.choice(agents)
            conversation.update(queued_at=queued, assigned_at=assigned, assigned_agent_id=agent_id, state="assigned")
            clock = assigned + timedelta(seconds=rng.randint(5, 90))
            while len(messages) < count:
                if (len(messages) - bot_part) % 2 == 1:
                    add("agent", "Jeg ser på det nå." if nb else "Let me look into that.", agent_name=agent_name)
                else:
                    add("customer", "ok, takk" if nb else "ok, thanks", None)
            if rng.random() < 0.93:
                resolved = max(clock, assigned + timedelta(seconds=min(rng.lognormvariate(6.2, 0.7), 7200.0)))
                conversation.update(resolved_at=resolved, state="resolved")
                clock = resolved
                if rng.random() < 0.62:
                    conversation["rating"] = _weighted(rng, RATINGS, RATING_WEIGHTS)
    last = messages[-1]["created_at"]
    conversation["made_request"] = any(is_request(m["intent"]) for m in messages if m["role"] == "customer")
    conversation["last_seq"] = len(messages)
    conversation["last_activity_at"] = last
    if outcome != "open":
        ended = max(last, clock) + timedelta(minutes=30)  # the idle timeout ends it
        conversation["ended_at"] = ended if ended <= now else None
    return _Plan(conversation, messages, closed_reason)


async def _agents_of(session: AsyncSession, tenant_id: int) -> list[tuple[int, str]]:
    from bot.db.models import Agent

    rows = await session.execute(
        select(Agent.id, Agent.display_name)
        .join(AgentTenant, AgentTenant.agent_id == Agent.id)
        .where(AgentTenant.tenant_id == tenant_id)
        .order_by(Agent.id)
    )
    return [(int(agent_id), str(name)) for agent_id, name in rows]


async def generate_history(
    session: AsyncSession,
    tenant_id: int,
    *,
    conversations: int,
    messages: int,
    days: int = 90,
    now: datetime | None = None,
    seed: int = 13,
) -> HistorySummary:
    """Write the history into the session's transaction (the caller commits)."""
    if conversations < 1 or days < 1:
        raise ValueError("conversations and days must be positive")
    now = now or datetime.now(UTC)
    rng = random.Random(f"{seed}:{tenant_id}:{conversations}:{messages}:{days}")
    tenant = (
        await session.execute(select(Tenant.language, Tenant.time_zone, Tenant.ticket_prefix).where(Tenant.id == tenant_id))
    ).one()
    zone = ZoneInfo(tenant.time_zone)
    other_language = "en" if tenant.language == "nb" else "nb"
    agents = await _agents_of(session, tenant_id)
    counts = _message_counts(rng, conversations, messages)
    starts = _start_times(rng, conversations, days, now, zone)
    plans = [
        _plan_conversation(
            rng, tenant_id, tenant.language if rng.random() < 0.75 else other_language, started, count, agents, now
        )
        for started, count in zip(starts, counts, strict=True)
    ]
    tickets = await _ticket_rows(session, tenant_id, tenant.ticket_prefix, plans)
    await _bulk_insert(session, Conversation, [plan.conversation for plan in plans])
    await _bulk_insert(session, Message, [message for plan in plans for message in plan.messages])
    await _bulk_insert(session, Ticket, tickets)
    local_first = starts[0].astimezone(zone).date().isoformat()
    local_last = starts[-1].astimezone(zone).date().isoformat()
    return HistorySummary(conversations, messages, len(tickets), local_first, local_last)


async def _ticket_rows(session: AsyncSession, tenant_id: int, prefix: str, plans: list[_Plan]) -> list[dict[str, Any]]:
    """The tickets left when nobody could come, numbered from the tenant's counter."""
    left = [plan for plan in plans if plan.ticket_closed_reason is not None]
    if not left:
        return []
    first = await session.scalar(
        update(Tenant)
        .where(Tenant.id == tenant_id)
        .values(next_ticket_number=Tenant.next_ticket_number + len(left))
        .returning(Tenant.next_ticket_number)
    )
    number = int(first or 0) - len(left)
    rows = []
    for offset, plan in enumerate(left):
        created = plan.messages[-1]["created_at"]
        reason = plan.conversation["handoff_reason"] or "customer request"
        rows.append(
            {
                "tenant_id": tenant_id, "account_id": None, "conversation_id": plan.conversation["id"],
                "reference": format_reference(prefix, number + offset), "category": "other",
                "subject": f"Chat message for a person ({reason.replace('_', ' ')})",
                "description": "The customer asked for a person when nobody was available.",
                "priority": "normal", "status": "open", "created_at": created, "updated_at": created,
                "closed_reason": plan.ticket_closed_reason,
            }
        )
    return rows


async def _bulk_insert(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await _copy(session, model, rows)
        return
    table = model.__table__
    for start in range(0, len(rows), BATCH):
        await connection.execute(insert(table), rows[start : start + BATCH])


async def _copy(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY through asyncpg, in the session's own transaction."""
    import json

    table = model.__table__
    columns = list(rows[0])
    json_columns = {name for name in columns if table.c[name].type.__class__.__name__ == "JSON"}
    records = [
        tuple(json.dumps(row[name]) if name in json_columns and row[name] is not None else row[name] for name in columns)
        for row in rows
    ]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table.name, records=records, columns=columns)


async def has_history(session: AsyncSession, tenant_id: int, *, before: datetime) -> bool:
    return bool(
        await session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.tenant_id == tenant_id, Conversation.created_at < before)
        )
    )


# The demo's history: three weeks per firm (last week and the week before for the trend),
# small enough that seed-demo stays quick (about 1 s more on SQLite, measured in the report).
DEMO_DAYS = 21
DEMO_CONVERSATIONS_PER_DAY = 12
DEMO_MESSAGES_PER_CONVERSATION = 7


async def seed_demo_history(session: AsyncSession, slugs: Sequence[str], *, now: datetime | None = None) -> list[str]:
    """Give each demo firm without history (no conversation older than a day) three weeks of it.

    Returns the slugs that got history; a re-run adds nothing."""
    now = now or datetime.now(UTC)
    seeded = []
    for slug in slugs:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == slug))
        if tenant_id is None or await has_history(session, tenant_id, before=now - timedelta(days=1)):
            continue
        conversations = DEMO_DAYS * DEMO_CONVERSATIONS_PER_DAY
        await generate_history(
            session, tenant_id, conversations=conversations,
            messages=conversations * DEMO_MESSAGES_PER_CONVERSATION, days=DEMO_DAYS, now=now,
        )
        seeded.append(slug)
    return seeded
