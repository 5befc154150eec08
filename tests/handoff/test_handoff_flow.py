"""The handoff use cases end to end on the real database: claim, transfer, resolve, rate, hand back, requeue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.db import TenantRef, Ticket
from bot.db.conversations import ConversationNotFound
from bot.db.models import Agent, Conversation, Tenant
from bot.handoff.errors import (
    AgentAtCapacity,
    AgentNotEligible,
    InvalidHandoffInput,
    NotPermitted,
    RatingNotAccepted,
)
from bot.handoff.ownership import IllegalTransition, Ownership
from bot.handoff.use_cases import ConversationEnded

from .conftest import KARI, SAM, SUP, Desk


@pytest.fixture
async def manual(desk: Desk, nordlys: TenantRef, lighthouse: TenantRef) -> Desk:
    """Nordlys and Lighthouse without auto-assignment: chats wait until someone claims them."""
    async with desk.database.sessionmaker.begin() as session:
        await session.execute(
            update(Tenant).where(Tenant.id.in_([nordlys.id, lighthouse.id])).values(auto_assign=False)
        )
    return desk


async def _stored(desk: Desk, conversation_id: str) -> Conversation:
    async with desk.database.sessionmaker() as session:
        found = await session.get(Conversation, conversation_id)
    assert found is not None
    return found


async def _ownership(desk: Desk, conversation_id: str) -> Ownership:
    stored = await _stored(desk, conversation_id)
    return Ownership(stored.state, stored.assigned_agent_id)  # type: ignore[arg-type]


# --- start ---------------------------------------------------------------------------


async def test_a_second_handoff_request_for_a_waiting_chat_is_illegal(manual: Desk, nordlys: TenantRef) -> None:
    await manual.online(KARI)
    conversation_id = await manual.queued(nordlys)

    with pytest.raises(IllegalTransition):
        await manual.service.start_handoff(nordlys, conversation_id, reason="again", summary=None)
    assert (await _stored(manual, conversation_id)).state == "queued"


async def test_handoff_of_an_unknown_or_ended_chat_is_refused(desk: Desk, nordlys: TenantRef) -> None:
    with pytest.raises(ConversationNotFound):
        await desk.service.start_handoff(nordlys, "no-such-chat", reason="customer_request", summary=None)

    conversation_id = await desk.conversation(nordlys)
    async with desk.database.sessionmaker.begin() as session:
        await session.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(ended_at=desk.clock.now)
        )
    with pytest.raises(ConversationEnded):
        await desk.service.start_handoff(nordlys, conversation_id, reason="customer_request", summary=None)


@pytest.mark.parametrize(("reason", "summary"), [("", None), ("   ", None), ("ok", "not an object")])
async def test_handoff_with_bad_input_is_refused_and_changes_nothing(
    desk: Desk, nordlys: TenantRef, reason: str, summary: object
) -> None:
    conversation_id = await desk.conversation(nordlys)
    with pytest.raises(InvalidHandoffInput):
        await desk.service.start_handoff(nordlys, conversation_id, reason=reason, summary=summary)  # type: ignore[arg-type]
    assert (await _stored(desk, conversation_id)).state == "bot"


# --- claim ---------------------------------------------------------------------------


async def test_an_agent_claims_a_waiting_chat(manual: Desk, nordlys: TenantRef) -> None:
    (kari,) = await manual.online(KARI)
    conversation_id = await manual.queued(nordlys)
    assert [c.id for c in await manual.workspace.queue(kari)] == [conversation_id]

    change = await manual.service.claim(kari, conversation_id)

    assert change.after == Ownership("assigned", kari.agent_id)
    assert change.event_kinds == ("assigned",)
    assert change.agent_name == "Kari"
    assert await manual.workspace.queue(kari) == []
    assert [c.id for c in await manual.workspace.my_chats(kari)] == [conversation_id]


async def test_claiming_a_chat_that_is_already_taken_is_illegal(manual: Desk, nordlys: TenantRef) -> None:
    kari, sup = await manual.online(KARI, SUP)
    conversation_id = await manual.queued(nordlys)
    await manual.service.claim(kari, conversation_id)

    with pytest.raises(IllegalTransition):
        await manual.service.claim(sup, conversation_id)
    assert await _ownership(manual, conversation_id) == Ownership("assigned", kari.agent_id)


async def test_an_agent_cannot_claim_a_chat_in_a_language_they_do_not_speak(
    manual: Desk, lighthouse: TenantRef
) -> None:
    sam, _ = await manual.online(SAM, SUP)
    conversation_id = await manual.queued(lighthouse, language="nb")

    with pytest.raises(AgentNotEligible, match="language"):
        await manual.service.claim(sam, conversation_id)
    assert (await _stored(manual, conversation_id)).state == "queued"


async def test_an_agent_at_capacity_cannot_claim_more(manual: Desk, lighthouse: TenantRef) -> None:
    (sam,) = await manual.online(SAM)
    chats = [await manual.queued(lighthouse) for _ in range(4)]
    for conversation_id in chats[:3]:
        await manual.service.claim(sam, conversation_id)

    with pytest.raises(AgentAtCapacity):
        await manual.service.claim(sam, chats[3])
    assert (await _stored(manual, chats[3])).state == "queued"


# --- transfer ------------------------------------------------------------------------


async def test_the_owner_transfers_a_chat_to_another_online_agent(manual: Desk, nordlys: TenantRef) -> None:
    kari, sup = await manual.online(KARI, SUP)
    conversation_id = await manual.queued(nordlys)
    await manual.service.claim(kari, conversation_id)

    outcome = await manual.service.transfer(kari, conversation_id, sup.agent_id)

    assert outcome.change.after == Ownership("assigned", sup.agent_id)
    assert outcome.change.event_kinds == ("transferred",)
    assert outcome.change.events[0].previous_agent_id == kari.agent_id
    assert outcome.change.agent_name == "Sofie"
    assert await manual.workspace.my_chats(kari) == []
    assert [c.id for c in await manual.workspace.my_chats(sup)] == [conversation_id]


async def test_transfer_only_to_an_online_agent_of_the_tenant(
    manual: Desk, nordlys: TenantRef, lighthouse: TenantRef
) -> None:
    (kari,) = await manual.online(KARI)
    conversation_id = await manual.queued(nordlys)
    await manual.service.claim(kari, conversation_id)
    sup, sam = await manual.scope(SUP), await manual.scope(SAM)
    await manual.service.set_presence(sam, "online")

    with pytest.raises(AgentNotEligible, match="not online"):
        await manual.service.transfer(kari, conversation_id, sup.agent_id)  # offline
    with pytest.raises(AgentNotEligible, match="does not serve"):
        await manual.service.transfer(kari, conversation_id, sam.agent_id)  # Lighthouse only
    with pytest.raises(AgentNotEligible, match="does not serve"):
        await manual.service.transfer(kari, conversation_id, 999_999)
    assert await _ownership(manual, conversation_id) == Ownership("assigned", kari.agent_id)


async def test_only_the_owner_or_a_supervisor_may_transfer(manual: Desk, nordlys: TenantRef) -> None:
    kari, sup = await manual.online(KARI, SUP)
    conversation_id = await manual.queued(nordlys)
    await manual.service.claim(sup, conversation_id)

    with pytest.raises(NotPermitted):
        await manual.service.transfer(kari, conversation_id, kari.agent_id)

    await manual.service.transfer(sup, conversation_id, kari.agent_id)
    await manual.service.transfer(sup, conversation_id, sup.agent_id)  # a supervisor may take it back
    assert await _ownership(manual, conversation_id) == Ownership("assigned", sup.agent_id)


# --- resolve and rate ------------------------------------------------------------------


async def test_resolving_asks_for_a_rating_and_the_customer_rates(manual: Desk, nordlys: TenantRef) -> None:
    (kari,) = await manual.online(KARI)
    conversation_id = await manual.queued(nordlys)
    await manual.service.claim(kari, conversation_id)
    manual.clock.advance(minutes=7)

    outcome = await manual.service.resolve(kari, conversation_id)
    await manual.service.rate(nordlys, conversation_id, 5, "Kari was great, mail me at ola@example.no")

    assert outcome.change.event_kinds == ("resolved", "rating_requested")
    stored = await _stored(manual, conversation_id)
    assert (stored.state, stored.assigned_agent_id) == ("resolved", kari.agent_id)
    assert stored.resolved_at == manual.clock.now
    assert stored.rating == 5
    assert stored.rating_comment is not None and "ola@example.no" not in stored.rating_comment
    assert stored.rating_comment.startswith("Kari was great")


@pytest.mark.parametrize("rating", [0, 6, 4.5, True, "5", None])
async def test_a_rating_outside_1_to_5_is_refused(manual: Desk, nordlys: TenantRef, rating: object) -> None:
    (kari,) = await manual.online(KARI)
    conversation_id = await manual.queued(nordlys)
    await manual.service.claim(kari, conversation_id)
    await manual.service.resolve(kari, conversation_id)

    with pytest.raises(RatingNotAccepted):
        await manual.service.rate(nordlys, conversation_id, rating)  # type: ignore[arg-type]
    assert (await _stored(manual, conversation_id)).rating is None


async def test_only_a_resolved_chat_can_be_rated(manual: Desk, nordlys: TenantRef) -> None:
    conversation_id = await manual.conversation(nordlys)
    with pytest.raises(RatingNotAccepted, match="resolved"):
        await manual.service.rate(nordlys, conversation_id, 4)
    with pytest.raises(ConversationNotFound):
        await manual.service.rate(nordlys, "no-such-chat", 4)


async def test_an_agent_cannot_resolve_someone_elses_chat_but_a_supervisor_can(
    manual: Desk, nordlys: TenantRef
) -> None:
    kari, sup = await manual.online(KARI, SUP)
    conversation_id = await manual.queued(nordlys)
    await manual.service.claim(sup, conversation_id)
    other = await manual.queued(nordlys)
    await manual.service.claim(kari, other)

    with pytest.raises(NotPermitted):
        await manual.service.resolve(kari, conversation_id)
    outcome = await manual.service.resolve(sup, other)

    # The chat stays credited to its owner, not to the supervisor who closed it.
    assert outcome.change.after == Ownership("resolved", kari.agent_id)


async def test_resolving_a_waiting_chat_is_illegal(manual: Desk, nordlys: TenantRef) -> None:
    (kari,) = await manual.online(KARI)
    conversation_id = await manual.queued(nordlys)
    with pytest.raises(IllegalTransition):
        await manual.service.resolve(kari, conversation_id)


async def test_freed_capacity_goes_to_the_next_waiting_chat(desk: Desk, lighthouse: TenantRef) -> None:
    (sam,) = await desk.online(SAM)  # auto-assign on, 3 chats at most
    chats = []
    for _ in range(4):
        chats.append(await desk.conversation(lighthouse))
        await desk.service.start_handoff(lighthouse, chats[-1], reason="customer_request", summary=None)
        desk.clock.advance(seconds=1)
    assert (await _stored(desk, chats[3])).state == "queued"

    outcome = await desk.service.resolve(sam, chats[0])

    assert [(c.conversation_id, c.after) for c in outcome.dispatched] == [
        (chats[3], Ownership("assigned", sam.agent_id))
    ]
    assert await _ownership(desk, chats[3]) == Ownership("assigned", sam.agent_id)


# --- back to the bot ---------------------------------------------------------------------


async def test_the_owner_hands_a_chat_back_to_the_bot(manual: Desk, nordlys: TenantRef) -> None:
    (kari,) = await manual.online(KARI)
    conversation_id = await manual.queued(nordlys)
    await manual.service.claim(kari, conversation_id)

    outcome = await manual.service.hand_back_to_bot(kari, conversation_id)

    assert outcome.change.event_kinds == ("handed_back", "bot_resumed")
    assert await _ownership(manual, conversation_id) == Ownership("bot")
    assert await manual.workspace.my_chats(kari) == []


async def test_only_a_supervisor_takes_a_waiting_chat_out_of_the_queue(manual: Desk, nordlys: TenantRef) -> None:
    kari, sup = await manual.online(KARI, SUP)
    conversation_id = await manual.queued(nordlys)

    with pytest.raises(NotPermitted):
        await manual.service.hand_back_to_bot(kari, conversation_id)
    await manual.service.hand_back_to_bot(sup, conversation_id)
    assert await _ownership(manual, conversation_id) == Ownership("bot")


async def test_a_customer_writing_after_resolution_goes_back_to_the_bot(manual: Desk, nordlys: TenantRef) -> None:
    (kari,) = await manual.online(KARI)
    conversation_id = await manual.queued(nordlys)
    await manual.service.claim(kari, conversation_id)
    await manual.service.resolve(kari, conversation_id)

    change = await manual.service.customer_returned(nordlys, conversation_id)

    assert change.event_kinds == ("reopened", "bot_resumed")
    assert await _ownership(manual, conversation_id) == Ownership("bot")
    with pytest.raises(IllegalTransition):
        await manual.service.customer_returned(nordlys, conversation_id)  # already with the bot


async def test_a_reopened_chat_can_be_handed_off_again(manual: Desk, nordlys: TenantRef) -> None:
    (kari,) = await manual.online(KARI)
    conversation_id = await manual.queued(nordlys)
    await manual.service.claim(kari, conversation_id)
    await manual.service.resolve(kari, conversation_id)
    await manual.service.customer_returned(nordlys, conversation_id)
    manual.clock.advance(minutes=1)

    outcome = await manual.service.start_handoff(nordlys, conversation_id, reason="complaint", summary=None)

    assert outcome.kind == "queued"
    stored = await _stored(manual, conversation_id)
    assert (stored.queued_at, stored.assigned_at, stored.resolved_at) == (manual.clock.now, None, None)


async def test_a_waiting_customer_leaves_a_message_instead(manual: Desk, nordlys: TenantRef) -> None:
    await manual.online(KARI)
    conversation_id = await manual.queued(nordlys)

    outcome = await manual.service.leave_message(nordlys, conversation_id)

    assert outcome.kind == "left_message"
    assert outcome.change.event_kinds == ("message_left", "bot_resumed")
    assert await _ownership(manual, conversation_id) == Ownership("bot")
    async with manual.database.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.reference == outcome.ticket_reference))
    assert ticket is not None and ticket.tenant_id == nordlys.id
    assert "wants a person" in ticket.description and "customer: I need help" in ticket.description
    with pytest.raises(IllegalTransition):  # only from the queue
        await manual.service.leave_message(nordlys, conversation_id)


# --- disconnects -------------------------------------------------------------------------


async def test_an_agent_back_within_the_grace_period_keeps_their_chats(manual: Desk, nordlys: TenantRef) -> None:
    (kari,) = await manual.online(KARI)
    conversation_id = await manual.queued(nordlys)
    await manual.service.claim(kari, conversation_id)
    manual.clock.advance(seconds=30)
    await manual.service.heartbeat(kari)  # reconnected
    manual.clock.advance(seconds=30)

    assert await manual.service.agent_disconnected(kari.agent_id, grace=timedelta(seconds=60)) == ()
    assert await _ownership(manual, conversation_id) == Ownership("assigned", kari.agent_id)


async def test_a_disconnected_agent_loses_their_chats_to_the_queue_keeping_their_place(
    manual: Desk, nordlys: TenantRef
) -> None:
    kari, sup = await manual.online(KARI, SUP)
    first = await manual.queued(nordlys)
    manual.clock.advance(seconds=1)
    later = await manual.queued(nordlys)
    await manual.service.claim(kari, first)
    manual.clock.advance(seconds=61)
    await manual.service.heartbeat(sup)

    changes = await manual.service.agent_disconnected(kari.agent_id, grace=timedelta(seconds=60))

    assert [(c.conversation_id, c.event_kinds) for c in changes] == [(first, ("requeued",))]
    assert await _ownership(manual, first) == Ownership("queued")
    assert (await manual.service.queue_status(nordlys, first)).position == 1  # type: ignore[union-attr]
    assert (await manual.service.queue_status(nordlys, later)).position == 2  # type: ignore[union-attr]
    async with manual.database.sessionmaker() as session:
        assert (await session.get(Agent, kari.agent_id)).presence == "offline"  # type: ignore[union-attr]


async def test_a_requeued_chat_goes_straight_to_another_agent_when_auto_assigning(
    desk: Desk, nordlys: TenantRef
) -> None:
    kari, sup = await desk.online(KARI, SUP)
    conversation_id = await desk.conversation(nordlys)
    outcome = await desk.service.start_handoff(nordlys, conversation_id, reason="customer_request", summary=None)
    assert outcome.change.after.agent_id == kari.agent_id
    desk.clock.advance(seconds=61)
    await desk.service.heartbeat(sup)

    changes = await desk.service.requeue_silent_agents(grace=timedelta(seconds=60))

    assert [c.event_kinds for c in changes] == [("requeued",), ("assigned",)]
    assert await _ownership(desk, conversation_id) == Ownership("assigned", sup.agent_id)


async def test_signing_off_returns_open_chats_to_the_queue_at_once(manual: Desk, nordlys: TenantRef) -> None:
    (kari,) = await manual.online(KARI)
    conversation_id = await manual.queued(nordlys)
    await manual.service.claim(kari, conversation_id)

    changes = await manual.service.set_presence(kari, "offline")

    assert [c.conversation_id for c in changes] == [conversation_id]
    assert await _ownership(manual, conversation_id) == Ownership("queued")


async def test_coming_online_picks_up_waiting_chats(desk: Desk, nordlys: TenantRef) -> None:
    await desk.online(SUP)
    async with desk.database.sessionmaker.begin() as session:  # Sofie is full
        await session.execute(update(Agent).where(Agent.email == SUP).values(max_concurrent_chats=1))
    await desk.service.start_handoff(nordlys, await desk.conversation(nordlys), reason="x", summary=None)
    waiting = await desk.conversation(nordlys)
    assert (await desk.service.start_handoff(nordlys, waiting, reason="x", summary=None)).kind == "queued"

    kari = await desk.scope(KARI)
    changes = await desk.service.set_presence(kari, "online")

    assert [(c.conversation_id, c.after) for c in changes] == [(waiting, Ownership("assigned", kari.agent_id))]


async def test_an_away_agent_keeps_their_chats_but_gets_no_new_ones(desk: Desk, lighthouse: TenantRef) -> None:
    (sam,) = await desk.online(SAM)
    mine = await desk.conversation(lighthouse)
    await desk.service.start_handoff(lighthouse, mine, reason="x", summary=None)

    assert await desk.service.set_presence(sam, "away") == ()
    new = await desk.conversation(lighthouse)
    outcome = await desk.service.start_handoff(lighthouse, new, reason="x", summary=None)

    assert await _ownership(desk, mine) == Ownership("assigned", sam.agent_id)
    assert outcome.kind == "left_message"  # nobody online


async def test_unknown_presence_is_refused(desk: Desk) -> None:
    from bot.db.agents import InvalidAgentData

    with pytest.raises(InvalidAgentData):
        await desk.service.set_presence(await desk.scope(KARI), "busy")
