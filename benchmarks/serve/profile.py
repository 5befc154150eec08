"""Where the CPU goes under load: py-spy samples of the gateway, Rasa and the action server.

py-spy (a sampling profiler; `pip install py-spy`, not a dependency of the product) reads
the processes' stacks from outside, so nothing in the stack changes. It runs in an extra
phase whose numbers are not reported as results (sampling costs CPU on the same cores).
Only stacks of running threads count (py-spy leaves out threads asleep, e.g. in epoll), so
the shares are of busy time; on an overloaded machine a thread woken but waiting for a CPU
also counts, which shows as time "in" selectors.select or aiosqlite's worker loop. Each
frame is attributed to a package: the directory under site-packages, the standard library,
or our own module.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections import Counter
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from benchmarks.serve.stack import BenchStack

SAMPLE_RATE = 50  # per second and process: enough for shares, cheap on 2 cores
TOP = 12
TOP_STEPS = 40  # the outer frames (run, handle, …) take the first places
# Whose functions tell which step of a turn the time goes to.
APPLICATION_PACKAGES = ("rasa", "rasa_sdk", "bot.", "actions.")
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def py_spy_path() -> str | None:
    return os.environ.get("PY_SPY") or shutil.which("py-spy")


def package_of(path: str) -> str:
    """'…/site-packages/tensorflow/python/x.py' -> 'tensorflow'; ours -> 'bot.gateway', 'actions.faq'."""
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    for ours in ("/bot/", "/actions/"):
        if ours in path:
            first = path.split(ours, 1)[1].split("/")[0]
            return f"{ours.strip('/')}.{first.removesuffix('.py')}"
    if "/lib/python3" in path:  # '…/lib/python3.11/asyncio/events.py' -> 'stdlib:asyncio'
        parts = path.rsplit("/lib/python3", 1)[1].split("/")
        return "stdlib:" + (parts[1].removesuffix(".py") if len(parts) > 1 else "?")
    return path or "?"


def short_path(path: str) -> str:
    """'…/site-packages/rasa/core/processor.py' -> 'rasa/core/processor.py'; ours from the repo."""
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    for ours in ("/bot/", "/actions/"):
        if ours in path:
            return ours.lstrip("/") + path.split(ours, 1)[1]
    return path


def summarise_raw(raw: str) -> dict[str, Any]:
    """py-spy's collapsed stacks ('f1 (a.py:1);f2 (b.py:2) COUNT' per line) -> shares."""
    leaf_functions: Counter[str] = Counter()
    leaf_packages: Counter[str] = Counter()
    inclusive_packages: Counter[str] = Counter()
    inclusive_steps: Counter[str] = Counter()  # functions of Rasa, rasa_sdk and ours
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f]
        # py-spy may prefix the process and thread: keep only "function (file:line)" frames.
        parsed = [m for m in (_FRAME.match(f) for f in frames) if m and m["file"].endswith(".py")]
        if not parsed:
            continue
        total += count
        leaf = parsed[-1]
        leaf_functions[f"{leaf['function']} ({package_of(leaf['file'])})"] += count
        leaf_packages[package_of(leaf["file"])] += count
        for package in {package_of(m["file"]) for m in parsed}:
            inclusive_packages[package] += count
        steps = {f"{m['function']} ({short_path(m['file'])})" for m in parsed
                 if package_of(m["file"]).startswith(APPLICATION_PACKAGES)}
        for step in steps:
            inclusive_steps[step] += count

    def shares(counter: Counter[str], top: int = TOP) -> list[list[Any]]:
        return [[name, round(100 * n / total, 1)] for name, n in counter.most_common(top)] if total else []

    return {
        "busy_samples": total,
        "self_percent_by_function": shares(leaf_functions),
        "self_percent_by_package": shares(leaf_packages),
        "inclusive_percent_by_package": shares(inclusive_packages),
        "inclusive_percent_by_application_function": shares(inclusive_steps, TOP_STEPS),
    }


async def profile_during(stack: BenchStack, seconds: float, out_dir: Path,
                         load: Awaitable[Any]) -> dict[str, Any]:
    """Sample every service for `seconds` while `load` runs; summaries per service."""
    py_spy = py_spy_path()
    if py_spy is None:
        await load
        return {"skipped": "py-spy not found (pip install py-spy, or set PY_SPY)"}
    out_dir.mkdir(parents=True, exist_ok=True)
    samplers = {}
    for name, pid in stack.pids().items():
        output = out_dir / f"{name}.collapsed.txt"
        samplers[name] = (output, await asyncio.create_subprocess_exec(
            py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
            "--rate", str(SAMPLE_RATE), "--format", "raw", "--output", str(output),
            "--nonblocking", "--subprocesses", "--full-filenames",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        ))
    await load
    result: dict[str, Any] = {"seconds": seconds, "rate_hz": SAMPLE_RATE, "files": str(out_dir)}
    for name, (output, process) in samplers.items():
        _, stderr = await process.communicate()
        if process.returncode != 0 or not output.exists():
            result[name] = {"error": stderr.decode(errors="replace")[-300:]}
            continue
        result[name] = summarise_raw(output.read_text(errors="replace"))
    return result
