"""Reports: what a turn was understood as, why a ticket was left, and the indexes reports need.

- messages.intent: on a customer message, what the assistant understood it as (an intent name,
  or "faq/<key>" for an FAQ answer, "nlu_fallback" when not understood); NULL when not known.
- conversations.made_request: whether a customer message of it was understood as a request
  (bot/reports/requests.py), set as the bot answers it: "served" vs "abandoned" without
  reading the messages.
- tickets.closed_reason: on a ticket left because nobody could take the chat, why
  ("outside_hours" or "no_agent_available"); NULL for every other ticket.
- Indexes: a tenant's conversations by start, its customers' messages by time and intent, and agents'
  messages by conversation (first human response), so every report stays under a second at
  100,000 conversations / 1,000,000 messages (benchmarks/reports).

Revision ID: 0011_reports
Revises: 0010_annotations
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_reports"
# The integrator re-chains the parallel 0008_* migrations at merge time.
down_revision: str | Sequence[str] | None = "0010_annotations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("intent", sa.String(100), nullable=True))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("closed_reason", sa.String(32), nullable=True))
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("made_request", sa.Boolean(), nullable=False, server_default=sa.false()))
    # ix_conversations_tenant_id_created_at: made by 0010_annotations (review lists by it too).
    op.create_index("ix_messages_tenant_id_role_created_at_intent", "messages", ["tenant_id", "role", "created_at", "intent", "conversation_id"])
    op.create_index(
        "ix_messages_tenant_id_role_conversation_id_intent_created_at",
        "messages",
        ["tenant_id", "role", "conversation_id", "intent", "created_at"],
    )
    op.create_index("ix_tickets_tenant_id_closed_reason_created_at", "tickets", ["tenant_id", "closed_reason", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_tickets_tenant_id_closed_reason_created_at", "tickets")
    op.drop_index("ix_messages_tenant_id_role_conversation_id_intent_created_at", "messages")
    op.drop_index("ix_messages_tenant_id_role_created_at_intent", "messages")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("made_request")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("closed_reason")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("intent")
