"""Alert rules as plain functions: confirmation, unknown, flapping, mute and maintenance, catch-up; quiet hours,
Discord webhook validation, backoff; low-reward evaluation on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from minegnk.db.engine import session_scope
from minegnk.db.models import AlertState, EarningsHistory, Node, NodeAssignment, Notification, NodeStatusHistory, User
from minegnk.services import alerts, notifications, outbox
from minegnk.services.accounts import AccountError
from minegnk.services.alerts import AlertRules
from minegnk.services.notify_settings import parse_discord_webhook, parse_hhmm

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RULES = AlertRules(confirm_cycles=2, flap_changes=4, flap_window=timedelta(minutes=60))


def fresh() -> AlertState:
    return AlertState(pending_count=0, flap_count=0, flap_notified=False, seq=0, confirmed_reasons=[])


def run(state: AlertState, statuses: list[str], start: datetime = T0, step: timedelta = timedelta(minutes=2),
        rules: AlertRules = RULES) -> list[str]:
    """Feed statuses one refresh at a time; return what would be sent (kind:new)."""
    sent = []
    for i, status in enumerate(statuses):
        now = start + i * step
        alerts.observe(state, status, [], now, rules)
        proposal = alerts.propose(state, now, rules)
        if proposal is not None:
            sent.append(f'{proposal.kind}:{proposal.new}')
            state.flap_notified = state.flap_notified or proposal.kind == 'node_flapping'
            state.alerted_status = proposal.new
    return sent


@pytest.mark.parametrize(('statuses', 'expected'), [
    (['healthy'] * 4, []),  # the first state is not news
    (['offline'] * 3, []),  # nor is a node that was already down when we first saw it
    (['healthy', 'healthy', 'offline', 'healthy', 'offline', 'healthy'], []),  # one-refresh blips
    (['healthy', 'healthy', 'offline', 'offline', 'offline'], ['node_down:offline']),
    (['healthy', 'healthy', 'jailed', 'jailed', 'healthy', 'healthy'], ['node_down:jailed', 'node_recovered:healthy']),
    (['healthy', 'healthy', 'offline', 'offline', 'jailed', 'jailed'], ['node_down:offline', 'node_down:jailed']),
    (['healthy', 'healthy', 'unknown', 'unknown', 'unknown', 'unknown'], []),  # no data is not "down"
    (['healthy', 'healthy', 'offline', 'unknown', 'offline'], ['node_down:offline']),  # unknown neither confirms nor resets
    (['healthy', 'healthy', 'unhealthy', 'unhealthy', 'inactive', 'inactive'],
     ['node_down:unhealthy', 'node_down:inactive']),
])
def test_confirmation_and_unknown(statuses, expected):
    assert run(fresh(), statuses) == expected


def test_confirm_cycles_is_configurable():
    three = AlertRules(confirm_cycles=3, flap_changes=4, flap_window=timedelta(minutes=60))
    assert run(fresh(), ['healthy'] * 3 + ['offline'] * 2, rules=three) == []
    assert run(fresh(), ['healthy'] * 3 + ['offline'] * 3, rules=three) == ['node_down:offline']


def test_flapping_is_summarised_once_then_the_settled_state_is_reported():
    state = fresh()
    flapping = ['healthy', 'healthy'] + ['offline', 'offline', 'healthy', 'healthy'] * 4
    assert run(state, flapping) == ['node_down:offline', 'node_recovered:healthy', 'node_down:offline',
                                    'node_flapping:healthy']
    # An hour later it is settled offline: the window expired, so the user hears the state it settled in.
    later = T0 + timedelta(hours=2)
    assert run(state, ['offline', 'offline', 'offline'], start=later) == ['node_down:offline']


def test_mute_and_maintenance_suppress_and_catch_up_afterwards():
    state = fresh()
    run(state, ['healthy', 'healthy'])
    state.muted_until = T0 + timedelta(minutes=30)
    assert run(state, ['jailed'] * 5, start=T0 + timedelta(minutes=5)) == []
    assert run(state, ['jailed'], start=T0 + timedelta(minutes=31)) == ['node_down:jailed']

    window = fresh()
    run(window, ['healthy', 'healthy'])
    window.maintenance_from, window.maintenance_to = T0, T0 + timedelta(hours=1)
    assert run(window, ['offline', 'offline', 'healthy', 'healthy'], start=T0 + timedelta(minutes=1)) == []
    assert run(window, ['healthy'], start=T0 + timedelta(hours=2)) == []  # back before the window ended: silence


@pytest.mark.parametrize(('quiet', 'local_now', 'zone', 'ends'), [
    (('22:00', '07:00'), '23:30', 'UTC', '07:00+1'),
    (('22:00', '07:00'), '06:59', 'UTC', '07:00'),
    (('22:00', '07:00'), '07:00', 'UTC', None),
    (('13:00', '15:00'), '14:00', 'Europe/Moscow', '15:00'),
    (('13:00', '15:00'), '12:00', 'Europe/Moscow', None),
    ((None, None), '23:00', 'UTC', None),
])
def test_quiet_hours(quiet, local_now, zone, ends):
    from zoneinfo import ZoneInfo
    tz = ZoneInfo(zone)
    hours, minutes = map(int, local_now.split(':'))
    now = datetime(2026, 11, 25, hours, minutes, tzinfo=tz).astimezone(UTC)
    user = User(quiet_from=quiet[0], quiet_to=quiet[1], timezone=zone)
    result = notifications.quiet_until(user, now)
    if ends is None:
        assert result is None
    else:
        day = 26 if ends.endswith('+1') else 25
        h, m = map(int, ends.removesuffix('+1').split(':'))
        assert result == datetime(2026, 11, day, h, m, tzinfo=tz).astimezone(UTC)


@pytest.mark.parametrize(('raw', 'ok'), [
    ('https://discord.com/api/webhooks/123456789012345678/' + 'a' * 68, True),
    ('https://discordapp.com/api/webhooks/123456789012345678/' + 'a_-B' * 17, True),
    ('http://discord.com/api/webhooks/123456789012345678/' + 'a' * 68, False),
    ('https://discord.com.evil.example/api/webhooks/123456789012345678/' + 'a' * 68, False),
    ('https://evil.example/api/webhooks/123456789012345678/' + 'a' * 68, False),
    ('https://discord.com/api/webhooks/abc/' + 'a' * 68, False),
    ('https://user@discord.com/api/webhooks/123456789012345678/' + 'a' * 68, False),
    ('https://discord.com/api/webhooks/123456789012345678/' + 'a' * 68 + '?wait=true', False),
    ('https://discord.com:8443/api/webhooks/123456789012345678/' + 'a' * 68, False),
])
def test_discord_webhook_validation(raw, ok):
    if ok:
        assert parse_discord_webhook(raw).startswith('https://discord.com/api/webhooks/123456789012345678/')
    else:
        with pytest.raises(AccountError):
            parse_discord_webhook(raw)
    assert parse_discord_webhook('  ') is None


def test_hhmm_and_backoff():
    assert parse_hhmm('07:05', 'f') == '07:05' and parse_hhmm('', 'f') is None
    for bad in ('7:05', '24:00', '12:60', 'noon'):
        with pytest.raises(AccountError):
            parse_hhmm(bad, 'f')
    assert [outbox.backoff(n, 30).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.backoff(40, 30) == outbox.MAX_BACKOFF


def _seed_node(rewards: list[int]) -> tuple[int, int]:
    with session_scope() as db:
        user = User(email='r@example.com', password_hash='x', notification_prefs={'low_reward': ['in_app']})
        node = Node(address='gonka1lowreward')
        db.add_all([user, node])
        db.flush()
        db.add(NodeAssignment(node_id=node.id, user_id=user.id, assigned_at=T0 - timedelta(days=30)))
        for epoch, reward in enumerate(rewards, start=1):
            db.add(EarningsHistory(node_id=node.id, epoch_id=epoch, reward_ngonka=reward, work_ngonka=0,
                                   settled_at=T0 - timedelta(days=len(rewards) - epoch), fetched_at=T0))
        return user.id, node.id


def test_low_reward_with_its_likely_cause(database):
    user_id, node_id = _seed_node([100, 110, 90, 105, 40])
    with session_scope() as db:
        db.add(NodeStatusHistory(node_id=node_id, observed_at=T0, status='jailed', reasons=[], epoch_id=5))
    with session_scope() as db:
        alerts.evaluate(db, now=T0, snapshot=None, rules=RULES)
        alerts.evaluate(db, now=T0, snapshot=None, rules=RULES)  # a second look adds nothing
    with session_scope() as db:
        rows = list(db.scalars(select(Notification)))
    assert [(r.kind, r.params['epoch'], r.params['cause'], r.params['median_ngonka']) for r in rows] == \
        [('low_reward', 5, 'jailed', 102)]  # median of 100,110,90,105; epochs 1-4 lack history


def test_a_normal_reward_is_not_news(database):
    _seed_node([100, 110, 90, 105, 60])
    with session_scope() as db:
        alerts.evaluate(db, now=T0, snapshot=None, rules=RULES)
    with session_scope() as db:
        assert db.scalars(select(Notification)).all() == []
