"""Operator use cases behind the admin CLI: tenants, agents, passwords, canned responses, FAQ answers.

Each function owns its transaction. Secrets (passwords, identity secrets) are
returned to the caller or taken from it, never logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import agents as agent_store
from bot.db import canned, faq_admin, tenant_admin
from bot.db.agent_sessions import revoke_all_agent_sessions
from bot.db.agents import AgentNotFound
from bot.db.assignments import assigned_conversations, compare_and_set_ownership
from bot.db.errors import TenantNotFound
from bot.db.models import Agent, CannedResponse, FaqAnswer
from bot.db.tenant_admin import NewTenant
from bot.db.tenants import TenantRef, tenant_ref
from bot.handoff.auth import hash_password
from bot.handoff.business_hours import parse_business_hours
from bot.handoff.ownership import Ownership, Requeue, transition

Sessionmaker = async_sessionmaker[AsyncSession]


async def create_tenant(sessionmaker: Sessionmaker, spec: NewTenant) -> tuple[TenantRef, str]:
    """The new tenant and its identity secret (for the operator to pass on once)."""
    parse_business_hours(spec.business_hours, spec.time_zone)  # InvalidBusinessHours explains
    async with sessionmaker.begin() as session:
        tenant, secret = await tenant_admin.create_tenant(session, spec)
        return TenantRef.of(tenant), secret


async def rotate_identity_secret(sessionmaker: Sessionmaker, slug: str) -> str:
    async with sessionmaker.begin() as session:
        return await tenant_admin.rotate_identity_secret(session, await _tenant(session, slug))


async def create_agent(
    sessionmaker: Sessionmaker,
    *,
    email: str,
    display_name: str,
    password: str,
    role: str = "agent",
    tenant_slugs: Sequence[str] = (),
    languages: Iterable[str] = ("en",),
    max_concurrent_chats: int = agent_store.DEFAULT_MAX_CONCURRENT_CHATS,
) -> Agent:
    password_hash = await asyncio.to_thread(hash_password, password)  # WeakPassword first
    async with sessionmaker.begin() as session:
        return await agent_store.create_agent(
            session,
            email=email,
            display_name=display_name,
            password_hash=password_hash,
            role=role,
            languages=languages,
            max_concurrent_chats=max_concurrent_chats,
            tenants=[await _tenant(session, slug) for slug in tenant_slugs],
        )


async def set_agent_tenants(sessionmaker: Sessionmaker, email: str, slugs: Sequence[str]) -> int:
    """Replace the agent's tenants; their open chats of dropped tenants go back to the queue.

    Returns how many chats were requeued.
    """
    async with sessionmaker.begin() as session:
        agent = await _agent(session, email)
        tenants = [await _tenant(session, slug) for slug in slugs]
        await agent_store.set_agent_tenants(session, agent.id, tenants)
        kept = {tenant.id for tenant in tenants}
        requeued = 0
        for chat in await assigned_conversations(session, agent.id):
            if chat.tenant_id in kept:
                continue
            step = transition(Ownership("assigned", agent.id), Requeue())
            requeued += await compare_and_set_ownership(
                session, chat.tenant_id, chat.id,
                expected_state="assigned", expected_agent_id=agent.id,
                state=step.after.state, agent_id=None, assigned_at=None,
            )
        return requeued


async def set_agent_languages(sessionmaker: Sessionmaker, email: str, languages: Sequence[str]) -> None:
    async with sessionmaker.begin() as session:
        agent = await _agent(session, email)
        await agent_store.set_agent_languages(session, agent.id, languages)


async def reset_password(sessionmaker: Sessionmaker, email: str, password: str) -> int:
    """Set a new password and end every session of the agent; returns how many were live."""
    password_hash = await asyncio.to_thread(hash_password, password)
    async with sessionmaker.begin() as session:
        agent = await _agent(session, email)
        await agent_store.set_password_hash(session, agent.id, password_hash)
        return await revoke_all_agent_sessions(session, agent.id)


async def put_canned_response(sessionmaker: Sessionmaker, slug: str, shortcut: str, text: str) -> bool:
    async with sessionmaker.begin() as session:
        return await canned.put_canned_response(session, await _tenant(session, slug), shortcut, text)


async def remove_canned_response(sessionmaker: Sessionmaker, slug: str, shortcut: str) -> bool:
    async with sessionmaker.begin() as session:
        return await canned.remove_canned_response(session, await _tenant(session, slug), shortcut)


async def canned_responses(sessionmaker: Sessionmaker, slug: str) -> list[CannedResponse]:
    async with sessionmaker() as session:
        return await canned.canned_responses(session, await _tenant(session, slug))


async def set_faq_answer(
    sessionmaker: Sessionmaker, slug: str, key: str, language: str, answer: str
) -> bool:
    async with sessionmaker.begin() as session:
        return await faq_admin.set_faq_answer(session, await _tenant(session, slug), key, language, answer)


async def faq_answers(
    sessionmaker: Sessionmaker, slug: str, *, language: str | None = None
) -> list[FaqAnswer]:
    async with sessionmaker() as session:
        return await faq_admin.list_faq_answers(session, await _tenant(session, slug), language=language)


async def _tenant(session: AsyncSession, slug: str) -> TenantRef:
    ref = await tenant_ref(session, slug)
    if ref is None:
        raise TenantNotFound(slug)
    return ref


async def _agent(session: AsyncSession, email: str) -> Agent:
    agent = await agent_store.find_agent_by_email(session, email)
    if agent is None:
        raise AgentNotFound(email)
    return agent
