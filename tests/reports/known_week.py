"""A week of Nordlys' chats with every report number known in advance (Europe/Oslo, UTC+1).

The week is Monday 2 to Sunday 8 November 2026. Each conversation says what it is there to
prove; tests/reports/test_queries.py states the numbers they add up to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agent, AgentTenant, Conversation, Message, Ticket
from bot.db.tenants import TenantRef
from bot.reports.requests import is_request

OSLO = ZoneInfo("Europe/Oslo")
FIRST_DAY = date(2026, 11, 2)
LAST_DAY = date(2026, 11, 8)


def oslo(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=OSLO).astimezone(UTC)


@dataclass
class Chat:
    started: datetime
    language: str = "nb"
    customer: list[tuple[str | None, str]] = field(default_factory=list)  # (intent, text)
    ended: bool = True
    reason: str | None = None
    queued: float | None = None  # seconds after start
    assigned: float | None = None  # seconds after queued
    first_agent_message: float | None = None  # seconds after queued
    resolved: float | None = None  # seconds after queued
    rating: int | None = None
    agent: str | None = None  # "kari" | "sofie"
    ticket: str | None = None  # closed_reason of the ticket left
    empty: bool = False  # nobody wrote: not a conversation for reports


IN_RANGE: dict[str, Chat] = {
    # Served by the assistant (3): a request it understood, no person.
    "A": Chat(oslo(2, 10), customer=[("check_balance", "hvor mye skylder jeg?")]),
    # 23:30 in Oslo is 22:30 UTC on the same day: still Monday.
    "B": Chat(oslo(2, 23, 30), "en", customer=[("faq/opening_hours", "when are you open?")]),
    # Not understood first, then an FAQ: served (the fallback counts in the fallback rate).
    "J": Chat(oslo(8, 11), customer=[("nlu_fallback", "Why is my bill so high"), ("faq/opening_hours", "åpningstider?")]),
    # Abandoned (1): only a greeting. 00:10 in Oslo is 23:10 UTC on the 2nd: a Tuesday chat.
    "C": Chat(oslo(3, 0, 10), customer=[("greet", "hei")]),
    # Handed off (5), one per reason group.
    "D": Chat(oslo(3, 9), customer=[("request_human", "kan jeg snakke med et menneske?"), (None, "ok takk")],
              reason="customer_request", queued=60, assigned=60, first_agent_message=120, resolved=600,
              rating=5, agent="kari"),
    "E": Chat(oslo(4, 14), "en", customer=[("complain", "this is terrible")], reason="complaint",
              queued=30, assigned=300, first_agent_message=360, resolved=1800, rating=2, agent="sofie"),
    "F": Chat(oslo(4, 15), customer=[("nlu_fallback", "why is my bill so high"), ("nlu_fallback", " WHY is my bill so high ")],
              reason="nlu_fallback", queued=60, assigned=20, resolved=600, agent="kari"),
    "G": Chat(oslo(5, 20), customer=[("inform", "[ACCOUNT]")], reason="verification_failed", ticket="outside_hours"),
    "H": Chat(oslo(6, 10), "en", customer=[(None, "how much do I owe?")], reason="assistant_unavailable",
              ticket="no_agent_available"),
    # Still open (1).
    "I": Chat(oslo(7, 12), customer=[("check_plan", "hvilket abonnement har jeg?")], ended=False),
}
OUT_OF_RANGE: dict[str, Chat] = {
    # 00:30 on Monday the 9th in Oslo (23:30 UTC on the 8th): next week.
    "K": Chat(oslo(9, 0, 30), customer=[("check_balance", "hvor mye skylder jeg?")]),
    # In the range, but nobody wrote.
    "L": Chat(oslo(4, 12), empty=True),
}
# The week before (26 Oct - 1 Nov): one served, one handed off -> previous rate 50 %.
PREVIOUS_WEEK: dict[str, Chat] = {
    "P1": Chat(oslo(27, 10, month=10), customer=[("check_balance", "hvor mye skylder jeg?")]),
    "P2": Chat(oslo(28, 10, month=10), customer=[("request_human", "menneske")], reason="customer_request"),
}


@dataclass(frozen=True)
class KnownWeek:
    kari: int
    sofie: int


async def _agent(session: AsyncSession, tenant: TenantRef, name: str) -> int:
    agent = Agent(email=f"{name}@reports.example", display_name=name.title(), password_hash="not-a-login", role="agent")
    session.add(agent)
    await session.flush()
    session.add(AgentTenant(agent_id=agent.id, tenant_id=tenant.id))
    return agent.id


async def add_chat(session: AsyncSession, tenant: TenantRef, key: str, chat: Chat, agents: dict[str, int]) -> None:
    conversation_id = f"known-{tenant.slug}-{key}"
    messages: list[Message] = []
    clock = chat.started

    def add(role: str, text: str, intent: str | None = None, at: datetime | None = None) -> None:
        nonlocal clock
        clock = at or clock + timedelta(seconds=5)
        messages.append(
            Message(tenant_id=tenant.id, conversation_id=conversation_id, seq=len(messages) + 1, role=role,
                    text=text, buttons=[], intent=intent, created_at=clock,
                    client_id=f"c{len(messages)}" if role == "customer" else None)
        )

    if not chat.empty:
        add("bot", "Hei!", at=chat.started)
        for intent, text in chat.customer[:1]:
            add("customer", text, intent)
    queued = assigned = resolved = None
    if chat.queued is not None:
        queued = chat.started + timedelta(seconds=chat.queued)
        assigned = queued + timedelta(seconds=chat.assigned) if chat.assigned is not None else None
        resolved = queued + timedelta(seconds=chat.resolved) if chat.resolved is not None else None
        if chat.first_agent_message is not None:
            add("agent", "Hei, jeg heter Kari.", at=queued + timedelta(seconds=chat.first_agent_message))
            add("agent", "Jeg ser på det.")
    for intent, text in chat.customer[1:]:
        add("customer", text, intent)
    session.add(
        Conversation(
            id=conversation_id, tenant_id=tenant.id, language=chat.language,
            state="resolved" if resolved else "assigned" if assigned else "bot",
            handoff_reason=chat.reason, last_seq=len(messages), created_at=chat.started,
            made_request=any(is_request(intent) for intent, _text in chat.customer),
            last_activity_at=clock, ended_at=clock + timedelta(minutes=30) if chat.ended else None,
            queued_at=queued, assigned_at=assigned, resolved_at=resolved, rating=chat.rating,
            assigned_agent_id=agents[chat.agent] if chat.agent else None,
        )
    )
    await session.flush()
    session.add_all(messages)
    if chat.ticket:
        session.add(
            Ticket(tenant_id=tenant.id, conversation_id=conversation_id, reference=f"{tenant.ticket_prefix}-{9000 + ord(key[0])}",
                   subject="Chat message for a person", description="left", category="other",
                   closed_reason=chat.ticket, created_at=clock, updated_at=clock)
        )
    await session.flush()


async def seed_known_week(session: AsyncSession, tenant: TenantRef, other: TenantRef) -> KnownWeek:
    """The chats above for `tenant`, and a copy of the in-range ones for `other` (which must
    never show up in `tenant`'s reports)."""
    agents = {"kari": await _agent(session, tenant, "kari"), "sofie": await _agent(session, tenant, "sofie")}
    for chats in (IN_RANGE, OUT_OF_RANGE, PREVIOUS_WEEK):
        for key, chat in chats.items():
            await add_chat(session, tenant, key, chat, agents)
    for key, chat in IN_RANGE.items():
        await add_chat(session, other, key, chat, agents)
    return KnownWeek(agents["kari"], agents["sofie"])
