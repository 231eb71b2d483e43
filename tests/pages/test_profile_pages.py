"""Profile through NiceGUI's simulated user: handles and preferences, notifications, email change, password
change ending other sessions, sign out elsewhere, data export and account deletion."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable

from nicegui import ui
from nicegui.testing import User

from minegnk.db.engine import session_scope
from minegnk.db.models import SupportRequest, User as UserRow
from minegnk.services import accounts, requests, sessions

PASSWORD = 'correct horse battery'
NEW_PASSWORD = 'a different long secret 7'


def create_account(email: str, *, admin: bool = False) -> int:
    with session_scope() as db:
        if admin:
            return accounts.ensure_admin(db, email, PASSWORD)[0].id
        return accounts.register(db, email, PASSWORD).id


def account(email: str) -> UserRow | None:
    with session_scope() as db:
        return accounts.get_by_email(db, email)


def open_sessions(email: str) -> int:
    with session_scope() as db:
        return len(sessions.active_sessions(db, accounts.get_by_email(db, email).id))


async def see(user: User, *args, **kwargs) -> None:
    await user.should_see(*args, retries=150, **kwargs)


async def log_in(user: User, email: str, password: str = PASSWORD, path: str = '/login?next=/profile') -> None:
    await user.open(path)
    user.find(marker='email').type(email)
    user.find(marker='password').type(password)
    user.find(marker='login-submit').click()
    await see(user, marker='user-menu')


def element(user: User, marker: str) -> ui.element:
    return next(iter(user.find(marker=marker).elements))


def set_value(user: User, marker: str, value) -> None:
    with user:
        element(user, marker).value = value


async def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    assert condition()


async def test_preferences_are_validated_and_saved(user: User):
    create_account('alice@example.com')
    await log_in(user, 'alice@example.com')
    await see(user, marker='preferences-section')
    set_value(user, 'telegram', 'ab')
    set_value(user, 'discord', 'bad..name')
    user.find(marker='preferences-submit').click()
    await wait_for(lambda: element(user, 'telegram').error is not None)
    assert element(user, 'telegram').error == 'A Telegram username has 5–32 letters, digits or underscores.'
    assert element(user, 'discord').error.startswith('A Discord username has 2–32')
    assert account('alice@example.com').telegram is None  # nothing saved while invalid
    set_value(user, 'telegram', '@alice_tg')
    set_value(user, 'discord', 'Alice.M')
    set_value(user, 'currency', 'EUR')
    user.find(marker='preferences-submit').click()
    await wait_for(lambda: account('alice@example.com').currency == 'EUR')
    row = account('alice@example.com')
    assert (row.telegram, row.discord, row.currency) == ('alice_tg', 'alice.m', 'EUR')


async def test_timezone_and_language_change_the_page(user: User):
    create_account('alice@example.com')
    await log_in(user, 'alice@example.com')
    await see(user, 'Times are shown in UTC.')
    assert 'Europe/Berlin' in element(user, 'timezone').options
    set_value(user, 'timezone', 'Europe/Berlin')
    set_value(user, 'language', 'ru')
    user.find(marker='preferences-submit').click()
    await see(user, 'Профиль')  # the page is drawn again, in Russian
    await wait_for(lambda: 'Europe/Berlin' in element(user, 'zone-caption').text)
    assert 'Times are shown' not in element(user, 'zone-caption').text
    row = account('alice@example.com')
    assert (row.timezone, row.language) == ('Europe/Berlin', 'ru')


async def test_notification_preferences(user: User):
    create_account('alice@example.com')
    await log_in(user, 'alice@example.com')
    await see(user, marker='notify-node_down-telegram')
    assert element(user, 'notify-node_down-email').value is True  # the defaults are shown
    set_value(user, 'notify-node_down-telegram', True)
    set_value(user, 'notify-node_down-email', False)
    set_value(user, 'notify-daily_digest-discord', True)
    user.find(marker='notifications-submit').click()
    await wait_for(lambda: account('alice@example.com').notification_prefs.get('daily_digest') == ['discord'])
    prefs = account('alice@example.com').notification_prefs
    assert prefs['node_down'] == ['in_app', 'telegram']


async def test_email_change_needs_the_current_password(user: User):
    create_account('alice@example.com')
    create_account('bob@example.com')
    await log_in(user, 'alice@example.com')
    await see(user, marker='email-submit')
    user.find(marker='new-email').type('Bob@Example.com')
    user.find(marker='email-password').type('not my password')
    user.find(marker='email-submit').click()
    await wait_for(lambda: element(user, 'email-password').error is not None)
    assert element(user, 'email-password').error == 'The current password is wrong.'
    set_value(user, 'email-password', PASSWORD)
    user.find(marker='email-submit').click()
    await wait_for(lambda: element(user, 'new-email').error is not None)
    assert element(user, 'new-email').error == 'An account with this email already exists.'
    set_value(user, 'new-email', 'Alice.New@example.com')
    user.find(marker='email-submit').click()
    await see(user, 'You sign in with alice.new@example.com.')
    assert account('alice@example.com') is None and account('alice.new@example.com') is not None


async def open_own_profile(device: User) -> None:
    """Open /profile on a device that stays signed in. NiceGUI's simulation may deliver the "signed out" navigation
    meant for the other device's page to this one, so wait for it to settle and open again if it did."""
    import asyncio
    for _ in range(10):
        await asyncio.sleep(0.3)
        await device.open('/profile')
        try:
            await device.should_see(marker='sessions-section', retries=20)
            await asyncio.sleep(0.3)
            await device.should_see(marker='sessions-section', retries=5)
            return
        except AssertionError:
            continue


async def test_password_change_ends_other_sessions(create_user: Callable[[], User]):
    create_account('alice@example.com')
    laptop, phone = create_user(), create_user()
    await log_in(phone, 'alice@example.com', path='/login')
    await log_in(laptop, 'alice@example.com')
    await see(laptop, marker='password-section')
    laptop.find(marker='current-password').type(PASSWORD)
    laptop.find(marker='new-password').type(NEW_PASSWORD)
    laptop.find(marker='repeat-password').type(NEW_PASSWORD + 'x')
    laptop.find(marker='password-submit').click()
    await wait_for(lambda: element(laptop, 'repeat-password').error is not None)
    assert element(laptop, 'repeat-password').error == 'The two passwords do not match.'
    set_value(laptop, 'repeat-password', NEW_PASSWORD)
    laptop.find(marker='password-submit').click()
    await wait_for(lambda: open_sessions('alice@example.com') == 1)
    # (The live redirect of the other device's open page is tested with a single simulated user in
    # test_auth_pages; with two, NiceGUI's simulation routes navigation to the last active user.)
    await phone.open('/profile')
    await see(phone, marker='login-submit')
    await open_own_profile(laptop)  # this device stays signed in
    await see(laptop, marker='this-session')
    await see(laptop, marker='only-session')
    with session_scope() as db:
        accounts.login(db, 'alice@example.com', NEW_PASSWORD)


async def test_sign_out_everywhere_else(create_user: Callable[[], User]):
    create_account('alice@example.com')
    laptop, phone = create_user(), create_user()
    await log_in(phone, 'alice@example.com', path='/login')
    await log_in(laptop, 'alice@example.com')
    await see(laptop, marker='sign-out-others')
    assert len(laptop.find(marker='session-row').elements) == 2
    laptop.find(marker='sign-out-others').click()
    await wait_for(lambda: open_sessions('alice@example.com') == 1)
    await phone.open('/profile')
    await see(phone, marker='login-submit')
    await open_own_profile(laptop)
    await see(laptop, marker='only-session')


async def test_export_my_data(user: User):
    alice = create_account('alice@example.com')
    with session_scope() as db:
        requests.create_request(db, user_id=alice, idempotency_key=secrets.token_urlsafe(24), gpu_type='H200',
                                quantity=2, comments='for inference')
    await log_in(user, 'alice@example.com')
    await see(user, marker='export-data')
    user.find(marker='export-data').click()
    response = await user.download.next(timeout=5)
    data = json.loads(response.content)
    assert data['profile']['email'] == 'alice@example.com'
    assert [(r['gpu_type'], r['quantity'], r['comments']) for r in data['requests']] == [('H200', 2, 'for inference')]
    assert 'user.login' in {a['action'] for a in data['activity']}
    assert data['nodes'] == []
    assert 'password_hash' not in response.text and '$argon2' not in response.text


async def test_delete_account(user: User):
    alice = create_account('alice@example.com')
    with session_scope() as db:
        view, _ = requests.create_request(db, user_id=alice, idempotency_key=secrets.token_urlsafe(24),
                                          gpu_type='H100', quantity=1)
    await log_in(user, 'alice@example.com')
    await see(user, marker='delete-account')
    user.find(marker='delete-account').click()
    await see(user, marker='delete-password')
    user.find(marker='delete-password').type('wrong password!')
    user.find(marker='delete-confirm').click()
    await wait_for(lambda: element(user, 'delete-password').error is not None)
    assert account('alice@example.com') is not None
    set_value(user, 'delete-password', PASSWORD)
    user.find(marker='delete-confirm').click()
    await see(user, marker='login-submit')
    assert account('alice@example.com') is None
    with session_scope() as db:
        assert db.get(SupportRequest, view.id).user_id is None
    await user.open('/profile')
    await see(user, marker='login-submit')


async def test_last_admin_cannot_delete_themselves(user: User):
    create_account('root@example.com', admin=True)
    await log_in(user, 'root@example.com')
    await see(user, marker='delete-account')
    user.find(marker='delete-account').click()
    await see(user, marker='delete-password')
    user.find(marker='delete-password').type(PASSWORD)
    user.find(marker='delete-confirm').click()
    await see(user, 'This is the last administrator; make someone else an admin first.')
    assert account('root@example.com') is not None


async def test_profile_needs_a_login(user: User):
    response = await user.http_client.get('/profile', follow_redirects=False)
    assert response.status_code == 303 and response.headers['location'].startswith('/login?next=')
