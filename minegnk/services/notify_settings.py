"""Where and when a user's notifications go: Telegram link, Discord webhook, quiet hours, digest hour, and
per-node mute and maintenance windows (set by the customer or by support)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from minegnk.db.models import AlertState, Node, NodeAssignment, TelegramLink, User, utcnow
from minegnk.services import audit, notifications
from minegnk.services.accounts import AccountError

DISCORD_WEBHOOK = re.compile(r'^/api/webhooks/(\d{15,25})/([A-Za-z0-9_-]{30,100})/?$')
DISCORD_HOSTS = ('discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com')
HHMM = re.compile(r'^([01]\d|2[0-3]):([0-5]\d)$')
TELEGRAM_CODE_LIFETIME = timedelta(hours=1)
MAX_MUTE = timedelta(days=90)


def parse_discord_webhook(raw: Any) -> str | None:
    """A Discord webhook URL (https, discord.com or discordapp.com, /api/webhooks/<id>/<token>), normalised."""
    value = str(raw or '').strip()
    if not value:
        return None
    parts = urlsplit(value)
    match = DISCORD_WEBHOOK.match(parts.path)
    if parts.scheme != 'https' or parts.hostname not in DISCORD_HOSTS or parts.port not in (None, 443) \
            or parts.username or parts.password or parts.query or parts.fragment or match is None:
        raise AccountError('discord_webhook_invalid', 'discord_webhook')
    return f'https://discord.com/api/webhooks/{match.group(1)}/{match.group(2)}'


def parse_hhmm(raw: Any, field: str) -> str | None:
    value = str(raw or '').strip()
    if not value:
        return None
    if not HHMM.match(value):
        raise AccountError('time_invalid', field)
    return value


@dataclass(frozen=True)
class NodeSilence:
    node_id: int
    address: str
    label: str | None
    muted_until: datetime | None
    maintenance_from: datetime | None
    maintenance_to: datetime | None


@dataclass(frozen=True)
class ChannelSettings:
    user_id: int
    email: str
    telegram_linked: bool
    telegram_code: str | None  # waiting for the bot to see it
    discord_webhook_url: str | None
    quiet_from: str | None
    quiet_to: str | None
    digest_hour: int
    timezone: str | None
    nodes: tuple[NodeSilence, ...]


def _user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None or not user.is_active:
        raise AccountError('not_found')
    return user


def get_settings_view(db: Session, user_id: int) -> ChannelSettings:
    user = _user(db, user_id)
    link = db.scalar(select(TelegramLink).where(TelegramLink.user_id == user_id))
    states = {s.node_id: s for s in db.scalars(select(AlertState).where(AlertState.user_id == user_id))}
    nodes = []
    for node in db.scalars(select(Node).join(NodeAssignment, NodeAssignment.node_id == Node.id).where(
            NodeAssignment.user_id == user_id, NodeAssignment.unassigned_at.is_(None)).order_by(Node.label, Node.address)):
        s = states.get(node.id)
        nodes.append(NodeSilence(node.id, node.address, node.label, s.muted_until if s else None,
                                 s.maintenance_from if s else None, s.maintenance_to if s else None))
    code = link.code if link is not None and link.chat_id is None and \
        link.created_at > utcnow() - TELEGRAM_CODE_LIFETIME else None
    return ChannelSettings(user.id, user.email, bool(link and link.chat_id), code, user.discord_webhook_url,
                           user.quiet_from, user.quiet_to, user.digest_hour if user.digest_hour is not None else 8,
                           user.timezone, tuple(nodes))


def update_channels(db: Session, user_id: int, *, discord_webhook: Any, quiet_from: Any, quiet_to: Any,
                    digest_hour: Any) -> ChannelSettings:
    """All fields are checked first; nothing changes if any is invalid (``AccountError('invalid').errors``)."""
    user = _user(db, user_id)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, parse in (('discord_webhook_url', lambda: parse_discord_webhook(discord_webhook)),
                        ('quiet_from', lambda: parse_hhmm(quiet_from, 'quiet_from')),
                        ('quiet_to', lambda: parse_hhmm(quiet_to, 'quiet_to'))):
        try:
            values[name] = parse()
        except AccountError as e:
            errors[e.field or name] = e.code
    if 'quiet_from' in values and 'quiet_to' in values and (values['quiet_from'] is None) != (values['quiet_to'] is None):
        errors['quiet_to' if values.get('quiet_from') else 'quiet_from'] = 'quiet_hours_incomplete'
    try:
        hour = int(digest_hour)
        if not 0 <= hour <= 23:
            raise ValueError
        values['digest_hour'] = hour
    except (TypeError, ValueError):
        errors['digest_hour'] = 'digest_hour_invalid'
    if errors:
        error = AccountError('invalid')
        error.errors = errors  # type: ignore[attr-defined]
        raise error
    before = {name: getattr(user, name) for name in values}
    changed = {name: value for name, value in values.items() if before[name] != value}
    for name, value in changed.items():
        setattr(user, name, value)
    if changed:
        # The webhook URL is a secret: the audit log only says whether one is set.
        hide = {'discord_webhook_url': lambda v: bool(v)}
        audit.record(db, actor_id=user.id, action='user.notification_channels', target_type='user', target_id=user.id,
                     before={k: hide.get(k, lambda v: v)(before[k]) for k in changed},
                     after={k: hide.get(k, lambda v: v)(v) for k, v in changed.items()})
    db.flush()
    return get_settings_view(db, user_id)


# ---- Telegram ----

def start_telegram_link(db: Session, user_id: int) -> str:
    """A fresh one-time code for https://t.me/<bot>?start=<code> (replaces any earlier link of this user)."""
    _user(db, user_id)
    link = db.scalar(select(TelegramLink).where(TelegramLink.user_id == user_id))
    if link is None:
        link = TelegramLink(user_id=user_id)
        db.add(link)
    link.code, link.chat_id, link.created_at, link.linked_at = secrets.token_urlsafe(24), None, utcnow(), None
    db.flush()
    return link.code


def bind_telegram_chat(db: Session, code: str, chat_id: str | int) -> int | None:
    """The bot saw ``/start <code>`` in ``chat_id``: link it (code used once, valid an hour). Returns the user id."""
    link = db.scalar(select(TelegramLink).where(TelegramLink.code == code)) if code else None
    if link is None or link.created_at <= utcnow() - TELEGRAM_CODE_LIFETIME:
        return None
    link.code, link.chat_id, link.linked_at = None, str(chat_id), utcnow()
    audit.record(db, actor_id=link.user_id, action='user.telegram_link', target_type='user', target_id=link.user_id)
    db.flush()
    notifications.notify(db, link.user_id, 'telegram_linked', {'email': db.get(User, link.user_id).email},
                         dedup_key=f'telegram_linked:{link.id}:{link.linked_at.isoformat()}', channels=['telegram'],
                         link='/notifications/settings')
    return link.user_id


def unlink_telegram(db: Session, user_id: int) -> bool:
    link = db.scalar(select(TelegramLink).where(TelegramLink.user_id == user_id))
    if link is None:
        return False
    db.delete(link)
    audit.record(db, actor_id=user_id, action='user.telegram_unlink', target_type='user', target_id=user_id)
    return True


# ---- per-node mute and maintenance ----

def set_node_silence(db: Session, *, actor_id: int, user_id: int, node_id: int, muted_until: datetime | None,
                     maintenance_from: datetime | None, maintenance_to: datetime | None) -> NodeSilence:
    """Mute a node's alerts until a time, and/or set a maintenance window. The owner or an admin may do it."""
    actor = db.get(User, actor_id)
    if actor is None or not actor.is_active or (actor_id != user_id and not actor.is_admin):
        raise AccountError('forbidden')
    node = db.scalar(select(Node).join(NodeAssignment, NodeAssignment.node_id == Node.id).where(
        Node.id == node_id, NodeAssignment.user_id == user_id, NodeAssignment.unassigned_at.is_(None)))
    if node is None:
        raise AccountError('not_found')
    now = utcnow()
    if muted_until is not None and (muted_until <= now or muted_until > now + MAX_MUTE):
        raise AccountError('mute_invalid', 'muted_until')
    if (maintenance_from is None) != (maintenance_to is None):
        raise AccountError('maintenance_incomplete', 'maintenance_to')
    if maintenance_from is not None and (maintenance_to <= maintenance_from or maintenance_to <= now
                                         or maintenance_to - maintenance_from > MAX_MUTE):
        raise AccountError('maintenance_invalid', 'maintenance_to')
    state = db.scalar(select(AlertState).where(AlertState.user_id == user_id, AlertState.node_id == node_id))
    if state is None:
        state = AlertState(user_id=user_id, node_id=node_id, pending_count=0, flap_count=0, flap_notified=False,
                           seq=0, confirmed_reasons=[])
        db.add(state)
    before = {'muted_until': _iso(state.muted_until), 'maintenance_from': _iso(state.maintenance_from),
              'maintenance_to': _iso(state.maintenance_to)}
    state.muted_until, state.maintenance_from, state.maintenance_to = muted_until, maintenance_from, maintenance_to
    audit.record(db, actor_id=actor_id, action='node.alert_silence', target_type='node', target_id=node.address,
                 before=before, after={'user_id': user_id, 'muted_until': _iso(muted_until),
                                       'maintenance_from': _iso(maintenance_from),
                                       'maintenance_to': _iso(maintenance_to)})
    db.flush()
    return NodeSilence(node.id, node.address, node.label, muted_until, maintenance_from, maintenance_to)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
