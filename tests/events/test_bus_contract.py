"""What every event bus promises, checked against each implementation (in-process, Redis)."""

from __future__ import annotations

import asyncio

import pytest

from bot.events import EventBus, Subscription, SubscriptionClosed
from bot.events.bus import QUEUE_LIMIT

WAIT = 5.0  # generous: the machine is shared; an event that arrives at all arrives in ms


async def subscribed(bus: EventBus, topics: list[str]) -> Subscription:
    return await asyncio.wait_for(bus.subscribe(topics), WAIT)


async def next_event(subscription: Subscription) -> dict:
    return await asyncio.wait_for(subscription.get(), WAIT)


async def nothing_more(subscription: Subscription) -> bool:
    try:
        await asyncio.wait_for(subscription.get(), 0.2)
    except TimeoutError:
        return True
    return False


async def test_every_subscriber_of_a_topic_receives_each_event(bus: EventBus) -> None:
    first = await subscribed(bus, ["tenant:1"])
    second = await subscribed(bus, ["tenant:1"])

    await bus.publish("tenant:1", {"type": "queue_changed", "tenant_id": 1})

    assert await next_event(first) == {"type": "queue_changed", "tenant_id": 1}
    assert await next_event(second) == {"type": "queue_changed", "tenant_id": 1}


async def test_a_subscriber_receives_nothing_of_topics_it_did_not_subscribe_to(
    bus: EventBus,
) -> None:
    subscription = await subscribed(bus, ["tenant:1"])

    await bus.publish("tenant:2", {"type": "message", "text": "for tenant 2 only"})
    await bus.publish("tenant:1", {"type": "message", "text": "for tenant 1"})

    # Had tenant 2's event been delivered, it would have come first.
    assert await next_event(subscription) == {"type": "message", "text": "for tenant 1"}
    assert await nothing_more(subscription)


async def test_one_subscription_receives_every_topic_it_subscribed_to(bus: EventBus) -> None:
    subscription = await subscribed(bus, ["tenant:1", "agent:7"])

    await bus.publish("tenant:1", {"n": 1})
    await bus.publish("agent:7", {"n": 2})

    assert [await next_event(subscription), await next_event(subscription)] == [{"n": 1}, {"n": 2}]


async def test_events_of_a_topic_arrive_in_publish_order(bus: EventBus) -> None:
    subscription = await subscribed(bus, ["tenant:1"])

    for n in range(300):
        await bus.publish("tenant:1", {"n": n})

    assert [(await next_event(subscription))["n"] for _ in range(300)] == list(range(300))


async def test_an_event_published_right_after_subscribe_returns_is_never_missed(
    bus: EventBus,
) -> None:
    for n in range(25):
        subscription = await subscribed(bus, [f"conversation-topic:{n}"])
        await bus.publish(f"conversation-topic:{n}", {"n": n})
        assert await next_event(subscription) == {"n": n}
        subscription.close()


async def test_a_topic_subscribed_again_after_its_last_subscriber_left_still_delivers(
    bus: EventBus,
) -> None:
    for n in range(10):
        subscription = await subscribed(bus, ["tenant:1"])
        subscription.close()
        again = await subscribed(bus, ["tenant:1"])
        await bus.publish("tenant:1", {"n": n})
        assert await next_event(again) == {"n": n}
        again.close()


async def test_closing_a_subscription_stops_its_delivery_and_no_one_elses(bus: EventBus) -> None:
    leaving = await subscribed(bus, ["tenant:1"])
    staying = await subscribed(bus, ["tenant:1"])
    await bus.publish("tenant:1", {"n": 1})
    assert await next_event(staying) == {"n": 1}

    leaving.close()
    await bus.publish("tenant:1", {"n": 2})

    assert await next_event(staying) == {"n": 2}
    assert [event async for event in leaving] == []  # not even the event queued before close
    with pytest.raises(SubscriptionClosed):
        await leaving.get()


async def test_closing_a_subscription_wakes_its_waiting_reader(bus: EventBus) -> None:
    subscription = await subscribed(bus, ["tenant:1"])
    received: list[dict] = []

    async def read_all() -> None:
        async for event in subscription:
            received.append(event)

    reader = asyncio.create_task(read_all())
    await bus.publish("tenant:1", {"n": 1})
    while not received:
        await asyncio.sleep(0.01)

    subscription.close()

    await asyncio.wait_for(reader, WAIT)
    assert received == [{"n": 1}]


async def test_closing_the_bus_ends_every_subscription(bus: EventBus) -> None:
    subscription = await subscribed(bus, ["tenant:1", "agent:1"])

    await bus.close()

    with pytest.raises(SubscriptionClosed):
        await asyncio.wait_for(subscription.get(), WAIT)


async def test_a_slow_subscriber_loses_its_oldest_events_and_slows_no_one(bus: EventBus) -> None:
    slow = await subscribed(bus, ["tenant:1"])
    fast = await subscribed(bus, ["tenant:1"])
    total = QUEUE_LIMIT + 50

    fast_got: list[int] = []

    async def keep_up() -> None:
        while len(fast_got) < total:
            fast_got.append((await fast.get())["n"])

    reader = asyncio.create_task(keep_up())
    for n in range(total):
        await bus.publish("tenant:1", {"n": n})
        await asyncio.sleep(0)  # the fast reader's turn
    await asyncio.wait_for(reader, WAIT)

    # The fast one got everything; once it has the last event, so does the slow one's queue.
    assert fast_got == list(range(total))

    kept = [(await next_event(slow))["n"] for _ in range(QUEUE_LIMIT)]
    assert kept == list(range(total - QUEUE_LIMIT, total))
    assert await nothing_more(slow)
