"""The portal's Webhooks page: a firm manages its own endpoints (issue #14).

Through the same use cases as the CLI and the admin API: their validation, their audit
entries (who = the portal user). A secret appears once, in the answer that made it.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.db import Database, tenant_ref
from bot.db import webhooks as data
from bot.db.models import AuditEntry, PortalUser, WebhookDelivery, WebhookEndpoint

from .conftest import NORDLYS_ADMIN
from .webhook_support import seed_endpoint_with_delivery

PAGE = "/portal/t/nordlys/webhooks"
SECRET = re.compile(r"whsec_[A-Za-z0-9_\-]+")


async def _endpoints(database: Database, slug: str = "nordlys") -> list[WebhookEndpoint]:
    async with database.sessionmaker() as session:
        tenant = await tenant_ref(session, slug)
        assert tenant is not None
        return await data.list_endpoints(session, tenant.id)


async def _endpoint(database: Database, endpoint_id: int) -> WebhookEndpoint:
    async with database.sessionmaker() as session:
        found = await session.get(WebhookEndpoint, endpoint_id)
        assert found is not None
        return found


async def _changes(database: Database) -> list[AuditEntry]:
    async with database.sessionmaker() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.target_kind == "webhook_endpoint").order_by(AuditEntry.id))
        return list(rows)


async def test_registering_shows_the_secret_once_and_never_again(firm_admin, portal_db):
    response = await firm_admin.post(PAGE, {"url": "https://hooks.nordlys.example/tickets",
                                            "events": "ticket.created"})
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    shown = SECRET.findall(await response.text())
    [endpoint] = await _endpoints(portal_db)
    assert shown and set(shown) == {endpoint.secret}
    assert (endpoint.url, endpoint.events, endpoint.enabled) == (
        "https://hooks.nordlys.example/tickets", ["ticket.created"], True)

    listing = await (await firm_admin.get(PAGE)).text()
    assert "https://hooks.nordlys.example/tickets" in listing and "ticket.created" in listing
    assert endpoint.secret not in listing and not SECRET.search(listing)

    [change] = await _changes(portal_db)
    async with portal_db.sessionmaker() as session:
        admin = await session.scalar(select(PortalUser).where(PortalUser.email == NORDLYS_ADMIN))
    assert (change.actor_kind, change.actor_id, change.actor_role) == ("portal_user", admin.id, "admin")
    assert change.details["change"] == "webhook.added" and change.target_id == str(endpoint.id)


async def test_bad_input_comes_back_with_the_field_error_and_nothing_is_stored(firm_admin, portal_db):
    for url, problem in (("http://hooks.nordlys.example/in", "https"),
                         ("https://10.0.0.5/in", "10.0.0.5"),
                         ("https://127.0.0.1/in", "127.0.0.1")):
        response = await firm_admin.post(PAGE, {"url": url, "events": "ticket.created"})
        page = await response.text()
        assert response.status == 400, url
        assert 'id="e-url"' in page and problem in page and f'value="{url}"' in page
    response = await firm_admin.post(PAGE, {"url": "https://hooks.nordlys.example/in"})  # no event ticked
    assert response.status == 400 and 'id="e-events"' in await response.text()
    assert await _endpoints(portal_db) == [] and await _changes(portal_db) == []


async def test_a_viewer_sees_the_endpoints_but_is_refused_every_change(firm_viewer, portal_db):
    ids = await seed_endpoint_with_delivery(portal_db, "nordlys")
    page = await (await firm_viewer.get(PAGE)).text()
    assert "https://hooks.nordlys.example/in" in page and "Register an endpoint" not in page
    assert "/rotate" not in page and "/redeliver" not in page
    endpoint = ids["endpoint_id"]
    for path, form in ((PAGE, {"url": "https://hooks.nordlys.example/x", "events": "ticket.created"}),
                       (f"{PAGE}/{endpoint}/rotate", {"overlap_hours": "1"}),
                       (f"{PAGE}/{endpoint}/enabled", {"enabled": "no"}),
                       (f"{PAGE}/{endpoint}/delete", {}),
                       (f"{PAGE}/deliveries/{ids['delivery_id']}/redeliver", {})):
        assert (await firm_viewer.post(path, form)).status == 403, path
    [unchanged] = await _endpoints(portal_db)
    assert unchanged.enabled and await _changes(portal_db) == []


async def test_another_tenants_endpoint_is_not_found(firm_admin, portal_db):
    theirs = await seed_endpoint_with_delivery(portal_db, "fjordnett")
    before = await _endpoint(portal_db, theirs["endpoint_id"])
    for path, form in ((f"{PAGE}/{theirs['endpoint_id']}/rotate", {"overlap_hours": "1"}),
                       (f"{PAGE}/{theirs['endpoint_id']}/enabled", {"enabled": "no"}),
                       (f"{PAGE}/{theirs['endpoint_id']}/events", {"events": "ticket.updated"}),
                       (f"{PAGE}/{theirs['endpoint_id']}/delete", {}),
                       (f"{PAGE}/deliveries/{theirs['delivery_id']}/redeliver", {})):
        assert (await firm_admin.post(path, form)).status == 404, path
    after = await _endpoint(portal_db, theirs["endpoint_id"])
    assert (after.secret, after.enabled, after.events) == (before.secret, before.enabled, before.events)
    assert await _changes(portal_db) == []


async def test_rotating_shows_the_new_secret_once_and_the_old_one_overlaps(firm_admin, portal_db):
    endpoint_id = (await seed_endpoint_with_delivery(portal_db, "nordlys"))["endpoint_id"]
    old = (await _endpoint(portal_db, endpoint_id)).secret
    response = await firm_admin.post(f"{PAGE}/{endpoint_id}/rotate", {"overlap_hours": "2"})
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    rotated = await _endpoint(portal_db, endpoint_id)
    assert rotated.secret != old and rotated.previous_secret == old
    assert set(SECRET.findall(await response.text())) == {rotated.secret}
    listing = await (await firm_admin.get(PAGE)).text()
    assert "previous secret still signs until" in listing and not SECRET.search(listing)

    bad = await firm_admin.post(f"{PAGE}/{endpoint_id}/rotate", {"overlap_hours": "500"})
    assert bad.status == 400 and "0 to 168" in await bad.text()
    assert (await _endpoint(portal_db, endpoint_id)).secret == rotated.secret


async def test_events_enable_disable_and_delete(firm_admin, portal_db):
    endpoint_id = (await seed_endpoint_with_delivery(portal_db, "nordlys"))["endpoint_id"]
    changed = await firm_admin.post(f"{PAGE}/{endpoint_id}/events", {"events": "conversation.escalated"})
    assert changed.status == 303
    assert (await _endpoint(portal_db, endpoint_id)).events == ["conversation.escalated"]
    unknown = await firm_admin.post(f"{PAGE}/{endpoint_id}/events", {"events": "nonsense"})
    assert unknown.status == 400 and "unknown event types" in await unknown.text()

    assert (await firm_admin.post(f"{PAGE}/{endpoint_id}/enabled", {"enabled": "no"})).status == 303
    assert not (await _endpoint(portal_db, endpoint_id)).enabled
    assert "Disabled" in await (await firm_admin.get(f"{PAGE}?disabled=1")).text()
    assert (await firm_admin.post(f"{PAGE}/{endpoint_id}/enabled", {"enabled": "yes"})).status == 303
    assert (await _endpoint(portal_db, endpoint_id)).enabled

    assert (await firm_admin.post(f"{PAGE}/{endpoint_id}/delete")).status == 303
    assert await _endpoints(portal_db) == []
    assert [c.details["change"] for c in await _changes(portal_db)] == [
        "webhook.events_changed", "webhook.disabled", "webhook.enabled", "webhook.removed"]


async def test_a_failing_endpoint_says_so_and_a_delivery_can_be_sent_again(firm_admin, portal_db):
    ids = await seed_endpoint_with_delivery(portal_db, "nordlys")
    async with portal_db.sessionmaker.begin() as session:
        endpoint = await session.get(WebhookEndpoint, ids["endpoint_id"])
        endpoint.enabled, endpoint.disabled_reason = False, f"{data.DISABLED_FOR_FAILING} for 3 days; fix it"
        delivery = await session.get(WebhookDelivery, ids["delivery_id"])
        delivery.status, delivery.attempts, delivery.last_status_code = "failed", 8, 500
    page = await (await firm_admin.get(PAGE)).text()
    assert f"Disabled because {data.DISABLED_FOR_FAILING} for 3 days" in page
    assert f'id="delivery-{ids["delivery_id"]}"' in page and "failed" in page

    response = await firm_admin.post(f"{PAGE}/deliveries/{ids['delivery_id']}/redeliver")
    assert response.status == 303 and response.headers["Location"].endswith("?redelivered=1")
    async with portal_db.sessionmaker() as session:
        again = await session.get(WebhookDelivery, ids["delivery_id"])
        assert again is not None and again.status == "pending"
    [change] = await _changes(portal_db)
    assert change.details["change"] == "webhook.redelivered" and change.details["delivery"] == ids["delivery_id"]
