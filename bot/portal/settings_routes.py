"""The portal's self-service area: `add_settings_routes(app)` adds every settings page.

  /portal/t/{slug}/settings                 overview, embed snippet, identity-secret rotation
  /portal/t/{slug}/settings/faq[/{key}/{language}[/preview]]   FAQ answers (settings_faq_pages)
  /portal/t/{slug}/settings/branding[/preview], /origins, /hours           (settings_site_pages)
  /portal/t/{slug}/settings/changes         the change record

Everyone of the firm sees them; admins and supervisors change them (require_portal_access
with write=True: role and CSRF). Every change is recorded by its use case (bot.firm_settings).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.db.portal_users import list_portal_users
from bot.firm_settings import use_cases
from bot.firm_settings.changes import PAGE, Change
from bot.portal.access import PortalAccess, require_portal_access
from bot.portal.keys import SETTINGS as PORTAL_SETTINGS
from bot.portal.pages import render_page
from bot.portal.settings_faq_pages import add_faq_routes
from bot.portal.settings_forms import COMMON, SETTINGS, sessionmaker, text
from bot.portal.settings_site_pages import add_site_routes

CHANGE_LABELS = {
    "faq.published": "FAQ answer published",
    "branding.updated": "Branding changed",
    "origins.updated": "Allowed websites changed",
    "hours.updated": "Business hours changed",
    "identity_secret.rotated": "New identity secret made",
}
ACTOR_NAMES = {"agent": "BPO supervisor", "cli": "BPO operator", "system": "the system"}


def add_settings_routes(app: web.Application) -> None:
    app.router.add_get(SETTINGS, settings_page)
    app.router.add_post(f"{SETTINGS}/identity-secret", rotate_identity_secret)
    app.router.add_get(f"{SETTINGS}/changes", changes_page)
    add_faq_routes(app)
    add_site_routes(app)


async def settings_page(request: web.Request) -> web.Response:
    access = await require_portal_access(request)
    return await _overview(request, access)


async def _overview(request: web.Request, access: PortalAccess, *, status: int = 200, **extra: Any) -> web.Response:
    settings = await use_cases.firm_settings(sessionmaker(request), access.tenant_slug)
    public_url = request.app[PORTAL_SETTINGS].public_url
    return render_page(
        request, "settings.html", access=access, title="Settings", nav_key="settings", status=status,
        settings=settings, snippet=use_cases.embed_snippet(public_url, access.tenant_slug),
        public_url=public_url, secret_error=extra.get("secret_error", ""),
    )


async def rotate_identity_secret(request: web.Request) -> web.Response:
    """The new secret is in this one response (no-store) and nowhere else, ever."""
    access = await require_portal_access(request, write=True)
    if text(await request.post(), "confirm") != "yes":
        return await _overview(request, access, status=400,
                               secret_error="Tick the box first: a new secret stops the old one at once.")
    secret = await use_cases.rotate_identity_secret(sessionmaker(request), access.tenant_slug, actor=access.actor)
    return render_page(request, "settings_secret.html", access=access, title="New identity secret",
                       nav_key="settings", secret=secret)


async def changes_page(request: web.Request) -> web.Response:
    access = await require_portal_access(request)
    before = request.query.get("before", "")
    before_id = int(before) if before.isdigit() else None
    changes = await use_cases.change_record(sessionmaker(request), access.tenant_slug, before_id=before_id)
    async with sessionmaker(request)() as session:
        names = {user.id: user.display_name for user in await list_portal_users(session, access.tenant_id)}

    def who(change: Change) -> str:
        if change.actor_kind == "portal_user":
            name = names.get(change.actor_id or 0, "a former user")
            return f"{name} ({change.actor_role})" if change.actor_role else name
        return ACTOR_NAMES.get(change.actor_kind, change.actor_kind)

    return render_page(
        request, "settings_changes.html", access=access, title="Changes", nav_key="changes",
        changes=changes, change_labels=CHANGE_LABELS, who=who, shown=_shown,
        older=changes[-1].id if len(changes) == PAGE else None, **COMMON,
    )


def _shown(value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return str(value)
