"""Agent console login, session checks and logout (use cases; each owns its transaction).

The token goes to the browser once (as an HttpOnly cookie, by the console);
authenticate() turns it back into the agent's AgentScope plus the session's
CSRF token, which the console compares with csrf_matches() on every write.
Sessions last a fixed time (default 12 hours, a long shift) and are not
extended by use, so a stolen token stops working by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.agent_sessions import active_agent_session, create_agent_session, revoke_agent_session
from bot.db.agents import AgentScope, find_agent_by_email, load_agent_scope, set_password_hash
from bot.db.types import utcnow
from bot.handoff import auth
from bot.handoff.errors import InvalidCredentials, SessionInvalid

DEFAULT_SESSION_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class LoginSession:
    token: str = field(repr=False)  # give to the browser once; only its hash is stored
    csrf_token: str = field(repr=False)
    expires_at: datetime
    scope: AgentScope


@dataclass(frozen=True)
class AuthenticatedAgent:
    scope: AgentScope
    csrf_token: str = field(repr=False)
    expires_at: datetime


class AgentLogin:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        session_ttl: timedelta = DEFAULT_SESSION_TTL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._ttl = session_ttl
        self._clock = clock

    async def login(self, email: str, password: str) -> LoginSession:
        """A new session for valid credentials; InvalidCredentials otherwise (same for unknown e-mail)."""
        async with self._sessionmaker() as session:
            agent = await find_agent_by_email(session, email)
            stored = (agent.id, agent.password_hash) if agent else None
        if stored is None:
            await asyncio.to_thread(auth.spend_verification_time, password)
            raise InvalidCredentials()
        agent_id, stored_hash = stored
        if not await asyncio.to_thread(auth.verify_password, stored_hash, password):
            raise InvalidCredentials()
        upgraded = None
        if auth.needs_rehash(stored_hash):
            upgraded = await asyncio.to_thread(auth.hash_password, password)

        token, csrf = auth.new_session_token(), auth.new_csrf_token()
        now = self._clock()
        async with self._sessionmaker.begin() as session:
            if upgraded is not None:
                await set_password_hash(session, agent_id, upgraded)
            await create_agent_session(
                session,
                agent_id,
                token_hash=auth.session_token_hash(token),
                csrf_token=csrf,
                created_at=now,
                expires_at=now + self._ttl,
            )
            scope = await load_agent_scope(session, agent_id)
        if scope is None:  # deleted between the two transactions
            raise InvalidCredentials()
        return LoginSession(token, csrf, now + self._ttl, scope)

    async def authenticate(self, token: str | None) -> AuthenticatedAgent:
        """The agent behind a live session token (scope read fresh); SessionInvalid otherwise."""
        if not token or len(token) > 128:
            raise SessionInvalid()
        async with self._sessionmaker() as session:
            row = await active_agent_session(
                session, auth.session_token_hash(token), now=self._clock()
            )
            scope = await load_agent_scope(session, row.agent_id) if row else None
        if row is None or scope is None:
            raise SessionInvalid()
        return AuthenticatedAgent(scope, row.csrf_token, row.expires_at)

    async def logout(self, token: str | None) -> bool:
        """End the session; False when it was not live (logging out twice is harmless)."""
        if not token or len(token) > 128:
            return False
        async with self._sessionmaker.begin() as session:
            return await revoke_agent_session(session, auth.session_token_hash(token))
