"""Alembic is the only schema source: an empty database upgrades to head on both backends and matches the models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, select, text
from sqlalchemy.engine import make_url

from minegnk.db.migrate import alembic_config, current_revision, head_revision, upgrade_to_head
from minegnk.db.models import Base, Node, NodeStatusChange, NodeStatusHistory

EXPECTED_TABLES = {'users', 'user_sessions', 'login_attempts', 'audit_log', 'nodes', 'node_assignments',
                   'node_stats_cache', 'node_status_history', 'node_status_changes', 'earnings_history',
                   'network_snapshots', 'upstream_health', 'support_requests'}


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


@contextmanager
def _fresh_postgresql(postgres_url: str, name: str) -> Iterator[str]:
    admin = create_engine(make_url(postgres_url).set(database='postgres'), isolation_level='AUTOCOMMIT')
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE {name}'))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)'))
        admin.dispose()


def test_postgresql_upgrades_empty_database_to_head(postgres_url):
    with _fresh_postgresql(postgres_url, 'minegnk_migrate_test') as url:
        upgrade_to_head(url)
        _assert_schema_matches_models(url)


T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
OFFLINE_REASONS = [{'code': 'probe_failed', 'params': {'failures': 2}}]


def _assert_backfill_derives_changes_from_history(url: str) -> None:
    """History written before 0003 existed: the migration finds each node's transitions in SQL."""
    command.upgrade(alembic_config(url), '0002')
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(Node.__table__), [{'id': 1, 'address': 'gonka1a', 'created_at': T0},
                                                     {'id': 2, 'address': 'gonka1b', 'created_at': T0}])
        by_node = {1: ['healthy', 'offline', 'offline', 'healthy'], 2: ['jailed', 'jailed']}
        rows = [{'node_id': node_id, 'observed_at': T0 + timedelta(minutes=2 * k), 'status': status,
                 'reasons': OFFLINE_REASONS if status == 'offline' else []}
                for node_id, statuses in by_node.items() for k, status in enumerate(statuses)]
        connection.execute(insert(NodeStatusHistory.__table__), rows[::-1])  # ids in the opposite order of time
    upgrade_to_head(url)
    _assert_schema_matches_models(url)
    c = NodeStatusChange.__table__.c
    with engine.connect() as connection:
        changes = connection.execute(select(c.node_id, c.changed_at, c.from_status, c.to_status, c.reasons)
                                     .order_by(c.node_id, c.changed_at)).all()
    engine.dispose()
    # healthy → offline → offline → healthy is two changes; node 2's first status (and its repeat) is none
    assert [tuple(row) for row in changes] == [(1, T0 + timedelta(minutes=2), 'healthy', 'offline', OFFLINE_REASONS),
                                               (1, T0 + timedelta(minutes=6), 'offline', 'healthy', [])]


def test_sqlite_backfills_status_changes_from_history(tmp_path):
    _assert_backfill_derives_changes_from_history(f'sqlite:///{tmp_path / "history.sqlite3"}')


def test_postgresql_backfills_status_changes_from_history(postgres_url):
    with _fresh_postgresql(postgres_url, 'minegnk_backfill_test') as url:
        _assert_backfill_derives_changes_from_history(url)


JOBS = [{'id': 'inf-2', 'status': 'FINISHED', 'model': 'Qwen/Qwen3-235B', 'block': 20, 'prompt_tokens': 12},
        {'id': 'inf-1', 'status': 'EXPIRED', 'model': 'Qwen/Qwen3-235B', 'block': 10, 'prompt_tokens': None}]


def _assert_recent_jobs_move_out_of_the_view_and_back(url: str) -> None:
    """0004 moves the jobs list and its fetch time out of stored views (the rest of the view untouched); a
    downgrade puts them back."""
    command.upgrade(alembic_config(url), '0003')
    engine = create_engine(url)
    fetched = T0 + timedelta(minutes=5)
    old_views = {1: {'status': 'healthy', 'recent_jobs': JOBS,
                     '_refresh': {'hardware_epoch': 7, 'jobs_fetched_at': fetched.isoformat()}},
                 2: {'status': 'offline', '_refresh': {'hardware_epoch': 7}}}  # never had jobs
    caches = Base.metadata.tables['node_stats_cache']
    with engine.begin() as connection:
        connection.execute(insert(Node.__table__), [{'id': 1, 'address': 'gonka1a', 'created_at': T0},
                                                     {'id': 2, 'address': 'gonka1b', 'created_at': T0}])
        for node_id, view in old_views.items():
            connection.execute(text('INSERT INTO node_stats_cache (node_id, status, reasons, view, '
                                    'consecutive_probe_failures, stale) VALUES (:id, :status, :reasons, :view, 0, '
                                    'false)'), {'id': node_id, 'status': view['status'], 'reasons': '[]',
                                                'view': json.dumps(view)})
    upgrade_to_head(url)
    _assert_schema_matches_models(url)
    with engine.connect() as connection:
        rows = {r.node_id: r for r in connection.execute(
            select(caches.c.node_id, caches.c.view, caches.c.recent_jobs, caches.c.jobs_fetched_at))}
    assert rows[1].recent_jobs == JOBS and rows[1].jobs_fetched_at == fetched
    assert rows[1].view == {'status': 'healthy', '_refresh': {'hardware_epoch': 7}}
    assert rows[2].recent_jobs is None and rows[2].jobs_fetched_at is None and rows[2].view == old_views[2]
    command.downgrade(alembic_config(url), '0003')
    with engine.connect() as connection:
        views = dict(connection.execute(text('SELECT node_id, view FROM node_stats_cache')).all())
    engine.dispose()
    views = {k: json.loads(v) if isinstance(v, str) else v for k, v in views.items()}
    assert views == old_views


def test_sqlite_moves_recent_jobs_out_of_the_view(tmp_path):
    _assert_recent_jobs_move_out_of_the_view_and_back(f'sqlite:///{tmp_path / "jobs.sqlite3"}')


def test_postgresql_moves_recent_jobs_out_of_the_view(postgres_url):
    with _fresh_postgresql(postgres_url, 'minegnk_jobs_migration_test') as url:
        _assert_recent_jobs_move_out_of_the_view_and_back(url)


def test_open_assignment_is_unique_per_node_on_both_backends(database):
    """The partial unique index lets a node be reassigned later but never owned twice at once."""
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
