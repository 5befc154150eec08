"""/api/docs: a readable reference rendered on the server from the OpenAPI document.

No script and no third-party assets (the gateway's strict CSP applies); styles from our origin.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

STYLESHEET_PATH = "/api/docs.css"


def render_docs(document: dict[str, Any]) -> str:
    info = document["info"]
    schemas = document["components"]["schemas"]
    sections = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            sections.append(_operation_html(method, path, operation))
    index = "".join(
        f'<li><a href="#{escape(op["operationId"])}">{escape(method.upper())} {escape(path)}</a> — '
        f'{escape(op["summary"])}</li>'
        for path, methods in document["paths"].items()
        for method, op in methods.items()
    )
    schema_html = "".join(
        f'<section id="schema-{escape(name)}"><h3>{escape(name)}</h3>{_schema_table(schema)}</section>'
        for name, schema in schemas.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(info["title"])} — reference</title>
<link rel="stylesheet" href="{STYLESHEET_PATH}"></head>
<body><main>
<h1>{escape(info["title"])} <small>v{escape(info["version"])}</small></h1>
<p>{_inline(info["description"])}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1).</p>
<h2>Operations</h2><ul class="index">{index}</ul>
{"".join(sections)}
<h2>Schemas</h2>{schema_html}
</main></body></html>"""


def _operation_html(method: str, path: str, operation: dict[str, Any]) -> str:
    params = "".join(
        f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
        f"<td>{'yes' if p['required'] else 'no'}</td><td>{_type(p['schema'])}</td>"
        f"<td>{escape(p.get('description', ''))}</td></tr>"
        for p in operation["parameters"]
    )
    params_html = (
        "<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>type</th>"
        f"<th>description</th></tr>{params}</table>" if params else ""
    )
    body_html = ""
    if "requestBody" in operation:
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        body_html = f"<h4>Body (JSON)</h4>{_schema_table(schema)}"
    responses = "".join(
        f"<tr><td>{escape(status)}</td><td>{escape(answer['description'])}</td>"
        f"<td>{_type(answer['content']['application/json']['schema']) if 'content' in answer else '—'}</td></tr>"
        for status, answer in operation["responses"].items()
    )
    return (
        f'<section class="operation" id="{escape(operation["operationId"])}">'
        f'<h3><span class="method {escape(method)}">{escape(method.upper())}</span> <code>{escape(path)}</code></h3>'
        f"<p><strong>{escape(operation['summary'])}</strong></p><p>{_inline(operation['description'])}</p>"
        f"{params_html}{body_html}<h4>Responses</h4><table><tr><th>status</th><th>meaning</th><th>body</th></tr>"
        f"{responses}</table></section>"
    )


def _schema_table(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return f"<p>{_type(schema)}</p>"
    if schema.get("type") != "object":
        return f"<p>{_type(schema)}</p>"
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{'yes' if name in required else 'no'}</td>"
        f"<td>{_type(item)}</td><td>{escape(item.get('description', ''))}</td></tr>"
        for name, item in schema.get("properties", {}).items()
    )
    return f"<table><tr><th>field</th><th>required</th><th>type</th><th>description</th></tr>{rows}</table>"


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    types = schema.get("type", "any")
    text = " | ".join(types) if isinstance(types, list) else types
    if text == "array":
        return f"array of {_type(schema['items'])}"
    facts = []
    if "enum" in schema:
        facts.append("one of " + ", ".join(json.dumps(v) for v in schema["enum"]))
    for key in ("format", "pattern", "minLength", "maxLength", "minimum", "maximum", "maxItems"):
        if key in schema:
            facts.append(f"{key} {schema[key]}")
    return escape(text) + (f" <small>({escape('; '.join(facts))})</small>" if facts else "")


def _inline(text: str) -> str:
    """Backticks to <code>, everything escaped."""
    parts = escape(text).split("`")
    return "".join(f"<code>{part}</code>" if i % 2 else part for i, part in enumerate(parts)).replace("\n\n", "<br>")


STYLESHEET = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #fff; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
h1 small { color: #57606a; font-size: .6em; }
code { background: #f3f4f6; padding: 0 .2em; border-radius: 3px; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; display: block; overflow-x: auto; }
th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.operation { border-top: 1px solid #d0d7de; padding-top: .5rem; margin-top: 1.5rem; }
.method { font-family: monospace; padding: .1rem .4rem; border-radius: 3px; color: #fff; background: #57606a; }
.method.get { background: #0969da; } .method.post { background: #1a7f37; }
.method.put, .method.patch { background: #9a6700; } .method.delete { background: #cf222e; }
.index { columns: 2 20rem; }
"""
