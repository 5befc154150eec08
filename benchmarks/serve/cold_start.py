"""Cold start: a fresh `git clone` of this repository to the first answer with `make run`,
then a warm restart (same clone: environments, database and model all present).

"First answer": the gateway's /readyz says ready, a widget connects, says hello and
"hi", and the assistant's reply arrives. Stages are read from `make run`'s own output
("starting actions …" marks the end of setup: environments, migrations, demo data and
training). The clone has only committed files (no model: `make run` trains one).

Shared, and so not part of "cold": the environments. scripts/ensure-env keeps them in
~/.cache/bpo-assist keyed by the lock files' hash, and the clone links to the same
ones this checkout uses (a machine that never built them adds their build time).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.serve.machine import load_average
from benchmarks.serve.options import ROOT
from benchmarks.serve.stack import free_port

START_TIMEOUT = 45 * 60.0  # training on a busy 2-core machine may take long
SETUP_DONE_MARK = "starting actions"


async def _first_answer(gateway_url: str, tenant: str = "nordlys") -> None:
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{gateway_url}/api/v1/tenants/{tenant}/ws", origin=gateway_url)
        try:
            await ws.send_str(json.dumps({"type": "hello", "conversation_id": None, "last_seq": 0}))
            await ws.send_str(json.dumps({"type": "message", "client_id": "cold-start", "text": "hi"}))
            while True:
                message = await ws.receive(timeout=120)
                if message.type is not aiohttp.WSMsgType.TEXT:
                    raise RuntimeError(f"widget socket ended: {message.type.name}")
                frame = json.loads(message.data)
                if frame.get("type") == "message" and frame.get("role") == "bot" and frame.get("seq", 0) > 1:
                    return  # seq 1 is the greeting the gateway stores itself; this is Rasa's
        finally:
            await ws.close()


async def _ready(http: aiohttp.ClientSession, gateway_url: str) -> bool:
    try:
        async with http.get(f"{gateway_url}/readyz", timeout=aiohttp.ClientTimeout(total=2)) as response:
            return response.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False


async def _make_run(clone: Path, log_path: Path) -> dict[str, Any]:
    """`make run` in the clone until its first answer; then Ctrl-C (SIGINT) as a user would."""
    gateway_port = free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RASA_TOKEN")}
    env |= {"GATEWAY_PORT": str(gateway_port), "RASA_PORT": str(free_port()),
            "ACTION_PORT": str(free_port()), "PUBLIC_URL": gateway_url}
    started = time.perf_counter()
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            "make", "run", cwd=clone, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL, start_new_session=True,
        )
    stages: dict[str, float] = {}
    try:
        async with aiohttp.ClientSession() as http:
            while not await _ready(http, gateway_url):
                if process.returncode is not None:
                    raise RuntimeError(f"make run exited with {process.returncode}; see {log_path}")
                if time.perf_counter() - started > START_TIMEOUT:
                    raise RuntimeError(f"not ready after {START_TIMEOUT:.0f}s; see {log_path}")
                if "setup_done" not in stages and SETUP_DONE_MARK in log_path.read_text(errors="replace"):
                    stages["setup_done"] = time.perf_counter() - started
                await asyncio.sleep(0.5)
        stages["ready"] = time.perf_counter() - started
        await _first_answer(gateway_url)
        stages["first_answer"] = time.perf_counter() - started
    finally:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 90)
            except asyncio.TimeoutError:
                os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
    return {name: round(seconds, 1) for name, seconds in stages.items()}


async def measure_cold_start(keep: bool = False) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bpo-cold-start-"))
    clone = workdir / "bpo-assist"
    try:
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            "git", "clone", "--quiet", str(ROOT), str(clone),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        _, stderr = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"git clone failed: {stderr.decode(errors='replace')}")
        cloned = time.perf_counter() - started
        load_before = load_average()
        cold = await _make_run(clone, workdir / "make-run-cold.log")
        warm = await _make_run(clone, workdir / "make-run-warm.log")
        return {
            "clone_seconds": round(cloned, 1),
            # From the start of `git clone` to the assistant's first answer.
            "cold_to_first_answer_seconds": round(cloned + cold["first_answer"], 1),
            "cold_stages_seconds_after_clone": cold,
            "warm_to_first_answer_seconds": warm["first_answer"],
            "warm_stages_seconds": warm,
            "environments": "shared cache ~/.cache/bpo-assist (already built; not part of the time)",
            "load_average_before": load_before,
            "load_average_after": load_average(),
            "workdir": str(workdir) if keep else None,
        }
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
