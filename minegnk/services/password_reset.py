"""Password reset by email: a single-use link valid 30 minutes; asking never reveals whether an account exists."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from minegnk.db.models import PasswordResetToken, User, utcnow
from minegnk.services import accounts, audit, notifications, passwords, sessions
from minegnk.services.accounts import AccountError

LIFETIME = timedelta(minutes=30)
PER_EMAIL = (3, 3600.0)  # requests per address per hour (whether or not it is registered)
PER_IP = (10, 3600.0)

_lock = threading.Lock()
_recent: dict[str, deque[float]] = {}


def _allowed(key: str, limit: tuple[int, float]) -> bool:
    count, window = limit
    now = time.monotonic()
    with _lock:
        stamps = _recent.setdefault(key, deque())
        while stamps and stamps[0] <= now - window:
            stamps.popleft()
        if len(stamps) >= count:
            return False
        stamps.append(now)
        return True


def reset_limits() -> None:
    with _lock:
        _recent.clear()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(db: Session, email: str, *, ip: str | None = None) -> None:
    """Send a reset link if the address belongs to an active account. Same outcome for the caller either way;
    over the rate limit nothing is sent (silently, for the same reason)."""
    normalised = accounts.normalise_email(email)  # only a malformed address is refused
    if not _allowed(f'email:{normalised}', PER_EMAIL) or (ip and not _allowed(f'ip:{ip}', PER_IP)):
        return
    user = accounts.get_by_email(db, normalised)
    if user is None or not user.is_active:
        return
    token = secrets.token_urlsafe(32)
    row = PasswordResetToken(user_id=user.id, token_hash=_hash(token), expires_at=utcnow() + LIFETIME, ip=ip)
    db.add(row)
    db.flush()
    audit.record(db, actor_id=user.id, action='user.password_reset_request', target_type='user', target_id=user.id,
                 ip=ip)
    notifications.notify(db, user.id, 'password_reset', {}, dedup_key=f'password_reset:{row.id}',
                         link=f'/password/reset?token={token}', channels=['email'])


def _usable(db: Session, token: str, *, lock: bool = False) -> PasswordResetToken | None:
    if not token or len(token) > 128:
        return None
    query = select(PasswordResetToken).where(PasswordResetToken.token_hash == _hash(token))
    if lock:
        query = query.with_for_update()
    row = db.scalar(query)
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def token_valid(db: Session, token: str) -> bool:
    return _usable(db, token) is not None


def reset_password(db: Session, token: str, new_password: str, *, ip: str | None = None) -> int:
    """Set a new password with a valid link; the link and every other open link are used up, and every session
    and API token of the account ends. Returns the user id."""
    row = _usable(db, token, lock=True)
    if row is None:
        raise AccountError('reset_link_invalid')
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        raise AccountError('reset_link_invalid')
    try:
        passwords.check_policy(new_password or '', email=user.email)
    except passwords.PasswordPolicyError as e:
        raise AccountError(e.code, 'new_password') from e
    # Conditional update: of two submits of the same link only one succeeds.
    used = db.execute(update(PasswordResetToken).where(PasswordResetToken.id == row.id,
                                                       PasswordResetToken.used_at.is_(None))
                      .values(used_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    if used != 1:
        raise AccountError('reset_link_invalid')
    db.execute(update(PasswordResetToken).where(PasswordResetToken.user_id == user.id,
                                                PasswordResetToken.used_at.is_(None))
               .values(used_at=utcnow()).execution_options(synchronize_session=False))
    user.password_hash = passwords.hash_password(new_password)
    audit.record(db, actor_id=user.id, action='user.password_reset', target_type='user', target_id=user.id, ip=ip)
    from minegnk.services import api_tokens  # api_tokens builds on accounts
    api_tokens.revoke_user_tokens(db, user.id, reason='password_reset')
    sessions.revoke_user_sessions(db, user.id, reason='password_reset')
    return user.id
