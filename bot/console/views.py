"""JSON shapes the console reads (one place, so the REST API and the WebSocket agree)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.db.agents import AgentScope
from bot.db.models import Account, CannedResponse, Conversation, Ticket
from bot.db.notes import NoteView
from bot.gateway import protocol


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def agent_view(scope: AgentScope, tenants: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": scope.agent_id,
        "name": scope.display_name,
        "role": scope.role,
        "supervises": scope.supervises,
        "languages": list(scope.languages),
        "tenants": tenants,
    }


def conversation_row(conversation: Conversation, tenant_slug: str) -> dict[str, Any]:
    """A conversation in a list (queue, my chats): never the transcript."""
    return {
        "id": conversation.id,
        "tenant": tenant_slug,
        "tenant_id": conversation.tenant_id,
        "state": conversation.state,
        "language": conversation.language,
        "agent_id": conversation.assigned_agent_id,
        "verified": conversation.verified_account_id is not None,
        "reason": conversation.handoff_reason,
        "queued_at": iso(conversation.queued_at),
        "assigned_at": iso(conversation.assigned_at),
    }


def verification_view(conversation: Conversation) -> dict[str, Any]:
    """How the customer was verified: by the firm's site, or by the assistant with which facts."""
    facts = conversation.verified_with.split("+") if conversation.verified_with else []
    return {"by": conversation.verified_by, "facts": facts}


def account_card(account: Account | None) -> dict[str, Any] | None:
    if account is None:
        return None
    return {
        "account_number": account.account_number,
        "name": account.name,
        "email": account.email,
        "phone": account.phone,
        "plan": account.plan,
        "status": account.status,
        "amount_due": str(account.amount_due),
        "last_payment_amount": None
        if account.last_payment_amount is None
        else str(account.last_payment_amount),
        "last_payment_at": account.last_payment_at.isoformat() if account.last_payment_at else None,
    }


def ticket_view(ticket: Ticket) -> dict[str, Any]:
    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "category": ticket.category,
        "priority": ticket.priority,
        "status": ticket.status,
        "conversation_id": ticket.conversation_id,
        "created_at": iso(ticket.created_at),
    }


def note_view(note: NoteView) -> dict[str, Any]:
    return {
        "id": note.id,
        "author": note.author_name,
        "text": note.text,
        "created_at": iso(note.created_at),
    }


def canned_view(canned: CannedResponse) -> dict[str, Any]:
    return {"shortcut": canned.shortcut, "text": canned.text}


message_view = protocol.message
