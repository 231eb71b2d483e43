"""Alerts end to end: the simulator's incidents → real refresh cycles → outbox → real SMTP, Telegram and Discord
servers on loopback, checking exactly what arrives."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from minegnk.db.engine import session_scope
from minegnk.db.models import Notification, NotificationOutbox, User, utcnow
from minegnk.jobs.delivery import DeliveryWorker
from minegnk.services import notify_settings
from minegnk.services.profile import NOTIFICATION_EVENTS
from tests.notify.conftest import PUBLIC_URL, WEBHOOK

ALL = ['in_app', 'email', 'telegram', 'discord']


@pytest.fixture
def scenarios(control) -> dict[str, str]:  # noqa: ANN001
    return control('scenarios')


@pytest.fixture
async def worker(channel_env):  # noqa: ANN001
    w = DeliveryWorker(channel_env, telegram_poll_timeout=0)
    yield w
    await w.stop()


def customer(email: str = 'owner@example.com', channels: list[str] = ALL, **fields) -> int:  # noqa: B006
    with session_scope() as db:
        user = db.scalar(select(User).where(User.email == email))
        user.notification_prefs = {event: list(channels) for event in NOTIFICATION_EVENTS}
        user.discord_webhook_url = WEBHOOK if 'discord' in channels else None
        for key, value in fields.items():
            setattr(user, key, value)
        return user.id


async def link_telegram(worker: DeliveryWorker, telegram, user_id: int, chat_id: int = 4242) -> None:  # noqa: ANN001
    with session_scope() as db:
        code = notify_settings.start_telegram_link(db, user_id)
    telegram.user_starts(chat_id, f'/start {code}')
    assert await worker.poll_telegram(worker.channels['telegram']) == 1
    await deliver(worker)
    assert telegram.sent[-1]['text'].startswith('<b>Telegram linked</b>')
    telegram.sent.clear()


async def cycles(job, n: int) -> None:  # noqa: ANN001
    for _ in range(n):
        await job.run_cycle()


async def deliver(worker: DeliveryWorker) -> None:
    while await worker.run_once():
        pass


def kinds() -> list[str]:
    with session_scope() as db:
        return list(db.scalars(select(Notification.kind).order_by(Notification.id)))


def titles(smtp_server, telegram, discord) -> dict[str, list[str]]:  # noqa: ANN001
    return {'email': smtp_server.inbox.subjects(),
            'telegram': [m['text'].split('\n')[0].removeprefix('<b>').removesuffix('</b>') for m in telegram.sent],
            'discord': [body['embeds'][0]['title'] for _, body in discord.received]}


async def test_one_incident_gives_one_alert_and_one_recovery_per_channel(job, assign, scenarios, control, worker,
                                                                        smtp_server, telegram, discord):
    address = scenarios['healthy']
    assign([address])
    user_id = customer()
    await link_telegram(worker, telegram, user_id)
    await cycles(job, 2)  # the first confirmed state is not news
    control('incident', {'address': address, 'kind': 'jail'})
    await job.run_cycle()
    assert kinds() == []  # one refresh is not enough to believe it
    await cycles(job, 4)
    await deliver(worker)
    control('incident', {'address': address, 'kind': 'unjail'})
    await cycles(job, 4)
    await deliver(worker)
    await deliver(worker)

    expected = [f'{address} was jailed', f'{address} is healthy again']
    assert titles(smtp_server, telegram, discord) == {'email': expected, 'telegram': expected, 'discord': expected}
    assert kinds() == ['node_down', 'node_recovered']

    # What arrived, exactly: the user's address, both email parts, links back to the node's page.
    sender, recipients, mail = smtp_server.inbox.messages[0]
    assert recipients == ['owner@example.com'] and 'alerts@portal.example' in sender
    plain = mail.get_body(('plain',)).get_content()
    assert f'{address} changed from healthy to jailed.' in plain and f'{PUBLIC_URL}/nodes/{address}' in plain
    assert 'jailed by the chain until' in plain
    assert f'href="{PUBLIC_URL}/nodes/{address}"' in mail.get_body(('html',)).get_content()
    assert telegram.sent[0]['chat_id'] == '4242' and telegram.sent[0]['parse_mode'] == 'HTML'
    path, body = discord.received[0]
    assert path == WEBHOOK.removeprefix('https://discord.com')
    assert body['embeds'][0]['url'] == f'{PUBLIC_URL}/nodes/{address}' and body['allowed_mentions'] == {'parse': []}
    with session_scope() as db:
        statuses = set(db.scalars(select(NotificationOutbox.status)))
    assert statuses == {'sent'}


async def test_a_flapping_node_is_summarised_not_repeated(job, assign, scenarios, control, worker, smtp_server):
    address = scenarios['healthy']
    assign([address])
    customer(channels=['in_app', 'email'])
    await cycles(job, 2)
    for turn in range(8):  # eight confirmed changes within minutes
        control('incident', {'address': address, 'kind': 'jail' if turn % 2 == 0 else 'unjail'})
        await cycles(job, 2)
    await deliver(worker)
    # Three changes are news; the fourth makes it "flapping": one summary, then silence while it keeps flapping.
    assert kinds() == ['node_down', 'node_recovered', 'node_down', 'node_flapping']
    assert smtp_server.inbox.subjects() == [f'{address} was jailed', f'{address} is healthy again',
                                            f'{address} was jailed', f'{address} keeps changing state']


async def test_unknown_data_never_reports_a_node_down(job, assign, scenarios, control, worker, smtp_server):
    address = scenarios['healthy']
    assign([address])
    customer(channels=['in_app', 'email'])
    await cycles(job, 2)
    control('faults', {'target': 'all', 'mode': 'http500'})
    control('incident', {'address': address, 'kind': 'jail'})  # happens while we cannot see
    await cycles(job, 4)
    await deliver(worker)
    assert kinds() == [] and smtp_server.inbox.messages == []
    control('faults', {'target': 'all', 'mode': 'ok'})
    await cycles(job, 2)  # now we can see it, and it holds for two refreshes
    await deliver(worker)
    assert kinds() == ['node_down']
    assert smtp_server.inbox.subjects() == [f'{address} was jailed']


async def test_mute_and_maintenance_hold_alerts_and_a_node_still_down_is_reported_after(
        job, assign, scenarios, control, worker, smtp_server):
    muted, maintained = scenarios['healthy'], scenarios['healthy_ramping']
    ids = assign([muted, maintained])
    user_id = customer(channels=['in_app', 'email'])
    await cycles(job, 2)
    now = utcnow()
    with session_scope() as db:
        notify_settings.set_node_silence(db, actor_id=user_id, user_id=user_id, node_id=ids[muted],
                                         muted_until=now + timedelta(hours=1), maintenance_from=None,
                                         maintenance_to=None)
        notify_settings.set_node_silence(db, actor_id=user_id, user_id=user_id, node_id=ids[maintained],
                                         muted_until=None, maintenance_from=now - timedelta(minutes=1),
                                         maintenance_to=now + timedelta(hours=1))
    for address in (muted, maintained):
        control('incident', {'address': address, 'kind': 'jail'})
    await cycles(job, 4)
    await deliver(worker)
    assert kinds() == [] and smtp_server.inbox.messages == []
    with session_scope() as db:  # the mute ends while the node is still jailed
        notify_settings.set_node_silence(db, actor_id=user_id, user_id=user_id, node_id=ids[muted], muted_until=None,
                                         maintenance_from=None, maintenance_to=None)
    await job.run_cycle()
    await deliver(worker)
    assert smtp_server.inbox.subjects() == [f'{muted} was jailed']


async def test_quiet_hours_hold_alerts_then_send_one_summary(job, assign, scenarios, control, worker, smtp_server,
                                                            discord):
    address = scenarios['healthy']
    assign([address])
    now = utcnow()
    customer(channels=['in_app', 'email', 'discord'], quiet_from=(now - timedelta(hours=1)).strftime('%H:%M'),
             quiet_to=(now + timedelta(hours=1)).strftime('%H:%M'))
    await cycles(job, 2)
    control('incident', {'address': address, 'kind': 'jail'})
    await cycles(job, 2)
    control('incident', {'address': address, 'kind': 'unjail'})
    await cycles(job, 2)
    await deliver(worker)
    assert kinds() == ['node_down', 'node_recovered']  # the portal shows them at once
    assert smtp_server.inbox.messages == [] and discord.received == []
    with session_scope() as db:
        assert set(db.scalars(select(NotificationOutbox.status))) == {'held'}
        db.execute(update(NotificationOutbox).values(next_attempt_at=utcnow() - timedelta(seconds=1)))  # hours over
    await deliver(worker)
    assert smtp_server.inbox.subjects() == ['While your quiet hours lasted: 2 notifications']
    plain = smtp_server.inbox.messages[0][2].get_body(('plain',)).get_content()
    assert f'• {address} was jailed' in plain and f'• {address} is healthy again' in plain
    assert [body['embeds'][0]['title'] for _, body in discord.received] == \
        ['While your quiet hours lasted: 2 notifications']


async def test_many_of_a_users_nodes_failing_together_give_one_incident_notice(job, assign, sim, control, worker,
                                                                                smtp_server):
    addresses = [p.address for p in sim.sim.roster if not p.scenario and p.in_active_set and p.online
                 and not p.jailed][:4]
    assign(addresses)
    customer(channels=['in_app', 'email'])
    await cycles(job, 2)
    for address in addresses[:3]:
        control('incident', {'address': address, 'kind': 'jail'})
    await cycles(job, 3)
    for address in addresses[:3]:
        control('incident', {'address': address, 'kind': 'unjail'})
    await cycles(job, 3)
    await deliver(worker)
    assert kinds() == ['network_incident', 'network_incident_over']
    assert smtp_server.inbox.subjects() == ['Network-wide incident', 'Network incident over']
