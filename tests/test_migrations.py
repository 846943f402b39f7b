"""The migrations build exactly the schema the models describe (no drift either way)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from backend.storage.db import engine_for
from backend.storage.migrate import upgrade
from backend.storage.models import Base


def test_migrated_schema_matches_the_models(empty_db: str) -> None:
    engine = engine_for(empty_db)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
