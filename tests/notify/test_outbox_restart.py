"""The outbox keeps what could not be delivered: channels down, the app restarted, a worker killed mid-send —
everything arrives once the channels are back, and nothing arrives twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from minegnk.db import engine as db_engine
from minegnk.db.engine import session_scope
from minegnk.db.models import NotificationOutbox, TelegramLink, utcnow
from minegnk.jobs.delivery import DeliveryWorker
from minegnk.services import accounts, catalog, requests
from minegnk.services.profile import NOTIFICATION_EVENTS
from tests.notify.conftest import BOT_TOKEN, WEBHOOK

PASSWORD = 'correct horse battery'


def setup_accounts() -> tuple[int, int]:
    with session_scope() as db:
        catalog.ensure_default_catalog(db)
        admin = accounts.ensure_admin(db, 'support@example.com', PASSWORD)[0]
        user = accounts.register(db, 'customer@example.com', PASSWORD, language='ru')
        user.notification_prefs = {event: ['in_app', 'email', 'telegram', 'discord'] for event in NOTIFICATION_EVENTS}
        user.discord_webhook_url = WEBHOOK
        db.add(TelegramLink(user_id=user.id, chat_id='777', linked_at=utcnow()))
        return admin.id, user.id


def make_request(admin_id: int, user_id: int) -> int:
    with session_scope() as db:
        gpu = catalog.list_entries(db, visible_only=True)[0].code
        view, _ = requests.create_request(db, user_id=user_id, idempotency_key='k' * 20, gpu_type=gpu, quantity=2)
        requests.transition(db, actor_id=admin_id, request_id=view.id, to_status='in_progress')
        return view.id


def statuses() -> dict[str, tuple[str, int]]:
    with session_scope() as db:
        return {r.channel: (r.status, r.attempts) for r in db.scalars(select(NotificationOutbox))}


async def test_undelivered_messages_survive_a_restart_and_arrive_once(database, channel_env, smtp_server, telegram,
                                                                      discord):
    admin_id, user_id = setup_accounts()
    smtp_server.stop()
    telegram.fail_status = 502
    discord.fail_status = 503
    make_request(admin_id, user_id)

    first = DeliveryWorker(channel_env)
    assert await first.run_once() == 3
    assert statuses() == {'email': ('failed', 1), 'telegram': ('failed', 1), 'discord': ('failed', 1)}
    await first.stop()  # the app goes down with three undelivered messages

    db_engine.init_database(database)  # a new process: fresh engine, nothing in memory
    smtp_server.start()
    telegram.fail_status = discord.fail_status = None
    second = DeliveryWorker(channel_env)
    await asyncio.sleep(0.05)  # past the (test-short) backoff
    assert await second.run_once() == 3
    assert await second.run_once() == 0
    await second.stop()

    assert statuses() == {'email': ('sent', 2), 'telegram': ('sent', 2), 'discord': ('sent', 2)}
    # Russian, because the customer chose Russian; once per channel.
    assert len(smtp_server.inbox.messages) == len(telegram.sent) == len(discord.received) == 1
    assert smtp_server.inbox.subjects()[0].startswith('Заявка №')
    assert telegram.sent[0]['chat_id'] == '777'


async def test_a_worker_killed_mid_send_is_taken_over_after_its_lease(database, channel_env, smtp_server, telegram,
                                                                      discord):
    admin_id, user_id = setup_accounts()
    make_request(admin_id, user_id)
    with session_scope() as db:  # claimed by a worker that died before it could record anything
        db.execute(update(NotificationOutbox).values(status='sending', attempts=1,
                                                     next_attempt_at=utcnow() + timedelta(minutes=5)))
    worker = DeliveryWorker(channel_env)
    assert await worker.run_once() == 0  # the lease still runs: nobody else sends it
    with session_scope() as db:
        db.execute(update(NotificationOutbox).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    assert await worker.run_once() == 3
    assert await worker.run_once() == 0
    await worker.stop()
    assert {s for s, _ in statuses().values()} == {'sent'}
    assert len(smtp_server.inbox.messages) == len(telegram.sent) == len(discord.received) == 1


async def test_permanent_failures_are_kept_as_dead_with_the_reason(database, channel_env, smtp_server, telegram,
                                                                   discord):
    admin_id, user_id = setup_accounts()
    telegram.fail_status = 403  # the user blocked the bot: retrying cannot help
    discord.fail_status = 404  # the webhook was deleted
    make_request(admin_id, user_id)
    worker = DeliveryWorker(channel_env)
    await worker.run_once()
    await worker.stop()
    with session_scope() as db:
        rows = {r.channel: r for r in db.scalars(select(NotificationOutbox))}
    assert rows['email'].status == 'sent'
    assert rows['telegram'].status == 'dead' and 'Telegram 403' in rows['telegram'].last_error
    assert rows['discord'].status == 'dead' and rows['discord'].last_error == 'Discord 404'
    assert BOT_TOKEN not in rows['telegram'].last_error  # errors are shown to admins: never the bot token
