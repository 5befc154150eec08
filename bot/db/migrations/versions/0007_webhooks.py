"""Outbound webhooks: endpoints, the event outbox and deliveries.

Revision ID: 0007_webhooks
Revises: 0006_privacy
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_webhooks"
# The lead re-chains the 0005_* migrations of parallel branches at merge time.
down_revision: str | Sequence[str] | None = "0006_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported from bot.db.models: a migration must keep
# describing the schema of its own time when the models change later.
_NOW = sa.func.current_timestamp()
_EVENT_TYPES = (
    "conversation.started",
    "conversation.escalated",
    "conversation.assigned",
    "conversation.resolved",
    "conversation.rated",
    "ticket.created",
    "ticket.updated",
    "message.created",
)


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _timestamp(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=_NOW)


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("previous_secret", sa.String(128), nullable=True),
        _when("previous_secret_expires_at"),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("disabled_reason", sa.String(300), nullable=True),
        _when("failing_since"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_endpoints"),
        _tenant_fk("webhook_endpoints"),
    )
    op.create_index("ix_webhook_endpoints_tenant_id", "webhook_endpoints", ["tenant_id"])
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        _when("occurred_at", nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("ordering_key", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_events"),
        _tenant_fk("webhook_events"),
        sa.CheckConstraint(
            "type IN (" + ", ".join(f"'{name}'" for name in _EVENT_TYPES) + ")",
            name="ck_webhook_events_type",
        ),
    )
    op.create_index("ix_webhook_events_tenant_id", "webhook_events", ["tenant_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(40), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("ordering_key", sa.String(100), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        _when("next_attempt_at", nullable=False),
        _when("claimed_until"),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        _when("delivered_at"),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        _tenant_fk("webhook_deliveries"),
        sa.ForeignKeyConstraint(
            ["event_id"], ["webhook_events.id"],
            name="fk_webhook_deliveries_event_id_webhook_events", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"], ["webhook_endpoints.id"],
            name="fk_webhook_deliveries_endpoint_id_webhook_endpoints", ondelete="CASCADE",
        ),
        sa.UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_deliveries_event_id_endpoint_id"),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')", name="ck_webhook_deliveries_status"
        ),
    )
    op.create_index("ix_webhook_deliveries_tenant_id", "webhook_deliveries", ["tenant_id"])
    op.create_index(
        "ix_webhook_deliveries_status_next_attempt_at", "webhook_deliveries", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_webhook_deliveries_endpoint_id_ordering_key_status",
        "webhook_deliveries",
        ["endpoint_id", "ordering_key", "status"],
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_events")
    op.drop_table("webhook_endpoints")
