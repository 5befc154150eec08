"""Conversations and their messages (website chat transcripts).

Revision ID: 0002_conversations
Revises: 0001_initial
Create Date: 2025-01-02

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_conversations"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported from bot.db.models: a migration must keep
# describing the schema of its own time when the models change later.
_NOW = sa.func.current_timestamp()


def _timestamp(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=_NOW)


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="bot"),
        sa.Column("verified_account_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("handoff_reason", sa.String(200), nullable=True),
        sa.Column("handoff_summary", sa.JSON(), nullable=True),
        sa.Column("last_seq", sa.Integer(), nullable=False, server_default=sa.text("0")),
        _timestamp("created_at"),
        _timestamp("last_activity_at"),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_conversations_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        # Composite: a conversation can only be verified as an account of its own tenant.
        sa.ForeignKeyConstraint(
            ["tenant_id", "verified_account_id"],
            ["accounts.tenant_id", "accounts.id"],
            name="fk_conversations_tenant_id_verified_account_id_accounts",
        ),
        sa.UniqueConstraint("tenant_id", "id", name="uq_conversations_tenant_id_id"),
        sa.CheckConstraint(
            "state IN ('bot', 'queued', 'assigned', 'resolved')", name="ck_conversations_state"
        ),
        sa.CheckConstraint("language IN ('en', 'nb')", name="ck_conversations_language"),
        sa.CheckConstraint("last_seq >= 0", name="ck_conversations_last_seq_not_negative"),
    )
    op.create_index(
        "ix_conversations_ended_at_last_activity_at",
        "conversations",
        ["ended_at", "last_activity_at"],
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("buttons", sa.JSON(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("agent_name", sa.String(120), nullable=True),
        sa.Column("delivered_to_bot", sa.Boolean(), nullable=False, server_default=sa.true()),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_messages_tenant_id_tenants", ondelete="CASCADE"
        ),
        # Composite: a message belongs to a conversation of its own tenant.
        sa.ForeignKeyConstraint(
            ["tenant_id", "conversation_id"],
            ["conversations.tenant_id", "conversations.id"],
            name="fk_messages_tenant_id_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_id_seq"),
        sa.UniqueConstraint(
            "conversation_id", "client_id", name="uq_messages_conversation_id_client_id"
        ),
        sa.CheckConstraint(
            "role IN ('customer', 'bot', 'agent', 'system')", name="ck_messages_role"
        ),
        sa.CheckConstraint("seq > 0", name="ck_messages_seq_positive"),
    )
    op.create_index(
        "ix_messages_conversation_id_delivered_to_bot",
        "messages",
        ["conversation_id", "delivered_to_bot"],
    )


def downgrade() -> None:
    op.drop_index("ix_messages_conversation_id_delivered_to_bot", table_name="messages")
    op.drop_table("messages")
    op.drop_index("ix_conversations_ended_at_last_activity_at", table_name="conversations")
    op.drop_table("conversations")
