"""What the product records in the audit log by itself: an agent opening a conversation
(transcript and account card) and every change of a conversation's owner."""

from __future__ import annotations

import bot.gateway.app  # noqa: F401  (the console's modules import each other through the gateway)
from bot.console.context import conversation_context
from bot.db import Database, TenantRef, find_account
from bot.db import audit
from bot.db.agents import create_agent, load_agent_scope
from bot.db.assignments import compare_and_set_ownership
from bot.db.types import utcnow

from .conftest import NewConversation


async def _agent(database: Database, tenant: TenantRef):
    async with database.sessionmaker.begin() as session:
        agent = await create_agent(session, email="reader@bpo.example", display_name="Reader",
                                   password_hash="not-a-real-hash", role="agent", tenants=[tenant])
        return await load_agent_scope(session, agent.id)


async def _logged(database: Database, tenant: TenantRef, action: str) -> list[audit.AuditView]:
    async with database.sessionmaker() as session:
        return await audit.entries(session, [tenant.id], action=action)


async def test_opening_a_conversation_records_the_transcript_and_account_card_reads(
    database: Database, nordlys: TenantRef, new_conversation: NewConversation
) -> None:
    async with database.sessionmaker() as session:
        ola = await find_account(session, nordlys, "10000001")
    conversation_id = await new_conversation(nordlys, days_ago=0, verified_account_id=ola.id, handoff=True)
    scope = await _agent(database, nordlys)

    await conversation_context(database.sessionmaker, scope, conversation_id)

    [transcript] = await _logged(database, nordlys, audit.TRANSCRIPT_READ)
    [card] = await _logged(database, nordlys, audit.ACCOUNT_CARD_READ)
    assert (transcript.actor_kind, transcript.actor_id, transcript.target_id) == ("agent", scope.agent_id, conversation_id)
    assert (card.actor_id, card.target_kind, card.target_id) == (scope.agent_id, "account", "10000001")


async def test_a_change_of_owner_is_recorded_and_a_lost_race_is_not(
    database: Database, nordlys: TenantRef, new_conversation: NewConversation
) -> None:
    conversation_id = await new_conversation(nordlys, days_ago=0)
    async with database.sessionmaker.begin() as session:
        moved = await compare_and_set_ownership(
            session, nordlys.id, conversation_id, expected_state="bot", expected_agent_id=None,
            state="queued", agent_id=None, queued_at=utcnow(),
        )
        lost = await compare_and_set_ownership(
            session, nordlys.id, conversation_id, expected_state="bot", expected_agent_id=None,
            state="queued", agent_id=None,
        )

    assert (moved, lost) == (True, False)
    [entry] = await _logged(database, nordlys, audit.HANDOFF_TRANSITION)
    assert entry.target_id == conversation_id
    assert entry.details == {"from": "bot", "to": "queued", "agent_id": None}
