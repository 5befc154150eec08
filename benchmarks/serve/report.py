"""Progress lines while the benchmark runs, and issue 6's goals checked against the results."""

from __future__ import annotations

from typing import Any

# Issue 6, "Serving".
P50_OVERHEAD_MAX = 1.10
THROUGHPUT_GOAL = 2 * 23  # twice `rasa init`'s saturation on this machine, turns/s
ESCALATION_P95_MAX_MS = 100
AGENT_MESSAGE_P95_MAX_MS = 20
CONNECTIONS_GOAL = 10_000
CAPACITY_RSS_MAX_MIB = 1024


def print_level(level: dict[str, Any]) -> None:
    for path in ("direct", "gateway"):
        phase = level[path]
        latency = phase["latency"]
        cpu = ", ".join(f"{name} {value}" for name, value in phase["cpu_ms_per_turn"].items())
        print(f"  {level['concurrency']:>3} customers {path:<8} "
              f"{phase['throughput_turns_per_s']:>6.1f} turns/s  p50 {latency['p50_ms']} "
              f"p95 {latency['p95_ms']} p99 {latency['p99_ms']} ms  errors {phase['errors']}  "
              f"load {phase['load_average_after'][0]}  cpu ms/turn: {cpu}", flush=True)
    ratio = level["gateway_over_direct"]
    print(f"      gateway/direct: p50 x{ratio['p50']}  throughput x{ratio['throughput']}", flush=True)


def print_handoff(handoff: dict[str, Any]) -> None:
    escalation = handoff["escalation_to_console"]
    after = handoff["assistant_answer_to_console"]
    agent = handoff["agent_message_to_widget"]
    print(f"      escalation -> console p50 {escalation['p50_ms']} p95 {escalation['p95_ms']} ms "
          f"(after the assistant's answer: p50 {after['p50_ms']} p95 {after['p95_ms']} ms); "
          f"agent -> widget p50 {agent['p50_ms']} p95 {agent['p95_ms']} ms; errors {handoff['errors']}",
          flush=True)


def print_capacity(capacity: dict[str, Any]) -> None:
    print(f"      held {capacity['connections_held']}/{capacity['connections_attempted']} "
          f"(gateway counts {capacity['gateway_open_sockets_metric']}) in "
          f"{capacity['seconds_to_open_all']}s; gateway RSS {capacity['gateway_rss_before_mib']} -> "
          f"{capacity['gateway_rss_after_mib']} MiB, {capacity['bytes_per_connection']} bytes/connection",
          flush=True)


def goals(results: dict[str, Any]) -> dict[str, Any]:
    """Each goal of issue 6 with the measured value beside it (None: not measured)."""
    levels = results.get("turns", [])
    checks: dict[str, Any] = {}
    if levels:
        ratios = {str(level["concurrency"]): level["gateway_over_direct"]["p50"] for level in levels}
        checks["gateway_p50_overhead_at_most_10_percent"] = {
            "measured_ratio_by_concurrency": ratios,
            "met": all(r is not None and r <= P50_OVERHEAD_MAX for r in ratios.values()),
        }
        best = max(level["gateway"]["throughput_turns_per_s"] for level in levels)
        checks["full_stack_throughput_at_least_46_turns_per_s"] = {
            "measured": best, "met": best >= THROUGHPUT_GOAL}
        turn_errors = sum(level[path]["errors"] for level in levels for path in ("gateway", "direct"))
        handoff_errors = results.get("handoff", {}).get("errors", 0)
        capacity_errors = results.get("capacity", {}).get("connections_failed", 0)
        total = turn_errors + handoff_errors + capacity_errors
        checks["zero_errors"] = {"measured": total, "met": total == 0}
    handoff = results.get("handoff")
    if handoff:
        escalation = handoff["escalation_to_console"]["p95_ms"]
        agent = handoff["agent_message_to_widget"]["p95_ms"]
        checks["escalation_to_console_p95_at_most_100_ms"] = {
            "measured": escalation, "met": escalation is not None and escalation <= ESCALATION_P95_MAX_MS}
        checks["agent_message_to_widget_p95_at_most_20_ms"] = {
            "measured": agent, "met": agent is not None and agent <= AGENT_MESSAGE_P95_MAX_MS}
    capacity = results.get("capacity")
    if capacity:
        held = capacity["connections_held"]
        rss = capacity["gateway_rss_after_mib"]
        checks["10000_idle_connections_under_1_gb"] = {
            "measured": {"held": held, "gateway_rss_mib": rss},
            "met": held >= CONNECTIONS_GOAL and rss < CAPACITY_RSS_MAX_MIB,
        }
    return checks
