"""Every app and request key of the gateway, in one place."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from bot.db import Database
from bot.events.bus import EventBus
from bot.gateway.assets import FileAsset
from bot.gateway.metrics import GatewayMetrics
from bot.gateway.rasa_client import RasaServers
from bot.gateway.rate_limit import RateLimiter
from bot.gateway.chat.delivery import BotDelivery
from bot.gateway.chat.customer_wrote import CustomerWrote
from bot.gateway.chat.live_handoff import LiveHandoff
from bot.gateway.chat.idle import IdleSweeper
from bot.gateway.chat.locks import TurnLocks
from bot.gateway.chat.start import ConversationStart, NewConversationLimits
from bot.gateway.chat.transcript import TextRedactor, Transcript
from bot.gateway.settings import Settings
from bot.gateway.sockets import SocketRegistry
from bot.handoff.login import AgentLogin
from bot.handoff.workspace import AgentWorkspace

# Built by create_app
SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", GatewayMetrics)
SOCKETS = web.AppKey("sockets", SocketRegistry)
LOCKS = web.AppKey("locks", TurnLocks)
CONVERSATION_LIMITER = web.AppKey("conversation_limiter", RateLimiter)
IP_LIMITER = web.AppKey("ip_limiter", RateLimiter)
NEW_CONVERSATION_LIMITS = web.AppKey("new_conversation_limits", NewConversationLimits)
WIDGET_JS = web.AppKey("widget_js", FileAsset)
DEMO_TEMPLATE = web.AppKey("demo_template", FileAsset)
BUS = web.AppKey("bus", EventBus)
LOGIN_LIMITER = web.AppKey("login_limiter", RateLimiter)
PORTAL_LOGIN_LIMITER = web.AppKey("portal_login_limiter", RateLimiter)

# Set by the cleanup contexts at startup
DATABASE = web.AppKey("database", Database)
REDACTOR = web.AppKey("redactor", TextRedactor)
HTTP = web.AppKey("http", aiohttp.ClientSession)
RASA = web.AppKey("rasa", RasaServers)
TRANSCRIPT = web.AppKey("transcript", Transcript)
START = web.AppKey("start", ConversationStart)
DELIVERY = web.AppKey("delivery", BotDelivery)
IDLE_SWEEPER = web.AppKey("idle_sweeper", IdleSweeper)
HANDOFF = web.AppKey("handoff", LiveHandoff)
CUSTOMER_WROTE = web.AppKey("customer_wrote", CustomerWrote)
WORKSPACE = web.AppKey("workspace", AgentWorkspace)
AGENT_LOGIN = web.AppKey("agent_login", AgentLogin)
BACKGROUND = web.AppKey("background", list[asyncio.Task[None]])

# Per request: the Origin that passed the tenant's allow-list (gets CORS headers).
CORS_ORIGIN = web.RequestKey("cors_origin", str)
