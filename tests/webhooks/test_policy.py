"""Retry decisions: what is final, how long to wait, when to give up."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.webhooks.policy import Attempt, backoff, decide, parse_retry_after
from bot.webhooks.settings import WebhookSettings

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
SETTINGS = WebhookSettings()


def _decide(attempt: Attempt, attempts: int = 1, age: timedelta = timedelta()) -> str:
    return decide(attempt, attempts_so_far=attempts, first_recorded_at=NOW - age, now=NOW, settings=SETTINGS).status


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429])
def test_server_errors_408_and_429_are_retried(status: int) -> None:
    assert _decide(Attempt(status)) == "pending"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422, 301, 302])
def test_other_client_errors_and_redirects_are_final(status: int) -> None:
    assert _decide(Attempt(status)) == "failed"


def test_timeouts_are_retried_but_refused_destinations_are_not() -> None:
    assert _decide(Attempt(None, error="timeout")) == "pending"
    assert _decide(Attempt(None, error="refused: private", refused=True)) == "failed"


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    rng = random.Random(1)
    for attempts in range(1, 20):
        ceiling = min(SETTINGS.backoff_max, SETTINGS.backoff_base * 2 ** (attempts - 1))
        assert ceiling / 2 <= backoff(attempts, SETTINGS, rng) <= ceiling


def test_retry_after_lengthens_the_wait_and_past_the_window_the_delivery_fails() -> None:
    waited = decide(Attempt(429, retry_after=900), attempts_so_far=1, first_recorded_at=NOW, now=NOW, settings=SETTINGS)
    assert waited.next_attempt_at == NOW + timedelta(seconds=900)
    assert _decide(Attempt(500), attempts=30, age=timedelta(hours=23, minutes=59)) == "failed"


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after("Sun, 06 Dec 2026 02:01:00 GMT", NOW) == 60
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
