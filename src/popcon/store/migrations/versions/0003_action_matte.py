"""The automatic matte's report per action (per-frame confidence, low-confidence warning).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("actions")}
    if "matte" not in have:
        with op.batch_alter_table("actions") as batch:
            batch.add_column(sa.Column("matte", sa.JSON()))


def downgrade() -> None:
    with op.batch_alter_table("actions") as batch:
        batch.drop_column("matte")
