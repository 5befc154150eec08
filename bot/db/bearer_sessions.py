"""What agent sessions (console) and portal sessions share: a row per sign-in, found and ended
by the hash of its bearer token. Each caller names its own table."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import select

from bot.db.models import AgentSession, PortalSession

SessionRow = TypeVar("SessionRow", AgentSession, PortalSession)


async def active_session(
    session: AsyncSession, table: type[SessionRow], token_hash: str, *, now: datetime
) -> SessionRow | None:
    """The session with that token hash if it is neither revoked nor expired."""
    return await session.scalar(
        select(table).where(
            table.token_hash == token_hash, table.revoked.is_(False), table.expires_at > now
        )
    )


async def revoke_session(session: AsyncSession, table: type[SessionRow], token_hash: str) -> bool:
    """End one session (sign-out); False when there was no live session with that token."""
    result = await session.execute(
        update(table).where(table.token_hash == token_hash, table.revoked.is_(False)).values(revoked=True)
    )
    return result.rowcount > 0


async def delete_ended_sessions(session: AsyncSession, table: type[SessionRow], *, ended_before: datetime) -> int:
    """Deletes sessions that expired before `ended_before` (revoked or not): they can never
    authenticate again, and each row holds a token hash nobody needs."""
    result = await session.execute(delete(table).where(table.expires_at < ended_before))
    return result.rowcount or 0
