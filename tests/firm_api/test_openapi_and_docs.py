"""The OpenAPI document describes exactly the routes served, and /api/docs renders it."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from bot.firm_api.app import ALL_OPERATIONS


async def test_the_document_is_openapi_3_1_with_every_served_operation(api: TestClient) -> None:
    document = await (await api.get("/api/v1/openapi.json")).json()

    assert document["openapi"] == "3.1.0"
    documented = {(method.upper(), path) for path, methods in document["paths"].items() for method in methods}
    served = {
        (route.method, route.resource.canonical)
        for route in api.app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/api/v1/firm")
        and route.method != "HEAD"
    }
    assert documented == served
    assert all(op["x-scope"] for methods in document["paths"].values() for op in methods.values())


async def test_a_declared_limit_is_the_enforced_limit(api: TestClient, issue_key) -> None:
    # One description, two uses: the batch size in the document is the one requests are held to.
    document = await (await api.get("/api/v1/openapi.json")).json()
    batch = document["paths"]["/api/v1/firm/accounts/batch"]["post"]["requestBody"]["content"]["application/json"]
    assert batch["schema"]["properties"]["accounts"]["maxItems"] == 1000
    assert len(ALL_OPERATIONS) == sum(len(methods) for methods in document["paths"].values())


async def test_the_reference_page_is_ours_readable_and_strict(api: TestClient) -> None:
    page = await api.get("/api/docs")
    html = await page.text()
    css = await api.get("/api/docs.css")

    assert page.status == 200 and page.content_type == "text/html"
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert not re.search(r"(src|href)=\"https?://", html)  # nothing from elsewhere
    for operation in ALL_OPERATIONS:
        assert f'id="{operation.operation_id}"' in html
    assert "tickets:write" in html and "Authorization: Bearer" in html
    assert css.status == 200 and css.content_type == "text/css"
