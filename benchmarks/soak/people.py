"""The simulated people of the soak: customers on the widget socket, agents on the console."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from benchmarks.serve.conversations import Conversation
from benchmarks.serve.handoff import ESCALATION, AgentConsole, FrameLog
from benchmarks.serve.stack import BenchStack


@dataclass
class Tally:
    """What the customers and agents saw, summed over everyone."""

    conversations: list[str] = field(default_factory=list)
    sent: set[str] = field(default_factory=set)  # client ids of customer messages written
    acked: set[str] = field(default_factory=set)
    duplicate_acks: int = 0  # the same client id acknowledged twice on one socket
    duplicate_frames: int = 0  # the same transcript seq delivered twice on one socket
    turns: int = 0
    answered: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    escalations: int = 0
    agent_answers_seen: int = 0  # by the escalating customer
    agent_replies_sent: int = 0
    claims_lost: int = 0  # another agent claimed first: normal, not an error


async def _until(log: FrameLog, since: int, predicate: Any, timeout: float) -> dict[str, Any] | None:
    try:
        _, frame = await log.wait_for(predicate, since=since, timeout=timeout)
    except TimeoutError:
        return None
    return frame


def _count_socket(log: FrameLog, tally: Tally) -> None:
    acks = Counter(f["client_id"] for _, f in log.frames if f["type"] == "ack")
    tally.acked.update(acks)
    tally.duplicate_acks += sum(n - 1 for n in acks.values())
    seqs = Counter(f["seq"] for _, f in log.frames if f["type"] == "message")
    tally.duplicate_frames += sum(n - 1 for n in seqs.values())


async def customer(stack: BenchStack, number: int, conversations: list[Conversation], end: float,
                   think: tuple[float, float], escalate_every: int, timeout: float, tally: Tally) -> None:
    """One customer: a conversation, a pause, the next one, until the end of the run."""
    rng = random.Random(number)
    await asyncio.sleep(rng.uniform(0, think[1]))  # not all at once
    round_number = 0
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < end:
            conversation = conversations[(number + round_number * 7) % len(conversations)]
            escalate = escalate_every > 0 and (number + round_number) % escalate_every == 0
            round_number += 1
            try:
                await _one_conversation(http, stack, conversation, escalate, end, think, rng,
                                        timeout, tally)
            except (aiohttp.ClientError, ConnectionError, OSError) as error:
                tally.errors[f"connection:{type(error).__name__}"] += 1
                await asyncio.sleep(1.0)


async def _one_conversation(http: aiohttp.ClientSession, stack: BenchStack, conversation: Conversation,
                            escalate: bool, end: float, think: tuple[float, float],
                            rng: random.Random, timeout: float, tally: Tally) -> None:
    url = f"{stack.gateway_url}/api/v1/tenants/{conversation.tenant}/ws"
    log = FrameLog(await http.ws_connect(url, origin=stack.origin))
    try:
        await log.send({"type": "hello", "conversation_id": None, "last_seq": 0,
                        "language": conversation.language})
        welcome = await _until(log, 0, lambda f: f["type"] in ("welcome", "error"), timeout)
        if welcome is None or welcome["type"] == "error":
            tally.errors["hello:" + (welcome or {}).get("code", "timeout")] += 1
            # As the widget does: wait before trying again, instead of hammering the gateway.
            await asyncio.sleep(rng.uniform(*think))
            return
        tally.conversations.append(welcome["conversation_id"])
        turns = list(conversation.turns)
        if escalate:
            turns = turns[:-1] + [ESCALATION]  # instead of the thanks
        for text in turns:
            if time.monotonic() >= end:
                return
            await _turn(log, text, timeout, tally)
            await asyncio.sleep(rng.uniform(*think))
        if escalate:
            tally.escalations += 1
            # Past the end too (within the run's grace period): the agents are still there.
            agent = await _until(log, 0, lambda f: f["type"] == "message" and f["role"] == "agent",
                                 timeout)
            if agent is None:
                tally.errors["no_agent_answer"] += 1
            else:
                tally.agent_answers_seen += 1
    finally:
        await log.close()
        _count_socket(log, tally)


async def _turn(log: FrameLog, text: str, timeout: float, tally: Tally) -> None:
    client_id = uuid.uuid4().hex
    since = len(log.frames)
    tally.sent.add(client_id)
    tally.turns += 1
    await log.send({"type": "message", "client_id": client_id, "text": text})
    seen_bot = False

    def done(frame: dict[str, Any]) -> bool:
        nonlocal seen_bot
        if frame["type"] == "message" and frame["role"] in ("bot", "agent"):
            seen_bot = True
        if frame["type"] == "error":
            tally.errors[frame.get("code", "error")] += 1
            return frame.get("code") != "assistant_unavailable"  # that one is answered later
        # The gateway ends a turn with `typing off` after storing the assistant's answer.
        return frame["type"] == "typing" and frame["role"] == "bot" and not frame["on"] and seen_bot

    finished = await _until(log, since, done, timeout)
    if finished is None:
        tally.errors["turn_timeout"] += 1
    elif finished["type"] != "error":
        tally.answered += 1


async def agent(stack: BenchStack, console: AgentConsole, end: float, tally: Tally) -> None:
    """Takes what is offered or queued, answers once, resolves; until the end of the run."""
    assert console.log is not None
    cursor = 0
    handled: set[str] = set()
    while time.monotonic() < end:
        frames = console.log.frames
        if cursor >= len(frames):
            await asyncio.sleep(0.2)
            continue
        _, frame = frames[cursor]
        cursor += 1
        if frame["type"] == "error" and frame.get("ref", "").startswith("claim"):
            tally.claims_lost += 1
        elif frame["type"] == "error":
            tally.errors[f"console:{frame.get('code')}"] += 1
        if frame["type"] != "ownership" or frame["conversation_id"] in handled:
            continue
        conversation_id = frame["conversation_id"]
        if frame["state"] == "queued":
            await console.log.send({"type": "claim", "conversation_id": conversation_id,
                                    "ref": f"claim-{conversation_id}"})
        elif frame["state"] == "assigned" and frame.get("agent_id") == console.agent_id:
            handled.add(conversation_id)
            asyncio.ensure_future(_answer(console, conversation_id, tally))


async def _answer(console: AgentConsole, conversation_id: str, tally: Tally) -> None:
    assert console.log is not None
    try:
        await console.log.send({"type": "message", "conversation_id": conversation_id,
                                "text": "Hello, I have taken over and I am looking at it now.",
                                "ref": f"reply-{conversation_id}"})
        tally.agent_replies_sent += 1
        await asyncio.sleep(5.0)  # the customer reads it before the chat is resolved
        await console.resolve(conversation_id)
    except (aiohttp.ClientError, RuntimeError, ConnectionError) as error:
        tally.errors[f"console:{type(error).__name__}"] += 1
