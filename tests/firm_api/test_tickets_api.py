"""Tickets through the public API: list with filters and cursors, get, create, move, reply."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.db import Database, TenantRef, Ticket
from tests.actions.actions_harness import conversation, run, user

from actions.database import use_database
from actions.tickets import ActionTicketStatus

from .conftest import KeyMaker, bearer

TICKETS = "/api/v1/firm/tickets"
OLA = {"verified": True, "account_number": "10000001", "customer_name": "Ola Nordmann"}


async def all_pages(api: TestClient, key: str, query: str) -> list[dict]:
    seen, cursor = [], None
    while True:
        url = f"{TICKETS}?{query}" + (f"&cursor={cursor}" if cursor else "")
        response = await api.get(url, headers=bearer(key))
        assert response.status == 200, await response.text()
        page = await response.json()
        seen += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


async def test_pages_walk_every_ticket_of_the_tenant_once_newest_first(
    api: TestClient, issue_key: KeyMaker, database: Database, nordlys: TenantRef
) -> None:
    key = await issue_key("nordlys", "tickets:read")
    async with database.sessionmaker() as session:
        expected = list(await session.scalars(
            select(Ticket.reference).where(Ticket.tenant_id == nordlys.id).order_by(Ticket.id.desc())
        ))

    walked = await all_pages(api, key, "limit=2")

    assert [t["reference"] for t in walked] == expected
    assert len(expected) > 2  # more than one page was walked


async def test_filters_combine(api: TestClient, issue_key: KeyMaker) -> None:
    key = await issue_key("nordlys", "tickets:read")
    everything = await all_pages(api, key, "limit=100")
    status = everything[0]["status"]

    by_status = await all_pages(api, key, f"status={status}")
    by_both = await all_pages(api, key, f"status={status}&category={everything[0]['category']}")
    in_future = await all_pages(api, key, "since=2999-01-01T00:00:00Z")

    assert by_status and all(t["status"] == status for t in by_status)
    assert {t["reference"] for t in by_both} <= {t["reference"] for t in by_status}
    assert all(t["category"] == everything[0]["category"] for t in by_both)
    assert in_future == []


async def test_a_bad_filter_or_cursor_is_a_clear_400(api: TestClient, issue_key: KeyMaker) -> None:
    key = await issue_key("nordlys", "tickets:read")

    for query, field in (("status=lost", "query.status"), ("limit=0", "query.limit"),
                         ("since=yesterday", "query.since"), ("cursor=bm9wZQ", "query.cursor"),
                         ("stauts=open", "query.stauts: unknown parameter"), ("status=open&status=closed", "query.status")):
        response = await api.get(f"{TICKETS}?{query}", headers=bearer(key))
        body = await response.json()
        assert response.status == 400, query
        assert body["error"]["code"] == "invalid_request"
        assert field in body["error"]["message"]


async def test_create_then_get_a_ticket_with_redacted_text(api: TestClient, issue_key: KeyMaker) -> None:
    key = await issue_key("nordlys", "tickets:read", "tickets:write")

    created = await api.post(TICKETS, headers=bearer(key), json={
        "subject": "Meter replaced", "category": "technical", "priority": "high",
        "description": "Call the customer on +47 912 34 567 about it.", "account_number": "10000001",
    })
    ticket = await created.json()
    fetched = await (await api.get(f"{TICKETS}/{ticket['reference'].lower()}", headers=bearer(key))).json()

    assert created.status == 201
    assert ticket["reference"].startswith("NRD-") and ticket["status"] == "open"
    assert ticket["account_number"] == "10000001" and ticket["priority"] == "high"
    assert "912 34 567" not in ticket["description"]
    assert fetched == ticket


async def test_an_unknown_account_or_missing_field_creates_nothing(
    api: TestClient, issue_key: KeyMaker, database: Database
) -> None:
    key = await issue_key("nordlys", "tickets:write")
    async with database.sessionmaker() as session:
        before = len((await session.scalars(select(Ticket))).all())

    unknown = await api.post(TICKETS, headers=bearer(key), json={
        "subject": "x", "category": "billing", "account_number": "99999999"})
    missing = await api.post(TICKETS, headers=bearer(key), json={"subject": "x"})
    extra = await api.post(TICKETS, headers=bearer(key), json={"subject": "x", "category": "billing", "id": 1})
    not_json = await api.post(TICKETS, headers=bearer(key), data=b"{nope")

    assert [r.status for r in (unknown, missing, extra, not_json)] == [400, 400, 400, 400]
    assert "body.account_number" in (await unknown.json())["error"]["message"]
    assert "body.category: required" in (await missing.json())["error"]["message"]
    assert "body.id: unknown field" in (await extra.json())["error"]["message"]
    async with database.sessionmaker() as session:
        assert len((await session.scalars(select(Ticket))).all()) == before


async def test_status_moves_follow_the_lifecycle(api: TestClient, issue_key: KeyMaker) -> None:
    key = await issue_key("nordlys", "tickets:write")

    pending = await api.patch(f"{TICKETS}/NRD-1042", headers=bearer(key), json={"status": "pending"})
    resolved = await api.patch(f"{TICKETS}/NRD-1042", headers=bearer(key), json={"status": "resolved"})
    closed = await api.patch(f"{TICKETS}/NRD-1042", headers=bearer(key), json={"status": "closed"})
    reopened = await api.patch(f"{TICKETS}/NRD-1042", headers=bearer(key), json={"status": "open"})

    assert [(await r.json()).get("status") for r in (pending, resolved, closed)] == ["pending", "resolved", "closed"]
    assert reopened.status == 409
    assert (await reopened.json())["error"]["code"] == "transition_not_allowed"


async def test_done_when_the_customer_hears_the_update_when_asking_for_the_status(
    api: TestClient, issue_key: KeyMaker, database: Database
) -> None:
    key = await issue_key("nordlys", "tickets:write")
    await api.patch(f"{TICKETS}/NRD-1042", headers=bearer(key), json={"status": "pending"})
    replied = await api.post(f"{TICKETS}/NRD-1042/replies", headers=bearer(key),
                             json={"text": "The engineer comes on Tuesday; mail ola@example.no if that fails."})

    use_database(database)
    try:
        outcome = await run(ActionTicketStatus(), conversation(
            user("what's the status of NRD-1042", "ticket_status"), slots={"ticket_ref": "NRD-1042", **OLA}))
    finally:
        use_database(None)

    assert replied.status == 201
    assert (await replied.json())["public_reply"].startswith("The engineer comes on Tuesday")
    assert "is waiting on more information" in outcome.texts[0]
    assert outcome.responses == ["utter_ticket_status_with_subject", "utter_ticket_public_reply"]
    assert "The engineer comes on Tuesday" in outcome.texts[1]
    assert "ola@example.no" not in outcome.texts[1]  # redacted before it was stored


async def test_a_created_ticket_is_reported_to_its_customer_with_its_reply(
    api: TestClient, issue_key: KeyMaker, database: Database
) -> None:
    key = await issue_key("nordlys", "tickets:write")
    created = await (await api.post(TICKETS, headers=bearer(key), json={
        "subject": "Refund of double payment", "category": "billing", "account_number": "10000001"})).json()
    await api.post(f"{TICKETS}/{created['reference']}/replies", headers=bearer(key),
                   json={"text": "Refunded 200 NOK."})

    use_database(database)
    try:
        outcome = await run(ActionTicketStatus(), conversation(
            user(f"status of {created['reference']}", "ticket_status"),
            slots={"ticket_ref": created["reference"], **OLA}))
    finally:
        use_database(None)

    assert outcome.texts[0].startswith(f'Ticket {created["reference"]} ("Refund of double payment") is open.')
    assert outcome.texts[1].endswith('"Refunded 200 NOK."')


async def test_ticket_changes_through_the_api_are_audited_with_the_key(
    api: TestClient, issue_key: KeyMaker, database: Database, nordlys: TenantRef
) -> None:
    from bot.db.models import ApiKey, AuditEntry

    key = await issue_key("nordlys", "tickets:write")
    created = await (await api.post(TICKETS, headers=bearer(key), json={"subject": "Audit me", "category": "other"})).json()
    await api.patch(f"{TICKETS}/{created['reference']}", headers=bearer(key), json={"status": "resolved"})
    await api.post(f"{TICKETS}/{created['reference']}/replies", headers=bearer(key), json={"text": "Done."})

    async with database.sessionmaker() as session:
        key_id = (await session.scalars(select(ApiKey.id))).one()
        entries = (await session.execute(
            select(AuditEntry.action, AuditEntry.actor_kind, AuditEntry.actor_id, AuditEntry.tenant_id, AuditEntry.details)
            .where(AuditEntry.target_id == created["reference"]).order_by(AuditEntry.id))).all()

    assert [tuple(e) for e in entries] == [
        ("ticket.opened", "api_key", key_id, nordlys.id, {}),
        ("ticket.status_changed", "api_key", key_id, nordlys.id, {"to": "resolved"}),
        ("ticket.replied", "api_key", key_id, nordlys.id, {}),
    ]
