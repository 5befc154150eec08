"""The portal's edge for browsers: errors become pages, a signed-out visitor goes to sign-in.

Scripts (anything that does not ask for HTML) get the gateway's JSON errors instead:
this middleware re-raises for them and the gateway's error middleware answers.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.gateway.errors import GatewayError
from bot.portal.errors import NotSignedIn
from bot.portal.pages import render_page

LOGIN_PATH = "/portal/login"


def wants_html(request: web.Request) -> bool:
    return "text/html" in request.headers.get("Accept", "")


@web.middleware
async def portal_error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotSignedIn:
        if not wants_html(request):
            raise
        target = request.path if request.method == "GET" else "/portal/"
        raise web.HTTPSeeOther(f"{LOGIN_PATH}?next={quote(target, safe='/')}") from None
    except GatewayError as error:
        if not wants_html(request):
            raise
        return _error_page(request, error.status, error.message)
    except web.HTTPException as error:
        if error.status < 400 or not wants_html(request):
            raise
        return _error_page(request, error.status, error.reason)


def _error_page(request: web.Request, status: int, message: str) -> web.Response:
    return render_page(
        request, "error.html", access=None, title=f"{status}", status=status, message=message
    )
