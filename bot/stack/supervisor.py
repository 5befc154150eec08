"""Start processes in order, wait until each is healthy, stop them all cleanly."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.stack.services import ServiceSpec

log = logging.getLogger(__name__)


class ServiceFailed(RuntimeError):
    """A process exited or never became healthy; the message holds the tail of its log."""


@dataclass
class Running:
    spec: ServiceSpec
    process: asyncio.subprocess.Process
    log_path: Path


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Supervisor:
    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self.running: list[Running] = []

    async def start_all(self, tiers: list[list[ServiceSpec]]) -> None:
        """Tier by tier; the services of one tier start side by side (two Rasa servers load
        their models at the same time). Raises the first failure once the tier settled."""
        for tier in tiers:
            results = await asyncio.gather(*(self.start(spec) for spec in tier), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result

    def find(self, name: str) -> Running:
        return next(running for running in self.running if running.spec.name == name)

    async def kill(self, name: str) -> None:
        """SIGKILL one service (no clean shutdown): what a crashed machine looks like."""
        running = self.find(name)
        try:
            os.killpg(running.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        await running.process.wait()
        self.running.remove(running)

    async def start(self, spec: ServiceSpec) -> Running:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._log_dir / f"{spec.name}.log"
        with log_path.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                *spec.argv, env=spec.env, stdout=out, stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL,
                # Own process group: Ctrl-C reaches us once, and we stop children in order.
                start_new_session=True,
            )
        running = Running(spec, process, log_path)
        self.running.append(running)
        await self._wait_healthy(running)
        return running

    async def _wait_healthy(self, running: Running) -> None:
        spec = running.spec
        deadline = time.monotonic() + spec.start_timeout
        timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while time.monotonic() < deadline:
                if running.process.returncode is not None:
                    raise ServiceFailed(
                        f"{spec.name} exited with {running.process.returncode}:\n"
                        f"{_tail(running.log_path)}")
                try:
                    async with http.get(spec.health_url) as response:
                        if response.status == 200:
                            log.info("%s is healthy (pid %s)", spec.name, running.process.pid)
                            return
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                await asyncio.sleep(0.5)
        raise ServiceFailed(f"{spec.name} not healthy after {spec.start_timeout:.0f}s:\n"
                            f"{_tail(running.log_path)}")

    async def wait_any_exit(self) -> Running:
        """Returns the first process that exits on its own (a crash, for a server)."""
        waits = {asyncio.ensure_future(r.process.wait()): r for r in self.running}
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return waits[next(iter(done))]

    async def stop_all(self, grace: float = 15.0) -> None:
        # Reverse order: the gateway stops taking customers before Rasa and actions go.
        for running in reversed(self.running):
            await self._stop(running, grace)
        self.running.clear()

    async def _stop(self, running: Running, grace: float) -> None:
        process = running.process
        if process.returncode is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            await asyncio.wait_for(process.wait(), grace)
        except asyncio.TimeoutError:
            log.warning("%s did not stop in %.0fs; killing it", running.spec.name, grace)
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            await process.wait()
