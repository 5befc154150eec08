"""Opaque pagination cursors: base64url of a small JSON naming the list and where it stopped."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from bot.firm_api.errors import InvalidRequest


def encode(kind: str, position: list[Any]) -> str:
    raw = json.dumps({"k": kind, "p": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(kind: str, cursor: str) -> list[Any]:
    """The position a cursor of this list holds; 400 for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or data.get("k") != kind or not isinstance(data.get("p"), list):
        raise InvalidRequest("query.cursor: not a cursor of this list (use next_cursor as given)")
    return data["p"]
