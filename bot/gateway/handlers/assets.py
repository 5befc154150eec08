"""GET /widget.js: the embeddable widget, cached by browsers and revalidated by ETag."""

from __future__ import annotations

from aiohttp import web

from bot.gateway.errors import ServiceUnavailable
from bot.gateway.keys import WIDGET_JS

# Short: the URL is not versioned, so a new widget must reach pages soon; the ETag
# makes the revalidation cheap.
WIDGET_CACHE_CONTROL = "public, max-age=300"


async def widget_js(request: web.Request) -> web.Response:
    try:
        asset = request.app[WIDGET_JS].current()
    except FileNotFoundError:
        raise ServiceUnavailable("The chat widget is not installed on this server.") from None
    headers = {
        "ETag": asset.etag,
        "Cache-Control": WIDGET_CACHE_CONTROL,
        # Pages of any client firm load it; a script tag needs no CORS, but COEP pages need this.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if asset.etag in _etags(request.headers.get("If-None-Match", "")):
        return web.Response(status=304, headers=headers)
    return web.Response(
        body=asset.body, headers=headers, content_type="text/javascript", charset="utf-8"
    )


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
