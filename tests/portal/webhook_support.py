"""Seeding a tenant's webhook endpoint with one delivery, for the portal's webhook pages."""

from __future__ import annotations

from bot.db import Database, tenant_ref
from bot.db import webhooks as data


async def seed_endpoint_with_delivery(database: Database, slug: str) -> dict[str, int]:
    """An endpoint of `slug` (ticket events) and one pending delivery to it: {"endpoint_id", "delivery_id"}."""
    async with database.sessionmaker.begin() as session:
        tenant = await tenant_ref(session, slug)
        assert tenant is not None
        endpoint, _secret = await data.add_endpoint(
            session, tenant.id, f"https://hooks.{slug}.example/in", ["ticket.created"])
        await data.record_event(session, tenant.id, "ticket.created", {"ticket": {"reference": "T-1"}})
        [delivery] = await data.list_deliveries(session, tenant.id, endpoint_id=endpoint.id, limit=1)
        return {"endpoint_id": endpoint.id, "delivery_id": delivery.id}
