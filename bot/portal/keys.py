"""Every app key of the portal sub-application, in one place.

Pages reach them as `request.app[keys.X]` (their handlers run in the portal app).
"""

from __future__ import annotations

import jinja2
from aiohttp import web

from bot.console.door import LoginLimiter
from bot.db import Database
from bot.portal.login import PortalLogin
from bot.portal.settings import PortalSettings

# Given to create_portal_app
SETTINGS = web.AppKey("portal_settings", PortalSettings)
TEMPLATES = web.AppKey("portal_templates", jinja2.Environment)

# Set at startup from the gateway's shared resources (PortalDeps)
DATABASE = web.AppKey("portal_database", Database)
LOGIN_LIMITER = web.AppKey("portal_login_limiter", LoginLimiter)
LOGIN = web.AppKey("portal_login", PortalLogin)
