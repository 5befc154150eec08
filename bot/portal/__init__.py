"""The client firm's portal (/portal): firm users sign in, see reports, review conversations
and change their own settings. `create_portal_app` is the only thing the gateway uses."""

from bot.portal.app import PortalDeps, create_portal_app
from bot.portal.settings import PortalSettings

__all__ = ["PortalDeps", "PortalSettings", "create_portal_app"]
