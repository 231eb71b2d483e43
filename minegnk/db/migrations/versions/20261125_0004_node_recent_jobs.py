"""node_stats_cache.recent_jobs and jobs_fetched_at: the recent inference jobs leave the stored view

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 16:30:00.000000

The jobs list (up to 30 jobs, ~5 KB) made up most of every stored view, and every refresh cycle decoded and
re-encoded it for all nodes although it changes at most every 20 minutes. In its own deferred column it is read only
by the node page and written only when it was fetched.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

from minegnk.db.models import UTCDateTime


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

caches = sa.table('node_stats_cache', sa.column('node_id', sa.Integer), sa.column('view', sa.JSON),
                  sa.column('recent_jobs', sa.JSON), sa.column('jobs_fetched_at', UTCDateTime(timezone=True)))


def upgrade() -> None:
    with op.batch_alter_table('node_stats_cache', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recent_jobs', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('jobs_fetched_at', UTCDateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    for node_id, view in connection.execute(sa.select(caches.c.node_id, caches.c.view)).all():
        view = dict(view or {})
        internal = dict(view.get('_refresh') or {})
        if 'recent_jobs' not in view and 'jobs_fetched_at' not in internal:
            continue
        jobs = view.pop('recent_jobs', None)
        fetched = internal.pop('jobs_fetched_at', None)
        view['_refresh'] = internal
        connection.execute(caches.update().where(caches.c.node_id == node_id).values(
            view=view, recent_jobs=jobs, jobs_fetched_at=datetime.fromisoformat(fetched) if fetched else None))


def downgrade() -> None:
    connection = op.get_bind()
    for node_id, view, jobs, fetched in connection.execute(
            sa.select(caches.c.node_id, caches.c.view, caches.c.recent_jobs, caches.c.jobs_fetched_at)).all():
        if jobs is None and fetched is None:
            continue
        view = dict(view or {})
        view['recent_jobs'] = jobs or []
        view['_refresh'] = {**(view.get('_refresh') or {}), 'jobs_fetched_at': fetched.isoformat() if fetched else None}
        connection.execute(caches.update().where(caches.c.node_id == node_id).values(view=view))
    with op.batch_alter_table('node_stats_cache', schema=None) as batch_op:
        batch_op.drop_column('jobs_fetched_at')
        batch_op.drop_column('recent_jobs')
