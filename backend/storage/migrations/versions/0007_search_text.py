"""Reports keep their searchable text folded (`reports.search_text`, storage/textsearch.py):
one plain LIKE per search instead of folding every row at query time. Existing rows are filled
here: on PostgreSQL by the server (`lower(unaccent())`, the same as the application's `fold` for
Vietnamese; it may differ on rare letters of other scripts until the row is next written), on
SQLite by the application's own function registered on the connection.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 15:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_DOCUMENT = ("code || chr(10) || coalesce(description, '') || chr(10) || coalesce(address, '')"
             " || chr(10) || coalesce(answer_text, '')")


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"UPDATE reports SET search_text = lower(unaccent({_DOCUMENT}))")
    else:
        op.execute(f"UPDATE reports SET search_text = ioc_fold({_DOCUMENT.replace('chr', 'char')})")


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("search_text")
