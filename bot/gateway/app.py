"""The gateway's aiohttp application: `create_app(settings)`."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
from aiohttp import WSCloseCode, web

from bot.console.app import ConsoleDeps, create_console_app
from bot.console.settings import ConsoleSettings
from bot.db import Database
from bot.events.bus import InProcessBus
from bot.events.redis_bus import RedisBus
from bot.portal import PortalDeps, PortalSettings, create_portal_app
from bot.firm_api.app import create_firm_api_app
from bot.firm_api.deps import FirmApiDeps
from bot.gateway.assets import STATIC_DIR, TEMPLATES_DIR, FileAsset
from bot.gateway.cors import add_cors_headers
from bot.gateway.keys import (
    AGENT_LOGIN,
    BACKGROUND,
    BUS,
    CONVERSATION_LIMITER,
    CUSTOMER_WROTE,
    DATABASE,
    DELIVERY,
    FIRM_API_LIMITER,
    DEMO_TEMPLATE,
    HANDOFF,
    HTTP,
    IDLE_SWEEPER,
    IP_LIMITER,
    LOCKS,
    LOGIN_LIMITER,
    METRICS,
    PORTAL_LOGIN_LIMITER,
    NEW_CONVERSATION_LIMITS,
    RASA,
    REDACTOR,
    SETTINGS,
    SOCKETS,
    START,
    TRANSCRIPT,
    WIDGET_JS,
    WORKSPACE,
)
from bot.gateway.metrics import GatewayMetrics
from bot.gateway.middlewares import error_middleware, request_log_middleware
from bot.gateway.rasa_client import RasaClient, RasaServers
from bot.gateway.rate_limit import RedisSlidingWindowLimiter, SlidingWindowLimiter
from bot.gateway.routes import add_routes
from bot.gateway.security_headers import add_security_headers
from bot.gateway.chat.customer_wrote import CustomerWrote
from bot.gateway.chat.delivery import BotDelivery
from bot.gateway.chat.live_handoff import LiveHandoff
from bot.gateway.chat.idle import IdleSweeper
from bot.gateway.chat.locks import ConversationLocks
from bot.gateway.chat.redis_locks import RedisConversationLocks
from bot.gateway.chat.start import ConversationStart, NewConversationLimits
from bot.gateway.chat.transcript import TextRedactor, Transcript
from bot.gateway.settings import RateLimit, Settings
from bot.gateway.sockets import SocketRegistry
from bot.handoff.login import AgentLogin
from bot.handoff.use_cases import HandoffService, HandoffSettings
from bot.handoff.workspace import AgentWorkspace
from bot.webhooks.context import delivery_worker_context

log = logging.getLogger(__name__)

# REST bodies are tiny; the WebSocket has its own frame limit.
CLIENT_MAX_SIZE = 64 * 1024
SILENT_AGENT_SWEEP_SECONDS = 60.0
ORPHAN_SWEEP_SECONDS = 60.0


def create_app(settings: Settings, *, redactor: TextRedactor | None = None) -> web.Application:
    """The gateway app. `redactor`: an already built one to share (it takes seconds to
    build); by default one is built at startup."""
    app = web.Application(
        middlewares=[request_log_middleware, error_middleware], client_max_size=CLIENT_MAX_SIZE
    )
    app[SETTINGS] = settings
    app[METRICS] = GatewayMetrics()
    app[WIDGET_JS] = FileAsset(STATIC_DIR / "widget.js")
    app[DEMO_TEMPLATE] = FileAsset(TEMPLATES_DIR / "demo.html")
    if redactor is not None:
        app[REDACTOR] = redactor
    # Started in this order, cleaned up in reverse.
    app.cleanup_ctx.extend(
        [
            database_ctx, shared_state_ctx, redactor_ctx, rasa_ctx, use_cases_ctx, background_ctx,
            webhook_worker_ctx,
        ]
    )
    app.on_response_prepare.append(add_security_headers)
    app.on_response_prepare.append(add_cors_headers)
    add_routes(app)
    # The console: its own sub-app; it gets the shared pieces at startup, through ConsoleDeps.
    app.add_subapp("/agent", create_console_app(_console_settings(settings), lambda: _console_deps(app)))
    # The client firm's portal: the same pattern (bot/portal).
    app.add_subapp("/portal", create_portal_app(_portal_settings(settings), lambda: _portal_deps(app)))
    # The public REST API for client firms: /api/v1/firm, /api/v1/openapi.json, /api/docs.
    app.add_subapp("/api", create_firm_api_app(lambda: _firm_api_deps(app)))
    app.on_shutdown.append(close_sockets_and_finish_turns)  # after the consoles closed
    return app


def _console_settings(settings: Settings) -> ConsoleSettings:
    return ConsoleSettings(
        public_origin=settings.public_origin,
        secure_cookies=settings.secure_cookies,
        disconnect_grace_seconds=settings.agent_disconnect_grace_seconds,
        session_recheck_seconds=settings.agent_session_recheck_seconds,
        database_url=settings.database_url,
        webhooks=settings.webhooks,
    )


def _console_deps(app: web.Application) -> ConsoleDeps:
    return ConsoleDeps(
        database=app[DATABASE],
        handoff=app[HANDOFF],
        workspace=app[WORKSPACE],
        login=app[AGENT_LOGIN],
        login_limiter=app[LOGIN_LIMITER],
        bus=app[BUS],
    )


def _portal_settings(settings: Settings) -> PortalSettings:
    return PortalSettings(
        public_origin=settings.public_origin,
        public_url=settings.public_url,
        secure_cookies=settings.secure_cookies,
        session_hours=settings.portal_session_hours,
        invite_days=settings.portal_invite_days,
    )


def _portal_deps(app: web.Application) -> PortalDeps:
    return PortalDeps(
        database=app[DATABASE], login_limiter=app[PORTAL_LOGIN_LIMITER], redactor=app[REDACTOR]
    )


def _firm_api_deps(app: web.Application) -> FirmApiDeps:
    return FirmApiDeps(
        database=app[DATABASE],
        limiter=app[FIRM_API_LIMITER],
        window_seconds=app[SETTINGS].firm_api_rate_limit.seconds,
        redactor=app[REDACTOR],
    )


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    database = Database(app[SETTINGS].database_url)
    app[DATABASE] = database
    yield
    await database.dispose()


async def shared_state_ctx(app: web.Application) -> AsyncIterator[None]:
    """What gateway instances share: with REDIS_URL, events, rate limits and turn locks go
    through Redis (any number of instances); without it they stay in this process."""
    settings = app[SETTINGS]
    redis = None
    if settings.redis_url:
        from redis.asyncio import Redis

        # A quick connect timeout: while Redis is unreachable, limits fail open at once.
        redis = Redis.from_url(settings.redis_url, socket_connect_timeout=2.0)
        prefix = settings.redis_prefix
        app[BUS] = RedisBus(redis, prefix=prefix)
        app[LOCKS] = RedisConversationLocks(
            redis, lease_seconds=settings.turn_lock_lease_seconds, prefix=prefix
        )
        limiter = functools.partial(RedisSlidingWindowLimiter, redis, prefix=prefix)
    else:
        app[BUS] = InProcessBus()
        app[LOCKS] = ConversationLocks()
        limiter = _local_limiter
    app[CONVERSATION_LIMITER] = limiter("conversation", settings.rate_limit_per_conversation)
    app[IP_LIMITER] = limiter("ip", settings.rate_limit_per_ip)
    app[LOGIN_LIMITER] = limiter("login", settings.login_rate_limit)
    app[PORTAL_LOGIN_LIMITER] = limiter("portal-login", settings.login_rate_limit)
    app[FIRM_API_LIMITER] = limiter("firm-api-key", settings.firm_api_rate_limit)
    app[NEW_CONVERSATION_LIMITS] = NewConversationLimits(
        per_address=limiter("new-conversation-address", settings.new_conversations_per_address),
        per_tenant=limiter("new-conversation-tenant", settings.new_conversations_per_tenant),
    )
    app[SOCKETS] = SocketRegistry(app[BUS], app[DATABASE], app[LOCKS])
    yield
    await app[SOCKETS].close()
    await app[BUS].close()
    if redis is not None:
        await redis.aclose()


def _local_limiter(_name: str, limit: RateLimit) -> SlidingWindowLimiter:
    return SlidingWindowLimiter(limit)


async def redactor_ctx(app: web.Application) -> AsyncIterator[None]:
    if REDACTOR not in app:
        from bot.redaction import Redactor  # loads spaCy: at startup, not at import

        built: TextRedactor = await asyncio.to_thread(Redactor)
        app[REDACTOR] = built
    yield


async def rasa_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    # One session (one connection pool) for every call to Rasa and the action server.
    async with aiohttp.ClientSession(raise_for_status=False) as http:
        app[HTTP] = http
        app[RASA] = RasaServers(
            [
                RasaClient(http, url, settings.rasa_token, settings.rasa_request_timeout_seconds)
                for url in settings.rasa_servers
            ]
        )
        yield


async def use_cases_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    sessionmaker = app[DATABASE].sessionmaker
    handoff_settings = HandoffSettings()
    transcript = Transcript(app[DATABASE], app[REDACTOR], app[SOCKETS], app[LOCKS], app[BUS])
    app[TRANSCRIPT] = transcript
    app[START] = ConversationStart(
        app[DATABASE],
        app[SOCKETS],
        app[LOCKS],
        settings.idle_timeout_seconds,
        app[NEW_CONVERSATION_LIMITS],
    )
    app[WORKSPACE] = AgentWorkspace(
        sessionmaker, app[REDACTOR], heartbeat_timeout=handoff_settings.heartbeat_timeout
    )
    handoff = LiveHandoff(
        app[DATABASE],
        HandoffService(sessionmaker, app[REDACTOR], settings=handoff_settings),
        app[WORKSPACE],
        transcript,
        app[SOCKETS],
        app[RASA],
        app[BUS],
        heartbeat_timeout=handoff_settings.heartbeat_timeout,
    )
    app[HANDOFF] = handoff
    delivery = BotDelivery(
        settings,
        app[DATABASE],
        app[RASA],
        transcript,
        app[SOCKETS],
        app[LOCKS],
        app[METRICS],
        handoff,
    )
    app[DELIVERY] = delivery
    app[CUSTOMER_WROTE] = CustomerWrote(transcript, handoff, delivery, app[SOCKETS])
    app[IDLE_SWEEPER] = IdleSweeper(
        app[DATABASE],
        app[SOCKETS],
        settings.idle_timeout_seconds,
        settings.idle_sweep_seconds,
        empty_after_seconds=settings.empty_conversation_seconds,
    )
    app[AGENT_LOGIN] = AgentLogin(
        sessionmaker, session_ttl=timedelta(hours=settings.agent_session_hours)
    )
    yield
    await delivery.close()


async def webhook_worker_ctx(app: web.Application) -> AsyncIterator[None]:
    """This process's webhook delivery worker; the gateways share the outbox through the
    database (leased deliveries), so any number of them may run. It has its own engine:
    its polling never waits for, or takes, a connection a customer's turn needs."""
    database = Database(app[SETTINGS].database_url)
    try:
        async for _ in delivery_worker_context(database.sessionmaker, app[SETTINGS].webhooks)(app):
            yield
    finally:
        await database.dispose()


async def background_ctx(app: web.Application) -> AsyncIterator[None]:
    """Redelivery of what a previous run left unanswered, and the idle sweep.

    Neither blocks startup: with the database down the gateway still starts and
    /readyz says what is missing.
    """
    tasks = [
        asyncio.create_task(_resume_pending(app[DELIVERY], app[SETTINGS])),
        asyncio.create_task(app[IDLE_SWEEPER].run_forever()),
        asyncio.create_task(_requeue_silent_agents(app)),
    ]
    app[BACKGROUND] = tasks
    yield
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _resume_pending(delivery: BotDelivery, settings: Settings) -> None:
    """At startup: what a previous run left unanswered. With several instances (Redis), also
    every minute: what an instance that died left (its tabs usually reconnect elsewhere first)."""
    shared = bool(settings.redis_url)
    # Fresh messages belong to the instance that took them (it has the unredacted text).
    waiting_longer_than = settings.rasa_timeout_seconds * 2 if shared else None
    while True:
        try:
            waiting = await delivery.resume_pending(waiting_longer_than=waiting_longer_than)
        except Exception:
            log.exception("could not look for unanswered messages")
        else:
            if waiting:
                log.info("resending unanswered messages of %d conversations", waiting)
        if not shared:
            return
        await asyncio.sleep(ORPHAN_SWEEP_SECONDS)


async def _requeue_silent_agents(app: web.Application) -> None:
    """Chats of agents gone without a clean disconnect (e.g. this gateway restarted while they
    chatted) go back to the queue; the per-connection grace period covers the usual case."""
    grace = timedelta(seconds=app[SETTINGS].agent_disconnect_grace_seconds)
    while True:
        try:
            await app[HANDOFF].requeue_silent_agents(grace=grace)
        except Exception:
            log.exception("looking for chats of silent agents failed")
        await asyncio.sleep(SILENT_AGENT_SWEEP_SECONDS)


async def close_sockets_and_finish_turns(app: web.Application) -> None:
    """Graceful shutdown: tell every tab we are going away, then let running turns finish.

    A closed tab reconnects (to us or another instance) with hello + last_seq and
    gets what it missed from the database; unanswered messages stay stored as
    undelivered and are resent by the next start.
    """
    sockets = app[SOCKETS].all()
    await asyncio.gather(
        *(
            socket.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server restarting")
            for socket in sockets
        ),
        return_exceptions=True,
    )
    if DELIVERY in app:
        await app[DELIVERY].finish_in_flight(timeout=app[SETTINGS].rasa_request_timeout_seconds)
