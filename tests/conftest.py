"""Shared fixtures: an isolated settings environment per test and databases on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from minegnk.config import get_settings, normalise_database_url
from minegnk.db import engine as db_engine
from minegnk.db.migrate import upgrade_to_head
from minegnk.db.models import Base

FIXTURES = Path(__file__).parent / 'fixtures'
PG_URL = normalise_database_url(os.environ.get('MINEGNK_TEST_DATABASE_URL',
                                               'postgresql+psycopg://postgres@127.0.0.1:5432/minegnk_test'))
IN_CI = os.environ.get('CI', '').lower() == 'true'


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own data dir and SQLite file; the scheduler stays off unless a test turns it on."""
    for key in list(os.environ):
        if key.startswith('MINEGNK_') and key != 'MINEGNK_TEST_DATABASE_URL':
            monkeypatch.delenv(key)
    data_dir = tmp_path / 'data'
    monkeypatch.setenv('MINEGNK_DATA_DIR', str(data_dir))
    monkeypatch.setenv('MINEGNK_DATABASE_URL', f'sqlite:///{data_dir / "test.sqlite3"}')
    monkeypatch.setenv('MINEGNK_SCHEDULER_ENABLED', 'false')
    monkeypatch.chdir(tmp_path)  # a stray .env in the repo must not leak into tests
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


def _postgres_available(url: str) -> str | None:
    """Create the test database if needed; return None when reachable, else the reason."""
    parsed = make_url(url)
    admin_url = parsed.set(database='postgres')
    try:
        admin = create_engine(admin_url, isolation_level='AUTOCOMMIT')
        with admin.connect() as connection:
            exists = connection.scalar(text('SELECT 1 FROM pg_database WHERE datname = :name'),
                                       {'name': parsed.database})
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
    except Exception as e:  # noqa: BLE001 - any failure means "no server to test against"
        return f'{e.__class__.__name__}: {e}'.splitlines()[0]
    return None


@pytest.fixture(scope='session')
def postgres_url() -> str:
    reason = _postgres_available(PG_URL)
    if reason:
        if IN_CI:
            pytest.fail(f'PostgreSQL test server unreachable at {PG_URL} ({reason}); CI must not skip these tests')
        pytest.skip(f'PostgreSQL unreachable ({reason}); set MINEGNK_TEST_DATABASE_URL')
    engine = create_engine(PG_URL)
    with engine.begin() as connection:  # start every run from an empty schema, then migrate
        connection.execute(text('DROP SCHEMA public CASCADE'))
        connection.execute(text('CREATE SCHEMA public'))
    engine.dispose()
    upgrade_to_head(PG_URL)
    return PG_URL


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = ', '.join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        connection.execute(text(f'TRUNCATE {tables} RESTART IDENTITY CASCADE'))
    engine.dispose()


@pytest.fixture(params=['sqlite', 'postgresql'])
def database(request: pytest.FixtureRequest, isolated_settings: Path) -> Iterator[str]:
    """A migrated, empty database bound as the process-wide engine, on each backend."""
    if request.param == 'sqlite':
        url = f'sqlite:///{isolated_settings / "db.sqlite3"}'
        upgrade_to_head(url)
    else:
        url = request.getfixturevalue('postgres_url')
        _truncate_all(url)
    db_engine.init_database(url)
    yield url
    db_engine.get_engine().dispose()


@pytest.fixture
def sqlite_database(isolated_settings: Path) -> Iterator[str]:
    url = f'sqlite:///{isolated_settings / "db.sqlite3"}'
    upgrade_to_head(url)
    db_engine.init_database(url)
    yield url
    db_engine.get_engine().dispose()
