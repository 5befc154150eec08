"""One run of the serving benchmark: start the stack, measure every phase, write the results."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.serve.capacity import measure_capacity
from benchmarks.serve.cold_start import measure_cold_start
from benchmarks.serve.conversations import all_conversations, turns_per_conversation
from benchmarks.serve.handoff import measure_handoffs
from benchmarks.serve.load import PATHS, ROUND_ORDER, Load, summarise_phase
from benchmarks.serve.machine import (
    Stopwatch,
    load_average,
    machine_info,
    now_iso,
    raise_file_limit,
    versions,
)
from benchmarks.serve.options import ROOT, BenchOptions
from benchmarks.serve.profile import profile_during
from benchmarks.serve.report import goals, print_capacity, print_handoff, print_level
from benchmarks.serve.stack import UNLIMITED_RATE, BenchStack, redis_url_for, start_stack

# Issue 6's reference figures for Rasa's `rasa init` example assistant on this machine.
ANCHORS = {
    "rasa_init_turns_per_s_one_customer": 18,
    "rasa_init_p50_ms_one_customer": 54,
    "rasa_init_saturation_turns_per_s": 23,
    "rasa_init_rss_gb_per_server": 1.4,
}
WARMUP_CONCURRENCY = 4


def _rss_mib(stack: BenchStack) -> dict[str, float]:
    return {name: round(usage.rss_bytes / 2**20, 1) for name, usage in stack.usage().items()}


async def _measure_turns(stack: BenchStack, options: BenchOptions, results: dict[str, Any]) -> None:
    load = Load(stack, options.turn_timeout)
    # Each WebSocket is a connection of its own: no pool limit.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        warmup = {}
        for path in PATHS:
            print(f"  warm-up {path} ({options.warmup:.0f}s) …", flush=True)
            warmup[path] = summarise_phase(
                await load.phase(http, path, WARMUP_CONCURRENCY, options.warmup))
        results["warmup"] = {path: {"errors": w["errors"], "latency_p50_ms": w["latency"]["p50_ms"]}
                             for path, w in warmup.items()}
        results["turns"] = []
        for concurrency in options.levels:
            level = await load.level(http, concurrency, options.duration)
            results["turns"].append(level)
            print_level(level)
        results["memory_mib_after_turns"] = _rss_mib(stack)
        if options.profile:
            print(f"  profiling the gateway path at {max(options.levels)} customers "
                  f"({options.profile:.0f}s, not measured) …", flush=True)
            results["profile"] = await profile_during(
                stack, options.profile, stack.workdir / "profile",
                load.phase(http, "gateway", max(options.levels), options.profile))
            if not options.keep_workdir:
                results["profile"].pop("files", None)  # removed with the work dir


async def run_serving(options: BenchOptions) -> dict[str, Any]:
    clock = Stopwatch()
    file_limit = raise_file_limit()
    workdir = Path(tempfile.mkdtemp(prefix="bpo-bench-serve-"))
    results: dict[str, Any] = {
        "benchmark": "serve",
        "date": now_iso(),
        "machine": machine_info(),
        "versions": versions(),
        "parameters": {
            "levels": list(options.levels),
            "seconds_per_level_and_path": options.duration,
            "round_order": list(ROUND_ORDER),
            "warmup_seconds_per_path": options.warmup,
            "turn_timeout_seconds": options.turn_timeout,
            "think_time_seconds": 0,
            "rasa_servers": options.rasa_servers,
            "sanic_workers": options.sanic_workers,
            "action_server_workers": options.action_workers,
            "redis": bool(redis_url_for(options)),
            "database": "given" if options.database_url else "fresh SQLite",
            "gateway_rate_limits": UNLIMITED_RATE,
            "conversations": len(all_conversations()),
            "mean_turns_per_conversation": round(turns_per_conversation(), 2),
            "handoffs": options.handoffs,
            "agent_messages_per_handoff": options.agent_messages,
            "idle_connections": options.connections,
            "file_limit": list(file_limit),
            "model": str(options.model.relative_to(ROOT) if options.model.is_relative_to(ROOT) else options.model),
        },
        "anchors": ANCHORS,
        "load_average_at_start": load_average(),
    }
    print(f"Serving benchmark (load average {results['load_average_at_start']}); work dir {workdir}",
          flush=True)
    if file_limit[0] < options.max_connections_needed:
        print(f"  warning: RLIMIT_NOFILE is {file_limit[0]}: fewer than {options.connections} idle "
              "connections will open (raise the hard limit: ulimit -Hn)", flush=True)
    print("  starting the stack …", flush=True)
    stack = await start_stack(options, workdir)
    try:
        results["startup_seconds"] = round(clock.elapsed(), 1)
        results["memory_mib_after_start"] = _rss_mib(stack)
        # Processes per service: Sanic workers show here (Rasa forks one per SANIC_WORKERS).
        results["processes_after_start"] = {name: u.processes for name, u in stack.usage().items()}
        await _measure_turns(stack, options, results)
        if options.handoffs:
            print(f"  handoff latency ({options.handoffs} escalations) …", flush=True)
            results["handoff"] = await measure_handoffs(stack, options.handoffs, options.agent_messages)
            print_handoff(results["handoff"])
        if options.connections:
            print(f"  capacity ({options.connections} idle widgets) …", flush=True)
            results["capacity"] = await measure_capacity(stack, options.connections)
            print_capacity(results["capacity"])
    finally:
        results["crashed_services"] = stack.crashed()
        await stack.supervisor.stop_all()
        if options.keep_workdir:
            print(f"  logs and databases kept in {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results["goals"] = goals(results)
    results["load_average_at_end"] = load_average()
    results["total_seconds"] = round(clock.elapsed(), 1)
    return results


async def run_cold_start(options: BenchOptions) -> dict[str, Any]:
    results: dict[str, Any] = {
        "benchmark": "serve-cold-start",
        "date": now_iso(),
        "machine": machine_info(),
        "versions": versions(),
        "load_average_at_start": load_average(),
    }
    print(f"Cold start (load average {results['load_average_at_start']}): git clone, make run, "
          "first answer; then a warm restart. Trains a model: 5-15 minutes.", flush=True)
    results["cold_start"] = await measure_cold_start(keep=options.keep_workdir)
    print(json.dumps(results["cold_start"], indent=2), flush=True)
    return results


def write_results(results: dict[str, Any], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"results: {output}", flush=True)
