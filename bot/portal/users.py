"""Firm users' use cases: create (BPO CLI / admin API), invite (a firm admin, a supervisor or
the CLI), accept an invitation, reset a password. Each owns its transaction and records the
change in the audit log (never a password, hash or token).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import audit
from bot.db.audit import Actor
from bot.db.errors import DomainError, TenantNotFound
from bot.db.portal_users import (
    LastAdmin,
    NotOnYourself,
    PortalUserNotFound,
    PortalUserView,
    lock_admin_ids,
    delete_portal_user,
    set_portal_role,
    tenant_portal_user,
    create_invite,
    create_portal_user,
    find_portal_user_by_email,
    mark_invite_accepted,
    normalize_email,
    open_invite,
    revoke_all_portal_sessions,
    set_portal_password_hash,
    tenant_name,
    validated_display_name,
    validated_role,
)
from bot.db.models import PortalInvite, PortalUser
from bot.db.tenants import TenantRef, tenant_ref
from bot.db.types import utcnow
from bot.handoff.auth import hash_password, session_token_hash

Sessionmaker = async_sessionmaker[AsyncSession]
DEFAULT_INVITE_TTL = timedelta(days=7)
INVITE_PATH = "/portal/invite/"


class InviteNotUsable(DomainError, LookupError):
    """Unknown, used or expired: one answer for all three."""

    def __init__(self) -> None:
        super().__init__("this invitation has been used or has expired")


@dataclass(frozen=True)
class NewInvite:
    token: str = field(repr=False)  # shown once (in the link); only its hash is stored
    email: str
    role: str
    expires_at: datetime

    def link(self, public_url: str) -> str:
        return f"{public_url.rstrip('/')}{INVITE_PATH}{self.token}"


@dataclass(frozen=True)
class InviteDetails:
    tenant_id: int
    tenant_name: str
    email: str
    role: str


async def create_firm_user(
    sessionmaker: Sessionmaker,
    *,
    tenant_slug: str,
    email: str,
    display_name: str,
    role: str,
    password: str,
    actor: Actor,
) -> PortalUserView:
    password_hash = await asyncio.to_thread(hash_password, password)  # WeakPassword first
    async with sessionmaker.begin() as session:
        tenant = await _tenant(session, tenant_slug)
        user = await create_portal_user(
            session,
            tenant_id=tenant.id,
            email=email,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
        )
        await _record(session, actor, "portal_user.created", tenant.id, user.id, {"role": user.role})
        return PortalUserView.of(user)


async def invite_firm_user(
    sessionmaker: Sessionmaker,
    *,
    tenant_id: int,
    email: str,
    role: str,
    actor: Actor,
    ttl: timedelta = DEFAULT_INVITE_TTL,
    clock: Callable[[], datetime] = utcnow,
) -> NewInvite:
    """A single-use, expiring invitation to the tenant's portal for `email` with `role`."""
    email, role = normalize_email(email), validated_role(role)
    token = secrets.token_urlsafe(32)
    now = clock()
    async with sessionmaker.begin() as session:
        invite = await create_invite(
            session,
            tenant_id=tenant_id,
            email=email,
            role=role,
            token_hash=session_token_hash(token),
            created_at=now,
            expires_at=now + ttl,
            invited_by_user_id=actor.id if actor.kind == "portal_user" else None,
            invited_by_agent_id=actor.id if actor.kind == "agent" else None,
        )
        await audit.record(
            session, actor, audit.ADMIN_CHANGE, tenant_id=tenant_id, target_kind="portal_invite",
            target_id=str(invite.id), details={"change": "portal_user.invited", "role": role},
        )
    return NewInvite(token, email, role, now + ttl)


async def invite_by_slug(
    sessionmaker: Sessionmaker, *, tenant_slug: str, email: str, role: str, actor: Actor,
    ttl: timedelta = DEFAULT_INVITE_TTL,
) -> NewInvite:
    async with sessionmaker() as session:
        tenant = await _tenant(session, tenant_slug)
    return await invite_firm_user(sessionmaker, tenant_id=tenant.id, email=email, role=role, actor=actor, ttl=ttl)


async def invite_details(
    sessionmaker: Sessionmaker, token: str, *, clock: Callable[[], datetime] = utcnow
) -> InviteDetails:
    """What the invitation page shows; InviteNotUsable for an unknown, used or expired token."""
    async with sessionmaker() as session:
        invite = await _open(session, token, clock())
        name = await tenant_name(session, invite.tenant_id) or ""
        return InviteDetails(invite.tenant_id, name, invite.email, invite.role)


async def accept_invite(
    sessionmaker: Sessionmaker,
    token: str,
    *,
    display_name: str,
    password: str,
    clock: Callable[[], datetime] = utcnow,
) -> PortalUserView:
    """The invitee's account, with the password they chose; the invitation is then used up."""
    validated_display_name(display_name)
    password_hash = await asyncio.to_thread(hash_password, password)  # WeakPassword first
    now = clock()
    async with sessionmaker.begin() as session:
        invite = await _open(session, token, now)
        if not await mark_invite_accepted(session, invite.id, at=now):
            raise InviteNotUsable()  # accepted concurrently
        user = await create_portal_user(
            session,
            tenant_id=invite.tenant_id,
            email=invite.email,
            display_name=display_name,
            role=invite.role,
            password_hash=password_hash,
        )
        await _record(
            session, Actor("portal_user", user.id, user.role), "portal_user.invite_accepted",
            invite.tenant_id, user.id, {"role": user.role},
        )
        return PortalUserView.of(user)


async def reset_firm_password(
    sessionmaker: Sessionmaker, email: str, password: str, *, actor: Actor
) -> int:
    """A new password; every session of the user ends. Returns how many were live."""
    password_hash = await asyncio.to_thread(hash_password, password)
    async with sessionmaker.begin() as session:
        user = await find_portal_user_by_email(session, email)
        if user is None:
            raise PortalUserNotFound()
        await set_portal_password_hash(session, user.id, password_hash)
        ended = await revoke_all_portal_sessions(session, user.id)
        await _record(session, actor, "portal_user.password_reset", user.tenant_id, user.id, {})
        return ended


async def change_firm_user_role(
    sessionmaker: Sessionmaker, *, tenant_id: int, user_id: int, role: str, actor: Actor
) -> PortalUserView:
    """Makes a firm user admin or viewer. The new role applies to their next request (access
    is read fresh each time). Refuses the caller's own account and the firm's last admin."""
    role = validated_role(role)
    async with sessionmaker.begin() as session:
        user, admins = await _changeable(session, tenant_id, user_id, actor)
        if user.role == role:
            return PortalUserView.of(user)
        if user.role == "admin" and len(admins) <= 1:
            raise LastAdmin()
        before = user.role
        await set_portal_role(session, user.id, role)
        await _record(session, actor, "portal_user.role_changed", tenant_id, user.id, {"before": before, "role": role})
        user.role = role
        return PortalUserView.of(user)


async def remove_firm_user(sessionmaker: Sessionmaker, *, tenant_id: int, user_id: int, actor: Actor) -> PortalUserView:
    """Removes a firm user: they are signed out at once and cannot sign in again. Refuses the
    caller's own account and the firm's last admin."""
    async with sessionmaker.begin() as session:
        user, admins = await _changeable(session, tenant_id, user_id, actor)
        if user.role == "admin" and len(admins) <= 1:
            raise LastAdmin()
        removed = PortalUserView.of(user)
        await delete_portal_user(session, user.id)
        # The audit row keeps the id and role only: the e-mail goes with the account.
        await _record(session, actor, "portal_user.removed", tenant_id, removed.id, {"role": removed.role})
        return removed


async def _changeable(
    session: AsyncSession, tenant_id: int, user_id: int, actor: Actor
) -> tuple[PortalUser, list[int]]:
    """The user to change and the tenant's admins, both locked: the admins first, always in
    the same order, so concurrent changes wait for each other instead of deadlocking."""
    admins = await lock_admin_ids(session, tenant_id)
    user = await tenant_portal_user(session, tenant_id, user_id)
    if user is None:
        raise PortalUserNotFound()
    if actor.kind == "portal_user" and actor.id == user.id:
        raise NotOnYourself()
    return user, admins


async def _open(session: AsyncSession, token: str, now: datetime) -> PortalInvite:
    if not isinstance(token, str) or not token or len(token) > 128:
        raise InviteNotUsable()
    invite = await open_invite(session, session_token_hash(token), now=now)
    if invite is None:
        raise InviteNotUsable()
    return invite


async def _tenant(session: AsyncSession, slug: str) -> TenantRef:
    ref = await tenant_ref(session, slug)
    if ref is None:
        raise TenantNotFound(slug)
    return ref


async def _record(
    session: AsyncSession, actor: Actor, change: str, tenant_id: int, user_id: int, details: dict[str, str]
) -> None:
    await audit.record(
        session, actor, audit.ADMIN_CHANGE, tenant_id=tenant_id, target_kind="portal_user",
        target_id=str(user_id), details={"change": change, **details},
    )
