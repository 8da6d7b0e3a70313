"""The cloud task each action created, so a retry, a resume or a restarted runner never pays twice.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("actions")}
    if "provider_task" not in have:
        with op.batch_alter_table("actions") as batch:
            batch.add_column(sa.Column("provider_task", sa.JSON()))


def downgrade() -> None:
    with op.batch_alter_table("actions") as batch:
        batch.drop_column("provider_task")
