"""Report holds (D13.2): who at the IOC has taken a report, and since when; ratings by time.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 10:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("held_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("held_at", sa.DateTime(timezone=True), nullable=True))
    # the wall and the KPIs count ratings per month
    op.create_index("ix_feedback_at", "feedback", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_feedback_at", table_name="feedback")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("held_at")
        batch.drop_column("held_by")
