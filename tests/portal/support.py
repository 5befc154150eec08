"""A scripted browser for the portal tests: its own cookie jar, forms posted like a browser's."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')
HTML = {"Accept": "text/html,application/xhtml+xml"}


def csrf_of(html: str) -> str:
    match = CSRF_META.search(html)
    assert match is not None, "the page has no csrf-token meta tag"
    return match.group(1)


class PortalBrowser:
    """One person's browser on the portal. `csrf` is read from the page after signing in."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    async def sign_in(self, email: str, password: str) -> aiohttp.ClientResponse:
        """Posts the sign-in form; on success follows to the landing page and keeps its CSRF token."""
        response = await self.http.post(
            self.url("/portal/login"),
            data={"email": email, "password": password, "next": "/portal/"},
            headers=HTML,
            allow_redirects=False,
        )
        if response.status == 303:
            landing = await self.get("/portal/")
            self.csrf = csrf_of(await landing.text())
        return response

    async def get(self, path: str, *, html: bool = True, **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.http.get(self.url(path), headers=HTML if html else {}, **kwargs)

    async def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        *,
        csrf: str | None = None,
        html: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> aiohttp.ClientResponse:
        """A form post with the session's CSRF token (csrf="" sends none, another value a wrong one)."""
        form = dict(data or {})
        token = self.csrf if csrf is None else csrf
        if token:
            form["csrf_token"] = token
        sent = {**(HTML if html else {}), **(headers or {})}
        return await self.http.post(self.url(path), data=form, headers=sent, allow_redirects=False, **kwargs)

    async def close(self) -> None:
        await self.http.close()
