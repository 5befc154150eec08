"""Every app key of the public API sub-application, in one place."""

from __future__ import annotations

from aiohttp import web

from bot.firm_api.deps import FirmApiDeps

# Set at startup from the gateway's shared resources
DEPS = web.AppKey("firm_api_deps", FirmApiDeps)
