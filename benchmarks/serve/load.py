"""Closed-loop load: N customers chat at once, each sending its next message as soon as
the previous turn is answered (no think time), for a fixed time.

Throughput = turns answered within the measured window / window length. Turns still in
flight when the window closes are awaited and their latencies kept, but they do not
count for throughput. A customer whose turn failed starts a new conversation.

Each level runs the two paths in the rounds direct, gateway, gateway, direct (half the
duration each): drift from other work on the shared machine hits both paths alike, so
their ratio is taken on the same machine at the same moment.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from benchmarks.serve.conversations import all_conversations
from benchmarks.serve.customers import CustomerGone, DirectCustomer, TurnSample, WidgetCustomer
from benchmarks.serve.machine import GroupUsage, load_average, own_usage
from benchmarks.serve.stack import BenchStack
from benchmarks.serve.stats import latency_summary, ratio

PATHS = ("direct", "gateway")
ROUND_ORDER = ("direct", "gateway", "gateway", "direct")


@dataclass
class PhaseResult:
    path: str
    concurrency: int
    window: float = 0.0
    samples: list[TurnSample] = field(default_factory=list)
    answered_in_window: int = 0
    open_latencies: list[float] = field(default_factory=list)
    open_failures: Counter[str] = field(default_factory=Counter)  # why a conversation did not open
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # per service, and "load"
    load_average: list[float] = field(default_factory=list)

    def merge(self, other: PhaseResult) -> None:
        self.window += other.window
        self.samples += other.samples
        self.answered_in_window += other.answered_in_window
        self.open_latencies += other.open_latencies
        self.open_failures.update(other.open_failures)
        for name, seconds in other.cpu_seconds.items():
            self.cpu_seconds[name] = self.cpu_seconds.get(name, 0.0) + seconds
        self.load_average = other.load_average  # the latest round's


class Load:
    def __init__(self, stack: BenchStack, turn_timeout: float) -> None:
        self._stack = stack
        self._turn_timeout = turn_timeout
        self._conversations = all_conversations()
        self._next = 0  # each new customer takes the next conversation of the rotation
        self._rasa_turn = 0  # direct customers are spread over the Rasa servers like conversations

    def _customer(self, http: aiohttp.ClientSession, path: str) -> WidgetCustomer | DirectCustomer:
        conversation = self._conversations[self._next % len(self._conversations)]
        self._next += 1
        if path == "gateway":
            return WidgetCustomer(http, self._stack.gateway_url, self._stack.origin, conversation,
                                  self._turn_timeout)
        urls = self._stack.rasa_urls
        self._rasa_turn += 1
        return DirectCustomer(http, urls[self._rasa_turn % len(urls)], conversation, self._turn_timeout)

    async def phase(self, http: aiohttp.ClientSession, path: str, concurrency: int,
                    duration: float) -> PhaseResult:
        result = PhaseResult(path, concurrency)
        before = self._stack.usage()
        own_before = own_usage().cpu_seconds
        started = time.perf_counter()
        deadline = started + duration

        async def one_customer() -> None:
            while time.perf_counter() < deadline:
                customer = self._customer(http, path)
                try:
                    await customer.open()
                except CustomerGone as error:
                    result.open_failures[f"open_failed:{error}"] += 1
                    await customer.close()
                    await asyncio.sleep(0.1)
                    continue
                if customer.open_latency is not None and path == "gateway":
                    result.open_latencies.append(customer.open_latency)
                try:
                    for text in customer.conversation.turns:
                        if time.perf_counter() >= deadline:
                            break
                        sample = await customer.turn(text)
                        result.samples.append(sample)
                        if sample.latency is None:
                            break  # this conversation is broken; start another
                finally:
                    await customer.close()

        await asyncio.gather(*(one_customer() for _ in range(concurrency)))
        result.window = duration
        result.answered_in_window = sum(
            1 for s in result.samples if s.finished is not None and s.finished <= deadline
        )
        after = self._stack.usage()
        result.cpu_seconds = _cpu_delta(before, after)
        result.cpu_seconds["load_generator"] = own_usage().cpu_seconds - own_before
        result.load_average = load_average()
        return result

    async def level(self, http: aiohttp.ClientSession, concurrency: int, duration: float) -> dict[str, Any]:
        """Both paths at one concurrency, in ABBA rounds; the level's summary."""
        merged = {path: PhaseResult(path, concurrency) for path in PATHS}
        for path in ROUND_ORDER:
            merged[path].merge(await self.phase(http, path, concurrency, duration / 2))
        return summarise_level(concurrency, merged)


def _cpu_delta(before: dict[str, GroupUsage], after: dict[str, GroupUsage]) -> dict[str, float]:
    return {name: round(after[name].cpu_seconds - before[name].cpu_seconds, 2)
            for name in after if name in before}


def summarise_phase(result: PhaseResult) -> dict[str, Any]:
    answered = [s.latency for s in result.samples if s.latency is not None]
    errors = Counter(code for s in result.samples for code in s.errors)
    errors.update(result.open_failures)
    throughput = result.answered_in_window / result.window if result.window else 0.0
    turns = max(result.answered_in_window, 1)
    summary: dict[str, Any] = {
        "throughput_turns_per_s": round(throughput, 2),
        "turns_answered_in_window": result.answered_in_window,
        "turns_sent": len(result.samples),
        "window_s": round(result.window, 1),
        "latency": latency_summary(answered),
        # The same conversations on both paths: the bot should say as much on each.
        "bot_messages_per_turn": round(
            sum(s.bot_messages for s in result.samples if s.latency is not None) / len(answered), 2
        ) if answered else None,
        "errors": sum(errors.values()),
        "errors_by_kind": dict(errors),
        # CPU milliseconds each process (group) spent per answered turn: where the time goes.
        "cpu_ms_per_turn": {name: round(seconds * 1000 / turns, 1)
                            for name, seconds in sorted(result.cpu_seconds.items())},
        "load_average_after": result.load_average,
    }
    if result.path == "gateway":
        acks = [s.ack_latency for s in result.samples if s.ack_latency is not None]
        summary["ack_latency"] = latency_summary(acks)
        summary["conversation_open_latency"] = latency_summary(result.open_latencies)
    return summary


def summarise_level(concurrency: int, merged: dict[str, PhaseResult]) -> dict[str, Any]:
    gateway = summarise_phase(merged["gateway"])
    direct = summarise_phase(merged["direct"])
    return {
        "concurrency": concurrency,
        "gateway": gateway,
        "direct": direct,
        "gateway_over_direct": {
            "p50": ratio(gateway["latency"]["p50_ms"], direct["latency"]["p50_ms"]),
            "p95": ratio(gateway["latency"]["p95_ms"], direct["latency"]["p95_ms"]),
            "throughput": ratio(gateway["throughput_turns_per_s"], direct["throughput_turns_per_s"]),
        },
    }
