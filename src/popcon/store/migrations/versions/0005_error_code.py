"""Each job's and action's error keeps a stable code beside its English text (a UI words it).

Rows written before have no code: they load with None and show their text.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("jobs", "actions"):
        have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}
        if "error_code" not in have:
            with op.batch_alter_table(table) as batch:
                batch.add_column(sa.Column("error_code", sa.String(32)))


def downgrade() -> None:
    for table in ("jobs", "actions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("error_code")
