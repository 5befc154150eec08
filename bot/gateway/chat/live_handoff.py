"""The live human handoff: one door for every move between the customer's widget, the
agents' consoles (through the event bus) and the handoff use cases (bot.handoff).

One method per move, each running its use case and applying the result itself
(telling the customer, the consoles, resuming Rasa's paused tracker):

- customer side: start() (the assistant, or the gateway when Rasa is down, asked for a
  person), customer_message() (a stored message: the bot's, an agent's, a rating, a
  "leave a message" choice), customer_typing();
- agent side: claim(), transfer(), resolve(), hand_back(), set_presence(), heartbeat(),
  disconnect(), requeue_silent_agents(), agent_message(), agent_typing().

Every message shown to the customer is stored through the Transcript first (so a
tab that reconnects replays it); live-only frames (queue position, typing) are not.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from bot.db import Database
from bot.db import conversations as store
from bot.db.agents import AgentScope
from bot.db.assignments import queued_conversations
from bot.db.models import Message
from bot.db.tenants import TenantRef
from bot.events.bus import EventBus, agent_topic, tenant_topic
from bot.gateway import protocol
from bot.gateway.rasa_client import RasaServers, RasaUnavailable
from bot.gateway.chat import texts
from bot.gateway.chat.replies import interpret_replies
from bot.gateway.chat.transcript import Transcript
from bot.gateway.sockets import SocketRegistry
from bot.handoff.results import HandoffOutcome, Outcome, OwnershipChange, QueueStatus
from bot.handoff.use_cases import HandoffService
from bot.handoff.workspace import AgentWorkspace

log = logging.getLogger(__name__)

GATEWAY_HANDOFF_REASON = "assistant_unavailable"
WELCOME_BACK_RESPONSE = "utter_greet"


class LiveHandoff:
    def __init__(
        self,
        database: Database,
        service: HandoffService,
        workspace: AgentWorkspace,
        transcript: Transcript,
        sockets: SocketRegistry,
        rasa: RasaServers,
        bus: EventBus,
        *,
        heartbeat_timeout: timedelta,
    ) -> None:
        self._db = database
        self.heartbeat_timeout = heartbeat_timeout  # an 'online' agent silent longer is gone
        self._service = service
        self._workspace = workspace
        self._transcript = transcript
        self._sockets = sockets
        self._rasa = rasa
        self._bus = bus

    # --- the customer's side ------------------------------------------------------------

    async def start(
        self,
        tenant: TenantRef,
        conversation_id: str,
        *,
        reason: str,
        summary: dict[str, Any] | None,
        language: str,
    ) -> HandoffOutcome:
        """Queue the chat (or assign it, or turn it into a ticket) and tell the customer."""
        await self._forget_backlog(tenant, conversation_id)
        # Redacted here, once (the summary quotes the customer); stored by the use case.
        outcome = await self._service.start_handoff(
            tenant, conversation_id, reason=reason, summary=self._transcript.redact_values(summary)
        )
        if outcome.kind == "left_message":
            why = texts.handoff_text(outcome.closed_reason or "no_agent_available", language)
            if outcome.next_opening is not None:
                when = outcome.next_opening.strftime("%a %d %b %H:%M")
                why += " " + texts.handoff_text("next_opening", language, when=when)
            told = texts.handoff_text("message_left", language, reference=outcome.ticket_reference)
            await self._transcript.store_system_message(tenant, conversation_id, f"{why} {told}")
            await self._publish_ownership(outcome.change)
            return outcome
        if outcome.kind == "queued" and outcome.queue is not None:
            await self._transcript.store_system_message(
                tenant,
                conversation_id,
                queue_text(outcome.queue, language),
                [texts.leave_message_button(language)],
            )
        await self.apply([outcome.change], language=language)
        return outcome

    async def customer_message(
        self,
        tenant: TenantRef,
        conversation_id: str,
        seq: int,
        payload: str | None,
        language: str,
        *,
        state: str,
    ) -> bool:
        """True when the stored message is not the bot's to answer (it was handled here).

        `state`: the conversation's owner as read when the message was stored (an open
        conversation: the transcript refuses messages to ended ones), so the common turn
        reads nothing more here. Whatever goes to the bot is checked again under the turn
        lock before Rasa sees it.
        """
        rating = texts.rating_of(payload)
        if rating is not None and state == "resolved":
            await self._mark_answered(tenant, conversation_id, seq)
            await self._service.rate(tenant, conversation_id, rating)
            await self._transcript.store_system_message(
                tenant, conversation_id, texts.handoff_text("rated", language)
            )
            await self._bus.publish(
                tenant_topic(tenant.id),
                {"type": "rated", "conversation_id": conversation_id, "rating": rating},
            )
            return True
        if payload == texts.LEAVE_MESSAGE_PAYLOAD and state == "queued":
            await self._mark_answered(tenant, conversation_id, seq)
            outcome = await self._service.leave_message(tenant, conversation_id)
            await self._transcript.store_system_message(
                tenant,
                conversation_id,
                texts.handoff_text("message_left", language, reference=outcome.ticket_reference),
            )
            await self._publish_ownership(outcome.change)
            await self._resume_rasa(conversation_id)
            await self.refresh_queue(tenant)
            return True
        if state in ("queued", "assigned"):
            # The agent (or the one who takes it) reads it in the console; Rasa never does.
            await self._mark_answered(tenant, conversation_id, seq)
            return True
        if state == "resolved":
            # Writing again after the chat was closed: the bot takes it from here.
            change = await self._service.customer_returned(tenant, conversation_id)
            await self._resume_rasa(conversation_id)
            await self._publish_ownership(change)
            return False
        if payload == texts.REQUEST_HUMAN_PAYLOAD and not await self._rasa_up():
            # The assistant cannot escalate while it is down: the gateway does it.
            await self._mark_answered(tenant, conversation_id, seq)
            await self.start(
                tenant,
                conversation_id,
                reason=GATEWAY_HANDOFF_REASON,
                summary={"text": "The assistant was unavailable; the customer asked for a person."},
                language=language,
            )
            return True
        return False

    async def customer_typing(self, tenant: TenantRef, conversation_id: str, on: bool) -> None:
        await self._bus.publish(
            tenant_topic(tenant.id),
            {"type": "typing", "conversation_id": conversation_id, "role": "customer", "on": on},
        )

    # --- the agent's side -----------------------------------------------------------------

    async def agent_message(self, scope: AgentScope, conversation_id: str, text: str) -> Message:
        """Store the agent's message (only in their own chat) and show it in the customer's tabs."""
        return await self._transcript.store_agent_message(
            conversation_id, lambda: self._workspace.post_message(scope, conversation_id, text)
        )

    async def agent_typing(self, scope: AgentScope, conversation_id: str, on: bool) -> bool:
        """Typing indicator to the customer, only from the chat's owner; False otherwise."""
        scoped = await self._workspace.conversation(scope, conversation_id)
        conversation = scoped.conversation
        if conversation.state != "assigned" or conversation.assigned_agent_id != scope.agent_id:
            return False
        await self._sockets.broadcast(conversation_id, protocol.typing(on, "agent"))
        return True

    async def claim(self, scope: AgentScope, conversation_id: str) -> OwnershipChange:
        change = await self._service.claim(scope, conversation_id)
        await self.apply([change])
        return change

    async def transfer(self, scope: AgentScope, conversation_id: str, to_agent_id: int) -> Outcome:
        return await self._applied(await self._service.transfer(scope, conversation_id, to_agent_id))

    async def resolve(self, scope: AgentScope, conversation_id: str) -> Outcome:
        return await self._applied(await self._service.resolve(scope, conversation_id))

    async def hand_back(self, scope: AgentScope, conversation_id: str) -> Outcome:
        return await self._applied(await self._service.hand_back_to_bot(scope, conversation_id))

    async def set_presence(self, scope: AgentScope, presence: str) -> None:
        """online / away / offline; going offline puts the agent's chats back in the queue."""
        await self.apply(await self._service.set_presence(scope, presence))

    async def heartbeat(self, scope: AgentScope) -> None:
        await self._service.heartbeat(scope)

    async def disconnect(self, agent_id: int, *, grace: timedelta) -> None:
        """The agent's last console closed and stayed away for `grace`: their chats go back."""
        await self.apply(await self._service.agent_disconnected(agent_id, grace=grace))

    async def requeue_silent_agents(self, *, grace: timedelta) -> None:
        """Chats of agents gone without a clean disconnect go back to the queue."""
        changes = await self._service.requeue_silent_agents(grace=max(grace, self.heartbeat_timeout))
        await self.apply(changes)

    async def _applied(self, outcome: Outcome) -> Outcome:
        await self.apply([outcome.change, *outcome.dispatched])
        return outcome

    # --- ownership changes -----------------------------------------------------------------

    async def apply(self, changes: Iterable[OwnershipChange], *, language: str | None = None) -> None:
        """Tell the customer and the consoles what each change means; resume Rasa when due."""
        tenants: dict[int, TenantRef] = {}
        for change in changes:
            tenants[change.tenant.id] = change.tenant
            try:
                await self._tell_customer(change, language)
            except Exception:
                log.exception("telling tenant %s's customer about a handoff change failed", change.tenant.slug)
            await self._publish_ownership(change)
        for tenant in tenants.values():
            await self.refresh_queue(tenant)

    async def refresh_queue(self, tenant: TenantRef) -> None:
        """Queue positions and waits to every waiting customer with an open tab; consoles reload."""
        await self._bus.publish(tenant_topic(tenant.id), {"type": "queue_changed", "tenant_id": tenant.id})
        async with self._db.sessionmaker() as session:
            waiting = [c.id for c in await queued_conversations(session, tenant.id)]
        for conversation_id in waiting:
            if not self._sockets.might_show(conversation_id):
                continue
            status = await self._service.queue_status(tenant, conversation_id)
            if status is not None:
                await self._sockets.broadcast(conversation_id, queue_frame(status))

    async def _tell_customer(self, change: OwnershipChange, language: str | None) -> None:
        tenant, conversation_id = change.tenant, change.conversation_id
        if language is None:
            language = await self._language(tenant, conversation_id)
        kinds = change.event_kinds
        say = self._transcript.store_system_message
        if "assigned" in kinds:
            name = change.agent_name or "An agent"
            await say(tenant, conversation_id, texts.handoff_text("agent_joined", language, agent=name))
            await self._sockets.broadcast(conversation_id, agent_joined_frame(name))
        if "transferred" in kinds:
            name = change.agent_name or "Another agent"
            await say(tenant, conversation_id, texts.handoff_text("transferred", language, agent=name))
            await self._sockets.broadcast(conversation_id, agent_joined_frame(name))
        if "requeued" in kinds:
            await self._agent_left(conversation_id, "requeued")
            await say(
                tenant,
                conversation_id,
                texts.handoff_text("requeued", language),
                [texts.leave_message_button(language)],
            )
        if "rating_requested" in kinds:
            await self._agent_left(conversation_id, "resolved")
            await say(
                tenant, conversation_id, texts.handoff_text("resolved", language), texts.rating_buttons()
            )
        if "handed_back" in kinds:
            await self._agent_left(conversation_id, "handed_back")
            await say(tenant, conversation_id, texts.handoff_text("handed_back", language))
            await self._resume_rasa(conversation_id)
            await self._welcome_back(tenant, conversation_id, language)

    async def _agent_left(self, conversation_id: str, reason: str) -> None:
        await self._sockets.broadcast(conversation_id, protocol.typing(False, "agent"))
        await self._sockets.broadcast(conversation_id, {"type": "agent_left", "reason": reason})

    async def _welcome_back(self, tenant: TenantRef, conversation_id: str, language: str) -> None:
        """The bot greets the customer again (its greeting turn, through Rasa's HTTP API)."""
        try:
            replies = await self._rasa.execute_response(conversation_id, WELCOME_BACK_RESPONSE)
        except RasaUnavailable as error:
            log.warning("the bot could not greet back on tenant %s: %s", tenant.slug, error)
            return
        turn = interpret_replies(replies, language)
        greeting = [entry for entry in turn.messages if entry.role == "bot"]
        if greeting:
            await self._transcript.store_messages(tenant, conversation_id, greeting)

    async def _resume_rasa(self, conversation_id: str) -> None:
        """Un-pause the assistant's tracker; if Rasa is down the next turn still reaches it
        (a paused tracker only ignores predictions), so a failure is logged, not raised."""
        try:
            await self._rasa.resume(conversation_id)
        except RasaUnavailable as error:
            log.warning("could not resume the assistant's tracker: %s", error)

    async def _rasa_up(self) -> bool:
        try:
            await self._rasa.status(timeout=1.0)
        except RasaUnavailable:
            return False
        return True

    async def _publish_ownership(self, change: OwnershipChange) -> None:
        event = {
            "type": "ownership",
            "conversation_id": change.conversation_id,
            "tenant_id": change.tenant.id,
            "state": change.after.state,
            "agent_id": change.after.agent_id,
            "agent_name": change.agent_name,
            "previous_agent_id": change.before.agent_id,
            "events": list(change.event_kinds),
        }
        await self._bus.publish(tenant_topic(change.tenant.id), event)
        for agent_id in {change.after.agent_id, change.before.agent_id} - {None}:
            await self._bus.publish(agent_topic(agent_id), event)  # type: ignore[arg-type]

    async def _mark_answered(self, tenant: TenantRef, conversation_id: str, seq: int) -> None:
        async with self._db.sessionmaker.begin() as session:
            await store.mark_delivered_to_bot(session, tenant, conversation_id, seq)

    async def _forget_backlog(self, tenant: TenantRef, conversation_id: str) -> None:
        """Messages Rasa never answered are the agent's now: never resend them to the bot later."""
        async with self._db.sessionmaker.begin() as session:
            for message in await store.undelivered_customer_messages(session, tenant, conversation_id):
                await store.mark_delivered_to_bot(session, tenant, conversation_id, message.seq)

    async def _language(self, tenant: TenantRef, conversation_id: str) -> str:
        async with self._db.sessionmaker() as session:
            context = await store.bot_context(session, tenant, conversation_id)
        return context.language if context else "en"


def queue_text(status: QueueStatus, language: str) -> str:
    return texts.handoff_text(
        "queued", language, position=status.position, wait=wait_text(status, language)
    )


def wait_text(status: QueueStatus, language: str) -> str:
    if status.estimated_wait is None:
        return texts.handoff_text("wait_unknown", language)
    seconds = status.estimated_wait.total_seconds()
    if seconds <= 0:
        return texts.handoff_text("wait_now", language)
    return texts.handoff_text("wait_minutes", language, minutes=max(1, math.ceil(seconds / 60)))


def queue_frame(status: QueueStatus) -> dict[str, Any]:
    wait = status.estimated_wait
    return {
        "type": "queue",
        "position": status.position,
        "estimated_wait_seconds": None if wait is None else int(wait.total_seconds()),
    }


def agent_joined_frame(agent_name: str) -> dict[str, Any]:
    return {"type": "agent_joined", "agent_name": agent_name}
