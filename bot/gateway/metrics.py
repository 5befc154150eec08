"""Prometheus metrics of one gateway app, in a registry of its own.

A per-app CollectorRegistry (not the process-global one) lets tests build as
many apps as they like without "duplicated timeseries" errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 10.0, 30.0)


@dataclass
class GatewayMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.turns = Counter(
            "gateway_turns",
            "Customer messages handed to the assistant, by outcome (answered, unavailable)",
            ["outcome"],
            registry=self.registry,
        )
        self.turn_latency = Histogram(
            "gateway_turn_latency_seconds",
            "Time from handing a customer message to Rasa until its replies are stored",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.open_sockets = Gauge(
            "gateway_open_sockets", "Open widget WebSocket connections", registry=self.registry
        )
        self.errors = Counter(
            "gateway_errors",
            "Errors reported to clients, by code",
            ["code"],
            registry=self.registry,
        )

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
