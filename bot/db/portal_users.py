"""Firm users of the portal, their sessions and invitations (data functions: take a session,
never commit). Sessions and invitations hold a hash of their token, never the token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.errors import DomainError
from bot.db.bearer_sessions import active_session, revoke_session
from bot.db.models import PORTAL_ROLES, Agent, PortalInvite, PortalSession, PortalUser, Tenant

EMAIL_MAX_CHARS = 254
DISPLAY_NAME_MAX_CHARS = 120
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class InvalidPortalUserData(DomainError, ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class DuplicatePortalEmail(DomainError, ValueError):
    """The e-mail already signs in somewhere (a firm user or a BPO agent): one login, one person."""

    def __init__(self) -> None:
        super().__init__("that e-mail address already has an account")


class PortalUserNotFound(DomainError, LookupError):
    def __init__(self) -> None:
        super().__init__("no such portal user")


class LastAdmin(DomainError, ValueError):
    """A firm always keeps one admin, who can invite and manage the others."""

    def __init__(self) -> None:
        super().__init__("this is the firm's only admin: make someone else admin first")


class NotOnYourself(DomainError, ValueError):
    """Removing or demoting oneself would lock oneself out mid-action; another admin does it."""

    def __init__(self) -> None:
        super().__init__("you cannot change your own access here; ask another admin")


@dataclass(frozen=True)
class PortalUserView:
    """A firm user as the portal shows them (never the hash)."""

    id: int
    tenant_id: int
    email: str
    display_name: str
    role: str
    created_at: datetime

    @classmethod
    def of(cls, user: PortalUser) -> PortalUserView:
        return cls(user.id, user.tenant_id, user.email, user.display_name, user.role, user.created_at)


@dataclass(frozen=True)
class InviteView:
    id: int
    tenant_id: int
    email: str
    role: str
    expires_at: datetime
    accepted_at: datetime | None


# --- validation -----------------------------------------------------------------------


def normalize_email(raw: str) -> str:
    email = (raw or "").strip().lower() if isinstance(raw, str) else ""
    if len(email) > EMAIL_MAX_CHARS or not _EMAIL.fullmatch(email):
        raise InvalidPortalUserData("email", "is not an e-mail address")
    return email


def validated_role(role: str) -> str:
    if role not in PORTAL_ROLES:
        raise InvalidPortalUserData("role", f"must be one of {', '.join(PORTAL_ROLES)}")
    return role


def validated_display_name(name: str) -> str:
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > DISPLAY_NAME_MAX_CHARS:
        raise InvalidPortalUserData("name", f"must be 1..{DISPLAY_NAME_MAX_CHARS} characters")
    return name


# --- users ----------------------------------------------------------------------------


async def email_taken(session: AsyncSession, email: str) -> bool:
    """A firm user or a BPO agent signs in with it already."""
    user = await session.scalar(select(PortalUser.id).where(PortalUser.email == email))
    agent = await session.scalar(select(Agent.id).where(Agent.email == email))
    return user is not None or agent is not None


async def create_portal_user(
    session: AsyncSession,
    *,
    tenant_id: int,
    email: str,
    display_name: str,
    role: str,
    password_hash: str,
) -> PortalUser:
    email = normalize_email(email)
    user = PortalUser(
        tenant_id=tenant_id,
        email=email,
        display_name=validated_display_name(display_name),
        role=validated_role(role),
        password_hash=password_hash,
    )
    if await email_taken(session, email):
        raise DuplicatePortalEmail()
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as error:  # a concurrent creator won; the session must be rolled back
        raise DuplicatePortalEmail() from error
    return user


async def find_portal_user_by_email(session: AsyncSession, email: str) -> PortalUser | None:
    try:
        normalized = normalize_email(email)
    except InvalidPortalUserData:
        return None
    return await session.scalar(select(PortalUser).where(PortalUser.email == normalized))


async def get_portal_user(session: AsyncSession, user_id: int) -> PortalUser | None:
    return await session.get(PortalUser, user_id, populate_existing=True)


async def list_portal_users(session: AsyncSession, tenant_id: int) -> list[PortalUserView]:
    rows = await session.scalars(
        select(PortalUser).where(PortalUser.tenant_id == tenant_id).order_by(PortalUser.email)
    )
    return [PortalUserView.of(row) for row in rows]


async def tenant_portal_user(session: AsyncSession, tenant_id: int, user_id: int) -> PortalUser | None:
    """The tenant's user with that id, locked for a change; None for another tenant's."""
    return await session.scalar(
        select(PortalUser)
        .where(PortalUser.id == user_id, PortalUser.tenant_id == tenant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def lock_admin_ids(session: AsyncSession, tenant_id: int) -> list[int]:
    """The tenant's admins, locked (in id order) until the transaction ends, so two admins
    demoting each other at once cannot leave the firm without one."""
    rows = await session.scalars(
        select(PortalUser.id)
        .where(PortalUser.tenant_id == tenant_id, PortalUser.role == "admin")
        .order_by(PortalUser.id)
        .with_for_update()
    )
    return list(rows)


async def set_portal_role(session: AsyncSession, user_id: int, role: str) -> None:
    await session.execute(update(PortalUser).where(PortalUser.id == user_id).values(role=validated_role(role)))


async def delete_portal_user(session: AsyncSession, user_id: int) -> None:
    """Deletes the user; their sessions go with them (ON DELETE CASCADE), invitations they sent
    keep existing without a sender (SET NULL)."""
    await session.execute(delete(PortalSession).where(PortalSession.user_id == user_id))
    await session.execute(delete(PortalUser).where(PortalUser.id == user_id))


async def set_portal_password_hash(session: AsyncSession, user_id: int, password_hash: str) -> None:
    await session.execute(
        update(PortalUser).where(PortalUser.id == user_id).values(password_hash=password_hash)
    )


async def tenant_name(session: AsyncSession, tenant_id: int) -> str | None:
    return await session.scalar(select(Tenant.name).where(Tenant.id == tenant_id))


# --- sessions ---------------------------------------------------------------------------


async def create_portal_session(
    session: AsyncSession,
    *,
    user_id: int | None = None,
    agent_id: int | None = None,
    token_hash: str,
    csrf_token: str,
    created_at: datetime,
    expires_at: datetime,
) -> PortalSession:
    if (user_id is None) == (agent_id is None):
        raise ValueError("a portal session belongs to a firm user or to an agent")
    row = PortalSession(
        user_id=user_id,
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


async def active_portal_session(
    session: AsyncSession, token_hash: str, *, now: datetime
) -> PortalSession | None:
    """The session with that token hash if it is neither revoked nor expired."""
    return await active_session(session, PortalSession, token_hash, now=now)


async def revoke_portal_session(session: AsyncSession, token_hash: str) -> bool:
    return await revoke_session(session, PortalSession, token_hash)


async def revoke_all_portal_sessions(session: AsyncSession, user_id: int) -> int:
    """Every session of a firm user (password reset)."""
    result = await session.execute(
        update(PortalSession)
        .where(PortalSession.user_id == user_id, PortalSession.revoked.is_(False))
        .values(revoked=True)
    )
    return result.rowcount


# --- invitations ------------------------------------------------------------------------


async def create_invite(
    session: AsyncSession,
    *,
    tenant_id: int,
    email: str,
    role: str,
    token_hash: str,
    created_at: datetime,
    expires_at: datetime,
    invited_by_user_id: int | None = None,
    invited_by_agent_id: int | None = None,
) -> PortalInvite:
    email = normalize_email(email)
    if await email_taken(session, email):
        raise DuplicatePortalEmail()
    row = PortalInvite(
        tenant_id=tenant_id,
        email=email,
        role=validated_role(role),
        token_hash=token_hash,
        created_at=created_at,
        expires_at=expires_at,
        invited_by_user_id=invited_by_user_id,
        invited_by_agent_id=invited_by_agent_id,
    )
    session.add(row)
    await session.flush()
    return row


async def open_invite(session: AsyncSession, token_hash: str, *, now: datetime) -> PortalInvite | None:
    """The invitation with that token hash if it is neither used nor expired."""
    return await session.scalar(
        select(PortalInvite).where(
            PortalInvite.token_hash == token_hash,
            PortalInvite.accepted_at.is_(None),
            PortalInvite.expires_at > now,
        )
    )


async def mark_invite_accepted(session: AsyncSession, invite_id: int, *, at: datetime) -> bool:
    """Use the invitation up; False when someone else used it first (compare-and-set)."""
    result = await session.execute(
        update(PortalInvite)
        .where(PortalInvite.id == invite_id, PortalInvite.accepted_at.is_(None))
        .values(accepted_at=at)
    )
    return result.rowcount > 0


async def delete_stale_invites(session: AsyncSession, *, ended_before: datetime) -> int:
    """Deletes invitations used or expired before `ended_before`: a link that can no longer be
    used keeps only an e-mail address, which is personal data with no purpose left."""
    result = await session.execute(
        delete(PortalInvite).where(
            or_(
                PortalInvite.accepted_at < ended_before,
                and_(PortalInvite.accepted_at.is_(None), PortalInvite.expires_at < ended_before),
            )
        )
    )
    return result.rowcount or 0


async def pending_invites(session: AsyncSession, tenant_id: int, *, now: datetime) -> list[InviteView]:
    rows = await session.scalars(
        select(PortalInvite)
        .where(
            PortalInvite.tenant_id == tenant_id,
            PortalInvite.accepted_at.is_(None),
            PortalInvite.expires_at > now,
        )
        .order_by(PortalInvite.created_at.desc())
    )
    return [
        InviteView(row.id, row.tenant_id, row.email, row.role, row.expires_at, row.accepted_at)
        for row in rows
    ]


async def count_portal_users(session: AsyncSession, tenant_id: int) -> int:
    return int(
        await session.scalar(select(func.count()).where(PortalUser.tenant_id == tenant_id)) or 0
    )
