"""Operator use cases behind the admin CLI: tenants, agents, passwords, canned responses, FAQ answers.

Each function owns its transaction and records the change in the audit log inside it
(`actor`: the admin's agent scope through the admin API, Actor.cli() from the command
line), one entry per tenant the change touches. Secrets (passwords, identity secrets)
are returned to the caller or taken from it, never logged and never in an audit entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import agents as agent_store
from bot.db import api_keys, audit, canned, faq_admin, tenant_admin
from bot.db.agent_sessions import revoke_all_agent_sessions
from bot.db.agents import AgentNotFound
from bot.db.audit import Actor
from bot.db.assignments import assigned_conversations, compare_and_set_ownership
from bot.db.errors import TenantNotFound
from bot.db.models import Agent, ApiKey, CannedResponse, FaqAnswer
from bot.db.tenant_admin import NewTenant
from bot.db.tenants import TenantRef, tenant_ref
from bot.handoff.auth import hash_password
from bot.handoff.business_hours import parse_business_hours
from bot.handoff.ownership import Ownership, Requeue, transition

Sessionmaker = async_sessionmaker[AsyncSession]
CLI = Actor.cli()


async def create_tenant(
    sessionmaker: Sessionmaker, spec: NewTenant, *, actor: Actor = CLI
) -> tuple[TenantRef, str]:
    """The new tenant and its identity secret (for the operator to pass on once)."""
    parse_business_hours(spec.business_hours, spec.time_zone)  # InvalidBusinessHours explains
    async with sessionmaker.begin() as session:
        tenant, secret = await tenant_admin.create_tenant(session, spec)
        ref = TenantRef.of(tenant)
        await _record(session, actor, "tenant.created", [ref.id], target=("tenant", ref.slug))
        return ref, secret


async def rotate_identity_secret(sessionmaker: Sessionmaker, slug: str, *, actor: Actor = CLI) -> str:
    async with sessionmaker.begin() as session:
        tenant = await _tenant(session, slug)
        secret = await tenant_admin.rotate_identity_secret(session, tenant)
        await _record(session, actor, "identity_secret.rotated", [tenant.id], target=("tenant", slug))
        return secret


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
    actor: Actor = CLI,
) -> Agent:
    password_hash = await asyncio.to_thread(hash_password, password)  # WeakPassword first
    async with sessionmaker.begin() as session:
        tenants = [await _tenant(session, slug) for slug in tenant_slugs]
        agent = await agent_store.create_agent(
            session,
            email=email,
            display_name=display_name,
            password_hash=password_hash,
            role=role,
            languages=languages,
            max_concurrent_chats=max_concurrent_chats,
            tenants=tenants,
        )
        await _record(
            session, actor, "agent.created", [t.id for t in tenants], target=("agent", str(agent.id)),
            details={"role": agent.role, "tenants": [t.slug for t in tenants],
                     "languages": list(agent.languages)},
        )
        return agent


async def set_agent_tenants(
    sessionmaker: Sessionmaker, email: str, slugs: Sequence[str], *, actor: Actor = CLI
) -> int:
    """Replace the agent's tenants; their open chats of dropped tenants go back to the queue.

    Returns how many chats were requeued. Recorded for the tenants gained, kept and lost.
    """
    async with sessionmaker.begin() as session:
        agent = await _agent(session, email)
        tenants = [await _tenant(session, slug) for slug in slugs]
        before = await agent_store.agent_tenant_ids(session, agent.id)
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
        await _record(
            session, actor, "agent.tenants_set", sorted(before | kept), target=("agent", str(agent.id)),
            details={"tenants": [t.slug for t in tenants], "requeued": requeued},
        )
        return requeued


async def set_agent_languages(
    sessionmaker: Sessionmaker, email: str, languages: Sequence[str], *, actor: Actor = CLI
) -> None:
    async with sessionmaker.begin() as session:
        agent = await _agent(session, email)
        await agent_store.set_agent_languages(session, agent.id, languages)
        await _record(
            session, actor, "agent.languages_set",
            sorted(await agent_store.agent_tenant_ids(session, agent.id)),
            target=("agent", str(agent.id)), details={"languages": list(dict.fromkeys(languages))},
        )


async def reset_password(sessionmaker: Sessionmaker, email: str, password: str, *, actor: Actor = CLI) -> int:
    """Set a new password and end every session of the agent; returns how many were live."""
    password_hash = await asyncio.to_thread(hash_password, password)
    async with sessionmaker.begin() as session:
        agent = await _agent(session, email)
        await agent_store.set_password_hash(session, agent.id, password_hash)
        ended = await revoke_all_agent_sessions(session, agent.id)
        await _record(  # that it happened, never the password or its hash
            session, actor, "agent.password_reset",
            sorted(await agent_store.agent_tenant_ids(session, agent.id)),
            target=("agent", str(agent.id)), details={"sessions_ended": ended},
        )
        return ended


async def put_canned_response(
    sessionmaker: Sessionmaker, slug: str, shortcut: str, text: str, *, actor: Actor = CLI
) -> bool:
    async with sessionmaker.begin() as session:
        tenant = await _tenant(session, slug)
        added = await canned.put_canned_response(session, tenant, shortcut, text)
        await _record(session, actor, "canned.added" if added else "canned.replaced", [tenant.id],
                      target=("canned", canned.normalize_shortcut(shortcut)))
        return added


async def remove_canned_response(
    sessionmaker: Sessionmaker, slug: str, shortcut: str, *, actor: Actor = CLI
) -> bool:
    async with sessionmaker.begin() as session:
        tenant = await _tenant(session, slug)
        removed = await canned.remove_canned_response(session, tenant, shortcut)
        if removed:
            await _record(session, actor, "canned.removed", [tenant.id],
                          target=("canned", canned.normalize_shortcut(shortcut)))
        return removed


async def canned_responses(sessionmaker: Sessionmaker, slug: str) -> list[CannedResponse]:
    async with sessionmaker() as session:
        return await canned.canned_responses(session, await _tenant(session, slug))


async def set_faq_answer(
    sessionmaker: Sessionmaker, slug: str, key: str, language: str, answer: str, *, actor: Actor = CLI
) -> bool:
    async with sessionmaker.begin() as session:
        tenant = await _tenant(session, slug)
        added = await faq_admin.set_faq_answer(session, tenant, key, language, answer)
        await _record(session, actor, "faq.added" if added else "faq.replaced", [tenant.id],
                      target=("faq", key.strip().lower()), details={"language": language})
        return added


async def faq_answers(
    sessionmaker: Sessionmaker, slug: str, *, language: str | None = None
) -> list[FaqAnswer]:
    async with sessionmaker() as session:
        return await faq_admin.list_faq_answers(session, await _tenant(session, slug), language=language)


async def _record(
    session: AsyncSession,
    actor: Actor,
    change: str,
    tenant_ids: Sequence[int],
    *,
    target: tuple[str, str],
    details: dict[str, Any] | None = None,
) -> None:
    """One audit entry per tenant the change touches (each firm's supervisors see theirs);
    a change that touches none (an agent serving nobody) gets one entry without a tenant."""
    kind, target_id = target
    for tenant_id in list(dict.fromkeys(tenant_ids)) or [None]:
        await audit.record(
            session, actor, audit.ADMIN_CHANGE, tenant_id=tenant_id, target_kind=kind,
            target_id=target_id, details={"change": change, **(details or {})},
        )


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


# --- API keys of the public REST API (bot.firm_api) ------------------------------------------


async def create_api_key(
    sessionmaker: Sessionmaker, slug: str, name: str, scopes: Sequence[str], *, actor: Actor = CLI
) -> tuple[ApiKey, str]:
    """A new key for the tenant; returns its row and the key (to be shown once, never stored)."""
    async with sessionmaker.begin() as session:
        tenant = await _tenant(session, slug)
        row, key = await api_keys.create_api_key(session, tenant.id, name, scopes)
        await _record(
            session, actor, "api_key.created", [tenant.id], target=("api_key", row.prefix),
            details={"scopes": list(row.scopes)},
        )
        return row, key


async def list_api_keys(sessionmaker: Sessionmaker, slug: str) -> list[ApiKey]:
    async with sessionmaker() as session:
        tenant = await _tenant(session, slug)
        return await api_keys.list_api_keys(session, tenant.id)


async def revoke_api_key(sessionmaker: Sessionmaker, slug: str, prefix: str, *, actor: Actor = CLI) -> ApiKey:
    async with sessionmaker.begin() as session:
        tenant = await _tenant(session, slug)
        row = await api_keys.revoke_api_key(session, tenant.id, prefix)
        await _record(session, actor, "api_key.revoked", [tenant.id], target=("api_key", row.prefix))
        return row
