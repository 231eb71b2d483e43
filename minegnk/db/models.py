"""SQLAlchemy 2 typed models. The schema is made and changed only by Alembic migrations (minegnk/db/migrations)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, MetaData, Numeric, String,
                        Text, TypeDecorator, UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive, PostgreSQL as timestamptz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError('naive datetime given; use an aware UTC datetime')
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == 'sqlite' else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


NAMING_CONVENTION = {
    'ix': 'ix_%(column_0_label)s',
    'uq': 'uq_%(table_name)s_%(column_0_name)s',
    'ck': 'ck_%(table_name)s_%(constraint_name)s',
    'fk': 'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s',
    'pk': 'pk_%(table_name)s',
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = 'users'

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored normalised (lower-case)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default='user')  # user | admin
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    telegram: Mapped[str | None] = mapped_column(String(64))
    discord: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3), default='USD')  # USD | EUR | GNK
    language: Mapped[str | None] = mapped_column(String(8))  # None: follow the browser
    timezone: Mapped[str | None] = mapped_column(String(64))  # None: follow the browser
    notification_prefs: Mapped[dict] = mapped_column(JSON, default=dict)  # {event: [channel, …]}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Notifications: quiet hours as 'HH:MM' in the user's timezone (both set or neither), own Discord webhook,
    # and the local hour at which the daily digest goes out (the digest's channels are notification_prefs).
    quiet_from: Mapped[str | None] = mapped_column(String(5))
    quiet_to: Mapped[str | None] = mapped_column(String(5))
    discord_webhook_url: Mapped[str | None] = mapped_column(String(255))
    digest_hour: Mapped[int] = mapped_column(Integer, default=8, server_default='8')

    @property
    def is_admin(self) -> bool:
        return self.role == 'admin'


class UserSession(Base):
    """A server-side login session; the browser only holds NiceGUI's signed session id that points at it."""

    __tablename__ = 'user_sessions'

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the random token
    user_id: Mapped[int] = mapped_column(ForeignKey('users.id', ondelete='CASCADE'), index=True)
    persistent: Mapped[bool] = mapped_column(Boolean, default=False)  # "remember me"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship(lazy='joined')


class LoginAttempt(Base):
    """Every login attempt; failures drive the per-account lockout and the per-IP limit."""

    __tablename__ = 'login_attempts'

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    ip: Mapped[str | None] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AuditLog(Base):
    """Append-only record of security-relevant and admin actions."""

    __tablename__ = 'audit_log'

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey('users.id', ondelete='SET NULL'), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(128))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Node(Base):
    """A Gonka participant address we know about (reference data, survives unassignment)."""

    __tablename__ = 'nodes'

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(90), unique=True)  # gonka1… bech32
    label: Mapped[str | None] = mapped_column(String(100))
    gpu_type: Mapped[str | None] = mapped_column(String(50))
    gpu_count: Mapped[int | None] = mapped_column(Integer)
    region: Mapped[str | None] = mapped_column(String(100))
    gcore_instance_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NodeAssignment(Base):
    """Who owns a node when (the PRD's user_nodes). At most one open assignment per node, enforced by the database."""

    __tablename__ = 'node_assignments'
    __table_args__ = (
        Index('uq_node_assignments_open_node', 'node_id', unique=True,
              sqlite_where=text('unassigned_at IS NULL'), postgresql_where=text('unassigned_at IS NULL')),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey('nodes.id', ondelete='CASCADE'), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey('users.id', ondelete='SET NULL'), index=True)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey('users.id', ondelete='SET NULL'))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unassigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unassigned_by: Mapped[int | None] = mapped_column(ForeignKey('users.id', ondelete='SET NULL'))

    node: Mapped[Node] = relationship(foreign_keys=[node_id], lazy='joined')


class NodeStatsCache(Base):
    """The current normalised view of one node, rewritten by every refresh cycle; pages read only this."""

    __tablename__ = 'node_stats_cache'

    node_id: Mapped[int] = mapped_column(ForeignKey('nodes.id', ondelete='CASCADE'), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default='unknown')
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    view: Mapped[dict] = mapped_column(JSON, default=dict)  # full normalised view (amounts as int ngonka)
    epoch_id: Mapped[int | None] = mapped_column(Integer)
    weight: Mapped[int | None] = mapped_column(BigInteger)
    inference_count: Mapped[int | None] = mapped_column(BigInteger)
    missed_requests: Mapped[int | None] = mapped_column(BigInteger)
    epoch_work_ngonka: Mapped[int | None] = mapped_column(BigInteger)
    consecutive_probe_failures: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str | None] = mapped_column(String(16))  # tracker | node_api
    data_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime)  # age of the upstream data itself
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    stale_reason: Mapped[str | None] = mapped_column(String(255))
    # The tracker's newest jobs (up to 30), refetched every 20 minutes: apart from the view, which every cycle
    # rewrites, and deferred, because only the node page reads them.
    recent_jobs: Mapped[list | None] = mapped_column(JSON, deferred=True)
    jobs_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NodeStatusHistory(Base):
    """One row per node per refresh cycle: the raw material of uptime timelines."""

    __tablename__ = 'node_status_history'
    __table_args__ = (Index('ix_node_status_history_node_time', 'node_id', 'observed_at'),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, 'sqlite'), primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey('nodes.id', ondelete='CASCADE'))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    epoch_id: Mapped[int | None] = mapped_column(Integer)
    inference_count: Mapped[int | None] = mapped_column(BigInteger)
    missed_requests: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str | None] = mapped_column(String(16))


class NodeStatusChange(Base):
    """A node's status differs from its previous status-history row: written with that row (services.status_history),
    so the activity feed reads a handful of transitions instead of scanning one row per node per cycle. A node's very
    first observation has no previous status and is not a change."""

    __tablename__ = 'node_status_changes'
    __table_args__ = (Index('ix_node_status_changes_node_time', 'node_id', 'changed_at'),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, 'sqlite'), primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey('nodes.id', ondelete='CASCADE'))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)  # observed_at of the first row with the new status
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list] = mapped_column(JSON, default=list)  # the new status's reasons, as in the history row


class EarningsHistory(Base):
    """Settled earnings of one node in one epoch (immutable once settled except the claimed flag)."""

    __tablename__ = 'earnings_history'
    __table_args__ = (UniqueConstraint('node_id', 'epoch_id', name='uq_earnings_history_node_epoch'),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey('nodes.id', ondelete='CASCADE'), index=True)
    epoch_id: Mapped[int] = mapped_column(Integer)
    reward_ngonka: Mapped[int] = mapped_column(BigInteger, default=0)
    work_ngonka: Mapped[int] = mapped_column(BigInteger, default=0)
    claimed: Mapped[bool] = mapped_column(Boolean, default=False)
    inference_count: Mapped[int] = mapped_column(BigInteger, default=0)
    missed_requests: Mapped[int] = mapped_column(BigInteger, default=0)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # estimated wall time of the epoch end
    source: Mapped[str] = mapped_column(String(16), default='node_api')
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NetworkSnapshot(Base):
    """What the network looked like at one refresh cycle."""

    __tablename__ = 'network_snapshots'

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    epoch_id: Mapped[int | None] = mapped_column(Integer)
    phase: Mapped[str | None] = mapped_column(String(32))
    block_height: Mapped[int | None] = mapped_column(BigInteger)
    block_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    avg_block_seconds: Mapped[Any] = mapped_column(Numeric(10, 4), nullable=True)
    epoch_length: Mapped[int | None] = mapped_column(Integer)
    next_poc_start_block: Mapped[int | None] = mapped_column(BigInteger)
    total_weight: Mapped[int | None] = mapped_column(BigInteger)
    participant_count: Mapped[int | None] = mapped_column(Integer)
    failing_share: Mapped[Any] = mapped_column(Numeric(6, 4), nullable=True)
    source: Mapped[str | None] = mapped_column(String(16))
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    stale_reason: Mapped[str | None] = mapped_column(String(255))


class UpstreamHealth(Base):
    """Per upstream source: last success, last error and latency (admin system page)."""

    __tablename__ = 'upstream_health'

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    base_url: Mapped[str | None] = mapped_column(String(255))
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)


class SupportRequest(Base):
    """A customer's request to support (e.g. a new node). ``user_id`` is NULL once the account is deleted."""

    __tablename__ = 'support_requests'

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey('users.id', ondelete='SET NULL'), index=True)
    type: Mapped[str] = mapped_column(String(32), default='new_node')
    gpu_type: Mapped[str | None] = mapped_column(String(50))
    quantity: Mapped[int | None] = mapped_column(Integer)
    budget_min: Mapped[Any] = mapped_column(Numeric(18, 2), nullable=True)
    budget_max: Mapped[Any] = mapped_column(Numeric(18, 2), nullable=True)
    budget_currency: Mapped[str | None] = mapped_column(String(3))
    network: Mapped[str] = mapped_column(String(32), default='gonka')
    region: Mapped[str | None] = mapped_column(String(100))
    comments: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default='pending', index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    handled_by: Mapped[int | None] = mapped_column(ForeignKey('users.id', ondelete='SET NULL'))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SupportRequestEvent(Base):
    """The history of a request: status changes, comments for the customer and internal notes (append-only)."""

    __tablename__ = 'support_request_events'

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey('support_requests.id', ondelete='CASCADE'), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey('users.id', ondelete='SET NULL'))
    kind: Mapped[str] = mapped_column(String(16))  # status | comment | note
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str | None] = mapped_column(Text)
    visible_to_customer: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GpuCatalogEntry(Base):
    """A GPU type customers can request; no price means "contact sales"."""

    __tablename__ = 'gpu_catalog'

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. H100
    name: Mapped[str] = mapped_column(String(100))
    vram_gb: Mapped[int | None] = mapped_column(Integer)
    price_per_gpu_hour: Mapped[Any] = mapped_column(Numeric(12, 4), nullable=True)
    price_currency: Mapped[str] = mapped_column(String(3), default='USD')
    visible: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ExchangeRate(Base):
    """One observed rate (kept as history; the newest per pair is used). 1 ``base`` = ``rate`` ``quote``."""

    __tablename__ = 'exchange_rates'
    __table_args__ = (Index('ix_exchange_rates_pair_time', 'base', 'quote', 'as_of'),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base: Mapped[str] = mapped_column(String(8))  # GNK | USD
    quote: Mapped[str] = mapped_column(String(8))  # USD | EUR
    rate: Mapped[Any] = mapped_column(Numeric(38, 18))
    source: Mapped[str] = mapped_column(String(32), default='manual')  # manual | http
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey('users.id', ondelete='SET NULL'))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiRefreshToken(Base):
    """API refresh tokens (stored hashed), rotated on every use; reuse of a rotated token revokes its family."""

    __tablename__ = 'api_refresh_tokens'

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey('users.id', ondelete='CASCADE'), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class Notification(Base):
    """An in-app notification. Title and body are rendered from ``kind`` + ``params`` in the reader's language."""

    __tablename__ = 'notifications'
    __table_args__ = (Index('ix_notifications_user_created', 'user_id', 'created_at'),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, 'sqlite'), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey('users.id', ondelete='CASCADE'))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(255))
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationOutbox(Base):
    """One message for one external channel, written in the event's transaction and delivered by the worker.

    status: pending (due at next_attempt_at) | sending (claimed; lease until next_attempt_at) | held (quiet hours,
    summarised when they end) | failed (last attempt failed, retried at next_attempt_at) | sent | dead (gave up).
    """

    __tablename__ = 'notification_outbox'
    __table_args__ = (Index('ix_notification_outbox_due', 'status', 'next_attempt_at'),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, 'sqlite'), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey('users.id', ondelete='CASCADE'), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | telegram | discord
    kind: Mapped[str] = mapped_column(String(32))
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default='pending')
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlertState(Base):
    """What a user was last told about one node, the confirmation counter, flapping, mute and maintenance.

    The row with ``node_id`` NULL is the user's network-incident state.
    """

    __tablename__ = 'alert_state'
    __table_args__ = (UniqueConstraint('user_id', 'node_id', name='uq_alert_state_user_node'),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey('users.id', ondelete='CASCADE'), index=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey('nodes.id', ondelete='CASCADE'), index=True)
    confirmed_status: Mapped[str | None] = mapped_column(String(16))
    confirmed_reasons: Mapped[list] = mapped_column(JSON, default=list)
    pending_status: Mapped[str | None] = mapped_column(String(16))
    pending_count: Mapped[int] = mapped_column(Integer, default=0)
    alerted_status: Mapped[str | None] = mapped_column(String(16))  # what the user was last told
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flap_count: Mapped[int] = mapped_column(Integer, default=0)
    flap_window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flap_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    seq: Mapped[int] = mapped_column(Integer, default=0)  # numbers the alerts (dedup keys)
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    maintenance_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    maintenance_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TelegramLink(Base):
    """A user's Telegram chat: a one-time code until the bot sees /start <code>, then the chat id."""

    __tablename__ = 'telegram_links'

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey('users.id', ondelete='CASCADE'), unique=True)
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    chat_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordResetToken(Base):
    """A single-use password reset link (only the token's sha256 is stored)."""

    __tablename__ = 'password_reset_tokens'

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey('users.id', ondelete='CASCADE'), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(64))
