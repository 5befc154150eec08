"""Tenants, accounts, tickets and FAQ answers.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported from bot.db.models: a migration must keep
# describing the schema of its own time when the models change later.
_NOW = sa.func.current_timestamp()


def _timestamp(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=_NOW)


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(40), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("trade", sa.String(40), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("business_hours", sa.JSON(), nullable=False),
        sa.Column("branding", sa.JSON(), nullable=False),
        sa.Column("allowed_origins", sa.JSON(), nullable=False),
        sa.Column("identity_secret", sa.String(128), nullable=False),
        sa.Column("ticket_prefix", sa.String(3), nullable=False),
        sa.Column("next_ticket_number", sa.Integer(), nullable=False, server_default=sa.text("1001")),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("auto_assign", sa.Boolean(), nullable=False, server_default=sa.true()),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
        sa.UniqueConstraint("slug", name="uq_tenants_slug"),
        sa.UniqueConstraint("ticket_prefix", name="uq_tenants_ticket_prefix"),
        sa.CheckConstraint("language IN ('en', 'nb')", name="ck_tenants_language"),
        sa.CheckConstraint("currency IN ('NOK', 'GBP')", name="ck_tenants_currency"),
        sa.CheckConstraint(
            "next_ticket_number > 0", name="ck_tenants_next_ticket_number_positive"
        ),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("account_number", sa.String(8), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("postcode", sa.String(16), nullable=False),
        sa.Column("plan", sa.String(80), nullable=False),
        sa.Column("amount_due", sa.Numeric(12, 2), nullable=False, server_default="0"),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("last_payment_amount", sa.Numeric(12, 2), nullable=True),
        sa.Column("last_payment_at", sa.Date(), nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_accounts_tenant_id_tenants", ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "tenant_id", "account_number", name="uq_accounts_tenant_id_account_number"
        ),
        sa.UniqueConstraint("tenant_id", "id", name="uq_accounts_tenant_id_id"),
        sa.CheckConstraint(
            "status IN ('active', 'suspended', 'closed')", name="ck_accounts_status"
        ),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.String(64), nullable=True),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False, server_default="normal"),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_tickets_tenant_id_tenants", ondelete="CASCADE"
        ),
        # Composite: a ticket can only name an account of its own tenant.
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["accounts.tenant_id", "accounts.id"],
            name="fk_tickets_tenant_id_account_id_accounts",
        ),
        sa.UniqueConstraint("tenant_id", "reference", name="uq_tickets_tenant_id_reference"),
        sa.CheckConstraint(
            "category IN ('billing', 'technical', 'account', 'claim', 'other')",
            name="ck_tickets_category",
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high', 'urgent')", name="ck_tickets_priority"
        ),
        sa.CheckConstraint(
            "status IN ('open', 'pending', 'resolved', 'closed')", name="ck_tickets_status"
        ),
    )
    op.create_index(
        "ix_tickets_tenant_id_account_id_created_at",
        "tickets",
        ["tenant_id", "account_id", "created_at"],
    )
    op.create_index(
        "ix_tickets_tenant_id_conversation_id", "tickets", ["tenant_id", "conversation_id"]
    )
    op.create_table(
        "faq_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_faq_answers"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_faq_answers_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "tenant_id", "key", "language", name="uq_faq_answers_tenant_id_key_language"
        ),
        sa.CheckConstraint("language IN ('en', 'nb')", name="ck_faq_answers_language"),
    )


def downgrade() -> None:
    op.drop_table("faq_answers")
    op.drop_index("ix_tickets_tenant_id_conversation_id", table_name="tickets")
    op.drop_index("ix_tickets_tenant_id_account_id_created_at", table_name="tickets")
    op.drop_table("tickets")
    op.drop_table("accounts")
    op.drop_table("tenants")
