"""`python -m bot.gateway`: serve the gateway with settings from the environment."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from bot.gateway import Settings, SettingsError, create_app


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"gateway: {error}", file=sys.stderr)
        return 2
    # access_log=None: aiohttp's access log prints full paths (conversation ids);
    # our request log prints route patterns instead.
    web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
