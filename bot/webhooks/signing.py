"""The X-BPO-Signature header: t=<unix time>,v1=<hex HMAC-SHA256(secret, t + "." + body)>.

One v1 per active secret, so a receiver holding either the new or the previous
secret (during a rotation's overlap) can verify.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

SIGNATURE_HEADER = "X-BPO-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    if not secrets:
        raise ValueError("an endpoint always has at least one secret")
    return ",".join([f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}" for s in secrets)])
