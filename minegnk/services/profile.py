"""The customer's own account: contact handles, preferences, notification choices, email change, data export
and account deletion."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minegnk.db.models import AuditLog, EarningsHistory, NodeAssignment, User, utcnow
from minegnk.services import accounts, api_tokens, audit, passwords, requests, sessions
from minegnk.services.accounts import CURRENCIES, LANGUAGES, AccountError
from minegnk.services.units import ngonka_to_gnk

NOTIFICATION_EVENTS = ('node_down', 'node_recovered', 'low_reward', 'unclaimed_reward', 'request_update',
                       'node_assignment', 'network_incident', 'daily_digest')
NOTIFICATION_CHANNELS = ('in_app', 'email', 'telegram', 'discord')
# What a new account gets until it chooses: the events that need action, in the portal and by email.
DEFAULT_NOTIFICATIONS = {'node_down': ['in_app', 'email'], 'node_recovered': ['in_app'], 'low_reward': ['in_app'],
                         'unclaimed_reward': ['in_app'], 'request_update': ['in_app', 'email'],
                         'node_assignment': ['in_app', 'email'], 'network_incident': ['in_app'], 'daily_digest': []}
TELEGRAM = re.compile(r'^[A-Za-z0-9_]{5,32}$')
DISCORD = re.compile(r'^[a-z0-9_.]{2,32}$')
EXPORT_FORMAT = 1

ProfileError = AccountError  # one error type for account pages: ``code`` and ``field``


@lru_cache(maxsize=1)
def timezones() -> tuple[str, ...]:
    """IANA zone names, sorted (the legacy upper-case aliases like "EST5EDT" and "posix/…" copies left out)."""
    return tuple(sorted(z for z in available_timezones()
                        if '/' in z and not z.startswith(('posix/', 'right/', 'Etc/')) or z == 'UTC'))


def parse_telegram(raw: Any) -> str | None:
    """Telegram username: 5–32 letters, digits or underscores; a leading @ is accepted and dropped."""
    value = str(raw or '').strip()
    if value.startswith('@'):
        value = value[1:]
    if not value:
        return None
    if not TELEGRAM.match(value):
        raise ProfileError('telegram_invalid', 'telegram')
    return value


def parse_discord(raw: Any) -> str | None:
    """Discord's current usernames: 2–32 of a-z, 0-9, "_" and "."; no "..". They are case-insensitive, so
    upper case is lowered rather than refused; a leading @ is dropped."""
    value = str(raw or '').strip()
    if value.startswith('@'):
        value = value[1:]
    value = value.lower()
    if not value:
        return None
    if not DISCORD.match(value) or '..' in value:
        raise ProfileError('discord_invalid', 'discord')
    return value


def parse_timezone(raw: Any) -> str | None:
    value = str(raw or '').strip()
    if not value:
        return None  # follow the browser
    if value not in available_timezones():
        raise ProfileError('timezone_invalid', 'timezone')
    return value


def parse_currency(raw: Any) -> str:
    value = str(raw or '').strip().upper()
    if value not in CURRENCIES:
        raise ProfileError('currency_invalid', 'currency')
    return value


def parse_language(raw: Any) -> str | None:
    value = str(raw or '').strip()
    if not value:
        return None  # follow the browser
    if value not in LANGUAGES:
        raise ProfileError('language_invalid', 'language')
    return value


def normalise_notification_prefs(raw: Any) -> dict[str, list[str]]:
    """Every known event with its channels (in a fixed order); anything unknown is refused, not dropped."""
    if not isinstance(raw, dict):
        raise ProfileError('notifications_invalid', 'notifications')
    result: dict[str, list[str]] = {event: [] for event in NOTIFICATION_EVENTS}
    for event, channels in raw.items():
        if event not in NOTIFICATION_EVENTS or not isinstance(channels, (list, tuple, set, frozenset)):
            raise ProfileError('notifications_invalid', 'notifications')
        if any(c not in NOTIFICATION_CHANNELS for c in channels):
            raise ProfileError('notifications_invalid', 'notifications')
        result[event] = [c for c in NOTIFICATION_CHANNELS if c in channels]
    return result


def effective_notification_prefs(stored: dict | None) -> dict[str, list[str]]:
    """The stored choices, with defaults for events the user has not decided on yet."""
    result = {event: list(channels) for event, channels in DEFAULT_NOTIFICATIONS.items()}
    for event, channels in (stored or {}).items():
        if event in result and isinstance(channels, list):
            result[event] = [c for c in NOTIFICATION_CHANNELS if c in channels]
    return result


@dataclass(frozen=True)
class ProfileView:
    user_id: int
    email: str
    role: str
    telegram: str | None
    discord: str | None
    currency: str
    timezone: str | None
    language: str | None
    notification_prefs: dict[str, list[str]]
    created_at: datetime
    last_login_at: datetime | None


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise ProfileError('not_found')
    return user


def get_profile(session: Session, user_id: int) -> ProfileView:
    user = _user(session, user_id)
    return ProfileView(user_id=user.id, email=user.email, role=user.role, telegram=user.telegram,
                       discord=user.discord, currency=user.currency, timezone=user.timezone, language=user.language,
                       notification_prefs=effective_notification_prefs(user.notification_prefs),
                       created_at=user.created_at, last_login_at=user.last_login_at)


def update_preferences(session: Session, user_id: int, *, telegram: Any, discord: Any, currency: Any,
                       timezone: Any, language: Any) -> ProfileView:
    """Handles and preferences in one go: all fields are checked first and nothing changes if any is invalid
    (``AccountError('invalid')`` then carries ``errors`` per field)."""
    user = _user(session, user_id)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, parser, raw in (('telegram', parse_telegram, telegram), ('discord', parse_discord, discord),
                              ('currency', parse_currency, currency), ('timezone', parse_timezone, timezone),
                              ('language', parse_language, language)):
        try:
            values[name] = parser(raw)
        except AccountError as e:
            errors[name] = e.code
    if errors:
        error = ProfileError('invalid')
        error.errors = errors  # type: ignore[attr-defined]
        raise error
    before = {name: getattr(user, name) for name in values}
    changed = {name: value for name, value in values.items() if before[name] != value}
    for name, value in changed.items():
        setattr(user, name, value)
    if changed:
        audit.record(session, actor_id=user.id, action='user.profile_update', target_type='user', target_id=user.id,
                     before={name: before[name] for name in changed}, after=changed)
    session.flush()
    return get_profile(session, user_id)


def set_notification_prefs(session: Session, user_id: int, prefs: Any) -> ProfileView:
    user = _user(session, user_id)
    normalised = normalise_notification_prefs(prefs)
    before = effective_notification_prefs(user.notification_prefs)
    user.notification_prefs = normalised
    if before != normalised:
        audit.record(session, actor_id=user.id, action='user.notifications_update', target_type='user',
                     target_id=user.id, before=before, after=normalised)
    session.flush()
    return get_profile(session, user_id)


def change_email(session: Session, user_id: int, *, current_password: str, new_email: str,
                 ip: str | None = None) -> ProfileView:
    """A new sign-in email: the current password is required; addresses are unique regardless of case."""
    user = _user(session, user_id)
    valid, _ = passwords.verify_password(current_password or '', user.password_hash)
    if not valid:
        raise ProfileError('current_password_wrong', 'current_password')
    email = accounts.normalise_email(new_email)
    if email == user.email:
        raise ProfileError('email_unchanged', 'email')
    taken = session.scalar(select(User.id).where(func.lower(User.email) == email, User.id != user.id))
    if taken is not None:
        raise ProfileError('email_taken', 'email')
    before = user.email
    user.email = email
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as e:  # someone registered it a moment ago
        raise ProfileError('email_taken', 'email') from e
    audit.record(session, actor_id=user.id, action='user.email_change', target_type='user', target_id=user.id,
                 before={'email': before}, after={'email': email}, ip=ip)
    return get_profile(session, user_id)


def change_password(session: Session, user_id: int, *, current_password: str, new_password: str,
                    keep_token_hash: str | None) -> int:
    """Returns how many other sessions were ended (every one but ``keep_token_hash``)."""
    _user(session, user_id)
    return accounts.change_password(session, user_id, current_password or '', new_password or '',
                                    keep_token_hash=keep_token_hash)


def sign_out_other_sessions(session: Session, user_id: int, *, keep_token_hash: str) -> int:
    count = sessions.revoke_user_sessions(session, user_id, reason='signed_out_elsewhere',
                                          keep_token_hash=keep_token_hash)
    # "Everywhere else" includes scripts logged in to the API.
    count += api_tokens.revoke_user_tokens(session, user_id, reason='signed_out_elsewhere')
    if count:
        audit.record(session, actor_id=user_id, action='user.sessions_revoke', target_type='user',
                     target_id=user_id, after={'sessions': count})
    return count


# ---- export ----

def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _gnk(ngonka: int) -> str:
    return str(ngonka_to_gnk(ngonka))


def export_data(session: Session, user_id: int) -> dict[str, Any]:
    """Everything the portal keeps about the user, as JSON-ready data. Never the password hash or session tokens;
    support's internal notes are support's records and stay out."""
    user = _user(session, user_id)
    profile = get_profile(session, user_id)
    nodes = []
    assignments = session.scalars(select(NodeAssignment).where(NodeAssignment.user_id == user_id)
                                  .order_by(NodeAssignment.assigned_at))
    for a in assignments:
        # Only the epochs settled while the node was theirs: a node can have had another owner before or after.
        query = select(EarningsHistory).where(EarningsHistory.node_id == a.node_id).order_by(EarningsHistory.epoch_id)
        end = a.unassigned_at
        earnings = [e for e in session.scalars(query)
                    if (e.settled_at is None and end is None)
                    or (e.settled_at is not None and e.settled_at >= a.assigned_at and (end is None or e.settled_at < end))]
        nodes.append({
            'address': a.node.address, 'label': a.node.label, 'gpu_type': a.node.gpu_type,
            'gpu_count': a.node.gpu_count, 'region': a.node.region,
            'assigned_at': _iso(a.assigned_at), 'unassigned_at': _iso(a.unassigned_at),
            'earnings_history': [{
                'epoch_id': e.epoch_id, 'reward_ngonka': e.reward_ngonka, 'reward_gnk': _gnk(e.reward_ngonka),
                'work_ngonka': e.work_ngonka, 'claimed': e.claimed, 'inference_count': e.inference_count,
                'missed_requests': e.missed_requests, 'settled_at': _iso(e.settled_at)} for e in earnings],
        })
    request_list = []
    for r in requests.list_for_user(session, user_id):
        request_list.append({
            'id': r.id, 'status': r.status, 'gpu_type': r.gpu_type, 'quantity': r.quantity,
            'budget_min': None if r.budget_min is None else str(r.budget_min),
            'budget_max': None if r.budget_max is None else str(r.budget_max),
            'budget_currency': r.budget_currency, 'network': r.network, 'region': r.region, 'comments': r.comments,
            'created_at': _iso(r.created_at), 'updated_at': _iso(r.updated_at),
            'events': [{'kind': e.kind, 'from_status': e.from_status, 'to_status': e.to_status, 'body': e.body,
                        'by': 'you' if e.by_owner else 'support', 'created_at': _iso(e.created_at)}
                       for e in r.events],
        })
    activity = []
    rows = session.scalars(select(AuditLog).where(or_(
        AuditLog.actor_id == user_id, (AuditLog.target_type == 'user') & (AuditLog.target_id == str(user_id)),
    )).order_by(AuditLog.created_at, AuditLog.id))
    for row in rows:
        activity.append({'action': row.action, 'by': 'you' if row.actor_id == user_id else 'support',
                         'target_type': row.target_type, 'target_id': row.target_id, 'before': row.before,
                         'after': row.after, 'ip': row.ip if row.actor_id == user_id else None,
                         'at': _iso(row.created_at)})
    login_sessions = [{'created_at': _iso(s.created_at), 'last_seen_at': _iso(s.last_seen_at),
                       'expires_at': _iso(s.expires_at), 'ip': s.ip, 'user_agent': s.user_agent,
                       'persistent': s.persistent} for s in sessions.active_sessions(session, user_id)]
    return {
        'format': EXPORT_FORMAT,
        'exported_at': _iso(utcnow()),
        'profile': {'email': profile.email, 'role': profile.role, 'telegram': profile.telegram,
                    'discord': profile.discord, 'currency': profile.currency, 'timezone': profile.timezone,
                    'language': profile.language, 'notification_prefs': profile.notification_prefs,
                    'created_at': _iso(user.created_at), 'last_login_at': _iso(user.last_login_at)},
        'active_sessions': login_sessions,
        'nodes': nodes,
        'requests': request_list,
        'activity': activity,
    }


# ---- deletion ----

def delete_account(session: Session, user_id: int, *, password: str, ip: str | None = None) -> None:
    """Delete the account after a password check. Requests stay for support, without the owner; node
    assignments keep their history with the owner removed; every session ends at once."""
    user = _user(session, user_id)
    valid, _ = passwords.verify_password(password or '', user.password_hash)
    if not valid:
        raise ProfileError('current_password_wrong', 'password')
    if user.is_admin:
        admins = session.scalar(select(func.count()).select_from(User).where(
            User.role == 'admin', User.is_active.is_(True)))
        if admins <= 1:
            raise ProfileError('last_admin')
    requests.anonymise_user_requests(session, user_id)
    for a in session.scalars(select(NodeAssignment).where(NodeAssignment.user_id == user_id)):
        a.user_id = None
        if a.unassigned_at is None:  # the node is free for support to assign again
            a.unassigned_at = utcnow()
    sessions.revoke_user_sessions(session, user_id, reason='account_deleted')
    audit.record(session, actor_id=None, action='user.delete', target_type='user', target_id=user_id, ip=ip)
    session.delete(user)
    session.flush()
