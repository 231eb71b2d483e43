"""API refresh tokens: random, stored hashed, 30 days, rotated on every use, grouped in families.

A family starts at an API login and is carried on by every rotation. Presenting a token that was already rotated
means two parties hold the same token (theft, or a buggy client): the whole family is revoked at once, so neither
can go on. Logout revokes the family; password change, deactivation and account deletion revoke every family of the
user. Access tokens carry their family id (``sid``) and die with it (see ``family_principal``).

Nothing here signs JWTs: that is the API's edge (``minegnk.api.tokens``). Nothing here imports the UI.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from minegnk.db.models import ApiRefreshToken, User, utcnow
from minegnk.services import accounts, audit

REFRESH_LIFETIME = timedelta(days=30)
TOKEN_BYTES = 32

# Called with the family ids just revoked (in the revoking thread), so in-process caches forget them at once.
_revocation_listeners: list[Callable[[frozenset[str]], None]] = []


class RefreshError(ValueError):
    """A refused refresh token. ``code``: invalid (unknown or malformed), expired, revoked, reused (family revoked)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class IssuedRefresh:
    user_id: int
    family_id: str
    token: str  # the raw token: shown to the client once, never stored
    expires_at: datetime


@dataclass(frozen=True)
class Principal:
    """Who an access token speaks for, as the database says now (role and active flag are never taken from the JWT)."""

    user_id: int
    email: str
    role: str
    family_id: str

    @property
    def is_admin(self) -> bool:
        return self.role == 'admin'


def on_revoked(listener: Callable[[frozenset[str]], None]) -> None:
    if listener not in _revocation_listeners:
        _revocation_listeners.append(listener)


def _announce(families: frozenset[str]) -> None:
    if families:
        for listener in list(_revocation_listeners):
            listener(families)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(session: Session, user_id: int, family_id: str, now: datetime) -> IssuedRefresh:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = now + REFRESH_LIFETIME
    session.add(ApiRefreshToken(user_id=user_id, token_hash=hash_token(token), family_id=family_id, issued_at=now,
                                expires_at=expires))
    session.flush()
    return IssuedRefresh(user_id=user_id, family_id=family_id, token=token, expires_at=expires)


def login(session: Session, email: str, password: str, *, ip: str | None = None) -> IssuedRefresh:
    """Check the credentials with the portal's login rules (``accounts.authenticate``: lockout, per-IP limit,
    disabled accounts) and start a new token family. Raises ``accounts.AccountError`` like the login page."""
    user = accounts.authenticate(session, email, password, ip=ip)
    issued = _new_token(session, user.id, str(uuid.uuid4()), utcnow())
    audit.record(session, actor_id=user.id, action='user.login_api', target_type='user', target_id=user.id, ip=ip)
    return issued


def issue_family(session: Session, user_id: int) -> IssuedRefresh:
    """A new family for a user who just proved who they are some other way (e.g. registration)."""
    return _new_token(session, user_id, str(uuid.uuid4()), utcnow())


def rotate(session: Session, token: str) -> IssuedRefresh:
    """Exchange a refresh token for a new one of the same family; the old one can never be used again.

    Reuse of a rotated token revokes the whole family and is committed before ``RefreshError('reused')`` is raised,
    so the caller's rollback cannot undo it.
    """
    if not token or len(token) > 256:
        raise RefreshError('invalid')
    record = session.scalar(select(ApiRefreshToken).where(ApiRefreshToken.token_hash == hash_token(token)))
    now = utcnow()
    if record is None:
        raise RefreshError('invalid')
    if record.revoked_at is not None:
        raise RefreshError('revoked')
    if record.rotated_at is not None:
        _revoke_reused(session, record)
    if record.expires_at <= now:
        raise RefreshError('expired')
    user = session.get(User, record.user_id)
    if user is None or not user.is_active:
        raise RefreshError('revoked')
    # Conditional update: of two requests presenting the same token at once exactly one wins; the other is a reuse.
    won = session.execute(update(ApiRefreshToken)
                          .where(ApiRefreshToken.id == record.id, ApiRefreshToken.rotated_at.is_(None),
                                 ApiRefreshToken.revoked_at.is_(None))
                          .values(rotated_at=now).execution_options(synchronize_session=False)).rowcount
    if won != 1:
        session.rollback()
        record = session.scalar(select(ApiRefreshToken).where(ApiRefreshToken.token_hash == hash_token(token)))
        _revoke_reused(session, record)
    return _new_token(session, record.user_id, record.family_id, now)


def _revoke_reused(session: Session, record: ApiRefreshToken) -> None:
    family, user_id = record.family_id, record.user_id
    revoke_family(session, family, reason='reuse_detected')
    audit.record(session, actor_id=user_id, action='api.refresh_reuse', target_type='user', target_id=user_id,
                 after={'family': family})
    session.commit()
    raise RefreshError('reused')


def revoke_family(session: Session, family_id: str, *, reason: str) -> int:
    count = session.execute(update(ApiRefreshToken)
                            .where(ApiRefreshToken.family_id == family_id, ApiRefreshToken.revoked_at.is_(None))
                            .values(revoked_at=utcnow(), revoked_reason=reason)
                            .execution_options(synchronize_session=False)).rowcount
    _announce(frozenset({family_id}))
    return count


def logout(session: Session, token: str) -> bool:
    """Revoke the family of a refresh token (whatever state the token is in). False if the token is unknown."""
    record = session.scalar(select(ApiRefreshToken).where(ApiRefreshToken.token_hash == hash_token(token or '')))
    if record is None:
        return False
    revoke_family(session, record.family_id, reason='logout')
    audit.record(session, actor_id=record.user_id, action='user.logout_api', target_type='user',
                 target_id=record.user_id)
    return True


def revoke_user_tokens(session: Session, user_id: int, *, reason: str) -> int:
    """End every API login of a user (password change, deactivation, account deletion). Returns families ended."""
    families = frozenset(session.scalars(select(ApiRefreshToken.family_id).where(
        ApiRefreshToken.user_id == user_id, ApiRefreshToken.revoked_at.is_(None)).distinct()))
    if families:
        session.execute(update(ApiRefreshToken)
                        .where(ApiRefreshToken.user_id == user_id, ApiRefreshToken.revoked_at.is_(None))
                        .values(revoked_at=utcnow(), revoked_reason=reason)
                        .execution_options(synchronize_session=False))
        _announce(families)
    return len(families)


def family_principal(session: Session, family_id: str, user_id: int) -> Principal | None:
    """The user behind an access token of ``family_id``, or None when the family was revoked or has expired, or the
    user is gone or deactivated. A family is alive while it has a token that is neither revoked nor expired."""
    row = session.execute(
        select(User.id, User.email, User.role, User.is_active)
        .join(ApiRefreshToken, ApiRefreshToken.user_id == User.id)
        .where(ApiRefreshToken.family_id == family_id, ApiRefreshToken.user_id == user_id,
               ApiRefreshToken.revoked_at.is_(None), ApiRefreshToken.expires_at > utcnow())
        .limit(1)).first()
    if row is None or not row.is_active:
        return None
    return Principal(user_id=row.id, email=row.email, role=row.role, family_id=family_id)
