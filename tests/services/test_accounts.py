"""Account service on SQLite and PostgreSQL: registration rules, hashing, login lockout, sessions, deactivation."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from minegnk.db.engine import session_scope
from minegnk.db.models import LoginAttempt, User, UserSession, utcnow
from minegnk.services import accounts, events, sessions
from minegnk.services.accounts import AccountError

PASSWORD = 'correct horse battery'


def register(email: str = 'alice@example.com', password: str = PASSWORD) -> int:
    with session_scope() as db:
        return accounts.register(db, email, password).id


def login(email: str = 'alice@example.com', password: str = PASSWORD, **kwargs) -> accounts.LoginResult:
    with session_scope() as db:
        return accounts.login(db, email, password, **kwargs)


def resolve(token: str):
    with session_scope() as db:
        return sessions.resolve_session(db, token)


@pytest.mark.parametrize(('email', 'password', 'code'), [
    ('not-an-email', PASSWORD, 'email_invalid'),
    ('', PASSWORD, 'email_invalid'),
    ('bob@example.com', 'short', 'password_too_short'),
    ('bob@example.com', 'x' * 129, 'password_too_long'),
    ('bob.long.name@example.com', 'Bob.Long.Name@example.com', 'password_equals_email'),
    ('bob@example.com', 'password123', 'password_too_common'),
    ('bob@example.com', 'aaaaaaaaaaaa', 'password_too_common'),
])
def test_registration_rules_refuse_bad_input_and_store_nothing(database, email, password, code):
    with pytest.raises(AccountError) as error, session_scope() as db:
        accounts.register(db, email, password)
    assert error.value.code == code
    with session_scope() as db:
        assert db.scalars(select(User)).all() == []


def test_email_is_normalised_and_unique_case_insensitively(database):
    register('Alice@Example.COM')
    with pytest.raises(AccountError) as error:
        register('aLiCe@example.com')
    assert error.value.code == 'email_taken'
    with session_scope() as db:
        assert db.scalars(select(User.email)).all() == ['alice@example.com']
    assert login('ALICE@example.com').user_id


def test_password_is_hashed_with_argon2id(database):
    register()
    with session_scope() as db:
        stored = db.scalar(select(User.password_hash))
    assert stored.startswith('$argon2id$')
    assert PASSWORD not in stored


def test_bcrypt_hash_is_upgraded_to_argon2id_at_login(database):
    from pwdlib.hashers.bcrypt import BcryptHasher
    user_id = register()
    with session_scope() as db:
        db.get(User, user_id).password_hash = BcryptHasher().hash(PASSWORD)
    login()
    with session_scope() as db:
        assert db.get(User, user_id).password_hash.startswith('$argon2id$')


def test_login_failure_is_the_same_for_unknown_account_and_wrong_password(database):
    register()
    with pytest.raises(AccountError) as unknown:
        login('nobody@example.com')
    with pytest.raises(AccountError) as wrong:
        login(password='wrong password here')
    assert unknown.value.code == wrong.value.code == 'invalid_credentials'


def test_login_takes_about_the_same_time_with_or_without_account(database):
    register()

    def duration(email: str) -> float:
        start = time.perf_counter()
        with pytest.raises(AccountError):
            login(email, 'wrong password here')
        return time.perf_counter() - start
    unknown = min(duration('nobody@example.com') for _ in range(3))
    known = min(duration('alice@example.com') for _ in range(3))
    # both paths run one argon2 verification; without the dummy hash the unknown path would be ~100x faster
    assert unknown > known * 0.3


def test_lockout_after_five_failures_even_with_the_right_password(database):
    register()
    for _ in range(accounts.LOCKOUT_FAILURES):
        with pytest.raises(AccountError):
            login(password='wrong password here')
    with pytest.raises(AccountError) as error:
        login()
    assert error.value.code == 'account_locked'
    assert 0 < error.value.retry_after <= 15 * 60
    # failures older than the window no longer count
    with session_scope() as db:
        for attempt in db.scalars(select(LoginAttempt)):
            attempt.created_at = utcnow() - timedelta(minutes=16)
    assert login().user_id


def test_per_ip_limit_spans_accounts(database):
    for i in range(accounts.IP_FAILURES):
        with pytest.raises(AccountError):
            login(f'user{i}@example.com', 'wrong password here', ip='203.0.113.9')
    register()
    with pytest.raises(AccountError) as error:
        login(ip='203.0.113.9')
    assert error.value.code == 'too_many_attempts_ip'
    assert login(ip='198.51.100.1').user_id  # another client is unaffected


def test_deactivated_user_cannot_log_in_and_loses_sessions(database):
    user_id = register()
    token = login().token
    assert resolve(token).user_id == user_id
    revoked: list[frozenset[str]] = []
    events.sessions_revoked.connect(revoked.append)
    try:
        with session_scope() as db:
            accounts.set_active(db, actor_id=None, user_id=user_id, active=False)
    finally:
        events.sessions_revoked.disconnect(revoked.append)
    assert resolve(token) is None
    assert revoked and sessions.hash_token(token) in revoked[0]
    with pytest.raises(AccountError) as error:
        login()
    assert error.value.code == 'account_disabled'


def test_logout_revokes_only_that_session(database):
    register()
    first, second = login().token, login().token
    with session_scope() as db:
        accounts.logout(db, sessions.hash_token(first))
    assert resolve(first) is None
    assert resolve(second) is not None


def test_password_change_ends_every_other_session(database):
    user_id = register()
    current, other = login().token, login().token
    with pytest.raises(AccountError) as error, session_scope() as db:
        accounts.change_password(db, user_id, 'wrong current pw', 'a brand new secret', keep_token_hash=None)
    assert error.value.code == 'current_password_wrong'
    with session_scope() as db:
        ended = accounts.change_password(db, user_id, PASSWORD, 'a brand new secret',
                                         keep_token_hash=sessions.hash_token(current))
    assert ended == 1
    assert resolve(current) is not None
    assert resolve(other) is None
    assert login(password='a brand new secret').user_id == user_id


def test_session_lifetimes_remember_me_and_expiry(database):
    register()
    persistent, browser = login(persistent=True).token, login(persistent=False).token
    with session_scope() as db:
        rows = {r.persistent: r for r in db.scalars(select(UserSession))}
        assert rows[True].expires_at - rows[True].created_at == sessions.PERSISTENT_LIFETIME
        assert rows[False].expires_at - rows[False].created_at == sessions.BROWSER_SESSION_IDLE
        rows[False].expires_at = utcnow() - timedelta(seconds=1)
    assert resolve(browser) is None
    assert resolve(persistent) is not None
    assert resolve('made-up-token') is None


def test_ensure_admin_is_idempotent_and_last_admin_is_protected(database):
    with session_scope() as db:
        admin, created = accounts.ensure_admin(db, 'root@example.com', PASSWORD)
        admin_id = admin.id
    assert created
    with session_scope() as db:
        again, created = accounts.ensure_admin(db, 'ROOT@example.com', 'another password 1')
        assert not created and again.id == admin_id
        assert db.scalar(select(User.role).where(User.id == admin_id)) == 'admin'
    for change in (lambda db: accounts.set_role(db, actor_id=admin_id, user_id=admin_id, role='user'),
                   lambda db: accounts.set_active(db, actor_id=admin_id, user_id=admin_id, active=False)):
        with pytest.raises(AccountError) as error, session_scope() as db:
            change(db)
        assert error.value.code == 'last_admin'
