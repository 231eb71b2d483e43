"""Server-side login sessions. The raw token lives only in the user's server-side storage; the DB keeps its hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from minegnk.db.models import User, UserSession, utcnow
from minegnk.services import events

PERSISTENT_LIFETIME = timedelta(days=30)
BROWSER_SESSION_IDLE = timedelta(hours=12)  # a browser-session login also ends after 12 h without activity
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionUser:
    """What a page needs to know about the logged-in user; a plain value, safe to keep outside a DB session."""

    user_id: int
    email: str
    role: str
    language: str | None
    timezone: str | None
    currency: str
    token_hash: str

    @property
    def is_admin(self) -> bool:
        return self.role == 'admin'


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(session: Session, user: User, *, persistent: bool, ip: str | None = None,
                   user_agent: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(UserSession(token_hash=hash_token(token), user_id=user.id, persistent=persistent, created_at=now,
                            last_seen_at=now, expires_at=now + (PERSISTENT_LIFETIME if persistent else BROWSER_SESSION_IDLE),
                            ip=ip, user_agent=(user_agent or '')[:255] or None))
    return token


def resolve_session(session: Session, token: str | None) -> SessionUser | None:
    """The user behind a token, or None when it is unknown, expired, revoked or the user is deactivated."""
    if not token:
        return None
    record = session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
    now = utcnow()
    if record is None or record.revoked_at is not None or record.expires_at <= now or not record.user.is_active:
        return None
    if now - record.last_seen_at >= TOUCH_INTERVAL:
        record.last_seen_at = now
        if not record.persistent:
            record.expires_at = now + BROWSER_SESSION_IDLE
    user = record.user
    return SessionUser(user_id=user.id, email=user.email, role=user.role, language=user.language,
                       timezone=user.timezone, currency=user.currency, token_hash=record.token_hash)


def revoke_session(session: Session, token_hash: str, *, reason: str) -> None:
    session.execute(update(UserSession).where(UserSession.token_hash == token_hash, UserSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow(), revoked_reason=reason))
    session.flush()
    events.sessions_revoked.emit(frozenset({token_hash}))


def revoke_user_sessions(session: Session, user_id: int, *, reason: str, keep_token_hash: str | None = None) -> int:
    """End every open session of a user (optionally all but one); open pages of those sessions are told at once."""
    condition = [UserSession.user_id == user_id, UserSession.revoked_at.is_(None)]
    if keep_token_hash:
        condition.append(UserSession.token_hash != keep_token_hash)
    hashes = frozenset(session.scalars(select(UserSession.token_hash).where(*condition)))
    if hashes:
        session.execute(update(UserSession).where(UserSession.token_hash.in_(hashes))
                        .values(revoked_at=utcnow(), revoked_reason=reason))
        session.flush()
        events.sessions_revoked.emit(hashes)
    return len(hashes)


def active_sessions(session: Session, user_id: int) -> list[UserSession]:
    now = utcnow()
    return list(session.scalars(select(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.expires_at > now,
    ).order_by(UserSession.last_seen_at.desc())))

