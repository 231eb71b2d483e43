"""Nodes and network endpoints: the caller's list with filters/sort/paging, detail, metrics, earnings, caching."""

from __future__ import annotations

from datetime import timedelta

from minegnk.api import deps
from minegnk.api.schemas import EarningsOut, MetricsOut, NetworkOut, NodeDetailOut, NodeList
from minegnk.db.engine import session_scope
from minegnk.db.models import NodeStatusHistory, utcnow
from minegnk.services import assignments
from tests.api.conftest import add_network_snapshot, add_node, make_address

GNK = 10**9


async def test_my_nodes_lists_only_the_callers_nodes_problems_first_with_exact_amounts(client, alice, bob):
    add_network_snapshot()
    add_node(alice.id, make_address(1), label='b-healthy', epochs=[(58, 3 * GNK, 1), (59, 1, 0)])
    add_node(alice.id, make_address(2), label='a-jailed', status='jailed')
    add_node(bob.id, make_address(3), label='bobs')
    response = await client.get('/api/v1/nodes/my', headers=alice.headers)
    assert response.status_code == 200
    body = NodeList.model_validate(response.json())  # the hand-built JSON matches the documented model
    assert body.total == 2 and [n.label for n in body.items] == ['a-jailed', 'b-healthy']
    assert body.counts['jailed'] == 1 and body.counts['healthy'] == 1
    healthy = body.items[1]
    assert healthy.total.ngonka == str(3 * GNK + 2) and healthy.total.gnk == '3.000000002'
    assert healthy.epoch_work.gnk == '5.000000000' and healthy.settled_epochs == 2
    assert healthy.per_day is not None and int(healthy.per_day.ngonka) > 0
    assert body.items[0].needs_attention and body.items[0].reasons[0].code == 'jailed_reason'
    assert response.headers['content-type'] == 'application/json'
    assert make_address(3) not in response.text


async def test_my_nodes_filters_sorts_and_pages_with_the_total(client, alice):
    for i, status in enumerate(['healthy', 'offline', 'healthy', 'jailed', 'healthy'], start=1):
        add_node(alice.id, make_address(i), label=f'node-{i}', status=status)
    get = lambda **params: client.get('/api/v1/nodes/my', headers=alice.headers, params=params)  # noqa: E731
    body = (await get(status='healthy')).json()
    assert body['total'] == 3 and {n['status'] for n in body['items']} == {'healthy'}
    body = (await get(attention='true')).json()
    assert [n['label'] for n in body['items']] == ['node-4', 'node-2']  # jailed before offline
    body = (await get(sort='label', order='desc', limit=2, offset=1)).json()
    assert [n['label'] for n in body['items']] == ['node-4', 'node-3'] and body['total'] == 5
    assert body['limit'] == 2 and body['offset'] == 1
    body = (await get(q='NODE-5')).json()
    assert [n['label'] for n in body['items']] == ['node-5']
    assert (await get(offset=10)).json()['items'] == []


async def test_my_nodes_validation_errors_name_the_parameter(client, alice):
    for params, field in [({'limit': 0}, 'limit'), ({'limit': 501}, 'limit'), ({'offset': -1}, 'offset'),
                          ({'status': 'broken'}, 'status'), ({'sort': 'price'}, 'sort'), ({'order': 'up'}, 'order')]:
        response = await client.get('/api/v1/nodes/my', headers=alice.headers, params=params)
        assert response.status_code == 422, params
        error = response.json()['error']
        assert error['code'] == 'validation_error' and error['details'][0]['field'] == field


async def test_my_nodes_is_served_from_memory_and_refreshed_when_assignments_change(client, alice, admin):
    add_node(alice.id, make_address(1))
    cache = deps.state().nodes
    for _ in range(5):
        assert (await client.get('/api/v1/nodes/my', headers=alice.headers)).json()['total'] == 1
    assert cache.loads == 1
    with session_scope() as db:  # an admin assigns another node: the signal drops alice's cached list
        assignments.assign_node(db, actor_id=admin.id, user_id=alice.id, address=make_address(7),
                                known_to_network=lambda _a: True)
    assert (await client.get('/api/v1/nodes/my', headers=alice.headers)).json()['total'] == 2
    assert cache.loads == 2


async def test_node_detail_of_own_node_and_404_for_someone_elses_or_unknown(client, alice, bob, admin):
    add_node(alice.id, make_address(1), label='mine')
    response = await client.get(f'/api/v1/nodes/{make_address(1)}', headers=alice.headers)
    assert response.status_code == 200
    detail = NodeDetailOut.model_validate(response.json())
    assert detail.node.label == 'mine' and detail.chain.ml_nodes[0].node_id == 'ml-1'
    assert '10.0.0.1' not in response.text  # ML node hosts are not part of the API
    assert (await client.get(f'/api/v1/nodes/{make_address(1).upper()}', headers=alice.headers)).status_code == 200
    for who, address in [(bob, make_address(1)), (alice, make_address(9)), (alice, 'not-an-address')]:
        response = await client.get(f'/api/v1/nodes/{address}', headers=who.headers)
        assert response.status_code == 404
        assert response.json() == {'error': {'code': 'not_found', 'message': 'Not found.', 'details': None}}
    assert (await client.get(f'/api/v1/nodes/{make_address(1)}', headers=admin.headers)).status_code == 200


async def test_metrics_returns_the_status_history_in_range_with_uptime(client, alice):
    node_id = add_node(alice.id, make_address(1))
    now = utcnow()
    with session_scope() as db:
        for minutes, status in [(300, 'healthy'), (120, 'offline'), (60, 'healthy'), (30, 'unknown')]:
            db.add(NodeStatusHistory(node_id=node_id, observed_at=now - timedelta(minutes=minutes), status=status,
                                     reasons=[], epoch_id=60, inference_count=minutes, missed_requests=0))
    url = f'/api/v1/nodes/{make_address(1)}/metrics'
    response = await client.get(url, headers=alice.headers)
    body = MetricsOut.model_validate(response.json())
    assert [p.status for p in body.points] == ['healthy', 'offline', 'healthy', 'unknown']
    assert body.uptime_share == '0.6667'  # unknown observations do not count
    since = (now - timedelta(minutes=150)).isoformat()
    body = (await client.get(url, headers=alice.headers, params={'from': since})).json()
    assert [p['status'] for p in body['points']] == ['offline', 'healthy', 'unknown']


async def test_metrics_validates_the_range(client, alice):
    add_node(alice.id, make_address(1))
    url = f'/api/v1/nodes/{make_address(1)}/metrics'
    now = utcnow()
    cases = [({'from': now.isoformat(), 'to': (now - timedelta(hours=1)).isoformat()}, 'from', 'from_not_before_to'),
             ({'from': (now - timedelta(days=40)).isoformat()}, 'from', 'range_too_long'),
             ({'from': '2026-01-01T00:00:00'}, 'from', 'timezone_required'),
             ({'to': 'yesterday'}, 'to', 'datetime_from_date_parsing')]
    for params, field, code in cases:
        response = await client.get(url, headers=alice.headers, params=params)
        assert response.status_code == 422, params
        detail = response.json()['error']['details'][0]
        assert detail['field'] == field and detail['code'].startswith(code.split('_from')[0]), detail


async def test_earnings_per_epoch_and_per_day_as_exact_strings(client, alice):
    add_network_snapshot()
    add_node(alice.id, make_address(1), epochs=[(57, 1_500_000_000, 1), (58, 2 * GNK, 0), (59, 7, 3)])
    response = await client.get(f'/api/v1/nodes/{make_address(1)}/earnings', headers=alice.headers)
    assert response.status_code == 200
    body = EarningsOut.model_validate(response.json())
    assert [e.epoch_id for e in body.epochs] == [59, 58, 57]
    assert body.epochs[0].total.ngonka == '10' and body.epochs[0].total.gnk == '0.000000010'
    assert body.epochs[2].reward.gnk == '1.500000000' and body.epochs[2].total.ngonka == '1500000001'
    assert body.total.ngonka == str(1_500_000_001 + 2 * GNK + 10) and body.settled_epochs == 3
    assert [d.epochs for d in body.days] == [[59], [58], [57]]  # settled a day apart
    assert body.days[1].total.gnk == '2.000000000'
    assert '"ngonka":1' not in response.text  # amounts are strings, never JSON numbers


async def test_network_status(client, alice):
    add_network_snapshot()
    response = await client.get('/api/v1/network/status', headers=alice.headers)
    body = NetworkOut.model_validate(response.json())
    assert body.epoch_id == 60 and body.block_height == 1_000_000 and body.phase == 'inference'
    assert body.next_poc_eta is not None and body.stale is False and body.epochs_per_day.startswith('0.93')


async def test_network_status_without_data_says_so(client, alice):
    body = (await client.get('/api/v1/network/status', headers=alice.headers)).json()
    assert body['stale'] is True and body['stale_reason'] == 'no data yet' and body['epoch_id'] is None


async def test_node_cache_loads_once_for_concurrent_misses_and_reloads_in_the_background():
    import asyncio

    from minegnk.api.readcache import UserNodesCache
    now = [0.0]
    cache = UserNodesCache(ttl_s=5, clock=lambda: now[0])
    calls: list[int] = []
    gate = asyncio.Event()

    async def load():
        calls.append(1)
        await gate.wait()
        return [{'n': len(calls)}], [{}], {}
    waiting = [asyncio.ensure_future(cache.get(1, load)) for _ in range(10)]
    await asyncio.sleep(0)
    gate.set()
    entries = await asyncio.gather(*waiting)
    assert len(calls) == 1 and all(e is entries[0] for e in entries)
    now[0] = 6.0  # expired: the old entry is served once more while one reload runs
    gate.clear()
    stale = await cache.get(1, load)
    assert stale.items == [{'n': 1}]
    await asyncio.sleep(0)  # the reload has started
    assert (await cache.get(1, load)).items == [{'n': 1}] and len(calls) == 2  # no second reload
    gate.set()
    await asyncio.sleep(0.01)
    assert (await cache.get(1, load)).items == [{'n': 2}]
    cache.invalidate(1)  # an invalidated user waits for fresh data instead
    assert (await cache.get(1, load)).items == [{'n': 3}]
