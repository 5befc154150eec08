"""Who may open a tenant's portal pages: THE check every portal page and write calls.

The tenant comes from the URL, /portal/t/{tenant_slug}/...:
- a firm user opens only their own tenant; any other slug (existing or not) is 404,
  so nobody learns which other firms exist;
- a BPO supervisor opens any existing tenant;
- signed out: 401 (pages: a redirect to the sign-in page, by the portal's middleware).
A write (write=True) additionally needs role admin or supervisor (a viewer gets 403),
an Origin of ours (when the browser sends one) and the session's CSRF token.

    access = await require_portal_access(request)               # a read
    access = await require_portal_access(request, write=True)   # a change
    async with request.app[keys.DATABASE].sessionmaker.begin() as session:
        ... filter every query by access.tenant_id ...
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web
from sqlalchemy import select

from bot.db.audit import Actor
from bot.db.models import Tenant
from bot.portal.errors import Forbidden, PageNotFound
from bot.portal.keys import DATABASE
from bot.portal.login import Principal
from bot.portal.session_auth import current_principal, require_csrf, require_own_origin

TENANT_SLUG = "tenant_slug"  # the URL part every tenant page has: /portal/t/{tenant_slug}/...
WRITING_ROLES = frozenset({"admin", "supervisor"})
ACCESS = web.RequestKey("portal_access", object)  # cached per request (see require_portal_access)


@dataclass(frozen=True)
class PortalAccess:
    """The signed-in person on one tenant's portal. Every query filters by tenant_id."""

    user_id: int | None  # the firm user; None for a supervisor
    tenant_id: int
    tenant_slug: str
    role: str  # "admin" | "viewer" | "supervisor"
    tenant_name: str = ""
    display_name: str = ""
    agent_id: int | None = None  # the supervisor's agent id
    csrf_token: str = field(default="", repr=False)  # for forms rendered on this request

    @property
    def can_write(self) -> bool:
        return self.role in WRITING_ROLES

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    @property
    def actor(self) -> Actor:
        """Who did it, for the audit log: the firm user, or the supervisor's agent."""
        if self.user_id is not None:
            return Actor("portal_user", self.user_id, self.role)
        return Actor("agent", self.agent_id, "supervisor")

    def path(self, suffix: str = "") -> str:
        """This tenant's portal URL: access.path("reports") -> /portal/t/nordlys/reports."""
        return f"/portal/t/{self.tenant_slug}/{suffix.lstrip('/')}"


async def require_portal_access(request: web.Request, *, write: bool = False) -> PortalAccess:
    """The caller's access to the tenant in the URL, or NotSignedIn (401), PageNotFound (404),
    Forbidden (403, a viewer writing), CsrfRejected (403)."""
    if write:
        require_own_origin(request)
    principal = await current_principal(request)
    access = await _tenant_access(request, principal)
    if write:
        if not access.can_write:
            raise Forbidden()
        await require_csrf(request, principal)
    return access


async def _tenant_access(request: web.Request, principal: Principal) -> PortalAccess:
    cached = request.get(ACCESS)
    if isinstance(cached, PortalAccess):
        return cached
    slug = request.match_info.get(TENANT_SLUG, "")
    async with request.app[DATABASE].sessionmaker() as session:
        row = (
            await session.execute(select(Tenant.id, Tenant.slug, Tenant.name).where(Tenant.slug == slug))
        ).one_or_none()
    if row is None:
        raise PageNotFound()
    if not principal.is_supervisor and principal.tenant_id != row.id:
        raise PageNotFound()  # the same answer as a tenant that does not exist
    access = PortalAccess(
        user_id=principal.user_id,
        tenant_id=row.id,
        tenant_slug=row.slug,
        role=principal.role,
        tenant_name=row.name,
        display_name=principal.display_name,
        agent_id=principal.agent_id,
        csrf_token=principal.csrf_token,
    )
    request[ACCESS] = access
    return access
