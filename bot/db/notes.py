"""Internal notes on conversations: written and read by agents only, never sent to customers.

Both functions go through the agent's scope: a note on, or a look at, a
conversation of a tenant the agent does not serve is ConversationNotFound.
Callers store text that is already redacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.agents import AgentScope
from bot.db.assignments import conversation_for_agent
from bot.db.errors import DomainError
from bot.db.models import Agent, InternalNote
from bot.db.types import utcnow

NOTE_MAX_CHARS = 4000


class InvalidNote(DomainError, ValueError):
    def __init__(self, problem: str) -> None:
        super().__init__(f"note {problem}")
        self.problem = problem


@dataclass(frozen=True)
class NoteView:
    id: int
    author_id: int | None
    author_name: str | None  # None when the author's account was deleted
    text: str
    created_at: datetime


async def add_note(
    session: AsyncSession, scope: AgentScope, conversation_id: str, text: str
) -> NoteView:
    text = (text or "").strip()
    if not text:
        raise InvalidNote("must not be empty")
    if len(text) > NOTE_MAX_CHARS:
        raise InvalidNote(f"is longer than {NOTE_MAX_CHARS} characters")
    scoped = await conversation_for_agent(session, scope, conversation_id)
    note = InternalNote(
        tenant_id=scoped.tenant.id,
        conversation_id=scoped.conversation.id,
        agent_id=scope.agent_id,
        text=text,
        created_at=utcnow(),
    )
    session.add(note)
    await session.flush()
    return NoteView(note.id, scope.agent_id, scope.display_name, note.text, note.created_at)


async def list_notes(
    session: AsyncSession, scope: AgentScope, conversation_id: str
) -> list[NoteView]:
    """The conversation's notes, oldest first."""
    scoped = await conversation_for_agent(session, scope, conversation_id)
    rows = await session.execute(
        select(InternalNote, Agent.display_name)
        .outerjoin(Agent, Agent.id == InternalNote.agent_id)
        .where(
            InternalNote.tenant_id == scoped.tenant.id,
            InternalNote.conversation_id == scoped.conversation.id,
        )
        .order_by(InternalNote.created_at, InternalNote.id)
    )
    return [
        NoteView(note.id, note.agent_id, author, note.text, note.created_at)
        for note, author in rows
    ]
