"""Portal sign-in, session checks and sign-out (use cases; each owns its transaction).

Two kinds of people sign in on the same form:
- a firm user (portal_users): bound to one tenant, role admin or viewer;
- a BPO supervisor (an agent whose role supervises: supervisor or admin) with their
  console e-mail and password: they may open every tenant's portal.
Either way the portal keeps its own session (its own cookie on Path=/portal), so the
console's session is never sent to the portal and vice versa. Sessions last a fixed
time and are not extended by use; who someone is (role, tenant, still a supervisor)
is read fresh on every request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.agents import find_agent_by_email, load_agent_scope, set_password_hash
from bot.db.portal_users import (
    active_portal_session,
    create_portal_session,
    find_portal_user_by_email,
    get_portal_user,
    revoke_portal_session,
    set_portal_password_hash,
)
from bot.db.types import utcnow
from bot.handoff import auth
from bot.handoff.errors import InvalidCredentials, SessionInvalid

DEFAULT_SESSION_TTL = timedelta(hours=12)
SUPERVISOR = "supervisor"
SUPERVISING_ROLES = frozenset({"supervisor", "admin"})  # agent roles that may open the portal


@dataclass(frozen=True)
class Principal:
    """Who is signed in. role: 'admin' | 'viewer' (firm users) or 'supervisor' (BPO)."""

    role: str
    display_name: str
    user_id: int | None  # the firm user; None for a supervisor
    agent_id: int | None  # the supervisor's agent id; None for a firm user
    tenant_id: int | None  # the firm user's tenant; None: a supervisor may open any
    csrf_token: str = field(repr=False)
    expires_at: datetime

    @property
    def is_supervisor(self) -> bool:
        return self.role == SUPERVISOR


@dataclass(frozen=True)
class PortalLoginSession:
    token: str = field(repr=False)  # to the browser once; only its hash is stored
    principal: Principal


class PortalLogin:
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

    async def login(self, email: str, password: str) -> PortalLoginSession:
        """A new session for a firm user's or a supervisor's valid credentials;
        InvalidCredentials otherwise (the same answer for an unknown e-mail)."""
        async with self._sessionmaker() as session:
            user = await find_portal_user_by_email(session, email)
            agent = None if user is not None else await find_agent_by_email(session, email)
            if user is not None:
                stored: tuple[str, int, str] | None = ("user", user.id, user.password_hash)
            elif agent is not None and agent.role in SUPERVISING_ROLES:
                stored = ("agent", agent.id, agent.password_hash)
            else:
                stored = None
        if stored is None:
            await asyncio.to_thread(auth.spend_verification_time, password)
            raise InvalidCredentials()
        kind, principal_id, stored_hash = stored
        if not await asyncio.to_thread(auth.verify_password, stored_hash, password):
            raise InvalidCredentials()
        upgraded = None
        if auth.needs_rehash(stored_hash):
            upgraded = await asyncio.to_thread(auth.hash_password, password)

        token, csrf = auth.new_session_token(), auth.new_csrf_token()
        now = self._clock()
        async with self._sessionmaker.begin() as session:
            if upgraded is not None:
                setter = set_portal_password_hash if kind == "user" else set_password_hash
                await setter(session, principal_id, upgraded)
            row = await create_portal_session(
                session,
                user_id=principal_id if kind == "user" else None,
                agent_id=principal_id if kind == "agent" else None,
                token_hash=auth.session_token_hash(token),
                csrf_token=csrf,
                created_at=now,
                expires_at=now + self._ttl,
            )
            principal = await _principal(session, row.user_id, row.agent_id, csrf, row.expires_at)
        if principal is None:  # deleted or demoted between the two transactions
            raise InvalidCredentials()
        return PortalLoginSession(token, principal)

    async def start_session(self, user_id: int) -> PortalLoginSession:
        """A session for a firm user who just proved themselves another way (accepted invite)."""
        token, csrf = auth.new_session_token(), auth.new_csrf_token()
        now = self._clock()
        async with self._sessionmaker.begin() as session:
            row = await create_portal_session(
                session,
                user_id=user_id,
                token_hash=auth.session_token_hash(token),
                csrf_token=csrf,
                created_at=now,
                expires_at=now + self._ttl,
            )
            principal = await _principal(session, user_id, None, csrf, row.expires_at)
        if principal is None:
            raise SessionInvalid()
        return PortalLoginSession(token, principal)

    async def authenticate(self, token: str | None) -> Principal:
        """Who is behind a live session token (read fresh); SessionInvalid otherwise."""
        if not token or len(token) > 128:
            raise SessionInvalid()
        async with self._sessionmaker() as session:
            row = await active_portal_session(session, auth.session_token_hash(token), now=self._clock())
            if row is None:
                raise SessionInvalid()
            principal = await _principal(session, row.user_id, row.agent_id, row.csrf_token, row.expires_at)
        if principal is None:
            raise SessionInvalid()
        return principal

    async def logout(self, token: str | None) -> bool:
        """End the session; False when it was not live (signing out twice is harmless)."""
        if not token or len(token) > 128:
            return False
        async with self._sessionmaker.begin() as session:
            return await revoke_portal_session(session, auth.session_token_hash(token))


async def _principal(
    session: AsyncSession, user_id: int | None, agent_id: int | None, csrf: str, expires_at: datetime
) -> Principal | None:
    if user_id is not None:
        user = await get_portal_user(session, user_id)
        if user is None:
            return None
        return Principal(user.role, user.display_name, user.id, None, user.tenant_id, csrf, expires_at)
    if agent_id is not None:
        scope = await load_agent_scope(session, agent_id)
        if scope is None or scope.role not in SUPERVISING_ROLES:  # demoted: no portal any more
            return None
        return Principal(SUPERVISOR, scope.display_name, None, scope.agent_id, None, csrf, expires_at)
    return None
