"""Accounts: registration, login with lockout, password change, roles and deactivation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minegnk.db.models import LoginAttempt, User, utcnow
from minegnk.services import audit, passwords, sessions

LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
IP_FAILURES = 30  # per client IP within the same window, across all accounts
ROLES = ('user', 'admin')
LANGUAGES = ('en', 'ru')
CURRENCIES = ('USD', 'EUR', 'GNK')


class AccountError(ValueError):
    """A refused account operation. ``code`` names the reason (translated by the caller); ``field`` the input."""

    def __init__(self, code: str, field: str | None = None, *, retry_after: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginResult:
    user_id: int
    token: str


def normalise_email(raw: str) -> str:
    """Validated, case-insensitively unique form of an email address."""
    try:
        result = validate_email((raw or '').strip(), check_deliverability=False)
    except EmailNotValidError as e:
        raise AccountError('email_invalid', 'email') from e
    return result.normalized.lower()


def get_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def register(session: Session, email: str, password: str, *, language: str | None = None,
             role: str = 'user', ip: str | None = None) -> User:
    email = normalise_email(email)
    try:
        passwords.check_policy(password, email=email)
    except passwords.PasswordPolicyError as e:
        raise AccountError(e.code, 'password') from e
    if get_by_email(session, email) is not None:
        raise AccountError('email_taken', 'email')
    user = User(email=email, password_hash=passwords.hash_password(password), role=role,
                language=language if language in LANGUAGES else None)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as e:  # a concurrent registration of the same address won the race
        raise AccountError('email_taken', 'email') from e
    audit.record(session, actor_id=user.id, action='user.register', target_type='user', target_id=user.id, ip=ip)
    return user


def _recent_failures(session: Session, *, email: str | None = None, ip: str | None = None) -> tuple[int, object]:
    since = utcnow() - LOCKOUT_WINDOW
    query = select(func.count(), func.max(LoginAttempt.created_at)).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since)
    query = query.where(LoginAttempt.email == email) if email is not None else query.where(LoginAttempt.ip == ip)
    count, last = session.execute(query).one()
    return count, last


def _retry_after(last) -> int:  # noqa: ANN001
    return max(1, int((last + LOCKOUT_WINDOW - utcnow()).total_seconds())) if last else int(LOCKOUT_WINDOW.total_seconds())


def authenticate(session: Session, email: str, password: str, *, ip: str | None = None) -> User:
    """Check credentials with every login rule (per-IP limit, per-account lockout, constant-time failure, disabled
    accounts, hash upgrade) and record the attempt. Opens nothing: ``login`` adds a UI session, the API its tokens.
    Failures never say whether the account exists."""
    key = (email or '').strip().lower()[:320]
    if ip:
        count, last = _recent_failures(session, ip=ip)
        if count >= IP_FAILURES:
            raise AccountError('too_many_attempts_ip', retry_after=_retry_after(last))
    count, last = _recent_failures(session, email=key)
    if count >= LOCKOUT_FAILURES:
        raise AccountError('account_locked', retry_after=_retry_after(last))
    user = get_by_email(session, key) if key else None
    valid, new_hash = passwords.verify_password(password or '', user.password_hash if user else passwords.DUMMY_HASH)
    if user is None or not valid:
        _record_failure(session, key, ip)
        raise AccountError('invalid_credentials')
    if not user.is_active:
        _record_failure(session, key, ip)
        raise AccountError('account_disabled')
    if new_hash:
        user.password_hash = new_hash
    user.last_login_at = utcnow()
    session.add(LoginAttempt(email=key, ip=ip, succeeded=True))
    return user


def login(session: Session, email: str, password: str, *, persistent: bool = False, ip: str | None = None,
          user_agent: str | None = None) -> LoginResult:
    """Check the credentials and open a session. Failures never say whether the account exists."""
    user = authenticate(session, email, password, ip=ip)
    token = sessions.create_session(session, user, persistent=persistent, ip=ip, user_agent=user_agent)
    audit.record(session, actor_id=user.id, action='user.login', target_type='user', target_id=user.id, ip=ip)
    return LoginResult(user_id=user.id, token=token)


def _revoke_api_tokens(session: Session, user_id: int, *, reason: str) -> None:
    from minegnk.services import api_tokens  # api_tokens builds on this module
    api_tokens.revoke_user_tokens(session, user_id, reason=reason)


def _record_failure(session: Session, email: str, ip: str | None) -> None:
    # Committed before the error propagates: the caller's unit of work rolls back, the failure must still count.
    session.add(LoginAttempt(email=email, ip=ip, succeeded=False))
    session.commit()


def logout(session: Session, token_hash: str) -> None:
    sessions.revoke_session(session, token_hash, reason='logout')


def change_password(session: Session, user_id: int, current: str, new: str, *, keep_token_hash: str | None) -> int:
    """Set a new password; every other session of the user ends. Returns how many sessions were ended."""
    user = session.get(User, user_id)
    if user is None:
        raise AccountError('not_found')
    valid, _ = passwords.verify_password(current, user.password_hash)
    if not valid:
        raise AccountError('current_password_wrong', 'current_password')
    try:
        passwords.check_policy(new, email=user.email)
    except passwords.PasswordPolicyError as e:
        raise AccountError(e.code, 'new_password') from e
    user.password_hash = passwords.hash_password(new)
    audit.record(session, actor_id=user.id, action='user.password_change', target_type='user', target_id=user.id)
    _revoke_api_tokens(session, user.id, reason='password_change')
    return sessions.revoke_user_sessions(session, user.id, reason='password_change', keep_token_hash=keep_token_hash)


def set_active(session: Session, *, actor_id: int | None, user_id: int, active: bool) -> User:
    """Activate or deactivate an account; deactivation ends its sessions at once."""
    user = session.get(User, user_id)
    if user is None:
        raise AccountError('not_found')
    if not active and user.role == 'admin' and _active_admin_count(session) <= 1:
        raise AccountError('last_admin')
    before = {'is_active': user.is_active}
    user.is_active = active
    if not active:
        sessions.revoke_user_sessions(session, user.id, reason='deactivated')
        _revoke_api_tokens(session, user.id, reason='deactivated')
    audit.record(session, actor_id=actor_id, action='user.activate' if active else 'user.deactivate',
                 target_type='user', target_id=user.id, before=before, after={'is_active': active})
    return user


def set_role(session: Session, *, actor_id: int | None, user_id: int, role: str) -> User:
    if role not in ROLES:
        raise AccountError('role_invalid', 'role')
    user = session.get(User, user_id)
    if user is None:
        raise AccountError('not_found')
    if user.role == 'admin' and role != 'admin' and _active_admin_count(session) <= 1:
        raise AccountError('last_admin')
    before = {'role': user.role}
    user.role = role
    audit.record(session, actor_id=actor_id, action='user.role', target_type='user', target_id=user.id,
                 before=before, after={'role': role})
    return user


def set_language(session: Session, user_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise AccountError('language_invalid', 'language')
    user = session.get(User, user_id)
    if user is not None:
        user.language = language


def _active_admin_count(session: Session) -> int:
    """Counted with the admin rows locked (PostgreSQL), so two admins demoting each other at once cannot both win."""
    query = select(User.id).where(User.role == 'admin', User.is_active.is_(True)).order_by(User.id)
    if session.get_bind().dialect.name == 'postgresql':
        query = query.with_for_update()
    return len(session.scalars(query).all())


def ensure_admin(session: Session, email: str, password: str) -> tuple[User, bool]:
    """Create an admin, or make an existing account an admin. Idempotent; returns (user, created)."""
    return ensure_account(session, email, password, role='admin')


def ensure_account(session: Session, email: str, password: str, *, role: str,
                   allow_demo_password: bool = False) -> tuple[User, bool]:
    """Create an account with ``role`` unless it exists (an existing one is activated and given the role)."""
    if role not in ROLES:
        raise AccountError('role_invalid', 'role')
    email = normalise_email(email)
    user = get_by_email(session, email)
    if user is not None:
        if (role == 'admin' and user.role != 'admin') or not user.is_active:
            before = {'role': user.role, 'is_active': user.is_active}
            user.role = 'admin' if role == 'admin' else user.role
            user.is_active = True
            audit.record(session, actor_id=None, action='user.promote_cli', target_type='user', target_id=user.id,
                         before=before, after={'role': user.role, 'is_active': True})
        return user, False
    try:
        passwords.check_policy(password, email=email, allow_demo=allow_demo_password)
    except passwords.PasswordPolicyError as e:
        raise AccountError(e.code, 'password') from e
    user = User(email=email, password_hash=passwords.hash_password(password), role=role)
    session.add(user)
    session.flush()
    audit.record(session, actor_id=None, action=f'user.create_{role}', target_type='user', target_id=user.id)
    return user, True
