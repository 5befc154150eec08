"""The turn lock across gateway instances: each Redis client stands for one process."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot.gateway.chat.redis_locks import RedisConversationLocks

from .conftest import REDIS_URL
from .support import unused_port
REPO = Path(__file__).resolve().parents[2]

# A gateway process that takes a turn and never finishes it (until it is killed).
HOLDER = """
import asyncio, sys
import redis.asyncio as aioredis
from bot.gateway.chat.redis_locks import RedisConversationLocks

async def main(url, prefix, lease):
    locks = RedisConversationLocks(aioredis.Redis.from_url(url), lease_seconds=lease, prefix=prefix)
    async with locks.turn("conversation-1"):
        print("holding", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
"""


async def test_one_turn_at_a_time_across_two_instances(
    redis_client: Callable[..., aioredis.Redis], prefix: str
) -> None:
    instances = [RedisConversationLocks(redis_client(), prefix=prefix) for _ in range(2)]
    inside = 0
    most_inside = 0
    turns_by_instance = [0, 0]

    async def take_turns(number: int) -> None:
        nonlocal inside, most_inside
        for _ in range(5):
            async with instances[number].turn("conversation-1"):
                inside += 1
                most_inside = max(most_inside, inside)
                await asyncio.sleep(0.01)  # the Rasa call
                inside -= 1
                turns_by_instance[number] += 1

    await asyncio.wait_for(
        asyncio.gather(*(take_turns(number) for number in (0, 1, 0, 1, 0, 1))), 30
    )

    assert most_inside == 1
    assert turns_by_instance == [15, 15]


async def test_other_conversations_do_not_wait(
    redis_client: Callable[..., aioredis.Redis], prefix: str
) -> None:
    first = RedisConversationLocks(redis_client(), prefix=prefix)
    second = RedisConversationLocks(redis_client(), prefix=prefix)

    async with first.turn("conversation-1"):
        await asyncio.wait_for(_enter_and_leave(second, "conversation-2"), 2)


async def test_a_long_turn_keeps_its_lock_by_renewing_the_lease(
    redis_client: Callable[..., aioredis.Redis], prefix: str
) -> None:
    lease = 0.6
    holder = RedisConversationLocks(redis_client(), lease_seconds=lease, prefix=prefix)
    waiter = RedisConversationLocks(redis_client(), lease_seconds=lease, prefix=prefix)
    observer = redis_client()
    released_at: float | None = None
    entered_at: float | None = None

    async def wait_for_turn() -> None:
        nonlocal entered_at
        async with waiter.turn("conversation-1"):
            entered_at = time.monotonic()

    async with holder.turn("conversation-1"):
        waiting = asyncio.create_task(wait_for_turn())
        await asyncio.sleep(4 * lease)  # four leases long
        assert not waiting.done()
        assert await observer.pttl(f"{prefix}turn:conversation-1") > 0
        released_at = time.monotonic()
    await asyncio.wait_for(waiting, 5)

    assert entered_at is not None and entered_at >= released_at
    assert entered_at - released_at < 0.5  # the waiter polls briskly once it is free


async def test_the_lock_of_a_dead_instance_frees_itself_when_its_lease_runs_out(
    redis_client: Callable[..., aioredis.Redis], prefix: str
) -> None:
    lease = 1.0
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, REDIS_URL, prefix, str(lease),
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert await asyncio.wait_for(holder.stdout.readline(), 30) == b"holding\n"
        survivor = RedisConversationLocks(redis_client(), lease_seconds=lease, prefix=prefix)
        with pytest.raises(TimeoutError):  # alive, it renews: nobody else gets in
            await asyncio.wait_for(_enter_and_leave(survivor, "conversation-1"), 2 * lease)

        holder.send_signal(signal.SIGKILL)  # no finally, no release: only the lease is left
        await holder.wait()
        killed_at = time.monotonic()

        await asyncio.wait_for(_enter_and_leave(survivor, "conversation-1"), 3 * lease)
        assert time.monotonic() - killed_at <= lease + 0.5
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()


async def test_leaving_never_releases_a_lock_that_another_instance_holds_by_now(
    redis_client: Callable[..., aioredis.Redis], prefix: str
) -> None:
    locks = RedisConversationLocks(redis_client(), lease_seconds=0.6, prefix=prefix)
    other = redis_client()
    key = f"{prefix}turn:conversation-1"

    async with locks.turn("conversation-1"):
        # Our lease ran out (a stalled process) and another instance took the lock.
        await other.set(key, "another-instance", px=10_000)
        await asyncio.sleep(0.5)  # a renewal comes due meanwhile
        assert await other.pttl(key) > 5_000  # and left the other's lease alone

    assert await other.get(key) == b"another-instance"


async def test_a_cancelled_turn_gives_its_lock_back_at_once(
    redis_client: Callable[..., aioredis.Redis], prefix: str
) -> None:
    locks = RedisConversationLocks(redis_client(), prefix=prefix)  # 30 s lease
    other = RedisConversationLocks(redis_client(), prefix=prefix)
    inside = asyncio.Event()

    async def turn_forever() -> None:
        async with locks.turn("conversation-1"):
            inside.set()
            await asyncio.sleep(3600)

    turn = asyncio.create_task(turn_forever())
    await asyncio.wait_for(inside.wait(), 5)
    turn.cancel()
    await asyncio.gather(turn, return_exceptions=True)

    await asyncio.wait_for(_enter_and_leave(other, "conversation-1"), 2)


async def test_without_redis_a_turn_waits_rather_than_running_unlocked(
    redis_client: Callable[..., aioredis.Redis], prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = redis_client(f"redis://127.0.0.1:{unused_port()}/0", retry=Retry(NoBackoff(), 0))
    locks = RedisConversationLocks(nowhere, prefix=prefix)

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(_enter_and_leave(locks, "conversation-1"), 1.0)

    warnings = [
        r for r in caplog.records
        if r.name == "bot.gateway.chat.redis_locks" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1  # not once per attempt


async def test_transcript_locks_stay_local(
    redis_client: Callable[..., aioredis.Redis], prefix: str
) -> None:
    locks = RedisConversationLocks(redis_client(), prefix=prefix)

    async with locks.transcript("conversation-1"):
        assert locks.transcript("conversation-1").locked()
        assert not locks.transcript("conversation-2").locked()


async def _enter_and_leave(locks: RedisConversationLocks, conversation_id: str) -> None:
    async with locks.turn(conversation_id):
        pass
