"""Human handoff: agents, their tenants and sessions, notes, canned responses, chat ownership.

Revision ID: 0003_agents
Revises: 0002_conversations
Create Date: 2025-01-03

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_agents"
down_revision: str | Sequence[str] | None = "0002_conversations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported from bot.db.models: a migration must keep
# describing the schema of its own time when the models change later.
_NOW = sa.func.current_timestamp()


def _timestamp(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=_NOW)


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False, server_default="agent"),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("max_concurrent_chats", sa.Integer(), nullable=False, server_default=sa.text("3")),
        sa.Column("presence", sa.String(16), nullable=False, server_default="offline"),
        sa.Column("last_heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_agents"),
        sa.UniqueConstraint("email", name="uq_agents_email"),
        sa.CheckConstraint("role IN ('agent', 'supervisor', 'admin')", name="ck_agents_role"),
        sa.CheckConstraint(
            "presence IN ('online', 'away', 'offline')", name="ck_agents_presence"
        ),
        sa.CheckConstraint(
            "max_concurrent_chats > 0", name="ck_agents_max_concurrent_chats_positive"
        ),
    )
    op.create_table(
        "agent_tenants",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", "tenant_id", name="pk_agent_tenants"),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_agent_tenants_agent_id_agents", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_agent_tenants_tenant_id_tenants",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_agent_tenants_tenant_id", "agent_tenants", ["tenant_id"])
    op.create_table(
        "agent_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        _timestamp("created_at"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("id", name="pk_agent_sessions"),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_agent_sessions_agent_id_agents", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("token_hash", name="uq_agent_sessions_token_hash"),
    )
    op.create_index("ix_agent_sessions_agent_id", "agent_sessions", ["agent_id"])

    # Batch mode: on SQLite this rebuilds the table (it cannot add a foreign key in place).
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("assigned_agent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rating_comment", sa.Text(), nullable=True))
        batch.create_foreign_key(
            "fk_conversations_assigned_agent_id_agents",
            "agents",
            ["assigned_agent_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_check_constraint(
            "ck_conversations_rating_range", "rating BETWEEN 1 AND 5"
        )
        batch.create_index(
            "ix_conversations_tenant_id_state_queued_at", ["tenant_id", "state", "queued_at"]
        )
        batch.create_index(
            "ix_conversations_assigned_agent_id_state", ["assigned_agent_id", "state"]
        )

    op.create_table(
        "internal_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_internal_notes"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_internal_notes_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        # Composite: a note belongs to a conversation of its own tenant.
        sa.ForeignKeyConstraint(
            ["tenant_id", "conversation_id"],
            ["conversations.tenant_id", "conversations.id"],
            name="fk_internal_notes_tenant_id_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_internal_notes_agent_id_agents", ondelete="SET NULL"
        ),
    )
    op.create_index(
        "ix_internal_notes_conversation_id_created_at",
        "internal_notes",
        ["conversation_id", "created_at"],
    )
    op.create_table(
        "canned_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("shortcut", sa.String(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_canned_responses"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_canned_responses_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "tenant_id", "shortcut", name="uq_canned_responses_tenant_id_shortcut"
        ),
    )


def downgrade() -> None:
    op.drop_table("canned_responses")
    op.drop_index("ix_internal_notes_conversation_id_created_at", table_name="internal_notes")
    op.drop_table("internal_notes")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_assigned_agent_id_state")
        batch.drop_index("ix_conversations_tenant_id_state_queued_at")
        batch.drop_constraint("ck_conversations_rating_range", type_="check")
        batch.drop_constraint("fk_conversations_assigned_agent_id_agents", type_="foreignkey")
        batch.drop_column("rating_comment")
        batch.drop_column("rating")
        batch.drop_column("resolved_at")
        batch.drop_column("assigned_at")
        batch.drop_column("queued_at")
        batch.drop_column("assigned_agent_id")
    op.drop_index("ix_agent_sessions_agent_id", table_name="agent_sessions")
    op.drop_table("agent_sessions")
    op.drop_index("ix_agent_tenants_tenant_id", table_name="agent_tenants")
    op.drop_table("agent_tenants")
    op.drop_table("agents")
