"""The widget's REST endpoints: configuration, history and CORS for allowed origins only."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from bot.db import Database
from bot.gateway.identity import sign_user_id

from .support import ALLOWED_ORIGIN, DEMO_CUSTOMER, FOREIGN_ORIGIN, identity_secret, new_client_id


async def test_widget_config_has_branding_and_limits(gateway: TestClient) -> None:
    response = await gateway.get(
        "/api/v1/tenants/fjordnett/widget", headers={"Origin": ALLOWED_ORIGIN}
    )
    config = await response.json()

    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Origin" in response.headers.getall("Vary")
    assert config["tenant"] == "fjordnett" and config["name"]
    assert set(config["branding"]) == {"color", "title", "greeting", "avatar_url"}
    assert config["limits"] == {"max_message_chars": 2000}
    assert "identity_secret" not in str(config)


async def test_widget_config_of_unknown_tenant_is_404(gateway: TestClient) -> None:
    response = await gateway.get(
        "/api/v1/tenants/nobody/widget", headers={"Origin": ALLOWED_ORIGIN}
    )
    assert response.status == 404
    assert await response.json() == {
        "error": {"code": "unknown_tenant", "message": "This chat is not set up for that company."}
    }


async def test_rest_from_a_foreign_origin_is_403_without_cors_headers(gateway: TestClient) -> None:
    response = await gateway.get(
        "/api/v1/tenants/nordlys/widget", headers={"Origin": FOREIGN_ORIGIN}
    )

    assert response.status == 403
    assert (await response.json())["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_preflight_for_an_allowed_origin_allows_get_and_the_identity_headers(
    gateway: TestClient,
) -> None:
    response = await gateway.options(
        "/api/v1/tenants/nordlys/conversations/abc/messages",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "GET"},
    )

    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "X-User-Hash" in response.headers["Access-Control-Allow-Headers"]


async def test_preflight_for_a_foreign_origin_is_refused(gateway: TestClient) -> None:
    response = await gateway.options(
        "/api/v1/tenants/nordlys/widget",
        headers={"Origin": FOREIGN_ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_history_lists_the_messages_after_a_seq_in_order(
    gateway: TestClient, connect
) -> None:
    widget = await connect()
    welcome = await widget.hello()
    await widget.say("first", new_client_id())
    await widget.next_of("message", text="echo: first")
    path = f"/api/v1/tenants/nordlys/conversations/{welcome['conversation_id']}/messages"

    everything = await (await gateway.get(path, headers={"Origin": ALLOWED_ORIGIN})).json()
    later = await (await gateway.get(f"{path}?after=2", headers={"Origin": ALLOWED_ORIGIN})).json()

    assert everything["conversation_id"] == welcome["conversation_id"]
    assert everything["state"] == "bot" and everything["ended"] is False
    assert [(m["seq"], m["role"]) for m in everything["messages"]] == [
        (1, "bot"),
        (2, "customer"),
        (3, "bot"),
    ]
    assert [m["text"] for m in later["messages"]] == ["echo: first"]
    ws_copy = {m["seq"]: m["text"] for m in widget.messages()}
    assert {m["seq"]: m["text"] for m in everything["messages"]} == ws_copy


async def test_history_of_another_tenants_conversation_is_not_found(
    gateway: TestClient, connect
) -> None:
    widget = await connect("fjordnett")
    theirs = await widget.hello()

    response = await gateway.get(
        f"/api/v1/tenants/nordlys/conversations/{theirs['conversation_id']}/messages",
        headers={"Origin": ALLOWED_ORIGIN},
    )
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "conversation_not_found"
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN, (
        "the widget can read the error"
    )


async def test_history_with_a_bad_after_is_400(gateway: TestClient, connect) -> None:
    widget = await connect()
    welcome = await widget.hello()
    response = await gateway.get(
        f"/api/v1/tenants/nordlys/conversations/{welcome['conversation_id']}/messages?after=-1"
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"


async def test_history_of_a_signed_in_conversation_needs_the_same_identity(
    gateway: TestClient, connect, database: Database
) -> None:
    user_hash = sign_user_id(await identity_secret(database, "nordlys"), DEMO_CUSTOMER)
    widget = await connect()
    welcome = await widget.hello(user_id=DEMO_CUSTOMER, user_hash=user_hash)
    path = f"/api/v1/tenants/nordlys/conversations/{welcome['conversation_id']}/messages"

    anonymous = await gateway.get(path, headers={"Origin": ALLOWED_ORIGIN})
    signed = await gateway.get(
        path,
        headers={"Origin": ALLOWED_ORIGIN, "X-User-Id": DEMO_CUSTOMER, "X-User-Hash": user_hash},
    )

    assert anonymous.status == 404
    assert signed.status == 200 and len((await signed.json())["messages"]) == 1


async def test_unknown_paths_answer_json_errors(gateway: TestClient) -> None:
    response = await gateway.get("/api/v1/nothing-here")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"
