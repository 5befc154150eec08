"""Conversation review: which customer messages the assistant did not understand, and the
reviewers' annotations of customer messages.

Revision ID: 0010_annotations
Revises: 0009_api_keys
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_annotations"
# Written against 0007_webhooks and self-contained; chained after the portal's migration so
# this branch has one head. The integrator re-chains the parallel 0008_* migrations.
down_revision: str | Sequence[str] | None = "0009_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported from bot.db.models: a migration must keep
# describing the schema of its own time when the models change later.
_NOW = sa.func.current_timestamp()


def _timestamp(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=_NOW)


def upgrade() -> None:
    # Existing messages stay NULL: nobody recorded their fallbacks before this revision.
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("fallback", sa.String(16), nullable=True))
        batch.create_check_constraint("ck_messages_fallback", "fallback IN ('nlu', 'dialogue')")
    op.create_index(
        "ix_conversations_tenant_id_created_at", "conversations", ["tenant_id", "created_at"]
    )
    op.create_table(
        "annotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(120), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("marked_by_kind", sa.String(16), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("marked_by_name", sa.String(120), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_annotations"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_annotations_tenant_id_tenants", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_annotations_message_id_messages", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("message_id", name="uq_annotations_message_id"),
        sa.CheckConstraint("kind IN ('intent', 'new_answer')", name="ck_annotations_kind"),
        sa.CheckConstraint(
            "marked_by_kind IN ('portal_user', 'agent')", name="ck_annotations_marked_by_kind"
        ),
        sa.CheckConstraint(
            "(kind = 'intent') = (intent IS NOT NULL)", name="ck_annotations_intent_with_kind"
        ),
    )
    op.create_index("ix_annotations_tenant_id_updated_at", "annotations", ["tenant_id", "updated_at"])


def downgrade() -> None:
    op.drop_table("annotations")
    op.drop_index("ix_conversations_tenant_id_created_at", table_name="conversations")
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint("ck_messages_fallback", type_="check")
        batch.drop_column("fallback")
