"""How a conversation's customer was verified: by the firm's site, or by the assistant with which facts.

Revision ID: 0004_verification
Revises: 0003_agents
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_verification"
down_revision: str | Sequence[str] | None = "0003_agents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("verified_by", sa.String(16), nullable=True))
        batch.add_column(sa.Column("verified_with", sa.String(64), nullable=True))
    # Until now only the firm's site (HMAC identity) could verify a conversation.
    op.execute(
        "UPDATE conversations SET verified_by = 'site' WHERE verified_account_id IS NOT NULL"
    )
    with op.batch_alter_table("conversations") as batch:
        batch.create_check_constraint(
            "ck_conversations_verified_by", "verified_by IN ('site', 'assistant')"
        )
        batch.create_check_constraint(
            "ck_conversations_verified_by_with_account",
            "(verified_account_id IS NULL) = (verified_by IS NULL)",
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_constraint("ck_conversations_verified_by_with_account", type_="check")
        batch.drop_constraint("ck_conversations_verified_by", type_="check")
        batch.drop_column("verified_with")
        batch.drop_column("verified_by")
