"""The tenant-isolation matrix over every portal endpoint of a tenant (/portal/t/{slug}/...).

Every area adds its endpoints to PORTAL_ENDPOINTS (one line each); the last test fails
when the portal has a tenant route this list does not name.

For each endpoint:
- signed out: 401 for scripts, a redirect to sign-in for a browser's GET;
- a firm user of another tenant: 404, the same as a tenant that does not exist;
- a viewer: 403 on writes (and on pages for writers only); an admin without the CSRF token: 403;
- a BPO supervisor: any tenant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.gateway import Settings, create_app


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # under /portal/t/{slug}/
    write: bool = False
    writers_only: bool = False  # a read viewers may not open either
    form: dict[str, str] = field(default_factory=dict)  # a valid body for a write
    route: str = ""  # the route's pattern when path fills in its parts (settings/faq/{key}/{language})

    def url(self, slug: str) -> str:
        # Paths with {message_id} / {annotation_id} name a row of that tenant (tenant_rows below).
        return f"/portal/t/{slug}/{self.path}".format(**TENANT_ROWS.get(slug, NO_ROWS))

    def __str__(self) -> str:
        return f"{self.method} {self.path or '/'}"


PORTAL_ENDPOINTS = [
    Endpoint("GET", ""),
    Endpoint("GET", "users", writers_only=True),
    Endpoint("POST", "users/invite", write=True, form={"email": "new.person@nordlys.example", "role": "viewer"}),
    Endpoint("POST", "users/{user_id}/role", write=True, form={"role": "admin"}),
    Endpoint("POST", "users/{user_id}/remove", write=True),
    Endpoint("GET", "review"),
    Endpoint("GET", "review/messages/{message_id}"),
    Endpoint("POST", "review/messages/{message_id}/mark", write=True, form={"choice": "intent:check_balance"}),
    Endpoint("POST", "review/annotations/{annotation_id}/remove", write=True),
    # settings (bot/portal/settings_routes.py)
    Endpoint("GET", "settings"),
    Endpoint("POST", "settings/identity-secret", write=True, form={"confirm": "yes"}),
    Endpoint("GET", "settings/changes"),
    Endpoint("GET", "settings/faq"),
    Endpoint("GET", "settings/faq/opening_hours/en", route="settings/faq/{key}/{language}"),
    Endpoint("POST", "settings/faq/opening_hours/en", write=True, form={"answer": "Open 07-17."},
             route="settings/faq/{key}/{language}"),
    Endpoint("POST", "settings/faq/opening_hours/nb/preview", write=True, form={"answer": "Åpent 7-17."},
             route="settings/faq/{key}/{language}/preview"),
    Endpoint("GET", "settings/branding"),
    Endpoint("POST", "settings/branding", write=True, form={"color": "#1a4d2e", "title": "Hjelp"}),
    Endpoint("POST", "settings/branding/preview", write=True, form={"color": "#1a4d2e", "title": "Hjelp"}),
    Endpoint("GET", "settings/origins"),
    Endpoint("POST", "settings/origins", write=True, form={"allowed_origins": "https://www.example.no"}),
    Endpoint("GET", "settings/hours"),
    Endpoint("POST", "settings/hours", write=True, form={"time_zone": "Europe/Oslo", "mon": "08:00-16:00"}),
    Endpoint("GET", "reports"),
    *(
        Endpoint("GET", f"reports/{name}.csv")
        for name in ("conversations", "handoffs", "times", "agent_hours", "csat", "intents", "faq", "fallbacks")
    ),
    # webhooks (bot/portal/webhooks_routes.py)
    Endpoint("GET", "webhooks"),
    Endpoint("POST", "webhooks", write=True, form={"url": "https://hooks.example.no/in", "events": "ticket.created"}),
    Endpoint("POST", "webhooks/{endpoint_id}/events", write=True, form={"events": "ticket.updated"}),
    Endpoint("POST", "webhooks/{endpoint_id}/enabled", write=True, form={"enabled": "no"}),
    Endpoint("POST", "webhooks/{endpoint_id}/rotate", write=True, form={"overlap_hours": "1"}),
    Endpoint("POST", "webhooks/{endpoint_id}/delete", write=True),
    Endpoint("POST", "webhooks/deliveries/{delivery_id}/redeliver", write=True),
]

# Ids of rows each tenant owns, for the paths that name one: filled per test by tenant_rows.
TENANT_ROWS: dict[str, dict[str, int]] = {}
NO_ROWS = {"message_id": 1, "annotation_id": 1, "endpoint_id": 1, "delivery_id": 1, "user_id": 1}


@pytest.fixture(autouse=True)
async def tenant_rows(portal_db):
    """In every demo tenant: a conversation with a customer message, marked by a reviewer,
    a webhook endpoint with one delivery, and its viewer (a user another may change)."""
    from sqlalchemy import select

    from bot.db.models import PortalUser
    from tests.portal.webhook_support import seed_endpoint_with_delivery
    from tests.review.support import seed_marked_message

    for slug in ("nordlys", "fjordnett", "lighthouse"):
        async with portal_db.sessionmaker() as session:
            viewer = await session.scalar(select(PortalUser.id).where(PortalUser.email == f"viewer@{slug}.example"))
        TENANT_ROWS[slug] = {**await seed_marked_message(portal_db, slug),
                             **await seed_endpoint_with_delivery(portal_db, slug),
                             "user_id": viewer}
    yield
    TENANT_ROWS.clear()

ENDPOINTS = pytest.mark.parametrize("endpoint", PORTAL_ENDPOINTS, ids=str)


async def _call(person, endpoint: Endpoint, slug: str, *, html: bool = False, csrf: str | None = None):
    if endpoint.method == "GET":
        return await person.get(endpoint.url(slug), html=html, allow_redirects=False)
    return await person.post(endpoint.url(slug), endpoint.form, html=html, csrf=csrf)


@ENDPOINTS
async def test_signed_out_gets_401_or_the_sign_in_page(browser, endpoint):
    visitor = browser()
    assert (await _call(visitor, endpoint, "nordlys")).status == 401
    if endpoint.method == "GET":
        page = await _call(visitor, endpoint, "nordlys", html=True)
        assert page.status == 303 and page.headers["Location"].startswith("/portal/login?next=")


@ENDPOINTS
async def test_firm_user_of_another_tenant_gets_404(other_firm_admin, endpoint):
    for slug in ("nordlys", "lighthouse"):
        response = await _call(other_firm_admin, endpoint, slug)
        assert response.status == 404, (slug, response.status)
        assert (await response.json())["error"]["code"] == "not_found"


@ENDPOINTS
async def test_unknown_tenant_is_404_for_everyone(firm_admin, supervisor, endpoint):
    for person in (firm_admin, supervisor):
        assert (await _call(person, endpoint, "no-such-firm")).status == 404


@ENDPOINTS
async def test_viewer_may_read_but_not_write(firm_viewer, endpoint):
    response = await _call(firm_viewer, endpoint, "nordlys")
    if endpoint.write or endpoint.writers_only:
        assert response.status == 403
    else:
        assert response.status == 200


@ENDPOINTS
async def test_writes_without_the_csrf_token_are_refused(firm_admin, endpoint):
    if not endpoint.write:
        pytest.skip("a read")
    assert (await _call(firm_admin, endpoint, "nordlys", csrf="")).status == 403
    assert (await _call(firm_admin, endpoint, "nordlys", csrf="forged")).status == 403


@ENDPOINTS
async def test_own_admin_and_supervisor_get_through(firm_admin, supervisor, endpoint):
    def got_through(status: int) -> bool:
        # A form may answer 303 to its result page (post/redirect/get); a refusal is 4xx.
        return status < 300 or (endpoint.write and status == 303)

    assert got_through((await _call(firm_admin, endpoint, "nordlys")).status)
    if endpoint.write:  # the same form twice would be a duplicate: the supervisor writes elsewhere
        response = await _call(supervisor, endpoint, "fjordnett")
    else:
        response = await _call(supervisor, endpoint, "lighthouse")
    assert got_through(response.status)


def test_the_matrix_names_every_tenant_route_of_the_portal(settings: Settings):
    gateway = create_app(settings)
    portal = next(
        resource._app for resource in gateway.router.resources()  # noqa: SLF001 - the mounted sub-app
        if getattr(resource, "canonical", "") == "/portal"
    )
    routes = {
        (route.method, route.resource.canonical)
        for route in portal.router.routes()
        if route.resource is not None and "{tenant_slug}" in route.resource.canonical and route.method != "HEAD"
    }
    listed = {(e.method, f"/portal/t/{{tenant_slug}}/{e.route or e.path}") for e in PORTAL_ENDPOINTS}
    # "/t/{tenant_slug}" without the slash only redirects to the dashboard.
    unlisted = {r for r in routes if r not in listed and r[1] != "/portal/t/{tenant_slug}"}
    assert not unlisted, f"add these to PORTAL_ENDPOINTS: {sorted(unlisted)}"


