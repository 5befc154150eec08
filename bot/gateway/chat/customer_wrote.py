"""The customer wrote: store the message, then route it to the bot or to the human side.

The one place that decides who answers a customer message: the live handoff
(an agent owns or waits for the chat, a rating, a "leave a message" choice, the
gateway escalating while Rasa is down) or else the assistant, through delivery.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.gateway.errors import NoSuchConversation
from bot.gateway.protocol import CustomerText
from bot.gateway.chat.delivery import BotDelivery
from bot.gateway.chat.live_handoff import LiveHandoff
from bot.gateway.chat.transcript import StoredCustomerMessage, Transcript
from bot.gateway.sockets import ChatSocket, SocketRegistry


@dataclass(frozen=True)
class CustomerWrote:
    transcript: Transcript
    handoff: LiveHandoff
    delivery: BotDelivery
    sockets: SocketRegistry

    async def __call__(
        self, socket: ChatSocket, conversation_id: str, frame: CustomerText
    ) -> StoredCustomerMessage:
        """Store `frame` (acked to the socket, shown everywhere) and have it answered."""
        tenant = socket.tenant.ref
        try:
            stored = await self.transcript.store_customer_message(
                socket, tenant, conversation_id, frame
            )
        except NoSuchConversation:
            self.sockets.release(socket)  # its next message gets hello_required
            raise
        if stored.duplicate:
            return stored
        language = socket.language or socket.tenant.language
        payload = frame.payload if stored.payload_accepted else None
        if await self.handoff.customer_message(
            tenant, conversation_id, stored.seq, payload, language, state=stored.state
        ):
            return stored  # for the human agent (or a rating / a left message), not for Rasa
        self.delivery.submit(
            tenant,
            conversation_id,
            stored.seq,
            frame.client_id,
            language,
            # Rasa gets the original text (only the stored copy is redacted).
            text=frame.text,
            payload=payload,
        )
        return stored
