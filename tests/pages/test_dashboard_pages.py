"""The dashboard through NiceGUI's simulated user: cards and totals against seeded data, the chart, attention
first, the activity feed, the network strip, the empty state and a live update after a refresh event."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from babel.dates import format_datetime
from customer_seed import (PASSWORD, EPOCH, NodeSpec, earnings_rows, make_user, record_history, seed_network,
                           seed_nodes)
from nicegui import ui
from nicegui.testing import User

from minegnk.components.live import data_refreshed
from minegnk.db.engine import session_scope
from minegnk.db.models import AuditLog, NodeStatsCache, SupportRequest, SupportRequestEvent, utcnow
from minegnk.jobs.refresh import CycleReport
from minegnk.services import dashboard as dash
from minegnk.services import rates as rate_service


async def eventually(check, timeout: float = 5.0) -> None:
    """Refreshes run as tasks: wait until ``check()`` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            if check():
                return
        except (KeyError, IndexError, AssertionError):
            pass
        if asyncio.get_running_loop().time() > deadline:
            assert check()
        await asyncio.sleep(0.05)


async def see(user: User, *args, **kwargs) -> None:
    await user.should_see(*args, retries=150, **kwargs)


async def log_in(user: User, email: str) -> None:
    user.javascript_rules[__import__('re').compile('.*resolvedOptions.*')] = lambda _m: 'UTC'
    await user.open('/login')
    user.find(marker='email').type(email)
    user.find(marker='password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await see(user, marker='page-title')


def in_order(user: User, marker: str) -> list:
    """The elements with ``marker`` in document order (``find`` returns a set)."""
    found = user.find(marker=marker).elements
    return [e for e in user.client.layout.descendants() if e in found]


def texts(user: User, marker: str) -> list[str]:
    return [getattr(e, 'text', '') for e in in_order(user, marker)]


def all_text(user: User, marker: str) -> str:
    """Every label text inside the elements with ``marker``."""
    result = []
    for element in in_order(user, marker):
        for child in [element, *element.descendants()]:
            text = getattr(child, 'text', None)
            if isinstance(text, str) and text:
                result.append(text)
    return ' | '.join(result)


def seed_standard(email: str = 'alice@example.com', *, currency: str = 'USD') -> dict:
    """Three nodes (one jailed, one unhealthy), 90 days of settled epochs each, a network snapshot, USD/EUR rates."""
    user_id = make_user(email, currency=currency)
    now = utcnow()
    specs = [
        NodeSpec('alpha', 'healthy', earnings=earnings_rows(3_000_000_000_000, now), gpu_count=8),
        NodeSpec('bravo', 'jailed', [{'code': 'jailed', 'params': {'jailed_until': None, 'cause': 'consensus',
                                                                   'ready_to_unjail': False}}],
                 earnings=earnings_rows(2_000_000_000_000, now), gpu_count=4, gpu_type='A100'),
        NodeSpec('charlie', 'unhealthy', [{'code': 'missed_test_failed',
                                           'params': {'missed': 12, 'total': 40, 'critical': 9}}],
                 earnings=earnings_rows(1_000_000_000_000, now), gpu_count=2, epoch_work_ngonka=123_456_789),
    ]
    with session_scope() as db:
        seed_network(db, now)
        ids = seed_nodes(db, user_id, specs, now)
        rate_service.set_manual_rate(db, None, 'GNK', 'USD', '0.012345678901234', now - timedelta(minutes=5))
        rate_service.set_manual_rate(db, None, 'USD', 'EUR', '0.91', now - timedelta(minutes=5))
    return {'user_id': user_id, 'now': now, 'specs': specs, 'ids': ids}


def expected_totals(specs: list[NodeSpec], now: datetime) -> tuple[int, int]:
    last_30 = sum(r + w for s in specs for _e, r, w, _c, at in s.earnings if at >= now - timedelta(days=30))
    start = dash.month_start(now, timezone.utc)
    month = sum(r + w for s in specs for _e, r, w, _c, at in s.earnings if at >= start)
    return last_30, month


async def test_cards_match_the_seeded_data_exactly(user: User):
    seeded = seed_standard()
    await log_in(user, 'alice@example.com')
    await see(user, marker='card-nodes')
    assert texts(user, 'card-nodes-value') == ['1 of 3 healthy']
    assert texts(user, 'card-attention') == ['2 need attention']
    assert texts(user, 'card-gpus-value') == ['14']
    assert texts(user, 'card-requests-value') == ['0']
    last_30, month = expected_totals(seeded['specs'], seeded['now'])
    with session_scope() as db:
        cards = dash.dashboard_cards(db, seeded['user_id'], dash.node_reads.user_nodes(db, seeded['user_id']),
                                     tz=timezone.utc, now=seeded['now'])
    assert cards.earnings_30d_ngonka == last_30
    from minegnk.services.units import ngonka_to_gnk
    gnk_30 = ngonka_to_gnk(last_30).quantize(Decimal('0.01'))
    assert f'{gnk_30:,.2f} GNK' in all_text(user, 'card-earnings-30d')
    usd = (Decimal(last_30) / 10**9 * Decimal('0.012345678901234')).quantize(Decimal('0.01'))
    assert f'${usd:,.2f}' in all_text(user, 'card-earnings-30d')
    gnk_month = ngonka_to_gnk(month).quantize(Decimal('0.01'))
    assert f'{gnk_month:,.2f} GNK' in all_text(user, 'card-earnings-month')
    # every card links to the list behind it
    links = {m: user.find(marker=f'{m}-link').elements.pop().props['href'] for m in ('card-nodes', 'card-gpus',
                                                                                     'card-earnings', 'card-requests')}
    assert links == {'card-nodes': '/nodes?status=healthy', 'card-gpus': '/nodes?sort=gpu',
                     'card-earnings': '/nodes?sort=per_day&desc=1', 'card-requests': '/requests'}
    assert user.find(marker='card-attention').elements.pop().props['href'] == '/nodes?status=attention'


async def test_overview_puts_nodes_needing_attention_first_with_plain_reasons(user: User):
    seed_standard()
    await log_in(user, 'alice@example.com')
    await see(user, marker='overview')
    assert texts(user, 'overview-link') == ['bravo', 'charlie', 'alpha']  # jailed, unhealthy, healthy
    overview = all_text(user, 'overview')
    assert 'missed 12 of 40 requests this epoch; the network zeroes rewards above the allowed miss count (9)' in overview


async def test_chart_has_settled_bars_and_a_distinct_estimate_and_toggles(user: User):
    seeded = seed_standard()
    await log_in(user, 'alice@example.com')
    await see(user, marker='earnings-chart')
    plot = user.find(marker='earnings-chart').elements.pop()
    data = plot.figure['data']
    settled, estimate = data[0], data[1]
    assert len(settled['x']) == 30 and settled['marker'].get('pattern') is None
    assert estimate['marker']['pattern']['shape'] == '/' and estimate['marker']['opacity'] < 1
    # the settled bars sum exactly to the seeded epochs in the window (decimal strings, no floats)
    total = sum(Decimal(y) for y in settled['y'])
    rows = [(0, at, r + w) for s in seeded['specs'] for _e, r, w, _c, at in s.earnings]
    series = dash.earnings_series(rows, node_ids=[0], days=30, tz=timezone.utc)
    assert total == Decimal(series.settled_sum).scaleb(-9)
    assert all(isinstance(y, str) for y in settled['y'])

    def figure() -> dict:
        return user.find(marker='earnings-chart').elements.pop().figure

    user.find(marker='chart-days').elements.pop().set_value(90)
    await eventually(lambda: len(figure()['data'][0]['x']) == 90)
    user.find(marker='chart-bucket').elements.pop().set_value('week')
    await eventually(lambda: len(figure()['data'][0]['x']) in (13, 14, 15))
    user.find(marker='chart-mode').elements.pop().set_value('stack')
    await eventually(lambda: figure()['data'][0]['name'] == 'bravo')
    assert [t['name'] for t in figure()['data'][:3]] == ['bravo', 'charlie', 'alpha']
    assert figure()['layout']['barmode'] == 'stack'
    user.find(marker='chart-mode').elements.pop().set_value('group')
    await eventually(lambda: figure()['layout']['barmode'] == 'group')


async def test_activity_feed_lists_events_newest_first_and_pages(user: User):
    seeded = seed_standard()
    now = seeded['now']
    node_id = next(iter(seeded['ids'].values()))
    address = next(iter(seeded['ids']))
    record_history(node_id, [(now - timedelta(minutes=m), s) for m, s in ((50, 'healthy'), (40, 'offline'),
                                                                           (30, 'healthy'))])
    with session_scope() as db:
        request = SupportRequest(user_id=seeded['user_id'], gpu_type='H100', quantity=2, status='in_progress')
        db.add(request)
        db.flush()
        db.add(SupportRequestEvent(request_id=request.id, kind='status', from_status='pending', to_status='in_progress',
                                   created_at=now - timedelta(minutes=20)))
        db.add(SupportRequestEvent(request_id=request.id, kind='note', body='internal only',
                                   visible_to_customer=False, created_at=now - timedelta(minutes=19)))
        db.add(AuditLog(action='node.assign', target_type='node', target_id=address,
                        after={'user_id': seeded['user_id']}, created_at=now - timedelta(minutes=10)))
    await log_in(user, 'alice@example.com')
    await see(user, marker='feed-item')
    items = texts(user, 'feed-text')
    assert items[0] == 'Support added node alpha to your account'
    assert items[1] == 'Request #1: pending → in progress'
    assert items[2] == 'alpha: Offline → Healthy'
    assert items[3] == 'alpha: Healthy → Offline'
    assert len(items) == 10
    assert 'internal only' not in all_text(user, 'activity')
    # 90 settled epochs + 2 unclaimed-or-burned notices... → several pages
    pages = user.find(marker='feed-pages').elements.pop()
    assert pages._props['max'] > 5
    pages.set_value(2)
    await see(user, 'Epoch 99 settled')


async def test_a_database_failure_while_the_feed_reloads_keeps_the_feed_shown(user: User, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from minegnk.pages import dashboard as page

    seed_standard()
    await log_in(user, 'alice@example.com')
    await see(user, marker='feed-item')
    shown = texts(user, 'feed-text')
    calls: list[int] = []

    def failing_feed(user_id, feed_page, epoch):
        calls.append(feed_page)
        raise OperationalError('SELECT 1', {}, Exception('connection refused'))

    monkeypatch.setattr(page, 'load_feed', failing_feed)
    data_refreshed.emit(CycleReport(started_at=utcnow(), finished_at=utcnow(), source='tracker', epoch_id=EPOCH))
    for _ in range(100):  # the refresh's feed load ran and failed
        if calls:
            break
        await asyncio.sleep(0.05)
    assert calls == [1]
    await see(user, marker='card-nodes')
    assert texts(user, 'feed-text') == shown  # the last feed stays, no error page
    user.find(marker='feed-pages').elements.pop().set_value(2)  # the customer asks for more: told why not
    await see(user, 'The portal cannot reach its database right now. Please try again in a minute.')
    assert calls == [1, 2] and texts(user, 'feed-text') == shown


async def test_unclaimed_reward_about_to_burn_is_in_the_feed(user: User):
    seed_standard()
    await log_in(user, 'alice@example.com')
    await see(user, marker='feed-item')
    text = all_text(user, 'feed')
    assert f'the reward of epoch {EPOCH - 1}' in text and 'is not claimed yet' in text


async def test_network_strip_and_incident_banner(user: User):
    user_id = make_user('bob@example.com')
    now = utcnow()
    with session_scope() as db:
        seed_network(db, now - timedelta(seconds=40), failing_share='0.2500')
        seed_nodes(db, user_id, [NodeSpec('n1')], now)
    await log_in(user, 'bob@example.com')
    await see(user, marker='network-strip')
    assert texts(user, 'network-epoch') == ['Epoch 105']
    assert texts(user, 'network-phase') == ['Phase: Inference']
    assert texts(user, 'network-poc')[0].startswith('next PoC in ~')
    assert 'from tracker' in all_text(user, 'freshness') and 'ago' in all_text(user, 'freshness')
    assert '25 % of the network' in all_text(user, 'network-incident')


async def test_stale_network_data_is_marked_with_the_reason(user: User):
    user_id = make_user('bob@example.com')
    now = utcnow()
    with session_scope() as db:
        seed_network(db, now - timedelta(minutes=2))
        seed_network(db, now, stale=True, stale_reason='tracker: timeout; node_api: HTTP 503')
        seed_nodes(db, user_id, [NodeSpec('n1')], now)
    await log_in(user, 'bob@example.com')
    await see(user, marker='freshness-stale')
    strip = all_text(user, 'network-strip')
    # Plain words for customers; the technical text stays for the admin system page and the logs.
    assert ("The network's data services are not answering (tracker: timed out; network nodes: answering with errors)."
            f' Showing data from {format_datetime(now - timedelta(minutes=2), "short", locale="en")}.') in strip
    assert 'node_api' not in strip and 'HTTP 503' not in strip
    await user.should_not_see(marker='network-incident')


async def test_empty_state_offers_to_request_a_node(user: User):
    make_user('new@example.com')
    await log_in(user, 'new@example.com')
    await see(user, marker='empty-state')
    await see(user, 'Welcome to MineGNK')
    user.find(marker='request-node').click()
    await see(user, marker='page-title')  # /requests/new (another page) or its 404; either way we navigated


async def test_live_update_after_a_refresh_event_changes_the_page(user: User):
    seeded = seed_standard()
    await log_in(user, 'alice@example.com')
    await see(user, marker='card-nodes')
    assert texts(user, 'card-nodes-value') == ['1 of 3 healthy']
    with session_scope() as db:
        for node_id in seeded['ids'].values():
            cache = db.get(NodeStatsCache, node_id)
            cache.status, cache.reasons = 'healthy', []
    data_refreshed.emit(CycleReport(started_at=utcnow(), finished_at=utcnow(), source='tracker', epoch_id=EPOCH))
    await see(user, '3 of 3 healthy')
    await user.should_not_see(marker='card-attention')


async def test_a_refresh_rebuilds_only_what_changed_and_tabs_share_one_load(user: User, monkeypatch):
    from minegnk.pages import dashboard as dashboard_page
    seeded = seed_standard()
    loads: list[int] = []
    real_load = dashboard_page.load
    monkeypatch.setattr(dashboard_page, 'load', lambda user_id, tz: loads.append(user_id) or real_load(user_id, tz))
    await log_in(user, 'alice@example.com')
    await see(user, marker='card-nodes')
    await see(user, marker='feed-item')
    chart, card, row = (user.find(marker=m).elements.pop().id
                        for m in ('earnings-chart', 'card-nodes-value', 'overview-row'))
    await asyncio.sleep(0.3)
    loads.clear()

    # a cycle that changed nothing the cards, chart or overview show: none of them is rebuilt
    data_refreshed.emit(CycleReport(started_at=utcnow(), finished_at=utcnow(), source='tracker', epoch_id=EPOCH))
    await eventually(lambda: len(loads) == 1)
    await asyncio.sleep(0.3)
    assert [user.find(marker=m).elements.pop().id for m in ('earnings-chart', 'card-nodes-value')] == [chart, card]
    assert row in {e.id for e in user.find(marker='overview-row').elements}

    # a new reason on a node rebuilds the overview only
    with session_scope() as db:
        cache = db.get(NodeStatsCache, list(seeded['ids'].values())[2])  # charlie, the unhealthy one
        cache.reasons = [{'code': 'missed_test_failed', 'params': {'missed': 17, 'total': 40, 'critical': 9}}]
    finished = utcnow()
    data_refreshed.emit(CycleReport(started_at=finished, finished_at=finished, source='tracker', epoch_id=EPOCH))
    await eventually(lambda: row not in {e.id for e in user.find(marker='overview-row').elements})
    assert any('17' in t for t in (getattr(e, 'text', '') for e in user.client.layout.descendants()))
    assert [user.find(marker=m).elements.pop().id for m in ('earnings-chart', 'card-nodes-value')] == [chart, card]
    assert len(loads) == 2

    # a status change rebuilds the cards too
    with session_scope() as db:
        for node_id in seeded['ids'].values():
            cache = db.get(NodeStatsCache, node_id)
            cache.status, cache.reasons = 'healthy', []
    finished = utcnow()
    data_refreshed.emit(CycleReport(started_at=finished, finished_at=finished, source='tracker', epoch_id=EPOCH))
    await see(user, '3 of 3 healthy')

    # a second tab of the same user reuses the load of the same refresh cycle
    version = utcnow()
    key = ('dashboard', 1, 'UTC')
    results = await asyncio.gather(*(dashboard_page.shared_load(key, version, lambda: loads.append(0) or 7)
                                     for _ in range(5)))
    assert results == [7] * 5 and loads.count(0) == 1


async def test_gnk_only_without_a_rate_and_a_hint(user: User):
    user_id = make_user('carol@example.com', currency='EUR')
    now = utcnow()
    with session_scope() as db:
        seed_network(db, now)
        seed_nodes(db, user_id, [NodeSpec('n1', earnings=earnings_rows(10**12, now, 5))], now)
        rate_service.set_manual_rate(db, None, 'GNK', 'USD', '0.5', now)  # no USD→EUR: EUR cannot be computed
    await log_in(user, 'carol@example.com')
    await see(user, marker='no-rate')
    await user.should_not_see(marker='amount-currency')


async def test_other_users_data_never_shows(user: User):
    seed_standard()
    other = make_user('mallory@example.com')
    with session_scope() as db:
        seed_nodes(db, other, [NodeSpec('mallory-node', earnings=earnings_rows(9 * 10**12, utcnow(), 3))], utcnow())
    await log_in(user, 'alice@example.com')
    await see(user, marker='overview')
    await user.should_not_see('mallory-node')
    assert texts(user, 'card-nodes-value') == ['1 of 3 healthy']


async def test_russian_dashboard(user: User):
    seed_standard()
    with session_scope() as db:
        from minegnk.services import accounts
        accounts.set_language(db, accounts.get_by_email(db, 'alice@example.com').id, 'ru')
    await log_in(user, 'alice@example.com')
    await see(user, marker='card-nodes')
    assert texts(user, 'card-nodes-value') == ['1 из 3 исправны']
    assert texts(user, 'card-attention') == ['2 требуют внимания']  # Russian plural forms
    assert any(isinstance(e, ui.plotly) for e in user.find(marker='earnings-chart').elements)


async def test_the_shell_is_sent_first_and_the_data_follows_after_connecting(user: User, monkeypatch):
    """The page answers before any dashboard query ran: placeholders first, the cards once the load finishes."""
    from minegnk.pages import dashboard as page

    seed_standard()
    release = threading.Event()
    loads: list[str] = []
    real_load = page.load

    def held_load(user_id, tz):
        loads.append(threading.current_thread().name)
        assert release.wait(30), 'the test never released the load'
        return real_load(user_id, tz)

    monkeypatch.setattr(page, 'load', held_load)
    await log_in(user, 'alice@example.com')
    await see(user, marker='dashboard-loading')
    await see(user, 'Recent activity')
    await see(user, marker='feed-loading')
    await user.should_not_see(marker='card-nodes')
    await eventually(lambda: len(loads) == 1)
    assert loads[0] != threading.main_thread().name  # the database work runs off the event loop
    release.set()
    await see(user, marker='card-nodes')
    assert texts(user, 'card-nodes-value') == ['1 of 3 healthy']
    await user.should_not_see(marker='dashboard-loading')
    await see(user, marker='feed-item')


async def test_a_database_failure_after_the_shell_is_said_in_place(user: User, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from minegnk.pages import dashboard as page

    seed_standard()
    release = threading.Event()

    def failing_load(user_id, tz):
        assert release.wait(30), 'the test never released the load'
        raise OperationalError('SELECT 1', {}, Exception('connection refused'))

    monkeypatch.setattr(page, 'load', failing_load)
    await log_in(user, 'alice@example.com')
    await see(user, marker='dashboard-loading')
    release.set()
    await see(user, marker='dashboard-unavailable')
    await see(user, 'The portal cannot reach its database right now. Please try again in a minute.')
    await user.should_not_see(marker='dashboard-loading')
