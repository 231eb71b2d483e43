"""Engine and session factory. Nothing is created at import: ``init_database`` is called by the app or a test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

_engine: Engine | None = None
_session_factory: sessionmaker[Session] | None = None


def make_engine(url: str) -> Engine:
    if url.startswith('sqlite'):
        engine = create_engine(url, connect_args={'check_same_thread': False, 'timeout': 30})

        @event.listens_for(engine, 'connect')
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            # WAL lets the refresh job write while pages read; foreign keys are off by default in SQLite.
            cursor.execute('PRAGMA journal_mode=WAL')
            cursor.execute('PRAGMA foreign_keys=ON')
            cursor.execute('PRAGMA busy_timeout=30000')
            cursor.close()
        # pysqlite begins a transaction only before the first write, so read-only page loads never hold a lock; a
        # unit of work that needs a savepoint first makes a write (see services.assignments._begin_write).
        return engine
    # pre_ping makes the app recover by itself after a database restart.
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, pool_recycle=1800)


def init_database(url: str) -> Engine:
    """(Re)bind the process-wide engine to ``url``."""
    global _engine, _session_factory  # noqa: PLW0603
    if _engine is not None:
        _engine.dispose()
    _engine = make_engine(url)
    _session_factory = sessionmaker(_engine, expire_on_commit=False)
    return _engine


def get_engine() -> Engine:
    if _engine is None:
        raise RuntimeError('database not initialised: call init_database() first')
    return _engine


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on error."""
    if _session_factory is None:
        raise RuntimeError('database not initialised: call init_database() first')
    session = _session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
