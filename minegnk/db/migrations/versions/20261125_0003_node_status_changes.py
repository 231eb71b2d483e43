"""node_status_changes: a node's status transitions, backfilled from node_status_history

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:55:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from minegnk.db.models import UTCDateTime  # noqa: F401 - custom column type used by autogenerate


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# Every history row whose status differs from the same node's previous row (LAG needs SQLite >= 3.25). The same rule
# as services.status_history.changes_between, which writes new rows from now on.
BACKFILL = '''
INSERT INTO node_status_changes (node_id, changed_at, from_status, to_status, reasons)
SELECT node_id, observed_at, previous, status, reasons
FROM (SELECT node_id, observed_at, status, reasons,
             LAG(status) OVER (PARTITION BY node_id ORDER BY observed_at, id) AS previous
      FROM node_status_history) AS ordered
WHERE previous IS NOT NULL AND previous <> status
ORDER BY node_id, observed_at
'''


def upgrade() -> None:
    op.create_table('node_status_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=False),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_node_status_changes_node_id_nodes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_node_status_changes'))
    )
    with op.batch_alter_table('node_status_changes', schema=None) as batch_op:
        batch_op.create_index('ix_node_status_changes_node_time', ['node_id', 'changed_at'], unique=False)
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table('node_status_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_node_status_changes_node_time')

    op.drop_table('node_status_changes')
