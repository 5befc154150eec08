"""One signed POST to a webhook endpoint, through the SSRF guard."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import Any

import aiohttp

from bot.webhooks.guard import GuardedResolver, check_destination, is_refusal
from bot.webhooks.policy import Attempt, parse_retry_after
from bot.webhooks.settings import WebhookSettings
from bot.webhooks.signing import SIGNATURE_HEADER, signature_header

USER_AGENT = "BPO-Assist-Webhooks/1"


def new_client_session(settings: WebhookSettings) -> aiohttp.ClientSession:
    """One per worker: its resolver refuses non-public addresses at connect time."""
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(allow_loopback=settings.allow_loopback_http),
        limit=settings.concurrency,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=settings.timeout),
        headers={"User-Agent": USER_AGENT},
        auto_decompress=False,  # we never look at the reply body beyond a bounded read
    )


def encode_payload(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


async def post_event(
    client: aiohttp.ClientSession,
    url: str,
    payload: dict[str, Any],
    secrets: tuple[str, ...],
    settings: WebhookSettings,
    *,
    now: datetime,
) -> Attempt:
    body = encode_payload(payload)
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature_header(secrets, int(time.time()), body),
        "X-BPO-Event-Id": str(payload["id"]),
        "X-BPO-Event-Type": str(payload["type"]),
    }
    try:
        await check_destination(url, allow_loopback_http=settings.allow_loopback_http)
        async with client.post(url, data=body, headers=headers, allow_redirects=False) as response:
            # Bounded read: a receiver cannot make us hold a large reply in memory.
            await response.content.read(settings.max_response_bytes)
            status = response.status
            if 300 <= status < 400:
                return Attempt(status, error=f"HTTP {status}: redirects are not followed")
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
            return Attempt(status, retry_after=retry_after if status in (429, 503) else None)
    except asyncio.TimeoutError:
        return Attempt(None, error=f"no response within {settings.timeout:g} s")
    except (aiohttp.ClientError, OSError) as error:
        if is_refusal(error):
            return Attempt(None, error=f"refused: {_describe(error)}", refused=True)
        return Attempt(None, error=f"{type(error).__name__}: {_describe(error)}")


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__
