"""Every app key of the public API sub-application, in one place."""

from __future__ import annotations

from aiohttp import web

from bot.firm_api.deps import FirmApiDeps
from bot.firm_api.operations import Operation

# Given to create_firm_api_app
OPERATIONS = web.AppKey("firm_api_operations", tuple[Operation, ...])
# Set at startup from the gateway's shared resources
DEPS = web.AppKey("firm_api_deps", FirmApiDeps)
