"""The console's HTML pages (static files: no inline code, so the strict CSP applies)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"


def _page(name: str) -> web.FileResponse:
    response = web.FileResponse(STATIC_DIR / name)
    response.headers["Cache-Control"] = "no-store"
    response.content_type = "text/html"
    return response


async def console_page(request: web.Request) -> web.FileResponse:
    """The console; its script sends a logged-out visitor to the login page."""
    return _page("console.html")


async def login_page(request: web.Request) -> web.FileResponse:
    return _page("login.html")
