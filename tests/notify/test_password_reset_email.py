"""Password reset over real SMTP: the link arrives, works once, expires, ends every session, and asking never
reveals whether an address is registered."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from minegnk.db.engine import session_scope
from minegnk.db.models import NotificationOutbox, PasswordResetToken, utcnow
from minegnk.jobs.delivery import DeliveryWorker
from minegnk.services import accounts, password_reset, sessions
from minegnk.services.accounts import AccountError
from tests.notify.conftest import PUBLIC_URL

PASSWORD = 'correct horse battery'
NEW_PASSWORD = 'a brand new long secret 9'


@pytest.fixture(autouse=True)
def fresh_limits():
    password_reset.reset_limits()
    yield
    password_reset.reset_limits()


async def send_all(settings) -> None:  # noqa: ANN001
    worker = DeliveryWorker(settings)
    while await worker.run_once():
        pass
    await worker.stop()


def link_token(message) -> str:  # noqa: ANN001
    plain = message.get_body(('plain',)).get_content()
    match = re.search(re.escape(PUBLIC_URL) + r'/password/reset\?token=([A-Za-z0-9_-]+)', plain)
    assert match, plain
    return match.group(1)


async def test_reset_link_arrives_works_once_and_ends_every_session(database, channel_env, smtp_server):
    with session_scope() as db:
        user = accounts.register(db, 'alice@example.com', PASSWORD)
        # Alice never chose email for anything: a reset link goes by email regardless.
        user.notification_prefs = {}
    with session_scope() as db:
        accounts.login(db, 'alice@example.com', PASSWORD)
        accounts.login(db, 'alice@example.com', PASSWORD, persistent=True)
    with session_scope() as db:
        password_reset.request_reset(db, 'Alice@Example.com', ip='10.0.0.1')
    await send_all(channel_env)
    assert smtp_server.inbox.subjects() == ['Reset your MineGNK password']
    assert smtp_server.inbox.messages[0][1] == ['alice@example.com']
    token = link_token(smtp_server.inbox.messages[0][2])
    with session_scope() as db:  # the credential does not linger in the outbox once sent
        assert token not in str(db.scalar(select(NotificationOutbox.payload)))

    with session_scope() as db:
        assert password_reset.token_valid(db, token)
        with pytest.raises(AccountError) as weak:
            password_reset.reset_password(db, token, 'short')
        assert weak.value.code == 'password_too_short'
    with session_scope() as db:
        user_id = password_reset.reset_password(db, token, NEW_PASSWORD)
    with session_scope() as db:
        assert sessions.active_sessions(db, user_id) == []
        assert not password_reset.token_valid(db, token)
    with pytest.raises(AccountError) as again, session_scope() as db:
        password_reset.reset_password(db, token, 'yet another long secret 1')
    assert again.value.code == 'reset_link_invalid'
    with session_scope() as db:
        assert accounts.login(db, 'alice@example.com', NEW_PASSWORD).user_id == user_id


async def test_reset_link_expires_after_30_minutes(database, channel_env, smtp_server):
    with session_scope() as db:
        accounts.register(db, 'bob@example.com', PASSWORD)
    with session_scope() as db:
        password_reset.request_reset(db, 'bob@example.com')
    await send_all(channel_env)
    token = link_token(smtp_server.inbox.messages[0][2])
    with session_scope() as db:
        row = db.scalar(select(PasswordResetToken))
        assert timedelta(minutes=29) < row.expires_at - row.created_at <= timedelta(minutes=30)
        db.execute(update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(AccountError) as expired, session_scope() as db:
        password_reset.reset_password(db, token, NEW_PASSWORD)
    assert expired.value.code == 'reset_link_invalid'


async def test_asking_does_not_reveal_whether_an_address_is_registered(database, channel_env, smtp_server):
    with session_scope() as db:
        accounts.register(db, 'carol@example.com', PASSWORD)
    for email in ('carol@example.com', 'nobody@example.com'):
        with session_scope() as db:
            assert password_reset.request_reset(db, email, ip='10.0.0.2') is None  # same outcome either way
    await send_all(channel_env)
    assert [r for _, r, _ in smtp_server.inbox.messages] == [['carol@example.com']]
    with pytest.raises(AccountError) as bad, session_scope() as db:
        password_reset.request_reset(db, 'not an email')
    assert bad.value.code == 'email_invalid'


async def test_requests_are_rate_limited_per_address(database, channel_env, smtp_server):
    with session_scope() as db:
        accounts.register(db, 'dave@example.com', PASSWORD)
    for _ in range(5):
        with session_scope() as db:
            password_reset.request_reset(db, 'dave@example.com', ip='10.0.0.3')
    await send_all(channel_env)
    assert len(smtp_server.inbox.messages) == password_reset.PER_EMAIL[0]
