"""Notification pages through NiceGUI's simulated user: the bell's unread count (live), the notification centre,
notification settings (Telegram link, Discord webhook, quiet hours, per-node mute, support's view) and password
reset from the login page."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from nicegui import ui
from nicegui.testing import User
from sqlalchemy import select

from minegnk.config import get_settings
from minegnk.db.engine import session_scope
from minegnk.db.models import Node, NodeAssignment, PasswordResetToken, TelegramLink, User as UserRow
from minegnk.services import accounts, notifications, password_reset

PASSWORD = 'correct horse battery'
WEBHOOK = 'https://discord.com/api/webhooks/123456789012345678/' + 'w' * 68


def create_account(email: str, *, admin: bool = False) -> int:
    with session_scope() as db:
        if admin:
            return accounts.ensure_admin(db, email, PASSWORD)[0].id
        return accounts.register(db, email, PASSWORD).id


def notify(user_id: int, key: str, address: str = 'gonka1node') -> None:
    with session_scope() as db:
        notifications.notify(db, user_id, 'node_down', {'node': address, 'address': address, 'old': 'healthy',
                                                        'new': 'offline', 'reasons': []},
                             dedup_key=key, link=f'/nodes/{address}', channels=['in_app'])


async def see(user: User, *args, **kwargs) -> None:
    await user.should_see(*args, retries=150, **kwargs)


async def log_in(user: User, email: str, path: str) -> None:
    await user.open(f'/login?next={path}')
    user.find(marker='email').type(email)
    user.find(marker='password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await see(user, marker='user-menu')


def element(user: User, marker: str) -> ui.element:
    return next(iter(user.find(marker=marker).elements))


def set_value(user: User, marker: str, value) -> None:  # noqa: ANN001
    with user:
        element(user, marker).value = value


async def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``condition``; until the deadline an element not shown yet (``find`` raises) counts as not yet."""
    for _ in range(int(timeout / 0.05)):
        try:
            if condition():
                return
        except AssertionError:
            pass
        await asyncio.sleep(0.05)
    assert condition()


def unread(user_id: int) -> int:
    with session_scope() as db:
        return notifications.unread_count(db, user_id)


async def test_bell_counts_unread_and_the_centre_marks_them_read_live(user: User):
    user_id = create_account('alice@example.com')
    notify(user_id, 'a')
    notify(user_id, 'b', 'gonka1second')
    await log_in(user, 'alice@example.com', '/notifications')
    await see(user, 'gonka1node is offline')
    await wait_for(lambda: element(user, 'bell-count').text == '2' and element(user, 'bell-count').visible)

    # A new notification committed in another thread shows up at once, in the list and on the bell.
    thread = threading.Thread(target=notify, args=(user_id, 'c', 'gonka1third'))
    thread.start()
    thread.join()
    await see(user, 'gonka1third is offline')
    await wait_for(lambda: element(user, 'bell-count').text == '3')

    first = notifications_ids(user_id)[0]
    user.find(marker=f'mark-read-{first}').click()
    await wait_for(lambda: unread(user_id) == 2)
    user.find(marker='mark-all-read').click()
    await wait_for(lambda: unread(user_id) == 0)
    await user.should_not_see(marker='bell-count', retries=50)
    await see(user, marker='notification-read')


def notifications_ids(user_id: int) -> list[int]:
    with session_scope() as db:
        return [n.id for n in notifications.list_for_user(db, user_id)]


async def test_other_users_notifications_stay_private(user: User):
    alice = create_account('alice@example.com')
    create_account('bob@example.com')
    notify(alice, 'private', 'gonka1alices')
    await log_in(user, 'bob@example.com', '/notifications')
    await see(user, marker='no-notifications')
    await user.should_not_see('gonka1alices is offline')


async def test_settings_validate_and_save_channels_and_link_telegram(user: User, monkeypatch):
    monkeypatch.setenv('MINEGNK_TELEGRAM_BOT_TOKEN', '1:abc')
    monkeypatch.setenv('MINEGNK_TELEGRAM_BOT_NAME', 'minegnk_test_bot')
    get_settings.cache_clear()
    user_id = create_account('carol@example.com')
    await log_in(user, 'carol@example.com', '/notifications/settings')
    await see(user, marker='channels-section')
    set_value(user, 'discord-webhook', 'https://evil.example/api/webhooks/1/2')
    set_value(user, 'quiet-from', '22:00')
    user.find(marker='channels-save').click()
    await wait_for(lambda: element(user, 'discord-webhook').error is not None)
    assert element(user, 'quiet-to').error == 'Set both the start and the end of the quiet hours, or neither.'
    set_value(user, 'discord-webhook', WEBHOOK)
    set_value(user, 'quiet-to', '07:00')
    user.find(marker='channels-save').click()
    await see(user, 'Notification settings saved.')
    with session_scope() as db:
        row = db.get(UserRow, user_id)
        assert (row.discord_webhook_url, row.quiet_from, row.quiet_to) == (WEBHOOK, '22:00', '07:00')

    user.find(marker='telegram-link').click()
    await see(user, marker='telegram-deep-link')
    link = element(user, 'telegram-deep-link')
    with session_scope() as db:
        code = db.scalar(select(TelegramLink.code).where(TelegramLink.user_id == user_id))
    assert link.props['href'] == f'https://t.me/minegnk_test_bot?start={code}'


async def test_support_sets_maintenance_for_a_customers_node(user: User):
    customer = create_account('dave@example.com')
    create_account('support@example.com', admin=True)
    with session_scope() as db:
        node = Node(address='gonka1maintained', label='rig-1')
        db.add(node)
        db.flush()
        db.add(NodeAssignment(node_id=node.id, user_id=customer))
    await log_in(user, 'support@example.com', f'/notifications/settings?user_id={customer}')
    await see(user, marker='support-view')
    await user.should_not_see(marker='channels-section')  # a customer's channels are theirs alone
    set_value(user, 'maint-from-gonka1maintained', '2099-01-01 10:00')
    set_value(user, 'maint-to-gonka1maintained', '2099-01-01 08:00')
    user.find(marker='silence-save-gonka1maintained').click()
    await see(user, 'The window must end after it starts, in the future, and last at most 90 days.')


async def test_forgot_password_says_the_same_for_any_address_and_the_link_resets(user: User):
    password_reset.reset_limits()
    create_account('erin@example.com')
    await user.open('/login')
    user.find(marker='to-forgot').click()
    await see(user, marker='forgot-submit')
    set_value(user, 'email', 'nobody@example.com')
    user.find(marker='forgot-submit').click()
    await see(user, marker='forgot-sent')
    unknown_text = element(user, 'forgot-sent').text

    await user.open('/password/forgot')
    set_value(user, 'email', 'erin@example.com')
    user.find(marker='forgot-submit').click()
    await see(user, marker='forgot-sent')
    assert element(user, 'forgot-sent').text == unknown_text
    with session_scope() as db:
        assert db.scalar(select(PasswordResetToken.id)) is not None

    await user.open('/password/reset?token=not-a-real-token')
    await see(user, marker='reset-invalid')


async def test_reset_page_sets_the_new_password_once(user: User):
    password_reset.reset_limits()
    user_id = create_account('frank@example.com')
    token = 'T' * 43
    with session_scope() as db:
        from datetime import timedelta

        from minegnk.db.models import utcnow
        db.add(PasswordResetToken(user_id=user_id, token_hash=password_reset._hash(token),
                                  expires_at=utcnow() + timedelta(minutes=30)))
    await user.open(f'/password/reset?token={token}')
    set_value(user, 'new-password', 'a brand new long secret 9')
    set_value(user, 'repeat-password', 'a brand new long secret 9')
    user.find(marker='reset-submit').click()
    await see(user, marker='reset-done')
    await user.open(f'/password/reset?token={token}')
    await see(user, marker='reset-invalid')


async def test_admins_see_failed_deliveries_and_can_retry(user: User):
    from minegnk.db.models import NotificationOutbox
    customer = create_account('gina@example.com')
    create_account('ops@example.com', admin=True)
    with session_scope() as db:
        row = NotificationOutbox(user_id=customer, channel='telegram', kind='node_down', dedup_key='x:telegram',
                                 payload={'kind': 'node_down', 'params': {}, 'link': None}, status='dead',
                                 attempts=1, last_error='Telegram 403: Forbidden: bot was blocked by the user')
        db.add(row)
        db.flush()
        row_id = row.id
    await log_in(user, 'ops@example.com', '/admin/system')
    await see(user, marker=f'delivery-{row_id}')
    await see(user, 'given up after 1 attempts: Telegram 403: Forbidden: bot was blocked by the user')
    user.find(marker=f'retry-{row_id}').click()
    await see(user, 'Queued again.')
    with session_scope() as db:
        assert db.get(NotificationOutbox, row_id).status == 'pending'
