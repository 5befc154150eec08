"""GET /demo/{slug}: a client firm's demo website with the widget embedded.

With ?signed_in=1 the gateway plays the client firm's own server: it signs the
demo customer's id with the tenant's identity secret. Only the resulting hash
reaches the page, never the secret.
"""

from __future__ import annotations

from html import escape
from string import Template

from aiohttp import web

from bot.gateway.errors import NotFound, ServiceUnavailable
from bot.gateway.identity import sign_user_id
from bot.gateway.keys import DATABASE, DEMO_TEMPLATE, SETTINGS
from bot.gateway.tenant_context import TenantContext, load_tenant


def demo_customer_number(slug: str) -> str | None:
    """The account number of the demo firm's documented demo customer (bot.demo)."""
    from bot.demo.firms import FIRMS  # demo data: loaded when a demo page is first asked for

    return next((firm.demo_customer.account_number for firm in FIRMS if firm.slug == slug), None)


async def demo_page(request: web.Request) -> web.Response:
    async with request.app[DATABASE].sessionmaker() as session:
        tenant = await load_tenant(session, request.match_info["slug"])
    user_id = None
    if request.query.get("signed_in") == "1":
        user_id = demo_customer_number(tenant.slug)
        if user_id is None:
            raise NotFound("This company has no demo customer to sign in as.")
    try:
        template = Template(request.app[DEMO_TEMPLATE].current().text)
    except FileNotFoundError:
        raise ServiceUnavailable("The demo page is not installed on this server.") from None
    html = template.safe_substitute(
        tenant_name=escape(tenant.name),
        tenant_slug=escape(tenant.slug),
        trade=escape(tenant.trade),
        brand_color=escape(str(tenant.branding.get("color") or "#333333")),
        embed=embed_snippet(request.app[SETTINGS].public_url, tenant, user_id),
    )
    return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})


def embed_snippet(public_url: str, tenant: TenantContext, user_id: str | None) -> str:
    """The script tag a client firm puts on its pages; signed for `user_id` when given."""
    attributes = [f'src="{escape(public_url)}/widget.js"', f'data-tenant="{escape(tenant.slug)}"']
    if user_id is not None:
        user_hash = sign_user_id(tenant.identity_secret, user_id)
        attributes += [f'data-user-id="{escape(user_id)}"', f'data-user-hash="{user_hash}"']
    return f"<script {' '.join(attributes)} async></script>"
