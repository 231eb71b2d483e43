"""Alembic is the only schema source: an empty database upgrades to head on both backends and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from minegnk.db.migrate import current_revision, head_revision, upgrade_to_head
from minegnk.db.models import Base

EXPECTED_TABLES = {'users', 'user_sessions', 'login_attempts', 'audit_log', 'nodes', 'node_assignments',
                   'node_stats_cache', 'node_status_history', 'earnings_history', 'network_snapshots',
                   'upstream_health', 'support_requests'}


def _assert_schema_matches_models(url: str) -> None:
    engine = create_engine(url)
    assert current_revision(engine) == head_revision()
    assert EXPECTED_TABLES <= set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={'compare_type': False}), Base.metadata)
    engine.dispose()
    assert diff == [], f'models and migrations differ: {diff}'


def test_sqlite_upgrades_empty_database_to_head(tmp_path):
    url = f'sqlite:///{tmp_path / "fresh.sqlite3"}'
    upgrade_to_head(url)
    _assert_schema_matches_models(url)
    upgrade_to_head(url)  # running again is a no-op
    _assert_schema_matches_models(url)


def test_postgresql_upgrades_empty_database_to_head(postgres_url):
    fresh = make_url(postgres_url).set(database='minegnk_migrate_test')
    admin = create_engine(make_url(postgres_url).set(database='postgres'), isolation_level='AUTOCOMMIT')
    with admin.connect() as connection:
        connection.execute(text('DROP DATABASE IF EXISTS minegnk_migrate_test WITH (FORCE)'))
        connection.execute(text('CREATE DATABASE minegnk_migrate_test'))
    try:
        url = fresh.render_as_string(hide_password=False)
        upgrade_to_head(url)
        _assert_schema_matches_models(url)
    finally:
        with admin.connect() as connection:
            connection.execute(text('DROP DATABASE IF EXISTS minegnk_migrate_test WITH (FORCE)'))
        admin.dispose()


def test_open_assignment_is_unique_per_node_on_both_backends(database):
    """The partial unique index lets a node be reassigned later but never owned twice at once."""
    from datetime import UTC, datetime

    import pytest
    from sqlalchemy.exc import IntegrityError

    from minegnk.db.engine import session_scope
    from minegnk.db.models import Node, NodeAssignment, User

    with session_scope() as db:
        a, b = User(email='a@example.com', password_hash='x'), User(email='b@example.com', password_hash='x')
        node = Node(address='gonka1example')
        db.add_all([a, b, node])
        db.flush()
        db.add(NodeAssignment(node_id=node.id, user_id=a.id, unassigned_at=datetime.now(UTC)))
        db.add(NodeAssignment(node_id=node.id, user_id=a.id))
        node_id, b_id = node.id, b.id
    with pytest.raises(IntegrityError), session_scope() as db:
        db.add(NodeAssignment(node_id=node_id, user_id=b_id))
