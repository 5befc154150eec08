"""Conversations' public ids: what the firm API and webhooks call a conversation.

conversations.public_id = bot.db.public_ids.public_conversation_id(id), unique. The raw id
resumes the customer's chat, so the API must not show it; it looks conversations up by this
column instead (SQLite cannot compute sha256 in SQL, hence a stored column). Existing rows
are filled here, in batches.

Revision ID: 0013_public_conversation_ids
Revises: 0012_privnew
Create Date: 2026-12-06

"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_public_conversation_ids"
down_revision: str | Sequence[str] | None = "0012_privnew"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
# Spelled out rather than imported (a migration describes its own time). The formula is a
# published contract firms store ids by: bot.db.public_ids must keep it, and
# tests/firm_api/test_public_ids.py checks this migration fills the same ids.
PUBLIC_ID_LENGTH = 37


def _public_id(conversation_id: str) -> str:
    return "conv_" + hashlib.sha256(f"conversation:{conversation_id}".encode()).hexdigest()[:32]


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("public_id", sa.String(PUBLIC_ID_LENGTH), nullable=True))
    _fill_public_ids()
    with op.batch_alter_table("conversations") as batch:
        batch.alter_column("public_id", existing_type=sa.String(PUBLIC_ID_LENGTH), nullable=False)
    op.create_index("ix_conversations_public_id", "conversations", ["public_id"], unique=True)


def _fill_public_ids() -> None:
    connection = op.get_bind()
    conversations = sa.table("conversations", sa.column("id", sa.String), sa.column("public_id", sa.String))
    update = (
        sa.update(conversations)
        .where(conversations.c.id == sa.bindparam("raw_id"))
        .values(public_id=sa.bindparam("new_public_id"))
    )
    ids = list(connection.execute(sa.select(conversations.c.id)).scalars())
    for start in range(0, len(ids), BATCH):
        rows = [{"raw_id": id_, "new_public_id": _public_id(id_)} for id_ in ids[start : start + BATCH]]
        connection.execute(update, rows)


def downgrade() -> None:
    op.drop_index("ix_conversations_public_id", "conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("public_id")
