"""Profile service on SQLite and PostgreSQL: handle and preference rules, notification choices, email change,
password change, data export content and account deletion with anonymised requests."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from minegnk.db.engine import session_scope
from minegnk.db.models import EarningsHistory, Node, NodeAssignment, SupportRequest, User, UserSession, utcnow
from minegnk.services import accounts, catalog, profile, requests, sessions
from minegnk.services.accounts import AccountError

PASSWORD = 'correct horse battery'
NEW_PASSWORD = 'another long secret 42'


def make_user(email: str, *, admin: bool = False) -> int:
    with session_scope() as db:
        if admin:
            return accounts.ensure_admin(db, email, PASSWORD)[0].id
        return accounts.register(db, email, PASSWORD).id


def login(email: str, password: str = PASSWORD) -> accounts.LoginResult:
    with session_scope() as db:
        return accounts.login(db, email, password)


@pytest.mark.parametrize(('raw', 'expected'), [
    ('', None), ('  ', None), ('@', None), ('alice', 'alice'), ('@Alice_99', 'Alice_99'), ('a' * 32, 'a' * 32),
])
def test_telegram_accepted(raw, expected):
    assert profile.parse_telegram(raw) == expected


@pytest.mark.parametrize('raw', ['abcd', 'a' * 33, 'alice-bob', 'alice bob', '@@alice', 'алиса1', '<script>'])
def test_telegram_refused(raw):
    with pytest.raises(AccountError) as e:
        profile.parse_telegram(raw)
    assert e.value.code == 'telegram_invalid'


@pytest.mark.parametrize(('raw', 'expected'), [
    ('', None), ('ab', 'ab'), ('Alice.Smith', 'alice.smith'), ('@bob_1', 'bob_1'), ('a' * 32, 'a' * 32), ('a.b.c', 'a.b.c'),
])
def test_discord_accepted(raw, expected):
    assert profile.parse_discord(raw) == expected


@pytest.mark.parametrize('raw', ['a', 'a' * 33, 'al..ice', 'alice#1234', 'alice-bob', 'al ice', '<img onerror=x>'])
def test_discord_refused(raw):
    with pytest.raises(AccountError) as e:
        profile.parse_discord(raw)
    assert e.value.code == 'discord_invalid'


def test_timezones_are_iana_names():
    zones = profile.timezones()
    assert 'Europe/Berlin' in zones and 'UTC' in zones and 'America/New_York' in zones
    assert profile.parse_timezone('Asia/Tokyo') == 'Asia/Tokyo'
    assert profile.parse_timezone('') is None
    with pytest.raises(AccountError):
        profile.parse_timezone('Mars/Olympus')


def test_update_preferences_all_or_nothing(database):
    alice = make_user('alice@example.com')
    with session_scope() as db:
        with pytest.raises(AccountError) as e:
            profile.update_preferences(db, alice, telegram='@alice_tg', discord='x', currency='BTC',
                                       timezone='Nowhere/City', language='de')
        assert e.value.errors == {'discord': 'discord_invalid', 'currency': 'currency_invalid',
                                  'timezone': 'timezone_invalid', 'language': 'language_invalid'}
    with session_scope() as db:
        assert db.get(User, alice).telegram is None  # the valid field was not saved either
        view = profile.update_preferences(db, alice, telegram='@alice_tg', discord='Alice.B', currency='eur',
                                          timezone='Europe/Berlin', language='ru')
    assert (view.telegram, view.discord, view.currency, view.timezone, view.language) == (
        'alice_tg', 'alice.b', 'EUR', 'Europe/Berlin', 'ru')
    with session_scope() as db:
        view = profile.update_preferences(db, alice, telegram='', discord='', currency='GNK', timezone='', language='')
    assert (view.telegram, view.discord, view.currency, view.timezone, view.language) == (None, None, 'GNK', None, None)


def test_notification_prefs(database):
    alice = make_user('alice@example.com')
    with session_scope() as db:
        assert profile.get_profile(db, alice).notification_prefs == profile.DEFAULT_NOTIFICATIONS
        view = profile.set_notification_prefs(db, alice, {'node_down': ['telegram', 'email'], 'daily_digest': ['email']})
    assert view.notification_prefs['node_down'] == ['email', 'telegram']
    assert view.notification_prefs['node_recovered'] == []  # saved choices are complete, not merged with defaults
    with session_scope() as db:
        assert db.get(User, alice).notification_prefs['daily_digest'] == ['email']
    for bad in ({'node_down': ['sms']}, {'weather': ['email']}, {'node_down': 'email'}, ['node_down']):
        with session_scope() as db, pytest.raises(AccountError) as e:
            profile.set_notification_prefs(db, alice, bad)
        assert e.value.code == 'notifications_invalid'


def test_change_email(database):
    alice = make_user('alice@example.com')
    make_user('bob@example.com')
    cases = (('wrong password!', 'new@example.com', 'current_password_wrong'),
             (PASSWORD, 'not an email', 'email_invalid'),
             (PASSWORD, 'BOB@Example.com', 'email_taken'),
             (PASSWORD, 'Alice@example.com', 'email_unchanged'))
    for password, email, code in cases:
        with session_scope() as db, pytest.raises(AccountError) as e:
            profile.change_email(db, alice, current_password=password, new_email=email)
        assert e.value.code == code
    with session_scope() as db:
        view = profile.change_email(db, alice, current_password=PASSWORD, new_email='Alice.New@Example.com')
    assert view.email == 'alice.new@example.com'
    login('ALICE.NEW@example.com')  # logs in with the new address, any case


def test_password_change_ends_other_sessions(database):
    alice = make_user('alice@example.com')
    keep, other = login('alice@example.com'), login('alice@example.com')
    with session_scope() as db, pytest.raises(AccountError) as e:
        profile.change_password(db, alice, current_password='nope nope nope', new_password=NEW_PASSWORD,
                                keep_token_hash=sessions.hash_token(keep.token))
    assert e.value.code == 'current_password_wrong'
    with session_scope() as db:
        ended = profile.change_password(db, alice, current_password=PASSWORD, new_password=NEW_PASSWORD,
                                        keep_token_hash=sessions.hash_token(keep.token))
    assert ended == 1
    with session_scope() as db:
        assert sessions.resolve_session(db, keep.token) is not None
        assert sessions.resolve_session(db, other.token) is None
    login('alice@example.com', NEW_PASSWORD)


def test_sign_out_everywhere_else(database):
    alice = make_user('alice@example.com')
    keep = login('alice@example.com')
    others = [login('alice@example.com') for _ in range(2)]
    with session_scope() as db:
        assert profile.sign_out_other_sessions(db, alice, keep_token_hash=sessions.hash_token(keep.token)) == 2
    with session_scope() as db:
        assert [s.token_hash for s in sessions.active_sessions(db, alice)] == [sessions.hash_token(keep.token)]
        assert all(sessions.resolve_session(db, o.token) is None for o in others)


def seed_node_history(user_id: int, admin_id: int) -> None:
    now = utcnow()
    with session_scope() as db:
        node = Node(address='gonka1' + 'q' * 38, label='rig-1', gpu_type='H100', gpu_count=8, region='eu')
        db.add(node)
        db.flush()
        db.add(NodeAssignment(node_id=node.id, user_id=user_id, assigned_by=admin_id, assigned_at=now - timedelta(days=3)))
        db.add_all([
            EarningsHistory(node_id=node.id, epoch_id=10, reward_ngonka=5 * 10**9, settled_at=now - timedelta(days=5)),
            EarningsHistory(node_id=node.id, epoch_id=11, reward_ngonka=1_500_000_000, work_ngonka=7,
                            settled_at=now - timedelta(days=1)),
        ])


def test_export_contains_the_users_data_and_no_secrets(database):
    admin = make_user('root@example.com', admin=True)
    alice = make_user('alice@example.com')
    token = login('alice@example.com').token
    seed_node_history(alice, admin)
    with session_scope() as db:
        catalog.ensure_default_catalog(db)
        view, _ = requests.create_request(db, user_id=alice, idempotency_key=secrets.token_urlsafe(24),
                                          gpu_type='H100', quantity=3, comments='please')
    with session_scope() as db:
        requests.add_comment(db, actor_id=admin, request_id=view.id, body='secret internal note', internal=True)
        requests.add_comment(db, actor_id=admin, request_id=view.id, body='We are on it', internal=False)
        profile.update_preferences(db, alice, telegram='alice_tg', discord='', currency='USD', timezone='', language='')
    with session_scope() as db:
        data = profile.export_data(db, alice)
        password_hash = db.get(User, alice).password_hash
        token_hashes = db.scalars(select(UserSession.token_hash)).all()
    text = json.dumps(data)  # must be JSON-serialisable as it is
    assert data['profile']['email'] == 'alice@example.com' and data['profile']['telegram'] == 'alice_tg'
    assert [n['address'] for n in data['nodes']] == ['gonka1' + 'q' * 38]
    assert [(e['epoch_id'], e['reward_gnk']) for e in data['nodes'][0]['earnings_history']] == [(11, '1.500000000')]
    assert data['requests'][0]['quantity'] == 3 and data['requests'][0]['comments'] == 'please'
    assert [e['body'] for e in data['requests'][0]['events'] if e['kind'] == 'comment'] == ['We are on it']
    assert 'secret internal note' not in text
    assert {a['action'] for a in data['activity']} >= {'user.register', 'user.login', 'request.create',
                                                       'user.profile_update'}
    assert len(data['active_sessions']) == 1
    assert password_hash not in text and token not in text
    assert not any(h in text for h in token_hashes)
    assert 'password' not in text.replace('password_change', '')


def test_delete_account_anonymises_requests_and_ends_sessions(database):
    admin = make_user('root@example.com', admin=True)
    alice = make_user('alice@example.com')
    token = login('alice@example.com').token
    seed_node_history(alice, admin)
    with session_scope() as db:
        catalog.ensure_default_catalog(db)
        view, _ = requests.create_request(db, user_id=alice, idempotency_key=secrets.token_urlsafe(24),
                                          gpu_type='H100', quantity=1)
    with session_scope() as db, pytest.raises(AccountError) as e:
        profile.delete_account(db, alice, password='wrong password 1')
    assert e.value.code == 'current_password_wrong'
    with session_scope() as db:
        assert db.get(User, alice) is not None
        profile.delete_account(db, alice, password=PASSWORD)
    with session_scope() as db:
        assert db.get(User, alice) is None
        assert accounts.get_by_email(db, 'alice@example.com') is None
        kept = db.get(SupportRequest, view.id)
        assert kept is not None and kept.user_id is None and kept.status == 'pending'
        assert requests.get_for_support(db, view.id).user_email is None
        assignment = db.scalar(select(NodeAssignment))
        assert assignment.user_id is None and assignment.unassigned_at is not None  # the node can be reassigned
        assert sessions.resolve_session(db, token) is None
        assert db.scalar(select(func.count()).select_from(UserSession)) == 0


def test_last_admin_cannot_delete_themselves(database):
    root = make_user('root@example.com', admin=True)
    with session_scope() as db, pytest.raises(AccountError) as e:
        profile.delete_account(db, root, password=PASSWORD)
    assert e.value.code == 'last_admin'
    second = make_user('second@example.com', admin=True)
    with session_scope() as db:
        profile.delete_account(db, root, password=PASSWORD)
    with session_scope() as db, pytest.raises(AccountError) as e:
        profile.delete_account(db, second, password=PASSWORD)
    assert e.value.code == 'last_admin'


def test_sign_out_everywhere_else_also_ends_api_logins(database):
    from minegnk.db.models import ApiRefreshToken
    from minegnk.services import api_tokens
    user_id = make_user('api@example.com')
    current = login('api@example.com')
    with session_scope() as db:
        api_tokens.issue_family(db, user_id)
    with session_scope() as db:
        profile.sign_out_other_sessions(db, user_id, keep_token_hash=sessions.hash_token(current.token))
    with session_scope() as db:
        assert db.scalar(select(func.count()).select_from(ApiRefreshToken)
                         .where(ApiRefreshToken.revoked_at.is_(None))) == 0
        assert sessions.resolve_session(db, current.token) is not None  # this browser stays signed in
