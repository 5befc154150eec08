"""The client firm's portal: firm users, portal sessions, invitations.

Revision ID: 0008_portal_users
Revises: 0007_webhooks
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_portal_users"
# The integrator re-chains the parallel 0008_* migrations at merge time.
down_revision: str | Sequence[str] | None = "0007_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported from bot.db.models (a migration describes its own time).
_NOW = sa.func.current_timestamp()
_ROLE_CHECK = "role IN ('admin', 'viewer')"


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW)


def upgrade() -> None:
    op.create_table(
        "portal_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_portal_users"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_portal_users_tenant_id_tenants", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("email", name="uq_portal_users_email"),
        sa.CheckConstraint(_ROLE_CHECK, name="ck_portal_users_role"),
    )
    op.create_index("ix_portal_users_tenant_id", "portal_users", ["tenant_id"])
    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        _created_at(),
        _when("expires_at", nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("id", name="pk_portal_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["portal_users.id"], name="fk_portal_sessions_user_id_portal_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_portal_sessions_agent_id_agents", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("token_hash", name="uq_portal_sessions_token_hash"),
        sa.CheckConstraint(
            "(user_id IS NULL AND agent_id IS NOT NULL) OR (user_id IS NOT NULL AND agent_id IS NULL)",
            name="ck_portal_sessions_one_principal",
        ),
    )
    op.create_index("ix_portal_sessions_user_id", "portal_sessions", ["user_id"])
    op.create_index("ix_portal_sessions_agent_id", "portal_sessions", ["agent_id"])
    op.create_table(
        "portal_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("invited_by_user_id", sa.Integer(), nullable=True),
        sa.Column("invited_by_agent_id", sa.Integer(), nullable=True),
        _created_at(),
        _when("expires_at", nullable=False),
        _when("accepted_at"),
        sa.PrimaryKeyConstraint("id", name="pk_portal_invites"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_portal_invites_tenant_id_tenants", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_user_id"], ["portal_users.id"],
            name="fk_portal_invites_invited_by_user_id_portal_users", ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_agent_id"], ["agents.id"],
            name="fk_portal_invites_invited_by_agent_id_agents", ondelete="SET NULL",
        ),
        sa.UniqueConstraint("token_hash", name="uq_portal_invites_token_hash"),
        sa.CheckConstraint(_ROLE_CHECK, name="ck_portal_invites_role"),
    )
    op.create_index("ix_portal_invites_tenant_id", "portal_invites", ["tenant_id"])


def downgrade() -> None:
    op.drop_table("portal_invites")
    op.drop_table("portal_sessions")
    op.drop_table("portal_users")
