"""The conversation log: stores messages redacted and shows them to every open tab, in seq
order, and to the tenant's agent consoles (through the event bus).

Every stored message goes through here, whoever wrote it (customer, bot, agent,
system); each method returns what it stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.db import Database
from bot.db import conversations as store
from bot.db.models import Message
from bot.db.tenants import TenantRef
from bot.db.webhook_feed import conversation_started
from bot.events.bus import EventBus, tenant_topic
from bot.gateway import protocol
from bot.gateway.errors import NoSuchConversation
from bot.gateway.protocol import CustomerText
from bot.gateway.chat.locks import TurnLocks
from bot.gateway.chat.replies import BotTurn, NewMessage
from bot.gateway.chat.texts import REQUEST_HUMAN_PAYLOAD
from bot.gateway.sockets import ChatSocket, SocketRegistry
from bot.reports.requests import is_request

# Payloads a customer may always send: the widget's own "talk to a person" button.
ALWAYS_OFFERED_PAYLOADS = frozenset({REQUEST_HUMAN_PAYLOAD})


class Redacted(Protocol):
    @property
    def text(self) -> str: ...


class TextRedactor(Protocol):
    """bot.redaction.Redactor: replaces personal data with placeholders."""

    def redact(self, text: str) -> Redacted: ...


class ConversationClosed(Exception):
    """The conversation ended (idle) while a tab still showed it."""


@dataclass(frozen=True)
class StoredCustomerMessage:
    seq: int
    duplicate: bool
    payload_accepted: bool  # False: Rasa gets the text instead of the payload
    # Who owned the conversation when the message was stored (bot, queued, assigned,
    # resolved): read in the same transaction, so the handoff need not read it again.
    state: str


class Transcript:
    def __init__(
        self,
        database: Database,
        redactor: TextRedactor,
        sockets: SocketRegistry,
        locks: TurnLocks,
        bus: EventBus,
    ) -> None:
        self._db = database
        self._redactor = redactor
        self._sockets = sockets
        self._locks = locks
        self._bus = bus

    async def _to_consoles(self, tenant: TenantRef, messages: Iterable[Message]) -> None:
        """After the tabs got them: the tenant's agent consoles see every stored message."""
        for message in messages:
            await self._bus.publish(
                tenant_topic(tenant.id),
                {
                    "type": "message",
                    "conversation_id": message.conversation_id,
                    "message": protocol.message(message),
                },
            )

    def redact(self, text: str) -> str:
        return self._redactor.redact(text).text if text else text

    async def store_customer_message(
        self, sender: ChatSocket, tenant: TenantRef, conversation_id: str, frame: CustomerText
    ) -> StoredCustomerMessage:
        """Store it redacted (once per client_id), ack it to the sender, show it in every tab.

        A payload is kept only when the conversation offered it (a button of an
        earlier message, or /request_human): anything else a browser sends as a
        payload would let it inject intents and entities into Rasa.
        """
        async with self._locks.transcript(conversation_id):
            stored, message = await self._insert_customer_message(
                tenant, conversation_id, frame, greeting=sender.tenant.greeting
            )
            await sender.send(protocol.ack(frame.client_id, stored.seq, duplicate=stored.duplicate))
            if message is not None:
                await self._sockets.broadcast(conversation_id, protocol.message(message))
        if message is not None:
            await self._to_consoles(tenant, [message])
        return stored

    async def store_bot_turn(
        self, tenant: TenantRef, conversation_id: str, answered_seq: int, turn: BotTurn
    ) -> list[Message]:
        """In one transaction: the replies and the customer message marked answered.

        A handoff in the turn is not stored here: the handoff use case records it.
        """
        async with self._locks.transcript(conversation_id):
            async with self._db.sessionmaker.begin() as session:
                # All replies in one go: one UPDATE numbers them, one flush inserts them.
                drafts = [self._draft(entry) for entry in turn.messages]
                stored = await store.add_messages(
                    session, tenant, conversation_id, drafts, answers_request=is_request(turn.understood)
                )
                await store.mark_delivered_to_bot(
                    session, tenant, conversation_id, answered_seq, intent=turn.understood
                )
                if turn.fallback is not None:
                    # For conversation review: which customer messages were not understood.
                    await store.mark_fallback(session, tenant, conversation_id, answered_seq, turn.fallback)
            await self._show(conversation_id, stored)
        await self._to_consoles(tenant, stored)
        return stored

    async def store_messages(
        self, tenant: TenantRef, conversation_id: str, entries: Sequence[NewMessage]
    ) -> list[Message]:
        """Bot or system messages outside a customer's turn (a notice, the bot greeting again)."""
        async with self._locks.transcript(conversation_id):
            async with self._db.sessionmaker.begin() as session:
                stored = await store.add_messages(
                    session, tenant, conversation_id, [self._draft(entry) for entry in entries]
                )
            await self._show(conversation_id, stored)
        await self._to_consoles(tenant, stored)
        return stored

    async def store_system_message(
        self,
        tenant: TenantRef,
        conversation_id: str,
        text: str,
        buttons: Sequence[dict[str, str]] = (),
    ) -> Message:
        [message] = await self.store_messages(
            tenant, conversation_id, [NewMessage("system", text, tuple(buttons))]
        )
        return message

    async def store_agent_message(
        self,
        conversation_id: str,
        write: Callable[[], Awaitable[tuple[TenantRef, Message]]],
    ) -> Message:
        """The agent's message: `write` stores it (the workspace checks the agent owns the
        chat and redacts in the same transaction); shown like every other message."""
        async with self._locks.transcript(conversation_id):
            tenant, message = await write()
            await self._sockets.broadcast(conversation_id, protocol.typing(False, "agent"))
            await self._show(conversation_id, [message])
        await self._to_consoles(tenant, [message])
        return message

    async def _show(self, conversation_id: str, messages: Iterable[Message]) -> None:
        for message in messages:
            await self._sockets.broadcast(conversation_id, protocol.message(message))

    async def _insert_customer_message(
        self, tenant: TenantRef, conversation_id: str, frame: CustomerText, *, greeting: str
    ) -> tuple[StoredCustomerMessage, Message | None]:
        """What was stored, and the new message (None for a duplicate).

        The first message of a conversation first stores the greeting its tabs show as
        seq 1 (a hello stores no message: conversations nobody writes in cost one row,
        deleted soon by the sweep)."""
        text = self.redact(frame.text)
        # Two tries: when another writer stores the same client_id between our
        # lookup and our insert, the second try finds its row (duplicate).
        for attempt in (1, 2):
            try:
                async with self._db.sessionmaker.begin() as session:
                    # One query for the conversation and an earlier copy of this message.
                    check = await store.customer_message_check(
                        session, tenant, conversation_id, frame.client_id
                    )
                    if check is None:
                        raise NoSuchConversation()
                    if check.stored_seq is not None:
                        accepted = check.stored_payload is not None
                        duplicate = StoredCustomerMessage(check.stored_seq, True, accepted, check.state)
                        return duplicate, None
                    if check.ended:
                        raise ConversationClosed()
                    if check.empty:
                        # A conversation starts for the firm when it is first stored: a
                        # hello nobody wrote after is no conversation (the sweep deletes it).
                        await conversation_started(session, tenant.id, conversation_id)
                        await store.add_message(
                            session, tenant, conversation_id, role="bot", text=greeting
                        )
                    accepted = frame.payload is not None and (
                        frame.payload in ALWAYS_OFFERED_PAYLOADS
                        or frame.payload
                        in await store.offered_payloads(session, tenant, conversation_id)
                    )
                    message = await store.insert_customer_message(
                        session,
                        tenant,
                        conversation_id,
                        client_id=frame.client_id,
                        text=text,
                        payload=self.redact(frame.payload) if accepted and frame.payload else None,
                    )
                    return StoredCustomerMessage(message.seq, False, accepted, check.state), message
            except store.DuplicateClientId:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _draft(self, entry: NewMessage) -> store.MessageDraft:
        return store.MessageDraft(entry.role, self.redact(entry.text), entry.buttons)

    def redact_values(self, value: Any) -> Any:
        """Every string in a JSON-like value, redacted (a handoff summary quotes the customer)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {key: self.redact_values(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.redact_values(item) for item in value]
        return value
