"""Every app key of the console sub-application, in one place."""

from __future__ import annotations

from aiohttp import web

from bot.console.door import HandoffDoor, LoginLimiter
from bot.console.hub import AgentHub
from bot.console.settings import ConsoleSettings
from bot.db import Database
from bot.events.bus import EventBus
from bot.handoff.login import AgentLogin
from bot.handoff.workspace import AgentWorkspace

# Given to create_console_app
SETTINGS = web.AppKey("console_settings", ConsoleSettings)

# Set at startup from the gateway's shared resources (ConsoleDeps)
DATABASE = web.AppKey("console_database", Database)
HANDOFF = web.AppKey("console_handoff", HandoffDoor)
WORKSPACE = web.AppKey("console_workspace", AgentWorkspace)
AGENT_LOGIN = web.AppKey("console_agent_login", AgentLogin)
LOGIN_LIMITER = web.AppKey("console_login_limiter", LoginLimiter)
BUS = web.AppKey("console_bus", EventBus)
AGENT_HUB = web.AppKey("console_agent_hub", AgentHub)
