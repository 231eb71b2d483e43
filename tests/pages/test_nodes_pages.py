"""My nodes and node details through NiceGUI's simulated user: server-side sorting, every filter, paging, URL state,
CSV export with exact amounts, the 404 for other people's nodes, the tabs, and a live update."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from customer_seed import EPOCH, PASSWORD, NodeSpec, address, earnings_rows, make_user, seed_network, seed_nodes
from nicegui.functions.navigate import History
from nicegui import ui
from nicegui.testing import User

from minegnk.components.live import data_refreshed
from minegnk.db.engine import session_scope
from minegnk.db.models import NodeStatsCache, NodeStatusHistory, utcnow
from minegnk.jobs.refresh import CycleReport
from minegnk.services import dashboard as dash
from minegnk.services import rates as rate_service

RATE = '0.012345678901234'
STATUSES = ['healthy', 'healthy', 'healthy', 'healthy', 'unhealthy', 'jailed', 'offline', 'inactive', 'unknown',
            'healthy', 'unhealthy', 'healthy']
GPUS = ['H100', 'A100', 'H100', 'L40S', 'H100', 'A100', 'H100', 'A100', 'H100', 'L40S', 'H100', 'A100']


@pytest.fixture
def urls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL the page wrote into the address bar (history.replaceState)."""
    seen: list[str] = []
    monkeypatch.setattr(History, 'replace', lambda self, url: seen.append(url))
    return seen


async def see(user: User, *args, **kwargs) -> None:
    await user.should_see(*args, retries=150, **kwargs)


async def eventually(check, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            assert check()
        await asyncio.sleep(0.05)


async def log_in(user: User, email: str, path: str = '/nodes') -> None:
    user.javascript_rules[re.compile('.*resolvedOptions.*')] = lambda _m: 'UTC'
    await user.open('/login?next=' + quote(path, safe=''))
    user.find(marker='email').type(email)
    user.find(marker='password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await see(user, marker='user-menu')


def seed_twelve(email: str = 'alice@example.com', currency: str = 'USD') -> dict:
    user_id = make_user(email, currency=currency)
    now = utcnow()
    specs = []
    for i, (status, gpu) in enumerate(zip(STATUSES, GPUS)):
        reasons = [{'code': 'missed_test_failed', 'params': {'missed': 12, 'total': 40, 'critical': 9}}] \
            if status == 'unhealthy' else []
        specs.append(NodeSpec(f'node-{i:02d}', status, reasons, gpu_type=gpu, gpu_count=1 + i % 4,
                              inference_count=100 + i, missed_requests=i, weight=1000 * (i + 1),
                              earnings=earnings_rows(10**12 + 987_654_321 * i, now, 10)))
    with session_scope() as db:
        seed_network(db, now)
        ids = seed_nodes(db, user_id, specs, now)
        rate_service.set_manual_rate(db, None, 'GNK', 'USD', RATE, now - timedelta(minutes=5))
        rate_service.set_manual_rate(db, None, 'USD', 'EUR', '0.9', now - timedelta(minutes=5))
    return {'user_id': user_id, 'ids': ids, 'specs': specs, 'now': now}


def table(user: User):
    return user.find(marker='nodes-table').elements.pop()


def names(user: User) -> list[str]:
    return [row['name'] for row in table(user).rows]


def request(user: User, **pagination) -> None:
    base = dict(table(user).pagination)
    base.update(pagination)
    user.find(marker='nodes-table').trigger('request', {'pagination': base})


async def test_table_is_server_side_attention_first_and_pages(user: User, urls: list[str]):
    seed_twelve()
    await log_in(user, 'alice@example.com')
    await see(user, marker='nodes-table')
    t = table(user)
    assert t.pagination['rowsNumber'] == 12 and t.pagination['rowsPerPage'] == 25
    assert names(user)[:6] == ['node-05', 'node-06', 'node-04', 'node-10', 'node-07', 'node-08']  # jailed, offline, …
    assert [r['problem'] for r in t.rows[:6]] == [True, True, True, True, True, False]  # unknown isn't a "problem"
    request(user, rowsPerPage=10, page=2)
    await eventually(lambda: len(table(user).rows) == 2)
    assert table(user).pagination['page'] == 2 and table(user).pagination['rowsNumber'] == 12
    assert urls[-1] == '/nodes?page=2&per=10'


async def test_sorting_every_column_both_ways(user: User, urls: list[str]):
    seeded = seed_twelve()
    await log_in(user, 'alice@example.com')
    await see(user, marker='nodes-table')
    totals = {s.label: sum(r + w for _e, r, w, _c, _a in s.earnings) for s in seeded['specs']}
    request(user, sortBy='total', descending=True)
    await eventually(lambda: table(user).pagination['sortBy'] == 'total')
    assert names(user) == sorted(totals, key=lambda n: -totals[n])
    assert urls[-1] == '/nodes?sort=total&desc=1'
    request(user, sortBy='total', descending=False)
    await eventually(lambda: table(user).pagination['descending'] is False)
    assert names(user) == sorted(totals, key=lambda n: totals[n])
    request(user, sortBy='inferences', descending=True)
    await eventually(lambda: table(user).pagination['sortBy'] == 'inferences')
    assert names(user)[0] == 'node-11'
    request(user, sortBy='name', descending=False)
    await eventually(lambda: names(user)[0] == 'node-00')
    for key in dash.SORT_KEYS:
        request(user, sortBy=key, descending=True)
        await eventually(lambda k=key: table(user).pagination['sortBy'] == k)
        assert len(table(user).rows) == 12


async def test_every_filter_and_url_state(user: User, urls: list[str]):
    seeded = seed_twelve()
    await log_in(user, 'alice@example.com')
    await see(user, marker='nodes-table')
    status = user.find(marker='filter-status').elements.pop()
    for value, expected in (('attention', 5), ('healthy', 6), ('unhealthy', 2), ('jailed', 1), ('offline', 1),
                            ('inactive', 1), ('unknown', 1), ('', 12)):
        status.set_value(value)
        await eventually(lambda e=expected: table(user).pagination['rowsNumber'] == e)
        assert all(r['status'] == value for r in table(user).rows) or value in ('', 'attention')
    gpu = user.find(marker='filter-gpu').elements.pop()
    gpu.set_value('L40S')
    await eventually(lambda: names(user) == ['node-03', 'node-09'])
    assert urls[-1] == '/nodes?gpu=L40S'
    gpu.set_value('')
    text = user.find(marker='filter-text').elements.pop()
    text.set_value('NODE-1')  # label, case-insensitive
    await eventually(lambda: sorted(names(user)) == ['node-10', 'node-11'])
    some_address = next(a for a, i in seeded['ids'].items())
    text.set_value(some_address[8:20])  # part of an address
    await eventually(lambda: names(user) == ['node-00'])
    assert '1 of 12 nodes' in user.find(marker='nodes-count').elements.pop().text


async def test_state_from_the_url_survives_reload(user: User):
    seed_twelve()
    await log_in(user, 'alice@example.com', '/nodes?status=healthy&gpu=H100&sort=inferences&desc=1&per=10')
    await see(user, marker='nodes-table')
    assert names(user) == ['node-02', 'node-00']
    assert user.find(marker='filter-status').elements.pop().value == 'healthy'
    assert user.find(marker='filter-gpu').elements.pop().value == 'H100'
    await user.open('/nodes?status=nonsense&sort=evil&page=-3&per=7')  # junk falls back to defaults
    await see(user, marker='nodes-table')
    assert table(user).pagination['rowsNumber'] == 12 and table(user).pagination['rowsPerPage'] == 25


async def test_status_tooltip_has_reasons_in_plain_words(user: User):
    seed_twelve()
    await log_in(user, 'alice@example.com')
    await see(user, marker='nodes-table')
    row = next(r for r in table(user).rows if r['name'] == 'node-04')
    assert row['reasons'] == ('missed 12 of 40 requests this epoch; the network zeroes rewards above the allowed '
                              'miss count (9)')
    assert row['status_label'] == 'Unhealthy'


async def test_csv_export_has_exact_gnk_and_currency_with_the_rate(user: User):
    seeded = seed_twelve()
    await log_in(user, 'alice@example.com', '/nodes?status=healthy')
    await see(user, marker='nodes-table')
    user.find(marker='export-csv').click()
    response = await user.download.next(timeout=5)
    text = response.content.decode('utf-8-sig')
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6 and {r['Status'] for r in rows} == {'healthy'}
    spec = next(s for s in seeded['specs'] if s.label == 'node-09')
    row = next(r for r in rows if r['Label'] == 'node-09')
    total = sum(r + w for _e, r, w, _c, _a in spec.earnings)
    assert row['Total earned (GNK)'] == format(Decimal(total).scaleb(-9), 'f')
    assert len(row['Total earned (GNK)'].split('.')[1]) == 9
    expected_usd = (Decimal(total) / 10**9 * Decimal(RATE)).quantize(Decimal('0.01'))
    assert row['Total earned (USD)'] == format(expected_usd, 'f')
    assert row['Rate (1 GNK in USD)'] == RATE
    assert row['Rate source'] == 'manual'
    assert row['Address'] == address_of(seeded, 'node-09')


def address_of(seeded: dict, label: str) -> str:
    index = [s.label for s in seeded['specs']].index(label)
    return list(seeded['ids'])[index]


async def test_csv_neutralises_formula_labels(user: User):
    user_id = make_user('eve@example.com')
    with session_scope() as db:
        seed_network(db, utcnow())
        seed_nodes(db, user_id, [NodeSpec('=HYPERLINK("http://evil")')], utcnow())
    await log_in(user, 'eve@example.com')
    await see(user, marker='nodes-table')
    user.find(marker='export-csv').click()
    response = await user.download.next(timeout=5)
    rows = list(csv.DictReader(io.StringIO(response.content.decode('utf-8-sig'))))
    assert rows[0]['Label'] == '\'=HYPERLINK("http://evil")'


async def test_eur_conversion_goes_through_usd_exactly(user: User):
    seeded = seed_twelve('eur@example.com', currency='EUR')
    await log_in(user, 'eur@example.com')
    await see(user, marker='nodes-table')
    user.find(marker='export-csv').click()
    rows = list(csv.DictReader(io.StringIO((await user.download.next(timeout=5)).content.decode('utf-8-sig'))))
    spec = seeded['specs'][0]
    total = sum(r + w for _e, r, w, _c, _a in spec.earnings)
    row = next(r for r in rows if r['Label'] == spec.label)
    rate = Decimal(RATE) * Decimal('0.9')
    assert row['Rate (1 GNK in EUR)'] == format(rate, 'f')
    assert row['Total earned (EUR)'] == format((Decimal(total) / 10**9 * rate).quantize(Decimal('0.01')), 'f')


async def test_someone_elses_node_is_the_same_404_as_a_missing_one(user: User):
    seed_twelve()
    other = make_user('bob@example.com')
    with session_scope() as db:
        bobs = seed_nodes(db, other, [NodeSpec('bobs-node')], utcnow())
    await log_in(user, 'alice@example.com')
    foreign = await user.http_client.get(f'/nodes/{next(iter(bobs))}')
    missing = await user.http_client.get(f'/nodes/{address("nobody")}')
    assert foreign.status_code == missing.status_code == 404
    assert 'Page not found' in foreign.text and 'Page not found' in missing.text
    assert 'bobs-node' not in foreign.text


async def test_admin_may_open_any_node(user: User):
    other = make_user('bob@example.com')
    with session_scope() as db:
        seed_network(db, utcnow())
        bobs = seed_nodes(db, other, [NodeSpec('bobs-node')], utcnow())
    make_user('root@example.com', admin=True)
    await log_in(user, 'root@example.com', f'/nodes/{next(iter(bobs))}')
    await see(user, marker='node-title')
    assert user.find(marker='node-title').elements.pop().text == 'bobs-node'


async def test_node_details_overview_metrics_history_jobs(user: User):
    seeded = seed_twelve()
    addr = address_of(seeded, 'node-04')
    node_id = seeded['ids'][addr]
    now = seeded['now']
    with session_scope() as db:
        for k in range(40):  # one observation every 10 minutes, offline for a while in the middle
            status = 'offline' if 10 <= k < 14 else 'healthy'
            db.add(NodeStatusHistory(node_id=node_id, observed_at=now - timedelta(minutes=10 * (40 - k)), status=status,
                                     reasons=[], epoch_id=EPOCH, inference_count=5 * k, missed_requests=k // 10))
    await log_in(user, 'alice@example.com', f'/nodes/{addr}')
    await see(user, marker='node-title')
    await see(user, 'missed 12 of 40 requests this epoch; the network zeroes rewards above the allowed miss count (9)')
    assert user.find(marker='fact-gpu').elements.pop().text == '1 × H100'
    assert user.find(marker='metric-missed').elements.pop().text == '4 of 108'
    assert user.find(marker='epoch-chart').elements.pop().figure['data'][0]['y'][-1] == 195
    await see(user, marker='jobs-empty')
    await see(user, 'Recent jobs appear once the tracker reports them.')

    user.find(marker='node-tabs').elements.pop().set_value('history')
    await see(user, marker='timeline-chart')
    timeline = user.find(marker='timeline-chart').elements.pop().figure
    statuses = {trace['name'] for trace in timeline['data']}
    assert statuses == {'Healthy', 'Offline'}
    uptime = user.find(marker='uptime-24h').elements.pop().text
    assert uptime == 'Uptime 24 hours: 90.0 %'  # 36 of 40 observations up
    bars = user.find(marker='epoch-earnings-chart').elements.pop().figure
    assert {t['name'] for t in bars['data']} >= {'Claimed', 'Unclaimed', 'Cumulative'}
    assert len(user.find(marker='epochs-table').elements.pop().rows) == 10


async def test_jobs_tab_shows_each_job_with_its_state_in_words(user: User):
    seeded = seed_twelve()
    addr = address_of(seeded, 'node-01')
    started = seeded['now'] - timedelta(minutes=3)
    jobs = [{'id': 'inf-2', 'status': 'VALIDATED', 'model': 'Qwen/Qwen3-235B', 'started_at': started.isoformat(),
             'block': 20, 'prompt_tokens': 12, 'completion_tokens': 300, 'validated_by': 'gonka1validator'},
            {'id': 'inf-1', 'status': 'EXPIRED', 'model': 'Qwen/Qwen3-32B', 'started_at': None, 'block': 10,
             'prompt_tokens': None, 'completion_tokens': None, 'validated_by': None,
             'prompt': '<script>alert(1)</script> hello', 'response': None},
            {'id': 'inf-0', 'status': 'SOMETHING_NEW', 'model': None, 'started_at': None, 'block': 5,
             'prompt_tokens': 1, 'completion_tokens': 2, 'validated_by': None}]
    with session_scope() as db:
        db.get(NodeStatsCache, seeded['ids'][addr]).recent_jobs = jobs
    await log_in(user, 'alice@example.com', f'/nodes/{addr}')
    await see(user, marker='node-title')
    user.find(marker='node-tabs').elements.pop().set_value('jobs')
    await see(user, marker='job')
    assert len(user.find(marker='job').elements) == 3
    assert sorted(b.text for b in user.find(marker='job-status').elements) == ['Expired', 'SOMETHING_NEW', 'Validated']
    await see(user, 'Tokens: 12 prompt, 300 completion')
    await see(user, 'Validated by gonka1validator')
    # the prompt is folded away under "Prompt" and, when opened, is the payload's text, never markup
    expansions = [e for e in user.find(ui.expansion).elements if e.props.get('label') == 'Prompt']
    assert len(expansions) == 1 and not expansions[0].value
    assert [label.text for label in expansions[0].default_slot.children] == ['<script>alert(1)</script> hello']


async def test_live_update_on_my_nodes(user: User):
    seeded = seed_twelve()
    await log_in(user, 'alice@example.com', '/nodes?status=jailed')
    await see(user, marker='nodes-table')
    assert names(user) == ['node-05']
    with session_scope() as db:
        cache = db.get(NodeStatsCache, seeded['ids'][address_of(seeded, 'node-00')])
        cache.status = 'jailed'
    data_refreshed.emit(CycleReport(started_at=utcnow(), finished_at=utcnow(), source='tracker', epoch_id=EPOCH))
    await eventually(lambda: sorted(names(user)) == ['node-00', 'node-05'])


async def test_live_update_on_node_details(user: User):
    seeded = seed_twelve()
    addr = address_of(seeded, 'node-00')
    await log_in(user, 'alice@example.com', f'/nodes/{addr}')
    await see(user, marker='node-title')
    await user.should_not_see(marker='status-offline')
    with session_scope() as db:
        cache = db.get(NodeStatsCache, seeded['ids'][addr])
        cache.status = 'offline'
        cache.reasons = [{'code': 'probe_failed', 'params': {'consecutive_failures': 3, 'error': 'HTTP 503'}}]
    data_refreshed.emit(CycleReport(started_at=utcnow(), finished_at=utcnow(), source='tracker', epoch_id=EPOCH))
    await see(user, 'did not answer 3 health checks in a row (last error: HTTP 503)')
