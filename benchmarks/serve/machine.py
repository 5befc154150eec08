"""What the numbers were measured on, and what each process spent (read from /proc; Linux only).

Every service runs in a process group of its own (bot/stack/supervisor.py starts it with
start_new_session), so a service's cost is the sum over its group: Rasa's Sanic workers
and TensorFlow helpers included.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.serve.options import ROOT

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: other work on this shared 2-core machine."""
    return [round(value, 2) for value in os.getloadavg()]


@dataclass(frozen=True)
class GroupUsage:
    cpu_seconds: float  # user + system time of every live process in the group
    rss_bytes: int
    processes: int


def group_usage(pgid: int) -> GroupUsage:
    """CPU time and resident memory of every process whose process group is `pgid`."""
    cpu = 0.0
    rss = 0
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        # Field 2 (comm) may contain spaces and parentheses: split after its closing ")".
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) != pgid:  # field 5: pgrp
            continue
        cpu += (int(fields[11]) + int(fields[12])) / _TICKS  # fields 14, 15: utime, stime
        rss += int(fields[21]) * _PAGE  # field 24: rss in pages
        count += 1
    return GroupUsage(cpu, rss, count)


def own_usage() -> GroupUsage:
    """This (load-generating) process: it shares the two cores with the system under test."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss = int(Path("/proc/self/statm").read_text().split()[1]) * _PAGE
    return GroupUsage(usage.ru_utime + usage.ru_stime, rss, 1)


def raise_file_limit() -> tuple[int, int]:
    """Soft RLIMIT_NOFILE up to the hard limit; children (the gateway) inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def machine_info() -> dict[str, Any]:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpu_model": cpu_model,
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kb / 2**20, 1),
        "kernel": platform.release(),
        "file_limit": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
    }


def _engine_versions() -> dict[str, str]:
    """Versions inside the engine environment (Python 3.10), asked of its own interpreter."""
    code = (
        "import json, sys\n"
        "from importlib.metadata import version\n"
        "names = ['rasa', 'tensorflow', 'spacy', 'sanic']\n"
        "out = {'engine_python': sys.version.split()[0]}\n"
        "for n in names:\n"
        "    try: out[n] = version(n)\n"
        "    except Exception: out[n] = None\n"
        "print(json.dumps(out))\n"
    )
    python = ROOT / ".venv" / "engine" / "bin" / "python"
    try:
        done = subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                              timeout=60, check=True)
        return json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, json.JSONDecodeError):
        return {}


def versions() -> dict[str, Any]:
    from importlib.metadata import version

    app = {"app_python": platform.python_version()}
    for name in ("aiohttp", "rasa-sdk", "sqlalchemy", "aiosqlite", "asyncpg"):
        try:
            app[name] = version(name)
        except Exception:
            app[name] = None
    return app | _engine_versions() | _source_state()


def _source_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    model = ROOT / "models" / "assistant.tar.gz"
    return {
        "commit": git("rev-parse", "HEAD"),
        # Uncommitted changes to what is measured (another engineer may be mid-edit).
        "uncommitted": sorted(
            line[3:] for line in git("status", "--porcelain").splitlines()
            if line[3:].startswith(("bot/", "actions/", "config.yml", "domain.yml", "data/",
                                    "endpoints.yml"))
        ),
        "model_trained_at": (
            datetime.fromtimestamp(model.stat().st_mtime, UTC).isoformat(timespec="seconds")
            if model.exists() else None
        ),
    }


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Stopwatch:
    """Monotonic seconds since creation."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started
