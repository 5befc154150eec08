"""Which agent gets a chat, whether anyone can take it, and how long the customer may wait.

Pure rules first, then the one data function that feeds them.

- Available: online, with a heartbeat within `heartbeat_timeout`, speaking the
  conversation's language (and serving its tenant: callers pass that tenant's
  agents). If nobody is available the customer leaves a message instead.
- Eligible: available and below max_concurrent_chats.
- Auto-assignment picks the eligible agent with the fewest open chats; ties go to
  the one idle longest (oldest last_assigned_at, never-assigned first), then the
  lowest id so the choice is deterministic.
- Estimated wait: none while the queue position fits in the available agents'
  free chat slots; beyond that, average handling time × ceil((position − free
  slots) ÷ chat slots), chat slots being the available agents'
  max_concurrent_chats summed (each round of chats ending frees that many).
  The average handling time is the median of the tenant's recent handling
  times (assigned → resolved) once there are MIN_HANDLING_SAMPLES of them, else
  DEFAULT_HANDLING_TIME (6 minutes, a typical customer-service chat).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.agents import AgentLoad, agent_loads

DEFAULT_HEARTBEAT_TIMEOUT = timedelta(seconds=90)
DEFAULT_HANDLING_TIME = timedelta(minutes=6)
MIN_HANDLING_SAMPLES = 3
_NEVER = datetime.min.replace(tzinfo=UTC)


def is_available(
    agent: AgentLoad, *, language: str, now: datetime, heartbeat_timeout: timedelta
) -> bool:
    return (
        agent.presence == "online"
        and agent.last_heartbeat_at is not None
        and now - agent.last_heartbeat_at <= heartbeat_timeout
        and language in agent.languages
    )


def is_eligible(
    agent: AgentLoad, *, language: str, now: datetime, heartbeat_timeout: timedelta
) -> bool:
    return agent.open_chats < agent.max_concurrent_chats and is_available(
        agent, language=language, now=now, heartbeat_timeout=heartbeat_timeout
    )


def available_agents(
    agents: Iterable[AgentLoad], *, language: str, now: datetime, heartbeat_timeout: timedelta
) -> list[AgentLoad]:
    return [
        agent
        for agent in agents
        if is_available(agent, language=language, now=now, heartbeat_timeout=heartbeat_timeout)
    ]


def ranked_candidates(
    agents: Iterable[AgentLoad], *, language: str, now: datetime, heartbeat_timeout: timedelta
) -> list[AgentLoad]:
    """Eligible agents, best first: fewest open chats, then idle longest, then lowest id."""
    eligible = [
        agent
        for agent in agents
        if is_eligible(agent, language=language, now=now, heartbeat_timeout=heartbeat_timeout)
    ]
    return sorted(
        eligible, key=lambda a: (a.open_chats, a.last_assigned_at or _NEVER, a.agent_id)
    )


def average_handling_time(
    samples: Sequence[timedelta], *, default: timedelta = DEFAULT_HANDLING_TIME
) -> timedelta:
    if len(samples) < MIN_HANDLING_SAMPLES:
        return default
    return timedelta(seconds=statistics.median(sample.total_seconds() for sample in samples))


def estimate_wait(
    position: int,
    available: Sequence[AgentLoad],
    handling_times: Sequence[timedelta],
    *,
    default: timedelta = DEFAULT_HANDLING_TIME,
) -> timedelta | None:
    """Expected wait for the chat at `position` (1 = next); None when no agent is available."""
    if position < 1:
        raise ValueError("queue positions start at 1")
    chat_slots = sum(agent.max_concurrent_chats for agent in available)
    if chat_slots <= 0:
        return None
    free_slots = sum(max(0, a.max_concurrent_chats - a.open_chats) for a in available)
    if position <= free_slots:
        return timedelta(0)
    rounds = math.ceil((position - free_slots) / chat_slots)
    return average_handling_time(handling_times, default=default) * rounds


async def tenant_agents(session: AsyncSession, tenant_id: int) -> list[AgentLoad]:
    """Every agent serving the tenant with their current load (feed for the rules above)."""
    return await agent_loads(session, tenant_id)
