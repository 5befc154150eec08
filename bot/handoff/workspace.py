"""What an agent sees and writes in the console: queue, own chats, transcripts, messages, notes, canned responses.

Everything goes through the agent's AgentScope: chats of tenants the agent does
not serve are not found. Text agents type (messages, notes, tickets) is redacted
before it is stored, like the customer's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import audit
from bot.db import notes as note_store
from bot.db.agents import AgentLoad, AgentScope
from bot.db.assignments import (
    ScopedConversation,
    chats_of_agent,
    conversation_for_agent,
    queue_for_agent,
    touch_if_owned,
)
from bot.db.canned import canned_responses_for_agent
from bot.db.conversations import add_message, messages_after
from bot.db.models import TICKET_CATEGORIES, TICKET_PRIORITIES, CannedResponse, Conversation, Message, Ticket
from bot.db.notes import NoteView
from bot.db.tenants import TenantRef
from bot.db.tickets import change_ticket_status, open_ticket
from bot.db.types import utcnow
from bot.handoff.errors import InvalidHandoffInput, NotPermitted
from bot.handoff.results import TextRedactor
from bot.handoff.routing import DEFAULT_HEARTBEAT_TIMEOUT, is_available, tenant_agents

AGENT_MESSAGE_MAX_CHARS = 2000  # the widget's limit for customers, too


class AgentWorkspace:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        redactor: TextRedactor,
        *,
        clock: Callable[[], datetime] = utcnow,
        heartbeat_timeout: timedelta = DEFAULT_HEARTBEAT_TIMEOUT,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._redactor = redactor
        self._clock = clock
        self._heartbeat_timeout = heartbeat_timeout  # an 'online' agent silent longer is gone

    async def queue(self, scope: AgentScope) -> list[Conversation]:
        """Waiting chats of the agent's tenants, longest waiting first."""
        async with self._sessionmaker() as session:
            return await queue_for_agent(session, scope)

    async def my_chats(self, scope: AgentScope) -> list[Conversation]:
        async with self._sessionmaker() as session:
            return await chats_of_agent(session, scope)

    async def conversation(self, scope: AgentScope, conversation_id: str) -> ScopedConversation:
        async with self._sessionmaker() as session:
            return await conversation_for_agent(session, scope, conversation_id)

    async def transcript(
        self, scope: AgentScope, conversation_id: str, *, after_seq: int = 0
    ) -> list[Message]:
        async with self._sessionmaker() as session:
            scoped = await conversation_for_agent(session, scope, conversation_id)
            return await messages_after(session, scoped.tenant, scoped.conversation.id, after_seq)

    async def send_message(self, scope: AgentScope, conversation_id: str, text: str) -> Message:
        """Post the agent's message to the customer; only in a chat the agent owns right now."""
        _, message = await self.post_message(scope, conversation_id, text)
        return message

    async def post_message(
        self, scope: AgentScope, conversation_id: str, text: str
    ) -> tuple[TenantRef, Message]:
        """send_message, also naming the chat's tenant (read in the same transaction)."""
        text = _validated_text(text, "message", AGENT_MESSAGE_MAX_CHARS)
        redacted = self._redactor.redact(text).text
        async with self._sessionmaker.begin() as session:
            scoped = await conversation_for_agent(session, scope, conversation_id)
            owned = await touch_if_owned(
                session, scoped.tenant.id, scoped.conversation.id, scope.agent_id, at=self._clock()
            )
            if not owned:
                raise NotPermitted("write in a chat that is not assigned to you")
            message = await add_message(
                session,
                scoped.tenant,
                scoped.conversation.id,
                role="agent",
                text=redacted,
                agent_name=scope.display_name,
            )
            return scoped.tenant, message

    async def transfer_targets(self, scope: AgentScope, conversation_id: str) -> list[AgentLoad]:
        """Other agents of the chat's tenant available now who speak its language."""
        async with self._sessionmaker() as session:
            scoped = await conversation_for_agent(session, scope, conversation_id)
            agents = await tenant_agents(session, scoped.tenant.id)
        now = self._clock()
        return [
            agent
            for agent in agents
            if agent.agent_id != scope.agent_id
            and is_available(
                agent,
                language=scoped.conversation.language,
                now=now,
                heartbeat_timeout=self._heartbeat_timeout,
            )
        ]

    async def add_note(self, scope: AgentScope, conversation_id: str, text: str) -> NoteView:
        """An internal note for agents (never shown to the customer)."""
        text = _validated_text(text, "note", note_store.NOTE_MAX_CHARS)
        async with self._sessionmaker.begin() as session:
            return await note_store.add_note(
                session, scope, conversation_id, self._redactor.redact(text).text
            )

    async def notes(self, scope: AgentScope, conversation_id: str) -> list[NoteView]:
        async with self._sessionmaker() as session:
            return await note_store.list_notes(session, scope, conversation_id)

    async def open_ticket(
        self, scope: AgentScope, conversation_id: str, *, subject: str, description: str,
        category: str, priority: str,
    ) -> Ticket:
        """A ticket from the conversation, on its verified account when there is one; subject and
        description are redacted like every text an agent types. Audited."""
        if category not in TICKET_CATEGORIES:
            raise InvalidHandoffInput("category", f"must be one of {', '.join(TICKET_CATEGORIES)}")
        if priority not in TICKET_PRIORITIES:
            raise InvalidHandoffInput("priority", f"must be one of {', '.join(TICKET_PRIORITIES)}")
        async with self._sessionmaker.begin() as session:
            scoped = await conversation_for_agent(session, scope, conversation_id)
            ticket = await open_ticket(
                session,
                scoped.tenant,
                account_id=scoped.conversation.verified_account_id,
                conversation_id=scoped.conversation.id,
                subject=self._redactor.redact(subject).text,
                description=self._redactor.redact(description).text,
                category=category,
                priority=priority,
            )
            await audit.record(
                session, audit.Actor.agent(scope), audit.TICKET_OPENED, tenant_id=scoped.tenant.id,
                target_kind="ticket", target_id=ticket.reference,
                details={"conversation": scoped.conversation.id, "category": ticket.category},
            )
            return ticket

    async def change_ticket_status(
        self, scope: AgentScope, conversation_id: str, reference: str, status: str
    ) -> Ticket:
        """Moves a ticket of the conversation's tenant to another status. Audited."""
        async with self._sessionmaker.begin() as session:
            scoped = await conversation_for_agent(session, scope, conversation_id)
            ticket = await change_ticket_status(session, scoped.tenant, reference, status)
            await audit.record(
                session, audit.Actor.agent(scope), audit.TICKET_STATUS_CHANGED, tenant_id=scoped.tenant.id,
                target_kind="ticket", target_id=ticket.reference,
                details={"conversation": scoped.conversation.id, "to": ticket.status},
            )
            return ticket

    async def canned_responses(self, scope: AgentScope, tenant_id: int) -> list[CannedResponse]:
        async with self._sessionmaker() as session:
            return await canned_responses_for_agent(session, scope, tenant_id)


def _validated_text(text: str, field: str, limit: int) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidHandoffInput(field, "must not be empty")
    if len(text) > limit:
        raise InvalidHandoffInput(field, f"is longer than {limit} characters")
    return text.strip()
