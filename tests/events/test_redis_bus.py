"""The Redis bus between gateway processes: what only it has to get right.

Each Redis client stands for one gateway process. Breakages go through a TCP proxy
(or kill only this bus's own connection), never through the shared Redis itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot.events import Subscription
from bot.events.redis_bus import RedisBus

from .redis_support import REDIS_URL, RedisFactory
from .tcp_proxy import TcpProxy

WAIT = 5.0
LOGGER = "bot.events.redis_bus"


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    proxy = await TcpProxy(REDIS_URL).start()
    yield proxy
    await proxy.close()


@pytest.fixture
async def buses() -> AsyncIterator[list[RedisBus]]:
    """Buses a test makes; closed at the end whatever happened."""
    made: list[RedisBus] = []
    yield made
    for bus in made:
        await bus.close()


async def subscribed(bus: RedisBus, topics: list[str]) -> Subscription:
    return await asyncio.wait_for(bus.subscribe(topics), WAIT)


async def next_event(subscription: Subscription) -> dict:
    return await asyncio.wait_for(subscription.get(), WAIT)


async def subscribers_in_redis(redis_client: RedisFactory, channel: str) -> int:
    counts = dict(await redis_client().pubsub_numsub(channel))
    return counts[channel.encode()]


Publish = Callable[[str, dict], Awaitable[None]]


async def until_delivered_again(subscription: Subscription, publish: Publish, topic: str) -> None:
    """Publish probes until one arrives (what was published while broken is lost)."""

    async def probe() -> None:
        n = 0
        while True:
            await publish(topic, {"probe": n})
            n += 1
            await asyncio.sleep(0.05)

    prober = asyncio.create_task(probe())
    try:
        event = await next_event(subscription)
        assert "probe" in event
    finally:
        prober.cancel()
        await asyncio.gather(prober, return_exceptions=True)


async def next_non_probe(subscription: Subscription) -> dict:
    while "probe" in (event := await next_event(subscription)):
        pass
    return event


def warnings_of(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING
        and text in r.getMessage()
    ]


async def test_two_gateway_processes_see_each_others_events(
    redis_client: RedisFactory, prefix: str, buses: list[RedisBus]
) -> None:
    a = RedisBus(redis_client(), prefix=prefix)
    b = RedisBus(redis_client(), prefix=prefix)
    buses += [a, b]
    on_a = await subscribed(a, ["tenant:1"])
    on_b = await subscribed(b, ["tenant:1"])

    await a.publish("tenant:1", {"from": "a"})
    await b.publish("tenant:1", {"from": "b"})

    for subscription in (on_a, on_b):
        assert await next_event(subscription) == {"from": "a"}
        assert await next_event(subscription) == {"from": "b"}


async def test_buses_with_another_prefix_hear_nothing(
    redis_client: RedisFactory, prefix: str, buses: list[RedisBus]
) -> None:
    ours = RedisBus(redis_client(), prefix=prefix)
    other_installation = RedisBus(redis_client(), prefix=prefix + "other:")
    buses += [ours, other_installation]
    subscription = await subscribed(ours, ["tenant:1"])

    await other_installation.publish("tenant:1", {"from": "elsewhere"})
    await ours.publish("tenant:1", {"from": "here"})

    assert await next_event(subscription) == {"from": "here"}


async def test_one_redis_subscription_per_topic_however_many_local_subscribers(
    redis_client: RedisFactory, prefix: str, buses: list[RedisBus]
) -> None:
    bus = RedisBus(redis_client(), prefix=prefix)
    buses.append(bus)
    channel = prefix + "tenant:1"
    first = await subscribed(bus, ["tenant:1"])
    second = await subscribed(bus, ["tenant:1"])
    assert await subscribers_in_redis(redis_client, channel) == 1

    first.close()
    await bus.publish("tenant:1", {"n": 1})
    assert await next_event(second) == {"n": 1}  # the channel stays for the other one
    assert await subscribers_in_redis(redis_client, channel) == 1

    second.close()
    for _ in range(100):  # the UNSUBSCRIBE goes out in the background
        if await subscribers_in_redis(redis_client, channel) == 0:
            break
        await asyncio.sleep(0.05)
    assert await subscribers_in_redis(redis_client, channel) == 0


async def test_delivery_resumes_after_the_bus_connection_is_killed(
    redis_client: RedisFactory, prefix: str, buses: list[RedisBus],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    name = "bus-" + prefix.replace(":", "-")
    bus = RedisBus(redis_client(client_name=name), prefix=prefix)
    buses.append(bus)
    subscription = await subscribed(bus, ["tenant:1", "agent:2"])
    admin = redis_client()
    ours = [c["id"] for c in await admin.client_list(_type="pubsub") if c["name"] == name]
    assert len(ours) == 1  # one pub/sub connection for the whole process

    await admin.client_kill_filter(_id=ours[0])

    await until_delivered_again(subscription, bus.publish, "tenant:1")
    await bus.publish("agent:2", {"after": "reconnect"})  # every topic was resubscribed
    assert await next_non_probe(subscription) == {"after": "reconnect"}
    assert len(warnings_of(caplog, "lost its Redis connection")) == 1
    assert any("reconnected" in r.getMessage() for r in caplog.records if r.name == LOGGER)


async def test_subscribe_waits_while_redis_is_down_and_completes_once_it_is_back(
    redis_client: RedisFactory, prefix: str, buses: list[RedisBus], proxy: TcpProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxy.refuse = True
    bus = RedisBus(redis_client(proxy.url), prefix=prefix)
    buses.append(bus)
    subscribing = asyncio.create_task(bus.subscribe(["tenant:1"]))
    await asyncio.sleep(0.7)
    assert not subscribing.done()

    proxy.refuse = False
    subscription = await asyncio.wait_for(subscribing, WAIT)
    await redis_client().publish(prefix + "tenant:1", '{"n": 1}')

    assert await next_event(subscription) == {"n": 1}
    assert len(warnings_of(caplog, "lost its Redis connection")) == 1  # not once per attempt


async def test_a_silent_connection_is_noticed_and_replaced(
    redis_client: RedisFactory, prefix: str, buses: list[RedisBus], proxy: TcpProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = RedisBus(redis_client(proxy.url), prefix=prefix, keepalive_seconds=0.2)
    buses.append(bus)
    subscription = await subscribed(bus, ["tenant:1"])
    direct = redis_client()

    proxy.go_silent()  # the connection stays open and never says a word again

    async def publish(topic: str, event: dict) -> None:
        await direct.publish(prefix + topic, f'{{"probe": {event["probe"]}}}')

    await until_delivered_again(subscription, publish, "tenant:1")
    assert len(warnings_of(caplog, "did not answer a PING")) == 1


async def test_a_cancelled_subscribe_gives_its_topics_back(
    redis_client: RedisFactory, prefix: str, buses: list[RedisBus], proxy: TcpProxy
) -> None:
    proxy.refuse = True
    bus = RedisBus(redis_client(proxy.url), prefix=prefix)
    buses.append(bus)
    abandoned = asyncio.create_task(bus.subscribe(["tenant:1"]))
    await asyncio.sleep(0.2)
    abandoned.cancel()
    await asyncio.gather(abandoned, return_exceptions=True)

    proxy.refuse = False
    await asyncio.wait_for(bus.subscribe(["tenant:2"]), WAIT)

    assert await subscribers_in_redis(redis_client, prefix + "tenant:2") == 1
    assert await subscribers_in_redis(redis_client, prefix + "tenant:1") == 0


async def test_publishing_while_redis_is_down_drops_events_warns_once_and_recovers(
    redis_client: RedisFactory, prefix: str, buses: list[RedisBus], proxy: TcpProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    listener = RedisBus(redis_client(), prefix=prefix)
    publisher = RedisBus(redis_client(proxy.url, retry=Retry(NoBackoff(), 0)), prefix=prefix)
    buses += [listener, publisher]
    subscription = await subscribed(listener, ["tenant:1"])
    proxy.refuse = True
    proxy.cut()

    for n in range(3):
        await publisher.publish("tenant:1", {"lost": n})  # no exception for the caller

    proxy.refuse = False
    await publisher.publish("tenant:1", {"n": "back"})
    assert await next_event(subscription) == {"n": "back"}
    assert len(warnings_of(caplog, "could not publish")) == 1


async def test_a_malformed_message_is_dropped_and_later_events_still_arrive(
    redis_client: RedisFactory, prefix: str, buses: list[RedisBus],
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = RedisBus(redis_client(), prefix=prefix)
    buses.append(bus)
    subscription = await subscribed(bus, ["tenant:1"])
    stranger = redis_client()

    await stranger.publish(prefix + "tenant:1", b"not json")
    await stranger.publish(prefix + "tenant:1", b"[1, 2]")
    await bus.publish("tenant:1", {"n": 1})

    assert await next_event(subscription) == {"n": 1}
    assert len(warnings_of(caplog, "malformed event")) == 2


async def test_resubscribing_while_the_unsubscribe_is_in_flight_still_waits_for_redis(
    redis_client: RedisFactory, prefix: str, buses: list[RedisBus]
) -> None:
    bus = RedisBus(redis_client(), prefix=prefix)
    buses.append(bus)
    for n in range(60):
        (await subscribed(bus, ["tenant:1"])).close()
        for _ in range(n % 12):  # lets the UNSUBSCRIBE go out, at varying points
            await asyncio.sleep(0)
        again = await subscribed(bus, ["tenant:1"])
        await bus.publish("tenant:1", {"n": n})
        assert await next_event(again) == {"n": n}
        again.close()
