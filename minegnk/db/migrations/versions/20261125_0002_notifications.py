"""notifications: in-app notifications, delivery outbox, alert state, Telegram links, password reset tokens,
and the users' quiet hours, Discord webhook and digest hour

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 09:44:42.290005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from minegnk.db.models import UTCDateTime  # noqa: F401 - custom column type used by autogenerate


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_status', sa.String(length=16), nullable=True),
    sa.Column('confirmed_reasons', sa.JSON(), nullable=False),
    sa.Column('pending_status', sa.String(length=16), nullable=True),
    sa.Column('pending_count', sa.Integer(), nullable=False),
    sa.Column('alerted_status', sa.String(length=16), nullable=True),
    sa.Column('changed_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('flap_count', sa.Integer(), nullable=False),
    sa.Column('flap_window_start', UTCDateTime(timezone=True), nullable=True),
    sa.Column('flap_notified', sa.Boolean(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('muted_until', UTCDateTime(timezone=True), nullable=True),
    sa.Column('maintenance_from', UTCDateTime(timezone=True), nullable=True),
    sa.Column('maintenance_to', UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_alert_state_node_id_nodes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alert_state_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_state')),
    sa.UniqueConstraint('user_id', 'node_id', name='uq_alert_state_user_node')
    )
    with op.batch_alter_table('alert_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_state_node_id'), ['node_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_state_user_id'), ['user_id'], unique=False)

    op.create_table('notification_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('dedup_key', sa.String(length=160), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_outbox_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_outbox')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_notification_outbox_dedup_key'))
    )
    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_notification_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_outbox_user_id'), ['user_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link', sa.String(length=255), nullable=True),
    sa.Column('dedup_key', sa.String(length=160), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_notifications_dedup_key'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('password_reset_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_reset_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_reset_tokens_token_hash'))
    )
    with op.batch_alter_table('password_reset_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('telegram_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('chat_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('linked_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_telegram_links_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telegram_links')),
    sa.UniqueConstraint('code', name=op.f('uq_telegram_links_code')),
    sa.UniqueConstraint('user_id', name=op.f('uq_telegram_links_user_id'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiet_from', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('quiet_to', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('discord_webhook_url', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('digest_hour', sa.Integer(), server_default='8', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('digest_hour')
        batch_op.drop_column('discord_webhook_url')
        batch_op.drop_column('quiet_to')
        batch_op.drop_column('quiet_from')

    op.drop_table('telegram_links')
    with op.batch_alter_table('password_reset_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_tokens_user_id'))

    op.drop_table('password_reset_tokens')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_created')

    op.drop_table('notifications')
    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_outbox_user_id'))
        batch_op.drop_index('ix_notification_outbox_due')

    op.drop_table('notification_outbox')
    with op.batch_alter_table('alert_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_state_user_id'))
        batch_op.drop_index(batch_op.f('ix_alert_state_node_id'))

    op.drop_table('alert_state')
