"""The website chat gateway: widget.js, the widget's REST API and WebSocket, demo pages.

`create_app(Settings.from_env())` builds the aiohttp application; `python -m bot.gateway` runs it.
"""

from bot.gateway.app import create_app
from bot.gateway.settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError", "create_app"]
