"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 08:57:15.897298
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from minegnk.db.models import UTCDateTime  # noqa: F401 - custom column type used by autogenerate


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('gpu_catalog',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('vram_gb', sa.Integer(), nullable=True),
    sa.Column('price_per_gpu_hour', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('price_currency', sa.String(length=3), nullable=False),
    sa.Column('visible', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gpu_catalog')),
    sa.UniqueConstraint('code', name=op.f('uq_gpu_catalog_code'))
    )
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempts_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempts_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempts_ip'), ['ip'], unique=False)

    op.create_table('network_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('taken_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('epoch_id', sa.Integer(), nullable=True),
    sa.Column('phase', sa.String(length=32), nullable=True),
    sa.Column('block_height', sa.BigInteger(), nullable=True),
    sa.Column('block_time', UTCDateTime(timezone=True), nullable=True),
    sa.Column('avg_block_seconds', sa.Numeric(precision=10, scale=4), nullable=True),
    sa.Column('epoch_length', sa.Integer(), nullable=True),
    sa.Column('next_poc_start_block', sa.BigInteger(), nullable=True),
    sa.Column('total_weight', sa.BigInteger(), nullable=True),
    sa.Column('participant_count', sa.Integer(), nullable=True),
    sa.Column('failing_share', sa.Numeric(precision=6, scale=4), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=True),
    sa.Column('stale', sa.Boolean(), nullable=False),
    sa.Column('stale_reason', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_snapshots'))
    )
    with op.batch_alter_table('network_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_snapshots_taken_at'), ['taken_at'], unique=False)

    op.create_table('nodes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=90), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=True),
    sa.Column('gpu_type', sa.String(length=50), nullable=True),
    sa.Column('gpu_count', sa.Integer(), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('gcore_instance_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nodes')),
    sa.UniqueConstraint('address', name=op.f('uq_nodes_address'))
    )
    op.create_table('upstream_health',
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('base_url', sa.String(length=255), nullable=True),
    sa.Column('last_success_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('latency_ms', sa.Integer(), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_upstream_health'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('telegram', sa.String(length=64), nullable=True),
    sa.Column('discord', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('notification_prefs', sa.JSON(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('api_refresh_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('family_id', sa.String(length=36), nullable=False),
    sa.Column('issued_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('rotated_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_refresh_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_refresh_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_refresh_tokens_token_hash'))
    )
    with op.batch_alter_table('api_refresh_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_refresh_tokens_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_refresh_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=True),
    sa.Column('target_id', sa.String(length=128), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_log_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_created_at'), ['created_at'], unique=False)

    op.create_table('earnings_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('epoch_id', sa.Integer(), nullable=False),
    sa.Column('reward_ngonka', sa.BigInteger(), nullable=False),
    sa.Column('work_ngonka', sa.BigInteger(), nullable=False),
    sa.Column('claimed', sa.Boolean(), nullable=False),
    sa.Column('inference_count', sa.BigInteger(), nullable=False),
    sa.Column('missed_requests', sa.BigInteger(), nullable=False),
    sa.Column('settled_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('fetched_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_earnings_history_node_id_nodes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_earnings_history')),
    sa.UniqueConstraint('node_id', 'epoch_id', name='uq_earnings_history_node_epoch')
    )
    with op.batch_alter_table('earnings_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_earnings_history_node_id'), ['node_id'], unique=False)

    op.create_table('exchange_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base', sa.String(length=8), nullable=False),
    sa.Column('quote', sa.String(length=8), nullable=False),
    sa.Column('rate', sa.Numeric(precision=38, scale=18), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('as_of', UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_exchange_rates_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rates'))
    )
    with op.batch_alter_table('exchange_rates', schema=None) as batch_op:
        batch_op.create_index('ix_exchange_rates_pair_time', ['base', 'quote', 'as_of'], unique=False)

    op.create_table('node_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('assigned_by', sa.Integer(), nullable=True),
    sa.Column('assigned_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('unassigned_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('unassigned_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by'], ['users.id'], name=op.f('fk_node_assignments_assigned_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_node_assignments_node_id_nodes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unassigned_by'], ['users.id'], name=op.f('fk_node_assignments_unassigned_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_node_assignments_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_node_assignments'))
    )
    with op.batch_alter_table('node_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_node_assignments_node_id'), ['node_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_node_assignments_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_node_assignments_open_node', ['node_id'], unique=True, sqlite_where=sa.text('unassigned_at IS NULL'), postgresql_where=sa.text('unassigned_at IS NULL'))

    op.create_table('node_stats_cache',
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('view', sa.JSON(), nullable=False),
    sa.Column('epoch_id', sa.Integer(), nullable=True),
    sa.Column('weight', sa.BigInteger(), nullable=True),
    sa.Column('inference_count', sa.BigInteger(), nullable=True),
    sa.Column('missed_requests', sa.BigInteger(), nullable=True),
    sa.Column('epoch_work_ngonka', sa.BigInteger(), nullable=True),
    sa.Column('consecutive_probe_failures', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=True),
    sa.Column('data_as_of', UTCDateTime(timezone=True), nullable=True),
    sa.Column('fetched_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('stale', sa.Boolean(), nullable=False),
    sa.Column('stale_reason', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_node_stats_cache_node_id_nodes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('node_id', name=op.f('pk_node_stats_cache'))
    )
    op.create_table('node_status_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('observed_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('epoch_id', sa.Integer(), nullable=True),
    sa.Column('inference_count', sa.BigInteger(), nullable=True),
    sa.Column('missed_requests', sa.BigInteger(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_node_status_history_node_id_nodes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_node_status_history'))
    )
    with op.batch_alter_table('node_status_history', schema=None) as batch_op:
        batch_op.create_index('ix_node_status_history_node_time', ['node_id', 'observed_at'], unique=False)

    op.create_table('support_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('gpu_type', sa.String(length=50), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('budget_min', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('budget_max', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('budget_currency', sa.String(length=3), nullable=True),
    sa.Column('network', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('comments', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('handled_by', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['handled_by'], ['users.id'], name=op.f('fk_support_requests_handled_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_support_requests_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_requests')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_support_requests_idempotency_key'))
    )
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_requests_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_requests_user_id'), ['user_id'], unique=False)

    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('persistent', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=32), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('support_request_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('visible_to_customer', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_support_request_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_support_request_events_request_id_support_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_request_events'))
    )
    with op.batch_alter_table('support_request_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_request_events_request_id'), ['request_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('support_request_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_request_events_request_id'))

    op.drop_table('support_request_events')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_requests_user_id'))
        batch_op.drop_index(batch_op.f('ix_support_requests_status'))

    op.drop_table('support_requests')
    with op.batch_alter_table('node_status_history', schema=None) as batch_op:
        batch_op.drop_index('ix_node_status_history_node_time')

    op.drop_table('node_status_history')
    op.drop_table('node_stats_cache')
    with op.batch_alter_table('node_assignments', schema=None) as batch_op:
        batch_op.drop_index('uq_node_assignments_open_node', sqlite_where=sa.text('unassigned_at IS NULL'), postgresql_where=sa.text('unassigned_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_node_assignments_user_id'))
        batch_op.drop_index(batch_op.f('ix_node_assignments_node_id'))

    op.drop_table('node_assignments')
    with op.batch_alter_table('exchange_rates', schema=None) as batch_op:
        batch_op.drop_index('ix_exchange_rates_pair_time')

    op.drop_table('exchange_rates')
    with op.batch_alter_table('earnings_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_earnings_history_node_id'))

    op.drop_table('earnings_history')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_created_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    op.drop_table('audit_log')
    with op.batch_alter_table('api_refresh_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_refresh_tokens_user_id'))
        batch_op.drop_index(batch_op.f('ix_api_refresh_tokens_family_id'))

    op.drop_table('api_refresh_tokens')
    op.drop_table('users')
    op.drop_table('upstream_health')
    op.drop_table('nodes')
    with op.batch_alter_table('network_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_snapshots_taken_at'))

    op.drop_table('network_snapshots')
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempts_ip'))
        batch_op.drop_index(batch_op.f('ix_login_attempts_email'))
        batch_op.drop_index(batch_op.f('ix_login_attempts_created_at'))

    op.drop_table('login_attempts')
    op.drop_table('gpu_catalog')

