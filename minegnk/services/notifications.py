"""Notifications: one call writes the in-app row and one outbox row per chosen external channel, inside the
caller's transaction (so an event and its notifications commit or roll back together), each under a dedup key.

Also the read side of the notification centre (list, unread count, mark read) and the signals that tell open
pages and the delivery worker that something new was committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from minegnk.db.models import Notification, NotificationOutbox, TelegramLink, User, utcnow
from minegnk.notify.render import zone
from minegnk.services.events import Signal

log = logging.getLogger(__name__)

EXTERNAL_CHANNELS = ('email', 'telegram', 'discord')
# Which preference (profile: event → channels) decides where each kind of notification goes.
EVENT_OF_KIND = {
    'node_down': 'node_down', 'node_flapping': 'node_down', 'node_recovered': 'node_recovered',
    'network_incident': 'network_incident', 'network_incident_over': 'network_incident',
    'low_reward': 'low_reward', 'unclaimed_reward': 'unclaimed_reward',
    'request_status': 'request_update', 'request_comment': 'request_update',
    'node_assigned': 'node_assignment', 'node_unassigned': 'node_assignment', 'daily_digest': 'daily_digest',
}
NOT_HELD = frozenset({'daily_digest', 'password_reset', 'telegram_linked'})  # quiet hours do not delay these

# Payload: user id whose in-app notifications changed (bell, notification centre).
notifications_changed: Signal[int] = Signal('notifications_changed')
# Payload: None. Something was put in the outbox: the delivery worker looks now instead of at its next poll.
outbox_written: Signal[None] = Signal('outbox_written')

_PENDING_KEY = 'minegnk.notifications.pending'
_LISTENING_KEY = 'minegnk.notifications.listening'


def _after_commit(db: Session, user_id: int | None, outbox: bool) -> None:
    if not db.info.get(_LISTENING_KEY):
        db.info[_LISTENING_KEY] = True
        event.listen(db, 'after_commit', _fire)
        event.listen(db, 'after_rollback', _drop)
    pending = db.info.setdefault(_PENDING_KEY, {'users': set(), 'outbox': False})
    if user_id is not None:
        pending['users'].add(user_id)
    pending['outbox'] = pending['outbox'] or outbox


def _drop(db: Session) -> None:
    if not db.in_nested_transaction():
        db.info.pop(_PENDING_KEY, None)


def _fire(db: Session) -> None:
    if db.in_nested_transaction():
        return
    pending = db.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    for user_id in sorted(pending['users']):
        notifications_changed.emit(user_id)
    if pending['outbox']:
        outbox_written.emit(None)


# ---------------------------------------------------------------------------------------------------- quiet hours
def parse_hhmm(value: str | None) -> time | None:
    if not value:
        return None
    hours, minutes = value.split(':')
    return time(int(hours), int(minutes))


def quiet_until(user: User, now: datetime) -> datetime | None:
    """When the user's quiet hours end, if ``now`` is inside them (None otherwise). Windows may cross midnight."""
    start, end = parse_hhmm(user.quiet_from), parse_hhmm(user.quiet_to)
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(zone(user.timezone))
    t = local.time().replace(second=0, microsecond=0)
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_day = local.date() if t < end else local.date() + timedelta(days=1)
    ends = datetime.combine(end_day, end, tzinfo=local.tzinfo)
    return ends.astimezone(now.tzinfo)


# ---------------------------------------------------------------------------------------------------- writing
def chosen_channels(user: User, kind: str) -> list[str]:
    from minegnk.services.profile import effective_notification_prefs  # profile imports services that notify
    prefs = effective_notification_prefs(user.notification_prefs)
    return list(prefs.get(EVENT_OF_KIND.get(kind, ''), []))


def notify(db: Session, user_id: int | None, kind: str, params: dict[str, Any], *, dedup_key: str,
           link: str | None = None, channels: list[str] | None = None, now: datetime | None = None) -> int:
    """Write the notification for every channel the user chose for this kind of event (or ``channels``).

    Idempotent per ``dedup_key``: writing the same key again adds nothing. Returns the number of rows written.
    Channels the user has not set up (no linked Telegram chat, no Discord webhook) are skipped.
    """
    if user_id is None:
        return 0
    user = db.get(User, user_id)
    if user is None or not user.is_active:
        return 0
    now = now or utcnow()
    wanted = channels if channels is not None else chosen_channels(user, kind)
    rows: list[Any] = []
    if 'in_app' in wanted:
        rows.append(Notification(user_id=user_id, kind=kind, params=params, link=link, dedup_key=dedup_key,
                                 created_at=now))
    held_until = None if kind in NOT_HELD else quiet_until(user, now)
    for channel in EXTERNAL_CHANNELS:
        if channel not in wanted or not _channel_ready(db, user, channel):
            continue
        rows.append(NotificationOutbox(
            user_id=user_id, channel=channel, kind=kind, dedup_key=f'{dedup_key}:{channel}',
            payload={'kind': kind, 'params': params, 'link': link}, status='held' if held_until else 'pending',
            attempts=0, next_attempt_at=held_until or now, created_at=now))
    if not rows:
        return 0
    keys = [r.dedup_key for r in rows]
    existing = set(db.scalars(select(Notification.dedup_key).where(Notification.dedup_key.in_(keys)))) | \
        set(db.scalars(select(NotificationOutbox.dedup_key).where(NotificationOutbox.dedup_key.in_(keys))))
    rows = [r for r in rows if r.dedup_key not in existing]
    if not rows:
        return 0
    # No savepoint here: releasing one fires other modules' after_commit listeners early (request_events). Keys
    # derive from unique event ids, so a duplicate can only come from a bug or a race, which fails the unit of work.
    db.add_all(rows)
    _after_commit(db, user_id if any(isinstance(r, Notification) for r in rows) else None,
                  any(isinstance(r, NotificationOutbox) for r in rows))
    return len(rows)


def _channel_ready(db: Session, user: User, channel: str) -> bool:
    if channel == 'email':
        return True
    if channel == 'telegram':
        return db.scalar(select(TelegramLink.chat_id).where(TelegramLink.user_id == user.id)) is not None
    if channel == 'discord':
        return bool(user.discord_webhook_url)
    return False


# ---------------------------------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    params: dict[str, Any]
    link: str | None
    created_at: datetime
    read: bool


def list_for_user(db: Session, user_id: int, *, limit: int = 100, unread_only: bool = False) -> list[NotificationView]:
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = db.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    return [NotificationView(r.id, r.kind, dict(r.params or {}), r.link, r.created_at, r.read_at is not None)
            for r in rows]


def unread_count(db: Session, user_id: int) -> int:
    return db.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_read(db: Session, user_id: int, notification_ids: list[int] | None = None) -> int:
    """Mark some (or, with None, all) of the user's notifications read; never touches other users' rows."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_ids is not None:
        query = query.where(Notification.id.in_(notification_ids))
    changed = db.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    if changed:
        _after_commit(db, user_id, False)
    return changed
