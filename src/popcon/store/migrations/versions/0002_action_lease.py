"""A lease per action, so a redelivered task never runs an action a live worker is running.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("actions")}
    with op.batch_alter_table("actions") as batch:
        if "lease_owner" not in have:
            batch.add_column(sa.Column("lease_owner", sa.String(64)))
        if "lease_until" not in have:
            batch.add_column(sa.Column("lease_until", sa.DateTime()))


def downgrade() -> None:
    with op.batch_alter_table("actions") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
