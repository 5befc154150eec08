"""A small JSON Schema subset: the one description of each request and response.

The same dicts validate what callers send (`problems`) and go verbatim into the OpenAPI 3.1
document (JSON Schema 2020-12), so the document cannot drift from what the code accepts.
Supported keywords: type (one or a list), enum, const, minLength, maxLength, pattern, format
(date-time, date), minimum, maximum, properties, required, additionalProperties (false or a
schema), items, minItems, maxItems, description, examples, $ref (to #/components/schemas).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from typing import Any

Schema = dict[str, Any]

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def string(
    *, min_length: int | None = None, max_length: int | None = None, pattern: str | None = None,
    enum: tuple[str, ...] | None = None, fmt: str | None = None, nullable: bool = False,
    description: str | None = None, example: Any = None,
) -> Schema:
    schema: Schema = {"type": ["string", "null"] if nullable else "string"}
    if enum is not None:
        schema["enum"] = [*enum, None] if nullable else list(enum)
    for key, value in (("minLength", min_length), ("maxLength", max_length), ("pattern", pattern),
                       ("format", fmt), ("description", description)):
        if value is not None:
            schema[key] = value
    if example is not None:
        schema["examples"] = [example]
    return schema


def integer(
    *, minimum: int | None = None, maximum: int | None = None, nullable: bool = False,
    description: str | None = None,
) -> Schema:
    schema: Schema = {"type": ["integer", "null"] if nullable else "integer"}
    for key, value in (("minimum", minimum), ("maximum", maximum), ("description", description)):
        if value is not None:
            schema[key] = value
    return schema


def boolean(description: str | None = None) -> Schema:
    return {"type": "boolean", **({"description": description} if description else {})}


def array(items: Schema, *, min_items: int | None = None, max_items: int | None = None) -> Schema:
    schema: Schema = {"type": "array", "items": items}
    if min_items is not None:
        schema["minItems"] = min_items
    if max_items is not None:
        schema["maxItems"] = max_items
    return schema


def obj(properties: dict[str, Schema], *, required: tuple[str, ...] = (), description: str | None = None) -> Schema:
    """A closed object: properties not named here are refused."""
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def problems(schema: Schema, value: Any, where: str, components: dict[str, Schema]) -> list[str]:
    """Every way `value` breaks `schema`, as 'where: reason' (never quoting the value)."""
    if "$ref" in schema:
        return problems(components[schema["$ref"].rsplit("/", 1)[-1]], value, where, components)
    found: list[str] = []
    types = schema.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else types
        if not any(_is(value, name) for name in allowed):
            return [f"{where}: must be {' or '.join(allowed)}"]
    if "const" in schema and value != schema["const"]:
        found.append(f"{where}: must be {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        shown = ", ".join("null" if item is None else str(item) for item in schema["enum"])
        found.append(f"{where}: must be one of {shown}")
    if isinstance(value, str):
        found += _string_problems(schema, value, where)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{where}: must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{where}: must be at most {schema['maximum']}")
    if isinstance(value, dict):
        found += _object_problems(schema, value, where, components)
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            found.append(f"{where}: needs at least {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            found.append(f"{where}: at most {schema['maxItems']} items")
        if "items" in schema and not found:
            for index, item in enumerate(value):
                found += problems(schema["items"], item, f"{where}[{index}]", components)
    return found


def _is(value: Any, type_name: str) -> bool:
    if type_name in ("integer", "number") and isinstance(value, bool):
        return False
    if type_name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES[type_name])


def _string_problems(schema: Schema, value: str, where: str) -> list[str]:
    found = []
    # JSON Schema counts code points, as len() does.
    if "minLength" in schema and len(value) < schema["minLength"]:
        found.append(f"{where}: at least {schema['minLength']} characters")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        found.append(f"{where}: at most {schema['maxLength']} characters")
    if "pattern" in schema and not _compiled(schema["pattern"]).search(value):
        found.append(f"{where}: must match {schema['pattern']}")
    if schema.get("format") == "date-time" and parse_datetime(value) is None:
        found.append(f"{where}: must be an RFC 3339 date-time, e.g. 2026-12-01T09:00:00Z")
    if schema.get("format") == "date" and parse_date(value) is None:
        found.append(f"{where}: must be a date, e.g. 2026-12-01")
    return found


def _object_problems(schema: Schema, value: dict[str, Any], where: str, components: dict[str, Schema]) -> list[str]:
    found = []
    properties: dict[str, Schema] = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            found.append(f"{where}.{name}: required")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            found += problems(properties[name], item, f"{where}.{name}", components)
        elif extra is False:
            found.append(f"{where}.{name}: unknown field")
        elif isinstance(extra, dict):
            found += problems(extra, item, f"{where}.{name}", components)
    return found


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")


def parse_datetime(value: str) -> datetime | None:
    """An RFC 3339 date-time (with its offset), else None."""
    if not _RFC3339.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_date(value: str) -> date | None:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
