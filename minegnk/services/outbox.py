"""The delivery side of the outbox: claim due messages, record the outcome, retry with exponential backoff.

A message is claimed by moving it to ``sending`` with a lease (``next_attempt_at``); on PostgreSQL the claim reads
with FOR UPDATE SKIP LOCKED so two workers never take the same row. A worker that dies mid-send leaves the row in
``sending``; once the lease runs out it is claimed again (the only case a message could arrive twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from minegnk.db.models import NotificationOutbox, TelegramLink, User, utcnow
from minegnk.notify.render import Rendered, render

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
NOT_CONFIGURED_DELAY = timedelta(minutes=1)
SECRET_KINDS = frozenset({'password_reset'})  # their link is a credential: dropped once it is no longer needed


@dataclass
class Delivery:
    ids: list[int]
    channel: str
    kind: str
    user_id: int | None
    destination: str | None
    message: Rendered | None
    attempts: int
    held: bool  # quiet-hours rows: on failure they stay held together
    problem: str | None = None  # found while preparing; retrying cannot help


def backoff(attempts: int, base_seconds: float) -> timedelta:
    return min(MAX_BACKOFF, timedelta(seconds=base_seconds * 2 ** max(0, attempts - 1)))


def _write_first(db: Session) -> None:
    """SQLite: take the write lock before reading. A transaction that reads first and writes later fails at once
    ("database is locked") when another writer committed in between, instead of waiting its turn."""
    if db.get_bind().dialect.name == 'sqlite':
        db.execute(text('UPDATE notification_outbox SET id = id WHERE 1 = 0'))


def _due(db: Session, query: Any) -> list[NotificationOutbox]:
    if db.get_bind().dialect.name == 'postgresql':
        query = query.with_for_update(skip_locked=True)
    return list(db.scalars(query))


def claim_due(db: Session, *, base_url: str, now: datetime | None = None, limit: int = 50) -> list[Delivery]:
    now = now or utcnow()
    _write_first(db)
    rows = _due(db, select(NotificationOutbox).where(
        NotificationOutbox.status.in_(('pending', 'failed', 'sending')), NotificationOutbox.next_attempt_at <= now)
        .order_by(NotificationOutbox.next_attempt_at, NotificationOutbox.id).limit(limit))
    held = _due(db, select(NotificationOutbox).where(
        NotificationOutbox.status == 'held', NotificationOutbox.next_attempt_at <= now)
        .order_by(NotificationOutbox.id).limit(limit * 10))
    deliveries = []
    for row in rows:
        deliveries.append(_prepare(db, [row], row.kind, row.payload.get('params') or {}, row.payload.get('link'),
                                   base_url, held=False))
    groups: dict[tuple[int | None, str], list[NotificationOutbox]] = {}
    for row in held:
        groups.setdefault((row.user_id, row.channel), []).append(row)
    for group in groups.values():
        if len(group) == 1:  # a single held message goes as itself
            row = group[0]
            deliveries.append(_prepare(db, group, row.kind, row.payload.get('params') or {},
                                       row.payload.get('link'), base_url, held=True))
        else:
            items = [{'kind': r.kind, 'params': r.payload.get('params') or {}} for r in group]
            deliveries.append(_prepare(db, group, 'quiet_summary', {'items': items}, '/notifications', base_url,
                                       held=True))
    for delivery in deliveries:
        for row in (r for r in rows + held if r.id in delivery.ids):
            row.status, row.attempts, row.next_attempt_at = 'sending', (row.attempts or 0) + 1, now + LEASE
            delivery.attempts = max(delivery.attempts, row.attempts)
    db.flush()
    return deliveries


def _prepare(db: Session, rows: list[NotificationOutbox], kind: str, params: dict, link: str | None, base_url: str,
             *, held: bool) -> Delivery:
    row = rows[0]
    delivery = Delivery([r.id for r in rows], row.channel, kind, row.user_id, None, None, 0, held)
    user = db.get(User, row.user_id) if row.user_id is not None else None
    if user is None or not user.is_active:
        delivery.problem = 'account gone or deactivated'
        return delivery
    if row.payload.get('redacted'):
        delivery.problem = 'link expired before it could be sent'
        return delivery
    delivery.message = render(kind, params, user.language or 'en', tz=user.timezone, link=link, base_url=base_url)
    if row.channel == 'email':
        delivery.destination = user.email
    elif row.channel == 'telegram':
        delivery.destination = db.scalar(select(TelegramLink.chat_id).where(TelegramLink.user_id == user.id))
    elif row.channel == 'discord':
        delivery.destination = user.discord_webhook_url
    if not delivery.destination:
        delivery.problem = f'{row.channel} is no longer set up for this account'
    return delivery


def _rows(db: Session, ids: list[int]) -> list[NotificationOutbox]:
    _write_first(db)
    return list(db.scalars(select(NotificationOutbox).where(NotificationOutbox.id.in_(ids))))


def _redact(row: NotificationOutbox) -> None:
    if row.kind in SECRET_KINDS:
        row.payload = {**row.payload, 'link': None, 'redacted': True}


def mark_sent(db: Session, ids: list[int], now: datetime | None = None) -> None:
    now = now or utcnow()
    for row in _rows(db, ids):
        row.status, row.sent_at, row.last_error = 'sent', now, None
        _redact(row)


def mark_failed(db: Session, ids: list[int], error: str, *, permanent: bool, retry_seconds: float,
                max_attempts: int, held: bool = False, now: datetime | None = None) -> str:
    """Record a failed attempt; returns the new status (failed: retried later, dead: given up)."""
    now = now or utcnow()
    status = 'failed'
    for row in _rows(db, ids):
        row.last_error = error[:500]
        if permanent or (row.attempts or 0) >= max_attempts:
            row.status = status = 'dead'
            _redact(row)
        else:
            row.status = 'held' if held else 'failed'
            row.next_attempt_at = now + backoff(row.attempts or 1, retry_seconds)
    return status


def release(db: Session, ids: list[int], reason: str, now: datetime | None = None) -> None:
    """Not attempted (the channel is not configured on this server): back in the queue, attempt not counted."""
    now = now or utcnow()
    for row in _rows(db, ids):
        row.status = 'pending' if row.status == 'sending' else row.status
        row.attempts = max(0, (row.attempts or 1) - 1)
        row.next_attempt_at, row.last_error = now + NOT_CONFIGURED_DELAY, reason[:500]


@dataclass(frozen=True)
class OutboxRow:
    id: int
    user_email: str | None
    channel: str
    kind: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime


def problems(db: Session, *, limit: int = 50) -> list[OutboxRow]:
    """Failed and dead deliveries, newest first (admin system page)."""
    rows = db.execute(select(NotificationOutbox, User.email).outerjoin(User, User.id == NotificationOutbox.user_id)
                      .where(NotificationOutbox.status.in_(('failed', 'dead')))
                      .order_by(NotificationOutbox.id.desc()).limit(limit)).all()
    return [OutboxRow(r.id, email, r.channel, r.kind, r.status, r.attempts, r.last_error, r.created_at,
                      r.next_attempt_at) for r, email in rows]


def counts(db: Session) -> dict[str, int]:
    from sqlalchemy import func
    return dict(db.execute(select(NotificationOutbox.status, func.count()).group_by(NotificationOutbox.status)).all())


def retry_now(db: Session, outbox_id: int) -> bool:
    """Support: try a failed or dead message again at once (it gets a fresh set of attempts)."""
    _write_first(db)
    row = db.get(NotificationOutbox, outbox_id)
    if row is None or row.status not in ('failed', 'dead') or row.payload.get('redacted'):
        return False
    row.status, row.attempts, row.next_attempt_at = 'pending', 0, utcnow()
    return True
