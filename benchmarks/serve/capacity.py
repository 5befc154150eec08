"""Capacity: how many idle widgets one gateway process holds, and what each costs in memory.

An idle widget is what a browser tab with the widget open is: a WebSocket that said
`hello`, got its welcome and greeting, and then only answers the gateway's heartbeat
pings (every connection keeps a reader here, so aiohttp answers them). Memory is the
gateway process group's resident set size (RSS) before the connections are opened
(after the load phases, so caches are warm) and once all are open and settled;
bytes per connection = the difference / connections held.

Both processes need one file descriptor per connection: the benchmark raises its own
RLIMIT_NOFILE to the hard limit before it starts the stack, and the gateway inherits it.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from typing import Any

import aiohttp

from benchmarks.serve.machine import group_usage, load_average, own_usage
from benchmarks.serve.stack import BenchStack

TENANTS = ("nordlys", "fjordnett", "lighthouse")
OPENING_AT_ONCE = 64  # handshakes in flight: like many tabs opening, without a SYN flood
HANDSHAKE_SECONDS = 60.0
SETTLE_SECONDS = 5.0


async def _hold(http: aiohttp.ClientSession, url: str, origin: str, opened: asyncio.Event,
                release: asyncio.Event) -> str:
    """One idle widget: connect, hello, welcome + greeting, then idle until released.
    Returns "held" when the socket was still open at the release, else why not."""
    ws: aiohttp.ClientWebSocketResponse | None = None
    try:
        # One deadline for the whole handshake: receive()'s own timeout restarts on every ping.
        async with asyncio.timeout(HANDSHAKE_SECONDS):
            ws = await http.ws_connect(url, origin=origin, autoping=True)
            await ws.send_str(json.dumps({"type": "hello", "conversation_id": None, "last_seq": 0}))
            while True:
                message = await ws.receive()
                if message.type is not aiohttp.WSMsgType.TEXT:
                    return "closed_while_opening"
                frame = json.loads(message.data)
                if frame.get("type") == "error":
                    return f"error:{frame.get('code')}"
                if frame.get("type") == "message":
                    break  # the greeting: the widget is open
        opened.set()
        # Reading keeps the heartbeat answered; nothing else arrives for an idle widget.
        reader = asyncio.create_task(_drain(ws))
        await release.wait()
        still_open = not ws.closed
        reader.cancel()
        return "held" if still_open else "dropped_while_idle"
    except TimeoutError:
        return "handshake_timeout"
    except (aiohttp.ClientError, OSError) as error:
        return f"connection:{type(error).__name__}"
    finally:
        opened.set()
        if ws is not None:
            await ws.close()


async def _drain(ws: aiohttp.ClientWebSocketResponse) -> None:
    async for _ in ws:
        pass


async def _open_sockets(stack: BenchStack) -> int | None:
    """gateway_open_sockets from /metrics: the gateway's own count."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{stack.gateway_url}/metrics") as response:
            text = await response.text()
    match = re.search(r"^gateway_open_sockets\s+([0-9.e+]+)$", text, re.MULTILINE)
    return int(float(match[1])) if match else None


async def measure_capacity(stack: BenchStack, connections: int) -> dict[str, Any]:
    gateway_pid = stack.pids()["gateway"]
    before = group_usage(gateway_pid)
    load_before = own_usage().rss_bytes
    release = asyncio.Event()
    gate = asyncio.Semaphore(OPENING_AT_ONCE)
    handshakes_done = 0
    all_done = asyncio.Event()
    # No connection limit: every widget is its own TCP connection.
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(index: int) -> str:
            nonlocal handshakes_done
            url = f"{stack.gateway_url}/api/v1/tenants/{TENANTS[index % len(TENANTS)]}/ws"
            opened = asyncio.Event()
            async with gate:
                holder = asyncio.create_task(_hold(http, url, stack.origin, opened, release))
                await opened.wait()
            handshakes_done += 1
            if handshakes_done == connections:
                all_done.set()
            return await holder

        holders = [asyncio.create_task(one(index)) for index in range(connections)]
        await all_done.wait()
        open_seconds = time.perf_counter() - started
        await asyncio.sleep(SETTLE_SECONDS)
        held_by_gateway = await _open_sockets(stack)
        after = group_usage(gateway_pid)
        load_after = own_usage().rss_bytes
        release.set()
        outcomes = Counter(await asyncio.gather(*holders))
    held = outcomes.pop("held", 0)
    grown = after.rss_bytes - before.rss_bytes
    return {
        "connections_attempted": connections,
        "connections_held": held,
        "connections_failed": connections - held,
        "failures_by_kind": dict(outcomes),
        "gateway_open_sockets_metric": held_by_gateway,
        "seconds_to_open_all": round(open_seconds, 1),
        "gateway_rss_before_mib": round(before.rss_bytes / 2**20, 1),
        "gateway_rss_after_mib": round(after.rss_bytes / 2**20, 1),
        "bytes_per_connection": round(grown / held) if held else None,
        "load_generator_rss_growth_mib": round((load_after - load_before) / 2**20, 1),
        "load_average_after": load_average(),
    }
