"""The website chat gateway: widget.js, the widget's REST API and WebSocket, demo pages.

`create_app(Settings.from_env())` builds the aiohttp application; `python -m bot.gateway` runs it.
"""

from typing import TYPE_CHECKING, Any

from bot.gateway.settings import Settings, SettingsError

if TYPE_CHECKING:
    from bot.gateway.app import create_app

__all__ = ["Settings", "SettingsError", "create_app"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the app imports the console, and the console imports leaf
    # modules of this package (errors, protocol); importing the package must not pull both.
    if name == "create_app":
        from bot.gateway.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
