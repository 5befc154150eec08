"""Agents, the tenants they serve, their presence, and the AgentScope every agent-side read goes through.

An AgentScope is issued only by load_agent_scope(): it carries the tenant ids
read from agent_tenants, and every data function an agent's request reaches
filters by them. A conversation of a tenant the agent does not serve is then
simply not found; there is no code path that skips the filter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.errors import DomainError
from bot.db.models import (
    AGENT_PRESENCES,
    AGENT_ROLES,
    DEFAULT_MAX_CONCURRENT_CHATS,
    LANGUAGES,
    Agent,
    AgentTenant,
    Conversation,
    PortalUser,
)
from bot.db.tenants import TenantRef

EMAIL_MAX_CHARS = 254
DISPLAY_NAME_MAX_CHARS = 120
MAX_CONCURRENT_CHATS_LIMIT = 50
SUPERVISING_ROLES = frozenset({"supervisor", "admin"})

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class AgentNotFound(DomainError, LookupError):
    def __init__(self, who: str | int) -> None:
        super().__init__(f"no agent {who!r}")
        self.who = who


class DuplicateAgentEmail(DomainError, ValueError):
    def __init__(self, email: str) -> None:
        super().__init__(f"an agent with e-mail {email!r} already exists")
        self.email = email


class InvalidAgentData(DomainError, ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class TenantNotServed(DomainError, LookupError):
    """The agent does not serve that tenant; to the agent it does not exist."""

    def __init__(self) -> None:
        super().__init__("no such tenant for this agent")


_ISSUED_BY_LOADER = object()


@dataclass(frozen=True)
class AgentScope:
    """What an authenticated agent may see: their own id and the tenants they serve.

    Made only by load_agent_scope() (the constructor refuses anything else), so a
    scope always reflects agent_tenants as stored.
    """

    agent_id: int
    display_name: str
    role: str
    languages: tuple[str, ...]
    tenant_ids: frozenset[int]
    _issuer: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._issuer is not _ISSUED_BY_LOADER:
            raise TypeError("an AgentScope comes from load_agent_scope(), not from its constructor")

    @property
    def supervises(self) -> bool:
        """Supervisors and admins may act on any chat of their tenants, not just their own."""
        return self.role in SUPERVISING_ROLES

    def serves(self, tenant_id: int) -> bool:
        return tenant_id in self.tenant_ids

    def require_tenant(self, tenant_id: int) -> None:
        if tenant_id not in self.tenant_ids:
            raise TenantNotServed()


@dataclass(frozen=True)
class AgentLoad:
    """An agent as routing sees it: presence, languages and how busy they are."""

    agent_id: int
    display_name: str
    languages: tuple[str, ...]
    presence: str
    last_heartbeat_at: datetime | None
    last_assigned_at: datetime | None
    open_chats: int
    max_concurrent_chats: int


# --- validation ------------------------------------------------------------------


def normalize_email(raw: str) -> str:
    email = (raw or "").strip().lower()
    if len(email) > EMAIL_MAX_CHARS or not _EMAIL.fullmatch(email):
        raise InvalidAgentData("email", "is not an e-mail address")
    return email


def validated_languages(languages: Iterable[str]) -> list[str]:
    """Known language codes, de-duplicated in the given order; at least one."""
    chosen = list(dict.fromkeys(language.strip().lower() for language in languages))
    unknown = [language for language in chosen if language not in LANGUAGES]
    if unknown:
        raise InvalidAgentData("languages", f"unknown {unknown}; use {', '.join(LANGUAGES)}")
    if not chosen:
        raise InvalidAgentData("languages", "at least one language is needed")
    return chosen


def _validated_display_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > DISPLAY_NAME_MAX_CHARS:
        raise InvalidAgentData("display_name", f"must be 1..{DISPLAY_NAME_MAX_CHARS} characters")
    return name


def _validated_role(role: str) -> str:
    if role not in AGENT_ROLES:
        raise InvalidAgentData("role", f"must be one of {', '.join(AGENT_ROLES)}")
    return role


def _validated_max_chats(value: int) -> int:
    if not isinstance(value, int) or not 1 <= value <= MAX_CONCURRENT_CHATS_LIMIT:
        raise InvalidAgentData("max_concurrent_chats", f"must be 1..{MAX_CONCURRENT_CHATS_LIMIT}")
    return value


# --- agents ----------------------------------------------------------------------


async def create_agent(
    session: AsyncSession,
    *,
    email: str,
    display_name: str,
    password_hash: str,
    role: str = "agent",
    languages: Iterable[str] = ("en",),
    max_concurrent_chats: int = DEFAULT_MAX_CONCURRENT_CHATS,
    tenants: Sequence[TenantRef] = (),
) -> Agent:
    """A new, offline agent serving `tenants`. Raises InvalidAgentData / DuplicateAgentEmail."""
    email = normalize_email(email)
    agent = Agent(
        email=email,
        display_name=_validated_display_name(display_name),
        password_hash=password_hash,
        role=_validated_role(role),
        languages=validated_languages(languages),
        max_concurrent_chats=_validated_max_chats(max_concurrent_chats),
        presence="offline",
    )
    if await find_agent_by_email(session, email) is not None or await _portal_user_has(session, email):
        raise DuplicateAgentEmail(email)  # one e-mail, one sign-in (the portal's form takes both)
    session.add(agent)
    try:
        await session.flush()
    except IntegrityError as error:  # a concurrent creator won; the session must be rolled back
        raise DuplicateAgentEmail(email) from error
    await set_agent_tenants(session, agent.id, tenants)
    return agent


async def _portal_user_has(session: AsyncSession, email: str) -> bool:
    return await session.scalar(select(PortalUser.id).where(PortalUser.email == email)) is not None


async def get_agent(session: AsyncSession, agent_id: int) -> Agent | None:
    return await session.get(Agent, agent_id)


async def find_agent_by_email(session: AsyncSession, email: str) -> Agent | None:
    try:
        normalized = normalize_email(email)
    except InvalidAgentData:
        return None
    return await session.scalar(select(Agent).where(Agent.email == normalized))


async def load_agent_scope(session: AsyncSession, agent_id: int) -> AgentScope | None:
    """The agent's scope as stored now, or None when the agent does not exist."""
    agent = await session.get(Agent, agent_id, populate_existing=True)
    if agent is None:
        return None
    tenant_ids = await session.scalars(
        select(AgentTenant.tenant_id).where(AgentTenant.agent_id == agent_id)
    )
    return AgentScope(
        agent_id=agent.id,
        display_name=agent.display_name,
        role=agent.role,
        languages=tuple(agent.languages),
        tenant_ids=frozenset(tenant_ids),
        _issuer=_ISSUED_BY_LOADER,
    )


async def agent_tenant_ids(session: AsyncSession, agent_id: int) -> set[int]:
    return set(
        await session.scalars(select(AgentTenant.tenant_id).where(AgentTenant.agent_id == agent_id))
    )


async def set_agent_tenants(
    session: AsyncSession, agent_id: int, tenants: Iterable[TenantRef]
) -> None:
    """Replace the set of tenants the agent serves."""
    await _require_agent(session, agent_id)
    wanted = {tenant.id for tenant in tenants}
    current = await agent_tenant_ids(session, agent_id)
    if current - wanted:
        await session.execute(
            delete(AgentTenant).where(
                AgentTenant.agent_id == agent_id, AgentTenant.tenant_id.in_(current - wanted)
            )
        )
    if wanted - current:
        await session.execute(
            insert(AgentTenant),
            [{"agent_id": agent_id, "tenant_id": tenant_id} for tenant_id in sorted(wanted - current)],
        )


async def set_agent_languages(session: AsyncSession, agent_id: int, languages: Iterable[str]) -> None:
    await _update_agent(session, agent_id, languages=validated_languages(languages))


async def set_password_hash(session: AsyncSession, agent_id: int, password_hash: str) -> None:
    await _update_agent(session, agent_id, password_hash=password_hash)


async def set_presence(session: AsyncSession, agent_id: int, presence: str, *, at: datetime) -> None:
    """Change presence; any change is also a sign of life (heartbeat)."""
    if presence not in AGENT_PRESENCES:
        raise InvalidAgentData("presence", f"must be one of {', '.join(AGENT_PRESENCES)}")
    await _update_agent(session, agent_id, presence=presence, last_heartbeat_at=at)


async def record_heartbeat(session: AsyncSession, agent_id: int, *, at: datetime) -> None:
    await _update_agent(session, agent_id, last_heartbeat_at=at)


async def lock_agent(session: AsyncSession, agent_id: int) -> bool:
    """Hold the agent until commit before giving them a chat; False if no such agent.

    A no-op UPDATE: it takes the agent's row lock (PostgreSQL) or the write lock
    (SQLite), so concurrent assignments to one agent run one after the other and
    the capacity check that follows sees the other's result. (SELECT ... FOR
    UPDATE would not lock anything on SQLite.)
    """
    result = await session.execute(
        update(Agent)
        .where(Agent.id == agent_id)
        .values(max_concurrent_chats=Agent.max_concurrent_chats)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount > 0


async def max_concurrent_chats(session: AsyncSession, agent_id: int) -> int | None:
    return await session.scalar(select(Agent.max_concurrent_chats).where(Agent.id == agent_id))


async def stamp_assignment(session: AsyncSession, agent_id: int, *, at: datetime) -> None:
    """Remember when the agent last got a chat (routing's idle tie-break)."""
    await _update_agent(session, agent_id, last_assigned_at=at)


async def mark_offline(session: AsyncSession, agent_id: int) -> None:
    """Presence offline without touching the heartbeat (the agent did not say anything)."""
    await _update_agent(session, agent_id, presence="offline")


async def open_chat_count(session: AsyncSession, agent_id: int) -> int:
    """Chats the agent owns right now (state 'assigned'), across all tenants."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.assigned_agent_id == agent_id, Conversation.state == "assigned")
        )
        or 0
    )


async def agent_loads(session: AsyncSession, tenant_id: int) -> list[AgentLoad]:
    """Every agent serving the tenant, with their open chats (across all their tenants)."""
    open_chats = (
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.assigned_agent_id == Agent.id, Conversation.state == "assigned")
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Agent, open_chats.label("open_chats"))
        .join(AgentTenant, AgentTenant.agent_id == Agent.id)
        .where(AgentTenant.tenant_id == tenant_id)
        .order_by(Agent.id)
    )
    return [
        AgentLoad(
            agent_id=agent.id,
            display_name=agent.display_name,
            languages=tuple(agent.languages),
            presence=agent.presence,
            last_heartbeat_at=agent.last_heartbeat_at,
            last_assigned_at=agent.last_assigned_at,
            open_chats=int(count),
            max_concurrent_chats=agent.max_concurrent_chats,
        )
        for agent, count in rows
    ]


async def silent_agents_with_chats(session: AsyncSession, *, silent_since: datetime) -> list[int]:
    """Agents owning chats whose last sign of life is older than silent_since (or never)."""
    owners = select(Conversation.assigned_agent_id).where(Conversation.state == "assigned")
    return list(
        await session.scalars(
            select(Agent.id)
            .where(
                Agent.id.in_(owners),
                or_(Agent.last_heartbeat_at.is_(None), Agent.last_heartbeat_at < silent_since),
            )
            .order_by(Agent.id)
        )
    )


async def _require_agent(session: AsyncSession, agent_id: int) -> None:
    if await session.scalar(select(Agent.id).where(Agent.id == agent_id)) is None:
        raise AgentNotFound(agent_id)


async def _update_agent(session: AsyncSession, agent_id: int, **values: object) -> None:
    result = await session.execute(update(Agent).where(Agent.id == agent_id).values(**values))
    if result.rowcount == 0:
        raise AgentNotFound(agent_id)
