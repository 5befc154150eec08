"""The OpenAPI 3.1 document, written from the endpoint declarations the router serves."""

from __future__ import annotations

from typing import Any

from bot.db.models import API_KEY_SCOPES
from bot.firm_api.operations import Operation, Param

VERSION = "1.0.0"


def openapi_document(operations: tuple[Operation, ...], components: dict[str, Any], mount: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(mount + operation.path, {})[operation.method.lower()] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "BPO Assist — client-firm API",
            "version": VERSION,
            "description": (
                "Per-tenant REST API: tickets, conversations, ratings and the customer accounts the "
                "assistant answers from. Authenticate with `Authorization: Bearer <API key>`; each "
                f"operation needs one scope ({', '.join(API_KEY_SCOPES)}). Errors are "
                '`{"error": {"code", "message"}}`.'
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}],
        "tags": [{"name": name} for name in dict.fromkeys(op.tag for op in operations)],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key of the tenant (python -m bot api-keys create)",
                }
            },
        },
    }


def _operation(operation: Operation) -> dict[str, Any]:
    document: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "tags": [operation.tag],
        "description": f"{operation.description}\n\nScope: `{operation.scope}`.".strip(),
        "x-scope": operation.scope,
        "parameters": [
            *(_parameter(p, "path") for p in operation.path_params),
            *(_parameter(p, "query") for p in operation.query),
        ],
        "responses": {},
    }
    if operation.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": operation.body}},
        }
    for response in operation.responses:
        answer: dict[str, Any] = {"description": response.description}
        if response.schema is not None:
            answer["content"] = {"application/json": {"schema": response.schema}}
        if response.headers:
            answer["headers"] = {name: {"schema": {"type": "string"}} for name in response.headers}
        document["responses"][str(response.status)] = answer
    return document


def _parameter(param: Param, where: str) -> dict[str, Any]:
    return {
        "name": param.name,
        "in": where,
        "required": param.required or where == "path",
        "description": param.description,
        "schema": param.schema,
    }
