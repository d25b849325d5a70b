"""Sessions remember when a turn first ran with the agent's shell unconfined.

Revision ID: 0004
Revises: 0003

`MDA_SANDBOX=off` is the user's explicit word; the session keeps the time it was first
taken, and `mda sessions show` and the REPL banner say so (runs record it as an event).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("unconfined_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("unconfined_since")
