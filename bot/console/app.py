"""The agent console as its own sub-application: `create_console_app(settings, deps)`.

Mounted by the gateway with `app.add_subapp("/agent", ...)`. What it shares with
the gateway (database, the live-handoff door, agent login, event bus, login
limiter) exists only once the gateway has started, so `deps` is called at the
console's startup; the console never reads the gateway's own app keys.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiohttp import web

from bot.console import keys
from bot.console.door import HandoffDoor, LoginLimiter
from bot.console.hub import AgentHub
from bot.console.routes import add_console_routes
from bot.console.settings import ConsoleSettings
from bot.db import Database
from bot.events.bus import EventBus
from bot.handoff.login import AgentLogin
from bot.handoff.workspace import AgentWorkspace


@dataclass(frozen=True)
class ConsoleDeps:
    database: Database
    handoff: HandoffDoor
    workspace: AgentWorkspace
    login: AgentLogin
    login_limiter: LoginLimiter
    bus: EventBus


def create_console_app(
    settings: ConsoleSettings, deps: Callable[[], ConsoleDeps]
) -> web.Application:
    """The console app (pages, REST API, agent WebSocket, admin API); `deps` at startup."""
    app = web.Application()
    app[keys.SETTINGS] = settings

    async def shared_ctx(app: web.Application) -> AsyncIterator[None]:
        shared = deps()
        app[keys.DATABASE] = shared.database
        app[keys.HANDOFF] = shared.handoff
        app[keys.WORKSPACE] = shared.workspace
        app[keys.AGENT_LOGIN] = shared.login
        app[keys.LOGIN_LIMITER] = shared.login_limiter
        app[keys.BUS] = shared.bus
        hub = AgentHub(
            shared.handoff,
            shared.login,
            shared.bus,
            grace_seconds=settings.disconnect_grace_seconds,
            recheck_seconds=settings.session_recheck_seconds,
        )
        app[keys.AGENT_HUB] = hub
        yield

    app.cleanup_ctx.append(shared_ctx)
    app.on_shutdown.append(_close_consoles)
    add_console_routes(app)
    return app


async def _close_consoles(app: web.Application) -> None:
    """Graceful shutdown: every console is told the server goes away (it reconnects), and
    no grace period runs on: the gateway's cleanup (the database) comes after this."""
    if keys.AGENT_HUB in app:
        await app[keys.AGENT_HUB].close_all()
        await app[keys.AGENT_HUB].close()
