"""Who the customer is (signed by the client firm's server); what is never shown or stored."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from bot.db import Database
from bot.db.models import Account, Conversation
from bot.gateway.identity import sign_user_id

from .support import ALLOWED_ORIGIN, DEMO_CUSTOMER, FakeRasa, identity_secret, new_client_id


async def test_signed_user_id_of_an_existing_account_makes_the_conversation_verified(
    connect, database: Database, fake_rasa: FakeRasa
) -> None:
    user_hash = sign_user_id(await identity_secret(database, "nordlys"), DEMO_CUSTOMER)
    widget = await connect("nordlys")
    welcome = await widget.hello(user_id=DEMO_CUSTOMER, user_hash=user_hash)
    await widget.say("what do I owe?", new_client_id())
    await widget.next_of("message", role="bot")

    assert welcome["verified"] is True
    assert fake_rasa.answered[0]["metadata"]["verified_account"] == DEMO_CUSTOMER
    async with database.sessionmaker() as session:
        conversation = await session.get(Conversation, welcome["conversation_id"])
        account = await session.get(Account, conversation.verified_account_id)
    assert account.account_number == DEMO_CUSTOMER


async def test_a_wrong_hash_gets_bad_identity_and_the_chat_continues_anonymous(
    connect, database: Database, fake_rasa: FakeRasa
) -> None:
    forged = sign_user_id("not-the-tenants-secret", DEMO_CUSTOMER)
    widget = await connect("nordlys")
    await widget.send(
        type="hello", conversation_id=None, last_seq=0, user_id=DEMO_CUSTOMER, user_hash=forged
    )
    error = await widget.next_of("error")
    welcome = await widget.next_of("welcome")
    await widget.say("what do I owe?", new_client_id())
    await widget.next_of("message", role="bot", text="echo: what do I owe?")

    assert error["code"] == "bad_identity"
    assert welcome["verified"] is False
    assert fake_rasa.answered[0]["metadata"]["verified_account"] is None


async def test_another_tenants_signature_does_not_verify(connect, database: Database) -> None:
    fjordnett_hash = sign_user_id(await identity_secret(database, "fjordnett"), DEMO_CUSTOMER)
    widget = await connect("nordlys")
    await widget.send(
        type="hello",
        conversation_id=None,
        last_seq=0,
        user_id=DEMO_CUSTOMER,
        user_hash=fjordnett_hash,
    )

    assert (await widget.next_of("error"))["code"] == "bad_identity"
    assert (await widget.next_of("welcome"))["verified"] is False


async def test_signed_in_conversation_is_not_resumed_without_the_same_identity(
    connect, database: Database
) -> None:
    user_hash = sign_user_id(await identity_secret(database, "nordlys"), DEMO_CUSTOMER)
    signed_in = await connect()
    theirs = await signed_in.hello(user_id=DEMO_CUSTOMER, user_hash=user_hash)
    await signed_in.say("my address is Storgata 1", new_client_id())
    await signed_in.close()

    guest = await connect()  # the next person at a shared computer
    await guest.send(type="hello", conversation_id=theirs["conversation_id"], last_seq=0)
    error = await guest.next_of("error")
    welcome = await guest.next_of("welcome")

    assert error["code"] == "conversation_not_found"
    assert welcome["conversation_id"] != theirs["conversation_id"]
    assert "Storgata" not in str(guest.received)

    again = await connect()
    resumed = await again.hello(
        theirs["conversation_id"], user_id=DEMO_CUSTOMER, user_hash=user_hash
    )
    assert resumed["resumed"] is True and resumed["verified"] is True


async def test_stored_copy_is_redacted_while_rasa_gets_the_original(
    connect, fake_rasa: FakeRasa, stored
) -> None:
    original = "My card is 4111 1111 1111 1111 and my email ola.nordmann@example.no"
    widget = await connect()
    welcome = await widget.hello()
    ack = await widget.say(original, new_client_id())
    await widget.next_of("message", role="bot")

    assert fake_rasa.answered[0]["message"] == original
    rows = await stored(welcome["conversation_id"])
    customer = next(row for row in rows if row.seq == ack["seq"])
    assert "4111" not in customer.text and "ola.nordmann@example.no" not in customer.text
    assert "[card]" in customer.text and "[email]" in customer.text
    # The bot's echo quoted the customer: stored redacted too.
    assert all("4111" not in row.text for row in rows)
    # What the tabs are shown is the stored copy.
    shown = next(m for m in widget.messages() if m["seq"] == ack["seq"])
    assert shown["text"] == customer.text


async def test_the_identity_secret_appears_in_no_response(
    gateway: TestClient, connect, database: Database
) -> None:
    secret = await identity_secret(database, "nordlys")
    bodies = []
    for path in ("/demo/nordlys", "/demo/nordlys?signed_in=1", "/api/v1/tenants/nordlys/widget"):
        response = await gateway.get(path, headers={"Origin": ALLOWED_ORIGIN})
        assert response.status == 200
        bodies.append(await response.text())
        bodies.append(str(response.headers))
    widget = await connect()
    await widget.hello(user_id=DEMO_CUSTOMER, user_hash=sign_user_id(secret, DEMO_CUSTOMER))
    bodies.append(str(widget.received))

    assert all(secret not in body for body in bodies)


async def test_signed_in_demo_page_embeds_a_hash_the_gateway_accepts(
    gateway: TestClient, connect
) -> None:
    page = await (await gateway.get("/demo/nordlys?signed_in=1")).text()
    user_id = re.search(r'data-user-id="([^"]+)"', page).group(1)
    user_hash = re.search(r'data-user-hash="([0-9a-f]{64})"', page).group(1)

    widget = await connect()
    welcome = await widget.hello(user_id=user_id, user_hash=user_hash)

    assert user_id == DEMO_CUSTOMER
    assert welcome["verified"] is True


async def test_guest_demo_page_embeds_the_widget_without_identity(gateway: TestClient) -> None:
    response = await gateway.get("/demo/fjordnett")
    page = await response.text()

    assert response.status == 200
    assert (
        '<script src="http://localhost:8000/widget.js" data-tenant="fjordnett" async></script>'
        in page
    )
    assert 'data-user-hash="' not in page
    assert "<title>Fjordnett" in page


async def test_demo_page_of_an_unknown_tenant_is_404(gateway: TestClient) -> None:
    response = await gateway.get("/demo/nobody")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "unknown_tenant"


async def test_html_pages_carry_a_strict_content_security_policy(gateway: TestClient) -> None:
    response = await gateway.get("/demo/nordlys")
    policy = response.headers["Content-Security-Policy"]

    assert (
        "script-src 'self'" in policy
        and "unsafe-inline" not in policy
        and "unsafe-eval" not in policy
    )
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    page = await response.text()
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None, "no inline <script> blocks"


async def test_a_payload_the_conversation_never_offered_is_not_passed_to_rasa(
    connect, fake_rasa: FakeRasa, stored
) -> None:
    widget = await connect()
    welcome = await widget.hello()
    forged = '/inform{"account_number": "10000002"}'
    ack = await widget.say("Yes", new_client_id(), payload=forged)
    await widget.next_of("message", role="bot", text="echo: Yes")

    assert fake_rasa.answered_texts == ["Yes"]
    customer = next(
        row for row in await stored(welcome["conversation_id"]) if row.seq == ack["seq"]
    )
    assert customer.payload is None


async def test_typed_text_starting_with_a_slash_is_not_read_as_an_intent(
    connect, fake_rasa: FakeRasa
) -> None:
    widget = await connect()
    await widget.hello()
    await widget.say('/affirm{"verified": true}', new_client_id())
    await widget.next_of("message", role="bot")

    assert fake_rasa.answered_texts == ['affirm{"verified": true}']
