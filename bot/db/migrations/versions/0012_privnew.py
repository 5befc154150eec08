"""Privacy of the webhook outbox: indexes so the retention sweep and erasure find a tenant's
webhook events by age (occurred_at) and by what they are about (ordering_key:
'conversation:<id>' / 'ticket:<id>') without scanning every event.

Revision ID: 0012_privnew
Revises: 0011_reports
Create Date: 2026-12-06

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_privnew"
# The integrator re-chains parallel migrations at merge time.
down_revision: str | Sequence[str] | None = "0011_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_webhook_events_tenant_id_occurred_at", "webhook_events", ["tenant_id", "occurred_at"])
    op.create_index("ix_webhook_events_tenant_id_ordering_key", "webhook_events", ["tenant_id", "ordering_key"])


def downgrade() -> None:
    op.drop_index("ix_webhook_events_tenant_id_ordering_key", "webhook_events")
    op.drop_index("ix_webhook_events_tenant_id_occurred_at", "webhook_events")
