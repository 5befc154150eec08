"""Accounts through the public API: the assistant answers from what the firm sends."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from actions.accounts import ActionAccountInfo
from actions.database import use_database
from bot.db import Account, Database, TenantRef, find_account
from bot.db.models import Conversation
from tests.actions.actions_harness import conversation, run, user

from .conftest import KeyMaker, bearer

ACCOUNTS = "/api/v1/firm/accounts"
NEW = {
    "name": "Kari Nordmann", "email": "kari@example.no", "phone": "+47 912 34 567", "postcode": "0150",
    "plan": "Fastpris", "amount_due": "310.00",
}


async def balance_told(database: Database, number: str) -> list[str]:
    use_database(database)
    try:
        outcome = await run(ActionAccountInfo(), conversation(
            user("how much do I owe", "check_balance"),
            slots={"verified": True, "account_number": number, "customer_name": "Kari"}))
    finally:
        use_database(None)
    return outcome.texts


async def test_done_when_an_account_updated_through_the_api_is_what_the_assistant_answers(
    api: TestClient, issue_key: KeyMaker, database: Database
) -> None:
    key = await issue_key("nordlys", "accounts:write")
    before = await balance_told(database, "10000001")

    response = await api.put(f"{ACCOUNTS}/10000001", headers=bearer(key), json={
        **NEW, "name": "Ola Nordmann", "amount_due": "99.90"})

    assert before == ["The amount due on your account is 1,249.50 NOK."]
    assert response.status == 200  # replaced
    assert (await response.json())["amount_due"] == "99.90"
    assert await balance_told(database, "10000001") == ["The amount due on your account is 99.90 NOK."]


async def test_put_is_an_idempotent_upsert(api: TestClient, issue_key: KeyMaker, database: Database,
                                           nordlys: TenantRef) -> None:
    key = await issue_key("nordlys", "accounts:write")

    first = await api.put(f"{ACCOUNTS}/10009999", headers=bearer(key), json=NEW)
    second = await api.put(f"{ACCOUNTS}/10009999", headers=bearer(key), json=NEW)

    assert (first.status, second.status) == (201, 200)
    assert await first.json() == await second.json()
    async with database.sessionmaker() as session:
        rows = (await session.scalars(select(Account).where(
            Account.tenant_id == nordlys.id, Account.account_number == "10009999"))).all()
    assert len(rows) == 1


async def test_a_bad_account_is_refused_field_by_field(api: TestClient, issue_key: KeyMaker) -> None:
    key = await issue_key("nordlys", "accounts:write")

    shape = await api.put(f"{ACCOUNTS}/10009999", headers=bearer(key), json={**NEW, "amount_due": 12.5})
    content = await api.put(f"{ACCOUNTS}/10009999", headers=bearer(key), json={**NEW, "email": "no-at-sign.example"})
    number = await api.put(f"{ACCOUNTS}/1234", headers=bearer(key), json=NEW)

    assert shape.status == 400 and "body.amount_due" in (await shape.json())["error"]["message"]
    assert content.status == 422
    assert (await content.json())["error"]["details"] == [
        {"index": 0, "account_number": "10009999", "field": "email", "reason": "not an e-mail address"}]
    assert number.status == 400 and "path.account_number" in (await number.json())["error"]["message"]


async def test_a_batch_is_all_or_nothing_with_a_report_of_every_bad_row(
    api: TestClient, issue_key: KeyMaker, database: Database, nordlys: TenantRef
) -> None:
    key = await issue_key("nordlys", "accounts:write")
    good = [{**NEW, "account_number": f"1100{i:04d}"} for i in range(5)]
    bad = [*good, {**NEW, "account_number": "11000099", "phone": "call me"},
           {**NEW, "account_number": "11000001", "amount_due": "3.50"}]

    refused = await api.post(f"{ACCOUNTS}/batch", headers=bearer(key), json={"accounts": bad})
    async with database.sessionmaker() as session:
        stored_after_refusal = await find_account(session, nordlys, "11000000")
    accepted = await api.post(f"{ACCOUNTS}/batch", headers=bearer(key), json={"accounts": good})
    again = await api.post(f"{ACCOUNTS}/batch", headers=bearer(key), json={"accounts": good})

    assert refused.status == 422
    details = (await refused.json())["error"]["details"]
    assert [(d["index"], d["field"]) for d in details] == [(5, "phone"), (6, "account_number")]
    assert stored_after_refusal is None
    assert await accepted.json() == {"created": 5, "updated": 0}
    assert await again.json() == {"created": 0, "updated": 5}
    assert await balance_told(database, "11000003") == ["The amount due on your account is 310.00 NOK."]


async def test_a_batch_holds_at_most_a_thousand_accounts(api: TestClient, issue_key: KeyMaker) -> None:
    key = await issue_key("nordlys", "accounts:write")
    rows = [{**NEW, "account_number": f"12{i:06d}"} for i in range(1001)]

    too_many = await api.post(f"{ACCOUNTS}/batch", headers=bearer(key), json={"accounts": rows})
    most = await api.post(f"{ACCOUNTS}/batch", headers=bearer(key), json={"accounts": rows[:1000]})

    assert too_many.status == 400 and "at most 1000" in (await too_many.json())["error"]["message"]
    assert await most.json() == {"created": 1000, "updated": 0}


async def test_a_deleted_account_is_gone_from_answers_and_from_the_agents_card(
    api: TestClient, issue_key: KeyMaker, database: Database, nordlys: TenantRef
) -> None:
    key = await issue_key("nordlys", "accounts:write")
    async with database.sessionmaker.begin() as session:
        account = await find_account(session, nordlys, "10000003")
        assert account is not None
        session.add(Conversation(id="conv-api-delete", tenant_id=nordlys.id, language="en",
                                 verified_account_id=account.id, verified_by="site"))

    deleted = await api.delete(f"{ACCOUNTS}/10000003", headers=bearer(key))
    again = await api.delete(f"{ACCOUNTS}/10000003", headers=bearer(key))

    assert deleted.status == 204
    assert again.status == 404
    assert await balance_told(database, "10000003") == [
        "Sorry, I can't find your account any more. Ask for a person and a colleague will help you."
    ]
    async with database.sessionmaker() as session:
        chat = await session.get(Conversation, "conv-api-delete")
        # The console's account card is built from the conversation's verified account.
        assert chat is not None and chat.verified_account_id is None
