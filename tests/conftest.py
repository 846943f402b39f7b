"""Test databases: every database test runs on SQLite, and on PostgreSQL when one is configured.

`TEST_DATABASE_URL` names a PostgreSQL server database (CI always sets it, see `.ci/run`); each
test module that asks for a database gets its own freshly created one, dropped afterwards, so
runs never see each other's data (SERVICES.md).

Every shared fixture has one home, and this file names them all (`pytest_plugins`, declared
here once and nowhere else):

* here: the databases (`empty_db`, `ready_db`), `redis_url`, the file calendar `cal`, and the
  autouse guards (no shared Redis, report packs in a temporary folder);
* `api_helpers`: the HTTP API cast and servers (`media_root`, `fast_argon2`, `app`, `client`,
  `staff_accounts`, `sign_in`, `live_server`) and helpers such as `make_report`, `serve`;
* `browser_helpers`: headless Chromium (`browser`, `page`, `new_page`);
* `dash_helpers`: the whole web application (`dash_app`, `dash_live`) and selector helpers;
* `security_helpers` (not a plugin: plain functions) for the `test_security_*.py` files.

A test module imports the helper *functions* it uses from those modules (`from api_helpers
import make_report`); it never declares `pytest_plugins` or re-defines their fixtures.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend.domain.worktime import WorkCalendar
from backend.reference.rules import load_calendar_spec
from backend.storage import db

pytest_plugins = ["api_helpers", "browser_helpers", "dash_helpers"]
# plugins get pytest's assertion rewriting; plain helper modules with asserts are named here
pytest.register_assert_rewrite("security_helpers")

PG_URL = os.environ.get("TEST_DATABASE_URL")
PG_SKIP_REASON = "no PostgreSQL configured: set TEST_DATABASE_URL (CI does) to run this on PostgreSQL"
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason=PG_SKIP_REASON)),
]


def _create_pg_database() -> str:
    server = make_url(PG_URL)
    name = f"ioc_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(url: str) -> None:
    db.engine_for(url).dispose()
    name = make_url(url).database
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextlib.contextmanager
def scratch_database(backend: str, folder: Path) -> Iterator[str]:
    """A brand-new empty database ("sqlite": a new file in `folder`; "postgresql": a new
    database on TEST_DATABASE_URL's server), dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / f'ioc_{uuid.uuid4().hex[:8]}.db'}"
        try:
            yield url
        finally:
            db.engine_for(url).dispose()
        return
    url = _create_pg_database()
    try:
        yield url
    finally:
        _drop_pg_database(url)


@pytest.fixture
def empty_db(request, tmp_path: Path) -> Iterator[str]:
    """A URL of a brand-new empty database of the requested backend."""
    with scratch_database(getattr(request, "param", "sqlite"), tmp_path) as url:
        yield url


@pytest.fixture
def ready_db(empty_db: str, monkeypatch) -> str:
    """A migrated database with the reference data loaded; also the default `DATABASE_URL`."""
    from backend.services.admin.reference_data import prepare_database

    prepare_database(empty_db)
    monkeypatch.setenv("DATABASE_URL", empty_db)
    return empty_db


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses a database once per backend."""
    if "empty_db" in metafunc.fixturenames:
        metafunc.parametrize("empty_db", BACKENDS, indirect=True)


@pytest.fixture(autouse=True)
def _no_shared_redis_unless_asked(request, monkeypatch) -> None:
    """Rate-limit counters in a shared Redis would leak between tests; tests that are about
    Redis ask for the `redis_url` fixture instead."""
    if "redis_url" not in request.fixturenames:
        monkeypatch.delenv("REDIS_URL", raising=False)


@pytest.fixture(autouse=True)
def _exports_in_tmp(tmp_path_factory, monkeypatch) -> None:
    """Report packs made by a test stay in its own folder, not in the checkout's var/."""
    monkeypatch.setenv("IOC_EXPORTS_DIR", str(tmp_path_factory.mktemp("exports")))


@pytest.fixture
def redis_url() -> str:
    """The Redis to test against (CI sets REDIS_URL); skipped with a reason when none is set."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("no Redis configured: set REDIS_URL (CI does) to run this against Redis")
    return url


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    """The working calendar of `data/calendar.toml` (no database overrides)."""
    return WorkCalendar(load_calendar_spec())
