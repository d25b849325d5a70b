"""The cost of each model call: reasoning tokens, the cost and where it came from.

Revision ID: 0006
Revises: 0005

`cost_usd` is a decimal string (exact sums); NULL means unknown (a model without a
price), never 0. `cost_source` is "provider" (the provider reported it, as OpenRouter
does) or "price" (computed from the price in force when the call was made).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("llm_calls") as batch:
        batch.add_column(
            sa.Column("reasoning_tokens", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("cost_usd", sa.String(40), nullable=True))
        batch.add_column(sa.Column("cost_source", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("llm_calls") as batch:
        batch.drop_column("cost_source")
        batch.drop_column("cost_usd")
        batch.drop_column("reasoning_tokens")
