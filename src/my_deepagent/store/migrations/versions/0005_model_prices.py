"""OpenRouter's model prices, cached by `mda pricing --refresh` with their fetch time.

Revision ID: 0005
Revises: 0004

Prices are decimal strings in US dollars per million tokens, so nothing is lost to
binary floating point on either database.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_prices",
        sa.Column("model_id", sa.String(200), nullable=False),
        sa.Column("input", sa.String(40), nullable=False),
        sa.Column("output", sa.String(40), nullable=False),
        sa.Column("cached_input", sa.String(40), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("model_id", name="pk_model_prices"),
    )


def downgrade() -> None:
    op.drop_table("model_prices")
