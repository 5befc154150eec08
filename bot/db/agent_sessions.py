"""Agent console sessions. Rows hold a hash of the bearer token, never the token itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.bearer_sessions import active_session, revoke_session
from bot.db.models import AgentSession


async def create_agent_session(
    session: AsyncSession,
    agent_id: int,
    *,
    token_hash: str,
    csrf_token: str,
    created_at: datetime,
    expires_at: datetime,
) -> AgentSession:
    row = AgentSession(
        agent_id=agent_id,
        token_hash=token_hash,
        csrf_token=csrf_token,
        created_at=created_at,
        expires_at=expires_at,
        revoked=False,
    )
    session.add(row)
    await session.flush()
    return row


async def active_agent_session(
    session: AsyncSession, token_hash: str, *, now: datetime
) -> AgentSession | None:
    """The session with that token hash if it is neither revoked nor expired."""
    return await active_session(session, AgentSession, token_hash, now=now)


async def revoke_agent_session(session: AsyncSession, token_hash: str) -> bool:
    """End one session (logout); False when there was no live session with that token."""
    return await revoke_session(session, AgentSession, token_hash)


async def revoke_all_agent_sessions(session: AsyncSession, agent_id: int) -> int:
    """End every session of the agent (password reset); returns how many were live."""
    result = await session.execute(
        update(AgentSession)
        .where(AgentSession.agent_id == agent_id, AgentSession.revoked.is_(False))
        .values(revoked=True)
    )
    return result.rowcount


async def delete_dead_agent_sessions(session: AsyncSession, *, expired_before: datetime) -> int:
    """Housekeeping: drop sessions that expired before the cutoff or were revoked."""
    result = await session.execute(
        delete(AgentSession).where(
            (AgentSession.expires_at < expired_before) | AgentSession.revoked.is_(True)
        )
    )
    return result.rowcount
