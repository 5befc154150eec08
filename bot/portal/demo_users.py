"""Demo firm users for the three demo firms (idempotent). Call after bot.demo.seed_demo.

Each demo firm gets an admin and a viewer, password DEMO_PORTAL_PASSWORD:

  admin@nordlys.example     admin   nordlys      viewer@nordlys.example     viewer
  admin@fjordnett.example   admin   fjordnett    viewer@fjordnett.example   viewer
  admin@lighthouse.example  admin   lighthouse   viewer@lighthouse.example  viewer

BPO supervisors (sup@bpo.example) sign in to the portal with their console password.
A re-run keeps a password changed since and updates name and role.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.errors import TenantNotFound
from bot.db.portal_users import create_portal_user, find_portal_user_by_email
from bot.db.tenants import tenant_ref
from bot.handoff.auth import hash_password

DEMO_PORTAL_PASSWORD = "demo-portal-password"  # demo only; documented in README


@dataclass(frozen=True)
class DemoPortalUser:
    email: str
    display_name: str
    role: str
    tenant: str


DEMO_PORTAL_USERS = (
    DemoPortalUser("admin@nordlys.example", "Ingrid (Nordlys)", "admin", "nordlys"),
    DemoPortalUser("viewer@nordlys.example", "Per (Nordlys)", "viewer", "nordlys"),
    DemoPortalUser("admin@fjordnett.example", "Astrid (Fjordnett)", "admin", "fjordnett"),
    DemoPortalUser("viewer@fjordnett.example", "Lars (Fjordnett)", "viewer", "fjordnett"),
    DemoPortalUser("admin@lighthouse.example", "Emma (Lighthouse)", "admin", "lighthouse"),
    DemoPortalUser("viewer@lighthouse.example", "Jack (Lighthouse)", "viewer", "lighthouse"),
)


async def seed_demo_portal_users(session: AsyncSession) -> tuple[DemoPortalUser, ...]:
    """Write the demo firm users into the session's transaction (the caller commits)."""
    for spec in DEMO_PORTAL_USERS:
        tenant = await tenant_ref(session, spec.tenant)
        if tenant is None:
            raise TenantNotFound(spec.tenant)  # run bot.demo.seed_demo first
        user = await find_portal_user_by_email(session, spec.email)
        if user is None:
            await create_portal_user(
                session,
                tenant_id=tenant.id,
                email=spec.email,
                display_name=spec.display_name,
                role=spec.role,
                password_hash=_demo_password_hash(),
            )
        else:
            user.display_name, user.role, user.tenant_id = spec.display_name, spec.role, tenant.id
            await session.flush()
    return DEMO_PORTAL_USERS


@cache
def _demo_password_hash() -> str:
    # Once per process: argon2 is slow on purpose, and re-seeding must stay quick.
    return hash_password(DEMO_PORTAL_PASSWORD)
