"""Login, registration, the shell, redirects, roles and language, through NiceGUI's simulated user."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from minegnk.db.engine import session_scope
from minegnk.services import accounts

PASSWORD = 'correct horse battery'


def create_account(email: str, *, admin: bool = False) -> None:
    with session_scope() as db:
        if admin:
            accounts.ensure_admin(db, email, PASSWORD)
        else:
            accounts.register(db, email, PASSWORD)


async def see(user: User, *args, **kwargs) -> None:
    """should_see with room for argon2 hashing (~0.2 s per hash) in the handlers."""
    await user.should_see(*args, retries=150, **kwargs)


async def log_in(user: User, email: str, password: str = PASSWORD, path: str = '/login') -> None:
    await user.open(path)
    user.find(marker='email').type(email)
    user.find(marker='password').type(password)
    user.find(marker='login-submit').click()


async def test_register_log_in_see_shell_and_log_out(user: User):
    await user.open('/register')
    user.find(marker='email').type('new.user@example.com')
    user.find(marker='password').type(PASSWORD)
    user.find(marker='password-confirm').type(PASSWORD)
    user.find(marker='register-submit').click()
    await see(user, marker='empty-state')
    await see(user, marker='user-menu')
    await see(user, 'Welcome to MineGNK')
    await user.should_not_see(marker='admin-section')

    user.find(marker='logout').click()
    await see(user, marker='login-submit')
    await user.open('/')  # the session is gone on the server
    await see(user, marker='login-submit')

    await log_in(user, 'new.user@example.com')
    await see(user, marker='empty-state')


async def test_register_rejects_bad_input_with_a_message(user: User):
    await user.open('/register')
    user.find(marker='email').type('someone@example.com')
    user.find(marker='password').type('short')
    user.find(marker='password-confirm').type('short')
    user.find(marker='register-submit').click()
    await see(user, 'The password must be at least 10 characters long.')
    user.find(marker='password').clear().type(PASSWORD)
    user.find(marker='password-confirm').clear().type(PASSWORD + 'x')
    user.find(marker='register-submit').click()
    await see(user, 'The two passwords do not match.')
    with session_scope() as db:
        assert accounts.get_by_email(db, 'someone@example.com') is None


async def test_wrong_password_says_only_invalid_email_or_password(user: User):
    create_account('known@example.com')
    await log_in(user, 'known@example.com', 'wrong password here')
    await see(user, 'Invalid email or password.')
    await log_in(user, 'unknown@example.com', 'wrong password here')
    await see(user, 'Invalid email or password.')


async def test_anonymous_visitor_is_sent_to_login_and_back(user: User):
    create_account('admin@example.com', admin=True)
    await user.open('/admin')
    await see(user, marker='login-submit')
    user.find(marker='email').type('admin@example.com')
    user.find(marker='password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await see(user, marker='admin-section')
    await see(user, 'Users, node assignment, the request queue and system health are managed here.')


@pytest.mark.parametrize('target', ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)'])
async def test_no_open_redirect_after_login(user: User, target: str):
    create_account('alice@example.com')
    await user.open(f'/login?next={target}')
    user.find(marker='email').type('alice@example.com')
    user.find(marker='password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await see(user, marker='empty-state')  # landed on our own start page


async def test_user_gets_403_page_on_admin_url(user: User):
    create_account('alice@example.com')
    await log_in(user, 'alice@example.com')
    await see(user, marker='empty-state')
    response = await user.http_client.get('/admin')
    assert response.status_code == 403
    assert 'Access denied' in response.text


async def test_admin_sees_admin_section(user: User):
    create_account('root@example.com', admin=True)
    await log_in(user, 'root@example.com')
    await see(user, marker='admin-section')
    await see(user, 'Administrator')


async def test_language_switch_changes_visible_text_and_is_remembered(user: User):
    create_account('alice@example.com')
    await log_in(user, 'alice@example.com')
    await see(user, 'Welcome to MineGNK')
    user.find(marker='lang-ru').click()
    await see(user, 'Добро пожаловать в MineGNK')
    await user.should_not_see('Welcome to MineGNK')
    with session_scope() as db:
        assert accounts.get_by_email(db, 'alice@example.com').language == 'ru'
    await user.open('/')
    await see(user, 'Добро пожаловать в MineGNK')


async def test_browser_language_is_used_for_anonymous_visitors(user: User):
    response = await user.http_client.get('/login', headers={'Accept-Language': 'ru-RU,ru;q=0.9,en;q=0.5'})
    assert 'Войти в MineGNK' in response.text
    response = await user.http_client.get('/login', headers={'Accept-Language': 'de-DE,en;q=0.5'})
    assert 'Log in to MineGNK' in response.text


async def test_unknown_page_is_404_in_portal_look(user: User):
    response = await user.http_client.get('/no/such/page')
    assert response.status_code == 404
    assert 'Page not found' in response.text


async def test_revoked_session_sends_open_page_to_login(user: User):
    create_account('alice@example.com')
    await log_in(user, 'alice@example.com')
    await see(user, marker='empty-state')
    with session_scope() as db:
        user_id = accounts.get_by_email(db, 'alice@example.com').id
        accounts.set_active(db, actor_id=None, user_id=user_id, active=False)
    await see(user, marker='signed-out')


async def test_a_failing_page_shows_the_500_page_in_portal_look(user: User, caplog):
    @ui.page('/test-boom')
    def boom() -> None:
        raise RuntimeError('simulated bug')

    caplog.set_level('CRITICAL', logger='nicegui')  # the failure is the point of this test, not an unexpected ERROR
    response = await user.http_client.get('/test-boom')
    assert response.status_code == 500
    assert 'Something went wrong' in response.text
    assert 'simulated bug' not in response.text  # internals never reach the visitor
