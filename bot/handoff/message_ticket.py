"""The "leave a message" ticket: the handoff summary and the chat transcript for the back office.

The transcript is stored already redacted; if it is too long for a ticket,
the oldest lines are dropped, since the latest ones say what is still open.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.conversations import messages_after
from bot.db.models import Conversation, Message, Ticket
from bot.db.tenants import TenantRef
from bot.db.tickets import DESCRIPTION_MAX_CHARS, SUBJECT_MAX_CHARS, open_ticket

OMITTED = "[… earlier messages omitted]"


async def open_message_ticket(
    session: AsyncSession,
    tenant: TenantRef,
    conversation: Conversation,
    *,
    reason: str | None,
    summary: dict[str, Any] | None,
    closed_reason: str | None = None,
) -> Ticket:
    """closed_reason: why nobody could come ("outside_hours", "no_agent_available"), for reports."""
    messages = await messages_after(session, tenant, conversation.id)
    return await open_ticket(
        session,
        tenant,
        account_id=conversation.verified_account_id,
        conversation_id=conversation.id,
        subject=message_subject(reason),
        description=message_description(summary, messages),
        category="other",
        closed_reason=closed_reason,
    )


def message_subject(reason: str | None) -> str:
    why = (reason or "customer request").replace("_", " ")
    return f"Chat message for a person ({why})"[:SUBJECT_MAX_CHARS]


def message_description(summary: dict[str, Any] | None, messages: Sequence[Message]) -> str:
    header = ["The customer asked for a person when nobody was available."]
    summary_text = summary.get("text") if isinstance(summary, dict) else None
    if summary_text:
        header.append(f"Summary: {summary_text}")
    header += ["", "Transcript:"]
    lines = [_line(message) for message in messages]
    budget = DESCRIPTION_MAX_CHARS - len("\n".join(header)) - len(OMITTED) - 2
    kept: list[str] = []
    used = 0
    for line in reversed(lines):
        if used + len(line) + 1 > budget:
            kept.append(OMITTED)
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(header + list(reversed(kept)))


def _line(message: Message) -> str:
    who = message.agent_name if message.role == "agent" and message.agent_name else message.role
    return f"[{message.created_at:%Y-%m-%d %H:%M} UTC] {who}: {message.text}"
