"""The jobs and actions tables as the first release made them.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(12), primary_key=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("prompt", sa.Text()),
        sa.Column("remove_background", sa.Boolean(), nullable=False),
        sa.Column("platforms", sa.JSON(), nullable=False),
        sa.Column("auto_export", sa.Boolean(), nullable=False),
        sa.Column("key_color", sa.JSON()),
        sa.Column("error", sa.Text()),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("exports", sa.JSON(), nullable=False),
        sa.Column("usage", sa.JSON(), nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.DateTime()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_table(
        "actions",
        sa.Column("job_id", sa.String(12), sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("index", sa.Integer(), primary_key=True),
        sa.Column("action_id", sa.String(32), nullable=False),
        sa.Column("preset", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("imported_clip", sa.String(255)),
        sa.Column("seconds", sa.Integer()),
        sa.Column("frame_count", sa.Integer(), nullable=False),
        sa.Column("loop_start", sa.Integer()),
        sa.Column("loop_score", sa.Float()),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("actions")
    op.drop_index("ix_jobs_status", "jobs")
    op.drop_table("jobs")
