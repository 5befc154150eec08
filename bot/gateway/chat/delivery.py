"""Customer messages to Rasa and its answers back, in order, surviving Rasa outages.

Every stored customer message starts undelivered. A drain takes the
conversation's turn lock and hands its undelivered messages to Rasa oldest
first; each answer is stored together with the message's delivered flag. When
Rasa is down or slow the message stays undelivered, the customer is told
within RASA_TIMEOUT_SECONDS, and a background retry (with backoff) drains
again until Rasa answers. Any later message drains the backlog first.

Rasa gets the original text, which only lives in memory here until answered;
after a restart the stored (redacted) copy is sent instead.

Several gateway instances: the turn lock is shared (Redis), and a message that
may already have reached Rasa (sent by an instance that died, or before a
broken connection) is first looked up in Rasa's tracker by its seq, which goes
along in the metadata: when Rasa answered it, that answer is stored instead of
asking again, so no turn runs twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from bot.db import Database
from bot.db import conversations as store
from bot.db.tenants import TenantRef
from bot.db.types import utcnow
from bot.gateway import protocol
from bot.gateway.errors import AssistantUnavailable
from bot.gateway.metrics import GatewayMetrics
from bot.gateway.rasa_client import BotReply, RasaServers, RasaUnavailable, RasaUnreachable
from bot.gateway.chat import texts
from bot.gateway.chat.language import follow_customer_language
from bot.gateway.chat.locks import TurnLocks
from bot.gateway.chat.live_handoff import LiveHandoff
from bot.gateway.chat.replies import interpret_replies, understood_intent
from bot.gateway.chat.transcript import Transcript
from bot.gateway.settings import Settings
from bot.gateway.sockets import SocketRegistry

log = logging.getLogger(__name__)

_Key = tuple[str, int]  # (conversation id, seq)


def for_rasa(text: str) -> str:
    """Typed text as Rasa must see it: never as a command.

    Rasa reads a message starting with "/" as an intent with entities
    ("/inform{...}"); only quick-reply payloads the conversation offered may do that.
    """
    return text.lstrip().lstrip("/").lstrip() or text


class BotDelivery:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        rasa: RasaServers,
        transcript: Transcript,
        sockets: SocketRegistry,
        locks: TurnLocks,
        metrics: GatewayMetrics,
        handoff: LiveHandoff,
    ) -> None:
        self._settings = settings
        self._handoff = handoff  # where a turn that asked for a person goes
        self._db = database
        self._rasa = rasa
        self._transcript = transcript
        self._sockets = sockets
        self._locks = locks
        self._metrics = metrics
        self._originals: dict[_Key, str] = {}  # what Rasa should get, until it has answered
        # Sent to Rasa at least once without a stored answer: look in the tracker before resending.
        self._attempted: set[_Key] = set()
        # True: answered or not Rasa's to answer; False: Rasa failed, the customer is told.
        self._outcomes: dict[_Key, asyncio.Future[bool]] = {}
        self._told_unavailable: set[str] = set()  # conversations told since their last answer
        self._in_flight: set[asyncio.Task[Any]] = set()  # drains and their watchers
        self._retries: dict[str, asyncio.Task[None]] = {}
        self._closing = False
        self._handed_off: set[str] = set()  # conversations whose turn just ended in a handoff

    def submit(
        self,
        tenant: TenantRef,
        conversation_id: str,
        seq: int,
        client_id: str,
        language: str,
        *,
        text: str,
        payload: str | None,
    ) -> None:
        """Hand a freshly stored customer message to the assistant (in the background).

        text is the original (unredacted) text; payload an accepted quick-reply payload.
        """
        if self._closing:
            return  # stays undelivered in the database; the next start resends it
        key = (conversation_id, seq)
        self._originals[key] = payload or for_rasa(text)
        outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._outcomes[key] = outcome
        self._spawn(self.drain(tenant, conversation_id))
        self._spawn(self._watch(tenant, conversation_id, key, client_id, language, outcome))

    async def drain(self, tenant: TenantRef, conversation_id: str) -> bool:
        """Deliver the conversation's undelivered messages in order; False when Rasa failed."""
        async with self._locks.turn(conversation_id):
            try:
                async with self._db.sessionmaker() as session:
                    context, pending = await store.bot_backlog(session, tenant, conversation_id)
                if context is None or context.ended:
                    self._forget(conversation_id)
                    return True  # nothing more will ever be answered here
                if context.state != "bot":
                    # With (or waiting for) a human agent: Rasa must not answer meanwhile.
                    self._forget(conversation_id)
                    return True
                for message in pending:
                    if not await self._deliver(tenant, conversation_id, context, message):
                        self._settle_all(conversation_id, False)
                        self.schedule_retry(tenant, conversation_id)
                        return False
                    if conversation_id in self._handed_off:
                        # The rest is for the person taking over, not for Rasa.
                        self._handed_off.discard(conversation_id)
                        self._forget(conversation_id)
                        return True
                return True
            except Exception:
                log.exception("delivering messages of tenant %s failed", tenant.slug)
                self._settle_all(conversation_id, False)
                self.schedule_retry(tenant, conversation_id)
                return False

    def schedule_retry(self, tenant: TenantRef, conversation_id: str) -> None:
        """Drain again later, with backoff, until Rasa answers (one retry loop per conversation)."""
        if self._closing:
            return
        running = self._retries.get(conversation_id)
        if running is not None and not running.done():
            return
        task = asyncio.create_task(self._retry(tenant, conversation_id))
        self._retries[conversation_id] = task
        task.add_done_callback(lambda done: self._forget_retry(conversation_id, done))

    def take_over(self, tenant: TenantRef, conversation_id: str) -> None:
        """Answer whatever the conversation has waiting (e.g. its tab reconnected here after
        the instance it was on died); nothing happens when nothing waits."""
        if not self._closing:
            self._spawn(self.drain(tenant, conversation_id))

    async def resume_pending(self, *, waiting_longer_than: float | None = None) -> int:
        """Schedule redelivery for conversations left with unanswered messages: at startup
        (a previous run's), and now and then when several instances run (a dead one's;
        `waiting_longer_than` seconds leaves fresh ones to the instance that took them)."""
        sent_before = None
        if waiting_longer_than is not None:
            sent_before = utcnow() - timedelta(seconds=waiting_longer_than)
        async with self._db.sessionmaker() as session:
            waiting = await store.conversations_awaiting_bot(session, sent_before=sent_before)
        for key in waiting:
            self.schedule_retry(key.tenant, key.conversation_id)
        return len(waiting)

    async def finish_in_flight(self, timeout: float) -> None:
        """Graceful shutdown, part one: take no new work, let running turns finish."""
        self._closing = True
        deadline = time.monotonic() + timeout
        while self._in_flight and (remaining := deadline - time.monotonic()) > 0:
            await asyncio.wait(set(self._in_flight), timeout=remaining)

    async def close(self) -> None:
        """Shutdown, part two: stop retry loops and whatever is still running."""
        self._closing = True
        tasks = [*self._retries.values(), *self._in_flight]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _deliver(
        self,
        tenant: TenantRef,
        conversation_id: str,
        context: store.BotContext,
        message: store.PendingMessage,
    ) -> bool:
        key = (conversation_id, message.seq)
        # The original text when we still have it; after a restart the redacted copy.
        text = self._originals.get(key) or message.payload or for_rasa(message.text)
        # The customer's language becomes the conversation's (stored, seen by agents and routing).
        language = await follow_customer_language(self._db, tenant, conversation_id, text, context.language)
        metadata = {
            "tenant": tenant.slug,
            "verified_account": context.verified_account_number,
            "language": language,
            "conversation_id": conversation_id,
            "message_seq": message.seq,  # finds the turn in the tracker after a crash
        }
        await self._sockets.broadcast(conversation_id, protocol.typing(True))
        started = time.perf_counter()
        tried_before = key in self._attempted
        may_have_reached_rasa = tried_before or key not in self._originals
        try:
            replies = None
            if may_have_reached_rasa:
                replies = await self._answer_in_tracker(conversation_id, message.seq)
            if replies is None:
                self._attempted.add(key)
                replies = await self._rasa.send_message(conversation_id, text, metadata)
        except RasaUnavailable as error:
            if isinstance(error, RasaUnreachable) and not tried_before:
                self._attempted.discard(key)  # it never got there
            # The error text names no URL, token or message content.
            log.warning("assistant unavailable for tenant %s: %s", tenant.slug, error)
            self._metrics.turns.labels("unavailable").inc()
            await self._sockets.broadcast(conversation_id, protocol.typing(False))
            return False
        turn = interpret_replies(replies, language)
        await self._transcript.store_bot_turn(tenant, conversation_id, message.seq, turn)
        if turn.handoff is not None:
            self._handed_off.add(conversation_id)
            try:
                await self._handoff.start(
                    tenant,
                    conversation_id,
                    reason=turn.handoff.reason,
                    summary=turn.handoff.summary,
                    language=language,
                )
            except Exception:
                # The customer still got the bot's words; the request is in the gateway's log.
                log.exception("starting the handoff of tenant %s failed", tenant.slug)
        self._metrics.turn_latency.observe(time.perf_counter() - started)
        self._metrics.turns.labels("answered").inc()
        self._originals.pop(key, None)
        self._attempted.discard(key)
        self._told_unavailable.discard(conversation_id)
        self._settle(key, True)
        await self._sockets.broadcast(conversation_id, protocol.typing(False))
        return True

    async def _answer_in_tracker(self, conversation_id: str, seq: int) -> list[BotReply] | None:
        """Rasa's answer to message `seq` when the tracker has it, else None (send it)."""
        events = await self._rasa.tracker_events(conversation_id)
        return answer_in_tracker(events, seq)

    async def _watch(
        self,
        tenant: TenantRef,
        conversation_id: str,
        key: _Key,
        client_id: str,
        language: str,
        outcome: asyncio.Future[bool],
    ) -> None:
        """The 3-second promise: an answer, or an explanation, within RASA_TIMEOUT_SECONDS."""
        try:
            answered = await asyncio.wait_for(
                asyncio.shield(outcome), timeout=self._settings.rasa_timeout_seconds
            )
        except TimeoutError:
            answered = False
            self._outcomes.pop(key, None)
        if not answered:
            await self._tell_unavailable(tenant, conversation_id, client_id, language)

    async def _tell_unavailable(
        self, tenant: TenantRef, conversation_id: str, client_id: str, language: str
    ) -> None:
        # One system message per outage, so the transcript does not fill up with them.
        if conversation_id not in self._told_unavailable:
            self._told_unavailable.add(conversation_id)
            await self._transcript.store_system_message(
                tenant,
                conversation_id,
                texts.assistant_unavailable(language),
                [texts.ask_for_person_button(language)],
            )
        self._metrics.errors.labels(AssistantUnavailable.code).inc()
        log.info("told tenant %s's customer the assistant is unavailable", tenant.slug)
        await self._sockets.broadcast(
            conversation_id,
            protocol.error(
                AssistantUnavailable.code, texts.assistant_unavailable(language), client_id
            ),
        )

    async def _retry(self, tenant: TenantRef, conversation_id: str) -> None:
        delay = self._settings.retry_initial_seconds
        while True:
            await asyncio.sleep(delay)
            if await self.drain(tenant, conversation_id):
                return
            delay = min(delay * 2, self._settings.retry_max_seconds)

    def _forget_retry(self, conversation_id: str, task: asyncio.Task[None]) -> None:
        if self._retries.get(conversation_id) is task:
            del self._retries[conversation_id]

    def _settle(self, key: _Key, answered: bool) -> None:
        outcome = self._outcomes.pop(key, None)
        if outcome is not None and not outcome.done():
            outcome.set_result(answered)

    def _settle_all(self, conversation_id: str, answered: bool) -> None:
        for key in [key for key in self._outcomes if key[0] == conversation_id]:
            self._settle(key, answered)

    def _forget(self, conversation_id: str) -> None:
        """Not the bot's to answer (ended, or with a human): drop its state, explain nothing."""
        self._settle_all(conversation_id, True)
        for key in [key for key in self._originals if key[0] == conversation_id]:
            del self._originals[key]
        self._attempted = {key for key in self._attempted if key[0] != conversation_id}
        self._told_unavailable.discard(conversation_id)

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coroutine)
        self._in_flight.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a background turn failed", exc_info=task.exception())


def answer_in_tracker(events: list[dict[str, Any]], seq: int) -> list[BotReply] | None:
    """The bot's replies to the user message sent with metadata message_seq == seq, when
    the tracker holds that message (Rasa saves a turn's events together, at its end)."""
    start = None
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        metadata = event.get("metadata")
        if event.get("event") == "user" and isinstance(metadata, dict) and metadata.get("message_seq") == seq:
            start = index
            break
    if start is None:
        return None
    replies: list[BotReply] = []
    intent = understood_intent(events[start].get("parse_data"))
    if intent is not None:  # what the live channel would have added (bot/engine/rest_channel.py)
        replies.append(BotReply(custom={"turn": {"intent": intent}}))
    for event in events[start + 1 :]:
        kind = event.get("event")
        if kind == "user" or (kind == "action" and event.get("name") == "action_listen"):
            break
        if kind == "bot":
            data = event.get("data")
            replies.append(BotReply.parse({**(data if isinstance(data, dict) else {}), "text": event.get("text")}))
    return replies
