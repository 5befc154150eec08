"""Security headers on every response (a response_prepare hook, so WebSocket upgrades and
responses prepared inside handlers get them as well as ordinary ones)."""

from __future__ import annotations

from aiohttp import web

from bot.gateway.keys import SETTINGS


def content_security_policy(public_url: str) -> str:
    """Strict: no inline script, nothing from elsewhere; the widget may talk to the gateway."""
    websocket = public_url.replace("http", "ws", 1)
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            # The widget styles its shadow root with a constructable stylesheet.
            "style-src 'self'",
            "img-src 'self' data: https:",  # a tenant's avatar may live on its own site
            f"connect-src 'self' {public_url} {websocket}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers["Server"] = "bpo-gateway"  # not aiohttp's default, which names exact versions
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if response.content_type == "text/html":
        headers["Content-Security-Policy"] = content_security_policy(
            request.config_dict[SETTINGS].public_url
        )
        headers["X-Frame-Options"] = "DENY"
