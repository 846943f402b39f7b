"""Administration (D13.4, D14.1): agency focal points chosen among accounts, stage budgets and
working seasons set by the administrator over the data files.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 11:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency_focal_points",
        sa.Column("agency_code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["agency_code"], ["agencies.code"],
                                name=op.f("fk_agency_focal_points_agency_code_agencies")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_agency_focal_points_user_id_users")),
        sa.PrimaryKeyConstraint("agency_code", "kind", name=op.f("pk_agency_focal_points")),
    )
    op.create_index("ix_agency_focal_points_user_id", "agency_focal_points", ["user_id"])
    op.create_table(
        "stage_budgets",
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("emergency_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("stage", name=op.f("pk_stage_budgets")),
    )
    op.create_table(
        "work_seasons",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.Column("shifts", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_work_seasons")),
    )


def downgrade() -> None:
    op.drop_table("work_seasons")
    op.drop_table("stage_budgets")
    op.drop_index("ix_agency_focal_points_user_id", table_name="agency_focal_points")
    op.drop_table("agency_focal_points")
