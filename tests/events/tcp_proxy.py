"""A TCP proxy in front of Redis that a test can break on purpose.

Only the connections through the proxy suffer, so the Redis that other test runs
share is never touched. Breakages:
  cut()        every open connection is closed (a restart, a dropped network)
  refuse       while set, new connections are closed at once (Redis is down)
  go_silent()  open connections stay open but carry nothing more, either way
               (a half-open connection: a dead peer behind a NAT or a load balancer)
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit


class _Pair:
    def __init__(self, client: asyncio.StreamWriter, server: asyncio.StreamWriter) -> None:
        self.writers = (client, server)
        self.silent = False
        self.tasks: list[asyncio.Task[None]] = []

    def close(self) -> None:
        for writer in self.writers:
            writer.close()
        for task in self.tasks:
            task.cancel()


class TcpProxy:
    def __init__(self, target_url: str) -> None:
        target = urlsplit(target_url)
        self._target = (target.hostname or "127.0.0.1", target.port or 6379)
        self._path = target.path
        self._server: asyncio.Server | None = None
        self._pairs: set[_Pair] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.refuse = False

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}{self._path}"

    @property
    def open_connections(self) -> int:
        return len(self._pairs)

    def cut(self) -> None:
        for pair in list(self._pairs):
            pair.close()
        self._pairs.clear()

    def go_silent(self) -> None:
        for pair in self._pairs:
            pair.silent = True

    async def close(self) -> None:
        self.cut()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refuse:
            writer.close()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        pair = _Pair(writer, upstream_writer)
        self._pairs.add(pair)
        pair.tasks = [
            asyncio.create_task(self._copy(reader, upstream_writer, pair)),
            asyncio.create_task(self._copy(upstream_reader, writer, pair)),
        ]
        for task in pair.tasks:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _copy(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, pair: _Pair
    ) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await source.read(65536):
                if pair.silent:
                    continue  # swallowed: neither side hears anything more
                sink.write(data)
                await sink.drain()
        for writer in pair.writers:
            writer.close()
        self._pairs.discard(pair)
