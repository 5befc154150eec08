"""Routing: who is eligible, who gets a chat, when customers leave a message, how long they wait."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.db import TenantRef, Ticket
from bot.db.agents import AgentLoad
from bot.db.models import Conversation, Tenant
from bot.handoff.routing import (
    DEFAULT_HANDLING_TIME,
    average_handling_time,
    estimate_wait,
    is_available,
    is_eligible,
    ranked_candidates,
)

from .conftest import KARI, SAM, SUP, Desk

NOW = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
TIMEOUT = timedelta(seconds=90)


def agent(agent_id: int = 1, **overrides: object) -> AgentLoad:
    values: dict[str, object] = {
        "agent_id": agent_id,
        "display_name": f"Agent {agent_id}",
        "languages": ("en", "nb"),
        "presence": "online",
        "last_heartbeat_at": NOW - timedelta(seconds=10),
        "last_assigned_at": None,
        "open_chats": 0,
        "max_concurrent_chats": 3,
    }
    values.update(overrides)
    return AgentLoad(**values)  # type: ignore[arg-type]


def eligible(load: AgentLoad, language: str = "en") -> bool:
    return is_eligible(load, language=language, now=NOW, heartbeat_timeout=TIMEOUT)


# --- pure rules ----------------------------------------------------------------------


def test_an_online_agent_with_room_who_speaks_the_language_is_eligible() -> None:
    assert eligible(agent())


@pytest.mark.parametrize(
    "overrides",
    [
        {"presence": "away"},
        {"presence": "offline"},
        {"languages": ("nb",)},
        {"open_chats": 3},
        {"last_heartbeat_at": None},
        {"last_heartbeat_at": NOW - timedelta(seconds=91)},
    ],
    ids=["away", "offline", "other-language", "at-capacity", "never-heard-from", "silent-too-long"],
)
def test_agents_who_cannot_take_a_chat_are_not_eligible(overrides: dict[str, object]) -> None:
    assert not eligible(agent(**overrides))


def test_an_agent_at_capacity_is_still_available_for_the_queue() -> None:
    busy = agent(open_chats=3)
    assert is_available(busy, language="en", now=NOW, heartbeat_timeout=TIMEOUT)
    assert not eligible(busy)


def test_candidates_are_ranked_by_fewest_open_chats_then_longest_idle_then_id() -> None:
    earlier, later = NOW - timedelta(hours=1), NOW - timedelta(minutes=1)
    agents = [
        agent(1, open_chats=2),
        agent(2, open_chats=1, last_assigned_at=later),
        agent(3, open_chats=1, last_assigned_at=earlier),
        agent(4, open_chats=1, last_assigned_at=None),  # never had a chat: idle longest
        agent(5, open_chats=0, presence="away"),  # not eligible at all
        agent(6, open_chats=1, last_assigned_at=None),
    ]
    ranked = ranked_candidates(agents, language="en", now=NOW, heartbeat_timeout=TIMEOUT)
    assert [a.agent_id for a in ranked] == [4, 6, 3, 2, 1]


def test_no_wait_while_the_position_fits_in_free_chat_slots() -> None:
    available = [agent(1, open_chats=1), agent(2, open_chats=3)]  # 2 free slots
    assert estimate_wait(2, available, []) == timedelta(0)


def test_wait_grows_by_one_handling_time_per_round_of_chat_slots() -> None:
    full = [agent(1, open_chats=3), agent(2, open_chats=3)]  # 6 slots, none free
    assert estimate_wait(1, full, []) == DEFAULT_HANDLING_TIME
    assert estimate_wait(6, full, []) == DEFAULT_HANDLING_TIME
    assert estimate_wait(7, full, []) == 2 * DEFAULT_HANDLING_TIME


def test_wait_uses_the_median_of_recent_handling_times_once_there_are_enough() -> None:
    samples = [timedelta(minutes=m) for m in (4, 10, 30)]
    assert average_handling_time(samples[:2]) == DEFAULT_HANDLING_TIME  # too few: default
    assert average_handling_time(samples) == timedelta(minutes=10)
    assert estimate_wait(1, [agent(open_chats=3)], samples) == timedelta(minutes=10)


def test_wait_is_unknown_without_available_agents_and_positions_start_at_1() -> None:
    assert estimate_wait(1, [], []) is None
    with pytest.raises(ValueError):
        estimate_wait(0, [agent()], [])


# --- routing on the real database -------------------------------------------------------


async def _set_auto_assign(desk: Desk, tenant: TenantRef, on: bool) -> None:
    async with desk.database.sessionmaker.begin() as session:
        await session.execute(update(Tenant).where(Tenant.id == tenant.id).values(auto_assign=on))


async def _conversation(desk: Desk, conversation_id: str) -> Conversation:
    async with desk.database.sessionmaker() as session:
        found = await session.get(Conversation, conversation_id)
    assert found is not None
    return found


async def test_auto_assignment_goes_to_fewest_open_chats_then_longest_idle(
    desk: Desk, nordlys: TenantRef
) -> None:
    kari, sup = await desk.online(KARI, SUP)
    owners = []
    for _ in range(3):
        conversation_id = await desk.conversation(nordlys)
        outcome = await desk.service.start_handoff(
            nordlys, conversation_id, reason="customer_request", summary=None
        )
        assert outcome.kind == "assigned"
        owners.append(outcome.change.after.agent_id)
        desk.clock.advance(seconds=5)

    # Both idle: the lower id (Kari) first; then Sofie has fewer chats; then a tie
    # at one chat each goes to Kari, idle since longer.
    assert owners == [kari.agent_id, sup.agent_id, kari.agent_id]


async def test_auto_assigned_handoff_reports_queue_then_assignment_events(
    desk: Desk, lighthouse: TenantRef
) -> None:
    (sam,) = await desk.online(SAM)
    conversation_id = await desk.conversation(lighthouse)

    outcome = await desk.service.start_handoff(
        lighthouse, conversation_id, reason="complaint", summary={"text": "angry about a claim"}
    )

    assert outcome.change.event_kinds == ("queued", "assigned")
    assert outcome.change.agent_name == "Sam"
    stored = await _conversation(desk, conversation_id)
    assert (stored.state, stored.assigned_agent_id) == ("assigned", sam.agent_id)
    assert stored.queued_at == stored.assigned_at == desk.clock.now
    assert (stored.handoff_reason, stored.handoff_summary) == ("complaint", {"text": "angry about a claim"})


async def test_a_chat_in_a_language_nobody_online_speaks_becomes_a_message(
    desk: Desk, lighthouse: TenantRef
) -> None:
    await desk.online(SAM)  # English only
    conversation_id = await desk.conversation(lighthouse, language="nb")

    outcome = await desk.service.start_handoff(
        lighthouse, conversation_id, reason="customer_request", summary=None
    )

    assert outcome.kind == "left_message"
    assert outcome.closed_reason == "no_agent_available"
    async with desk.database.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.reference == outcome.ticket_reference))
    assert ticket is not None and ticket.closed_reason == "no_agent_available"


async def test_a_chat_goes_to_the_agent_who_speaks_its_language(
    desk: Desk, lighthouse: TenantRef
) -> None:
    _, sup = await desk.online(SAM, SUP)
    conversation_id = await desk.conversation(lighthouse, language="nb")

    outcome = await desk.service.start_handoff(
        lighthouse, conversation_id, reason="customer_request", summary=None
    )

    assert outcome.change.after.agent_id == sup.agent_id


async def test_when_everyone_is_at_capacity_the_chat_waits_with_an_estimate(
    desk: Desk, lighthouse: TenantRef
) -> None:
    await desk.online(SAM)  # 3 chats at most
    for _ in range(3):
        conversation_id = await desk.conversation(lighthouse)
        assert (await desk.service.start_handoff(
            lighthouse, conversation_id, reason="customer_request", summary=None
        )).kind == "assigned"

    waiting = await desk.conversation(lighthouse)
    outcome = await desk.service.start_handoff(lighthouse, waiting, reason="customer_request", summary=None)

    assert outcome.kind == "queued"
    assert outcome.change.event_kinds == ("queued",)
    assert outcome.queue is not None
    assert (outcome.queue.position, outcome.queue.agents_available) == (1, 1)
    assert outcome.queue.estimated_wait == DEFAULT_HANDLING_TIME  # no handling history yet


async def test_an_online_agent_who_stopped_sending_heartbeats_gets_no_chats(
    desk: Desk, lighthouse: TenantRef
) -> None:
    (sam,) = await desk.online(SAM)
    desk.clock.advance(seconds=91)
    silent = await desk.conversation(lighthouse)
    assert (await desk.service.start_handoff(
        lighthouse, silent, reason="customer_request", summary=None
    )).kind == "left_message"

    await desk.service.heartbeat(sam)
    alive = await desk.conversation(lighthouse)
    assert (await desk.service.start_handoff(
        lighthouse, alive, reason="customer_request", summary=None
    )).kind == "assigned"


async def test_without_auto_assign_the_chat_waits_for_a_claim(
    desk: Desk, nordlys: TenantRef
) -> None:
    await _set_auto_assign(desk, nordlys, False)
    await desk.online(KARI)
    conversation_id = await desk.conversation(nordlys)

    outcome = await desk.service.start_handoff(nordlys, conversation_id, reason="customer_request", summary=None)

    assert outcome.kind == "queued"
    assert outcome.queue is not None and outcome.queue.estimated_wait == timedelta(0)  # Kari has room


async def test_outside_business_hours_the_customer_leaves_a_message_with_the_transcript(
    desk: Desk, nordlys: TenantRef
) -> None:
    await desk.online(KARI)
    desk.clock.now = datetime(2025, 1, 18, 10, 0, tzinfo=UTC)  # Saturday: Nordlys is closed
    await desk.service.heartbeat(await desk.scope(KARI))
    conversation_id = await desk.conversation(nordlys, customer_says="My meter reading is wrong")

    outcome = await desk.service.start_handoff(
        nordlys, conversation_id, reason="customer_request", summary={"text": "meter reading dispute"}
    )

    assert outcome.kind == "left_message"
    assert outcome.closed_reason == "outside_hours"
    assert outcome.next_opening == datetime(2025, 1, 20, 7, 0, tzinfo=UTC)  # Monday 08:00 Oslo
    assert outcome.change.after.state == "bot"
    assert outcome.change.event_kinds == ("message_left", "bot_resumed")
    assert outcome.ticket_reference is not None and outcome.ticket_reference.startswith("NRD-")
    async with desk.database.sessionmaker() as session:
        ticket = await session.scalar(
            select(Ticket).where(Ticket.tenant_id == nordlys.id, Ticket.reference == outcome.ticket_reference)
        )
    assert ticket is not None
    assert ticket.conversation_id == conversation_id
    assert ticket.closed_reason == "outside_hours"  # the reports' after-hours tickets
    assert "meter reading dispute" in ticket.description
    assert "customer: My meter reading is wrong" in ticket.description
    assert "bot: Let me get a person." in ticket.description
    stored = await _conversation(desk, conversation_id)
    assert (stored.state, stored.handoff_reason) == ("bot", "customer_request")


async def test_queue_position_counts_earlier_chats_of_the_same_tenant_and_language(
    desk: Desk, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    await _set_auto_assign(desk, nordlys, False)
    await _set_auto_assign(desk, fjordnett, False)
    await desk.online(KARI)
    first = await desk.queued(nordlys)
    desk.clock.advance(seconds=1)
    await desk.queued(nordlys, language="nb")  # another language: not ahead
    await desk.queued(fjordnett)  # another tenant: not ahead
    desk.clock.advance(seconds=1)
    second = await desk.queued(nordlys)

    assert (await desk.service.queue_status(nordlys, first)).position == 1  # type: ignore[union-attr]
    assert (await desk.service.queue_status(nordlys, second)).position == 2  # type: ignore[union-attr]


async def test_queue_status_of_a_chat_that_is_not_waiting_is_none(desk: Desk, nordlys: TenantRef) -> None:
    assert await desk.service.queue_status(nordlys, await desk.conversation(nordlys)) is None


async def test_estimated_wait_learns_from_recent_handling_times(desk: Desk, lighthouse: TenantRef) -> None:
    (sam,) = await desk.online(SAM)
    async with desk.database.sessionmaker.begin() as session:
        await session.execute(update(Tenant).where(Tenant.id == lighthouse.id).values(auto_assign=True))
    for _ in range(3):  # three chats handled in 20 minutes each
        conversation_id = await desk.conversation(lighthouse)
        await desk.service.start_handoff(lighthouse, conversation_id, reason="customer_request", summary=None)
        desk.clock.advance(minutes=20)
        await desk.service.heartbeat(sam)
        await desk.service.resolve(sam, conversation_id)
    for _ in range(3):  # Sam is full again
        conversation_id = await desk.conversation(lighthouse)
        await desk.service.start_handoff(lighthouse, conversation_id, reason="customer_request", summary=None)

    waiting = await desk.conversation(lighthouse)
    outcome = await desk.service.start_handoff(lighthouse, waiting, reason="customer_request", summary=None)

    assert outcome.queue is not None
    assert outcome.queue.estimated_wait == timedelta(minutes=20)


def test_agent_loads_are_plain_data() -> None:
    # Routing rules need no database: an AgentLoad is a frozen value.
    load = agent()
    assert replace(load, open_chats=1).open_chats == 1
    with pytest.raises(AttributeError):
        load.open_chats = 2  # type: ignore[misc]
