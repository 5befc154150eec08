"""The action server's endpoint, retried while the action server is briefly down.

Under `make run` the supervisor restarts a dead action server within seconds (its backoff,
then the start of `rasa_sdk` with our actions: 1–4 s on a quiet machine, ~12 s on a busy one). A turn that calls a custom action meanwhile would
have lost that action's events: Rasa 3.6 logs the failed call and carries on without them.

Only a failure to *connect* is retried, because only then is it certain that the action did
not run. Rasa opens a new connection for every action call (`EndpointConfig.request` makes a
new `aiohttp.ClientSession` each time), so `aiohttp.ClientConnectorError` (connection refused,
no route, name not resolved) means no byte of the request reached the action server. Anything
after the connection was made is never retried: a timeout, a reset or a closed connection
while waiting for the answer may come after the action already wrote to the database (opened a
ticket, marked the conversation verified, started a handoff), and our actions are not
idempotent. Those failures, and a server still down when the budget is spent, go to
`bot.engine.action_failures`, which tells the customer and offers a person.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

RETRY_SECONDS_VARIABLE = "ACTION_SERVER_RETRY_SECONDS"


@dataclass(frozen=True)
class RetryPolicy:
    """Connection attempts 0.1, 0.2, 0.4, 0.8, 1, 1 … s apart, the last at `budget_seconds`.

    15 s covers a supervised restart: 1–4 s on a quiet machine, 11.7 s measured on the 2-core
    test machine under load (tests/e2e/test_action_server_outage.py, 2026-12-06). It stays
    inside the gateway's wait for Rasa (RASA_REQUEST_TIMEOUT_SECONDS, 30 s; past it the gateway
    takes the answer from the tracker later, never running the turn twice), and the customer
    has already been told after RASA_TIMEOUT_SECONDS (2.5 s) that the answer is coming.
    """

    budget_seconds: float = 15.0
    first_delay: float = 0.1
    max_delay: float = 1.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> RetryPolicy:
        raw = env.get(RETRY_SECONDS_VARIABLE, "").strip()
        if not raw:
            return cls()
        try:
            budget = float(raw)
        except ValueError:
            raise ValueError(f"{RETRY_SECONDS_VARIABLE} must be a number of seconds, not {raw!r}") from None
        if not 0 <= budget <= 60:
            raise ValueError(f"{RETRY_SECONDS_VARIABLE} must be between 0 and 60 seconds, not {budget}")
        return cls(budget_seconds=budget)


def request_never_sent(error: BaseException) -> bool:
    """True when the action server cannot have seen the request: the connection itself failed.

    Certificate and TLS errors are connection errors too, but waiting does not cure them.
    """
    return isinstance(error, aiohttp.ClientConnectorError) and not isinstance(
        error, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientConnectorSSLError)
    )


class RetryingActionEndpoint(EndpointConfig):
    """Rasa's action endpoint whose `request` retries a refused connection (see module doc)."""

    def __init__(self, endpoint: EndpointConfig, policy: RetryPolicy | None = None) -> None:
        super().__init__(
            endpoint.url,
            endpoint.params,
            endpoint.headers,
            endpoint.basic_auth,
            endpoint.token,
            endpoint.token_name,
            endpoint.cafile,
            **endpoint.kwargs,
        )
        self.type = endpoint.type
        self.policy = policy or RetryPolicy()

    def copy(self) -> RetryingActionEndpoint:
        return RetryingActionEndpoint(super().copy(), self.policy)

    async def request(self, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        deadline = started + self.policy.budget_seconds
        delay = self.policy.first_delay
        attempts = 1
        while True:
            try:
                answer = await super().request(*args, **kwargs)
            except aiohttp.ClientConnectorError as error:
                remaining = deadline - time.monotonic()
                if not request_never_sent(error) or remaining <= 0:
                    if attempts > 1:
                        logger.error(
                            "action server at %s still unreachable after %d attempts in %.1f s: %s",
                            self.url, attempts, time.monotonic() - started, error,
                        )
                    raise
                if attempts == 1:
                    logger.warning(
                        "action server at %s refused the connection (%s); retrying for up to %.0f s",
                        self.url, error, self.policy.budget_seconds,
                    )
                await asyncio.sleep(min(delay, remaining))  # the last attempt at the deadline
                delay = min(delay * 2, self.policy.max_delay)
                attempts += 1
                continue
            if attempts > 1:
                logger.warning(
                    "action server at %s answered after %d attempts (%.1f s)",
                    self.url, attempts, time.monotonic() - started,
                )
            return answer


def retrying(endpoint: EndpointConfig | None, policy: RetryPolicy) -> EndpointConfig | None:
    """The endpoint with retries; one that already retries (or none) is returned as it is."""
    if endpoint is None or isinstance(endpoint, RetryingActionEndpoint):
        return endpoint
    return RetryingActionEndpoint(endpoint, policy)
