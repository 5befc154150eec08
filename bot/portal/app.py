"""The client firm's portal as its own sub-application: `create_portal_app(settings, deps)`.

Mounted by the gateway with `app.add_subapp("/portal", ...)`, beside the console at
/agent. What it shares with the gateway (database, login limiter) exists only once the
gateway has started, so `deps` is called at the portal's startup; the portal never
reads the gateway's own app keys.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from bot.console.door import LoginLimiter
from bot.db import Database
from bot.portal import keys
from bot.portal.auth_routes import add_auth_routes
from bot.portal.dashboard_routes import add_dashboard_routes
from bot.portal.login import PortalLogin
from bot.portal.middlewares import portal_error_pages
from bot.portal.pages import STATIC_DIR, template_environment
from bot.portal.settings import PortalSettings
from bot.portal.review_routes import add_review_routes
from bot.portal.settings_routes import add_settings_routes
from bot.portal.reports_routes import add_reports_routes
from bot.portal.users_routes import add_users_routes
from bot.portal.webhooks_routes import add_webhooks_routes
from bot.redaction.events import TextRedactor


@dataclass(frozen=True)
class PortalDeps:
    database: Database
    login_limiter: LoginLimiter  # sign-in attempts per client address (Redis when configured)
    redactor: TextRedactor  # the gateway's: personal data out of text people type into the portal


def create_portal_app(settings: PortalSettings, deps: Callable[[], PortalDeps]) -> web.Application:
    """The portal app (pages and forms); `deps` is called at startup."""
    app = web.Application(middlewares=[portal_error_pages])
    app[keys.SETTINGS] = settings
    app[keys.TEMPLATES] = template_environment()

    async def shared_ctx(app: web.Application) -> AsyncIterator[None]:
        shared = deps()
        app[keys.DATABASE] = shared.database
        app[keys.LOGIN_LIMITER] = shared.login_limiter
        app[keys.REDACTOR] = shared.redactor
        app[keys.LOGIN] = PortalLogin(
            shared.database.sessionmaker, session_ttl=timedelta(hours=settings.session_hours)
        )
        yield

    app.cleanup_ctx.append(shared_ctx)
    app.router.add_static("/static", STATIC_DIR, show_index=False)
    add_auth_routes(app)
    add_dashboard_routes(app)
    add_users_routes(app)
    add_settings_routes(app)
    add_reports_routes(app)
    # Each area of the portal adds its pages with one line here:
    # add_settings_routes(app); add_reports_routes(app); add_review_routes(app)
    add_review_routes(app)
    add_webhooks_routes(app)
    return app
