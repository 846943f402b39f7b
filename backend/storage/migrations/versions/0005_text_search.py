"""Vietnamese text search without diacritics (backend/storage/textsearch.py): on PostgreSQL the
`unaccent` contrib extension (trusted: the database owner may create it). SQLite gets the same
folding as a function registered on each connection, so it needs nothing here.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 15:20:00
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP EXTENSION IF EXISTS unaccent")
