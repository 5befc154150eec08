"""`make run` keeps the system up: a process that dies is restarted with backoff while the
others keep running, and one that keeps dying right after it starts is given up on, loudly.

Real processes (a tiny HTTP server per service) killed with SIGKILL; the whole system with
Rasa is in tests/test_stack_crash_recovery.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.stack.services import ServiceSpec
from bot.stack.supervisor import RestartPolicy, Supervisor

# Serves /health; with a positive DIE_AFTER it exits (code 3) that long after its first
# health check, i.e. right after the supervisor saw it up.
TINY_SERVICE = """
import http.server, os, sys, threading
port, die_after = int(sys.argv[1]), float(sys.argv[2])
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
        if die_after > 0 and not getattr(Health, "armed", False):
            Health.armed = True
            threading.Timer(die_after, os._exit, (3,)).start()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), Health).serve_forever()
"""
GUARD_SECONDS = 30.0  # a hang guard, not a speed assertion
QUICK = RestartPolicy(first_delay=0.05, max_delay=0.2, stable_after=5.0, max_fast_failures=2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tiny_service(name: str, die_after: float = 0.0) -> ServiceSpec:
    port = free_port()
    return ServiceSpec(
        name, [sys.executable, "-c", TINY_SERVICE, str(port), str(die_after)], dict(os.environ),
        f"http://127.0.0.1:{port}/health", start_timeout=10.0,
    )


@pytest.fixture
async def supervisor(tmp_path: Path) -> AsyncIterator[Supervisor]:
    supervisor = Supervisor(tmp_path / "logs")
    yield supervisor
    await supervisor.stop_all(grace=2.0)


async def until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(poll(), GUARD_SECONDS)
    except TimeoutError:
        pytest.fail(f"gave up waiting: {what}")


def pid_of(supervisor: Supervisor, name: str) -> int:
    return supervisor.find(name).process.pid


async def test_a_killed_service_is_restarted_while_the_others_keep_running(
    supervisor: Supervisor,
) -> None:
    await supervisor.start_all([[tiny_service("actions")], [tiny_service("gateway")]])
    first_actions, gateway = pid_of(supervisor, "actions"), pid_of(supervisor, "gateway")
    watching = asyncio.create_task(supervisor.watch(QUICK))

    os.killpg(first_actions, signal.SIGKILL)
    await until(lambda: supervisor.restarts.get("actions") == 1
                and supervisor.find("actions").healthy_since is not None, "actions back")

    assert pid_of(supervisor, "actions") != first_actions
    assert pid_of(supervisor, "gateway") == gateway
    assert supervisor.find("gateway").process.returncode is None
    assert [running.spec.name for running in supervisor.running] == ["actions", "gateway"]
    assert supervisor.given_up == []
    watching.cancel()


async def test_a_service_that_keeps_dying_right_after_starting_is_given_up_loudly(
    supervisor: Supervisor, caplog: pytest.LogCaptureFixture,
) -> None:
    await supervisor.start_all([[tiny_service("rasa", die_after=0.1)], [tiny_service("gateway")]])
    gateway = pid_of(supervisor, "gateway")
    watching = asyncio.create_task(supervisor.watch(QUICK))

    with caplog.at_level(logging.ERROR, logger="bot.stack.supervisor"):
        await until(lambda: supervisor.given_up, "rasa given up")

    assert [running.spec.name for running in supervisor.given_up] == ["rasa"]
    assert supervisor.restarts["rasa"] == QUICK.max_fast_failures
    assert any("rasa GIVEN UP" in record.getMessage() for record in caplog.records)
    # The gateway keeps serving (it can still hand customers to human agents).
    assert [running.spec.name for running in supervisor.running] == ["gateway"]
    assert pid_of(supervisor, "gateway") == gateway and not watching.done()
    watching.cancel()


async def test_a_service_that_ran_a_while_before_crashing_is_never_given_up(
    supervisor: Supervisor,
) -> None:
    steady = RestartPolicy(first_delay=0.05, max_delay=0.2, stable_after=0.3, max_fast_failures=1)
    await supervisor.start_all([[tiny_service("actions", die_after=0.6)]])
    watching = asyncio.create_task(supervisor.watch(steady))

    await until(lambda: supervisor.restarts.get("actions", 0) >= 3, "three restarts")

    assert supervisor.given_up == []
    watching.cancel()


async def test_everything_given_up_ends_the_watch(supervisor: Supervisor) -> None:
    await supervisor.start_all([[tiny_service("gateway", die_after=0.1)]])

    await asyncio.wait_for(supervisor.watch(QUICK), GUARD_SECONDS)

    assert supervisor.running == [] and len(supervisor.given_up) == 1


async def test_stopping_the_system_restarts_nothing(supervisor: Supervisor) -> None:
    await supervisor.start_all([[tiny_service("actions")], [tiny_service("gateway")]])
    watching = asyncio.create_task(supervisor.watch(QUICK))

    await supervisor.stop_all(grace=2.0)
    await asyncio.sleep(QUICK.first_delay * 4)

    assert supervisor.running == [] and supervisor.restarts == {}
    watching.cancel()


def test_restart_delays_double_up_to_the_cap() -> None:
    assert [RestartPolicy().delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
