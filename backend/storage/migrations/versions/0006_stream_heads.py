"""The `system` event stream's head (D3.8): the last administrative change's sequence number and
hash, kept beside the chain so that deleting the newest changes is detected by
`ioc audit verify` (a report's head lives on its row). Filled from the events already there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 15:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stream_heads",
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("stream", name=op.f("pk_stream_heads")),
    )
    op.execute(
        "INSERT INTO stream_heads (stream, seq, hash) "
        "SELECT e.stream, e.seq, e.hash FROM events e "
        "WHERE e.stream = 'system' AND e.seq = (SELECT max(seq) FROM events WHERE stream = 'system')"
    )


def downgrade() -> None:
    op.drop_table("stream_heads")
