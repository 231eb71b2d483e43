"""Alembic environment: the URL comes from the caller (minegnk.db.migrate) or from the app settings."""

from __future__ import annotations

from alembic import context
from minegnk.db.engine import make_engine
from minegnk.db.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option('sqlalchemy.url')
    if url:
        return url
    from minegnk.config import get_settings
    return get_settings().effective_database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get('connection')
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # noqa: ANN001
    # Batch mode makes ALTERs work on SQLite (it rebuilds the table).
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True,
                      user_module_prefix='')
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
