"""Start processes in order, wait until each is healthy, restart one that dies, stop them all cleanly."""

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
    # When it answered its health check (monotonic); None until then.
    healthy_since: float | None = None


@dataclass(frozen=True)
class RestartPolicy:
    """A crashed service comes back after 1, 2, 4 … s (at most max_delay). A crash within
    `stable_after` seconds of being healthy is a fast failure; after `max_fast_failures` in a
    row the service is given up on (a restart will not fix it), and the others keep running."""

    first_delay: float = 1.0
    max_delay: float = 30.0
    stable_after: float = 60.0
    max_fast_failures: int = 5

    def delay(self, fast_failures: int) -> float:
        return min(self.first_delay * 2 ** max(fast_failures - 1, 0), self.max_delay)


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Supervisor:
    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self.running: list[Running] = []
        self.given_up: list[Running] = []
        self.restarts: dict[str, int] = {}
        self._stopping = False

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
        self.running.remove(running)  # first: a watcher must not restart it
        _kill_group(running.process)
        await running.process.wait()

    async def start(self, spec: ServiceSpec) -> Running:
        running = await self._launch(spec)
        self.running.append(running)
        await self._wait_healthy(running, spec.health_url)
        return running

    async def _launch(self, spec: ServiceSpec) -> Running:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._log_dir / f"{spec.name}.log"
        with log_path.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                *spec.argv, env=spec.env, stdout=out, stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL,
                # Own process group: Ctrl-C reaches us once, and we stop children in order.
                start_new_session=True,
            )
        return Running(spec, process, log_path)

    async def watch(self, policy: RestartPolicy = RestartPolicy()) -> None:
        """Keep every started service running until cancelled: one that exits is restarted
        with backoff while the others carry on. Returns only once every service was given up."""
        await asyncio.gather(*(self._keep_alive(running, policy) for running in list(self.running)))

    async def _keep_alive(self, running: Running, policy: RestartPolicy) -> None:
        name = running.spec.name
        fast_failures = 0
        while True:
            code = await running.process.wait()
            if self._stopping or running not in self.running:
                return  # stopped or killed on purpose (stop_all, kill)
            uptime = time.monotonic() - running.healthy_since if running.healthy_since else 0.0
            fast_failures = fast_failures + 1 if uptime < policy.stable_after else 1
            if fast_failures > policy.max_fast_failures:
                log.error("%s GIVEN UP: it failed %d times in a row within %.0fs of starting; "
                          "the other services keep running. Last lines of %s:\n%s",
                          name, fast_failures - 1, policy.stable_after, running.log_path,
                          _tail(running.log_path))
                self.running.remove(running)
                self.given_up.append(running)
                return
            delay = policy.delay(fast_failures)
            log.error("%s exited with %s after %.0fs up; restarting it in %.0fs (log: %s)",
                      name, code, uptime, delay, running.log_path)
            await asyncio.sleep(delay)
            running = await self._restart(running)

    async def _restart(self, old: Running) -> Running:
        """A new process in the old one's place (stop order unchanged). If it does not come up,
        it is killed and returned anyway: the caller sees it exit, a fast failure."""
        new = await self._launch(old.spec)
        self.running[self.running.index(old)] = new
        self.restarts[old.spec.name] = self.restarts.get(old.spec.name, 0) + 1
        try:
            await self._wait_healthy(new, old.spec.alive_url or old.spec.health_url)
        except ServiceFailed as error:
            log.error("%s did not come back: %s", old.spec.name, error)
            _kill_group(new.process)
        else:
            log.warning("%s is back (pid %s, restart %d)", old.spec.name, new.process.pid,
                        self.restarts[old.spec.name])
        return new

    async def _wait_healthy(self, running: Running, url: str) -> None:
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
                    async with http.get(url) as response:
                        if response.status == 200:
                            log.info("%s is healthy (pid %s)", spec.name, running.process.pid)
                            running.healthy_since = time.monotonic()
                            return
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                await asyncio.sleep(0.5)
        raise ServiceFailed(f"{spec.name} not healthy after {spec.start_timeout:.0f}s:\n"
                            f"{_tail(running.log_path)}")

    async def stop_all(self, grace: float = 15.0) -> None:
        self._stopping = True
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
            _kill_group(process)
            await process.wait()


def _kill_group(process: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
