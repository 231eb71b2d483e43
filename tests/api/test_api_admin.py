"""Admin endpoints: user and node lists (filters, sort, limit/offset, total), assignment, the request queue."""

from __future__ import annotations

from minegnk.api.schemas import AdminNodeOut, AdminRequestOut, AssignOut, Page, UserRowOut
from minegnk.db.engine import session_scope
from minegnk.services import catalog
from tests.api.conftest import add_node, create_account, make_address


async def test_users_list_filters_sorts_and_windows(client, admin, alice, bob):
    extra = [create_account(f'zed{i}@example.com') for i in range(3)]
    add_node(alice.id, make_address(1))
    add_node(alice.id, make_address(2))
    get = lambda **p: client.get('/api/v1/admin/users', headers=admin.headers, params=p)  # noqa: E731
    page = Page[UserRowOut].model_validate((await get(sort='email', order='asc')).json())
    assert page.total == 6 and page.items[0].email == 'admin@example.com'
    assert (await get(q='zed')).json()['total'] == 3
    assert [u['email'] for u in (await get(role='admin')).json()['items']] == ['admin@example.com']
    top = (await get(sort='node_count', order='desc', limit=1)).json()['items'][0]
    assert top['email'] == 'alice@example.com' and top['node_count'] == 2
    all_emails = [u['email'] for u in (await get(sort='email', order='asc', limit=6)).json()['items']]
    window = (await get(sort='email', order='asc', limit=2, offset=3)).json()  # offset not a multiple of limit
    assert [u['email'] for u in window['items']] == all_emails[3:5] and window['total'] == 6
    assert len(extra) == 3
    bad = await get(sort='password_hash')
    assert bad.status_code == 422 and bad.json()['error']['details'][0]['field'] == 'sort'


async def test_nodes_list_with_owner_and_filters(client, admin, alice):
    add_node(alice.id, make_address(1), label='alpha', status='jailed')
    add_node(None, make_address(2), label='free')
    get = lambda **p: client.get('/api/v1/admin/nodes', headers=admin.headers, params=p)  # noqa: E731
    page = Page[AdminNodeOut].model_validate((await get(sort='label')).json())
    assert page.total == 2 and page.items[0].owner_email == 'alice@example.com'
    assert page.items[0].epoch_work.ngonka == '5000000000'
    assert [n['label'] for n in (await get(assigned='false')).json()['items']] == ['free']
    assert [n['label'] for n in (await get(status='jailed')).json()['items']] == ['alpha']
    assert [n['label'] for n in (await get(q='alice@')).json()['items']] == ['alpha']
    assert (await get(limit=201)).status_code == 422


async def test_assign_and_unassign(client, admin, alice, bob):
    address = make_address(5)
    response = await client.post('/api/v1/admin/nodes/assign', headers=admin.headers,
                                 json={'user_id': alice.id, 'address': address.upper(), 'label': 'rack 1'})
    assert response.status_code == 201
    result = AssignOut.model_validate(response.json())
    assert result.address == address and result.node_created and result.user_id == alice.id
    assert (await client.get('/api/v1/nodes/my', headers=alice.headers)).json()['total'] == 1
    taken = await client.post('/api/v1/admin/nodes/assign', headers=admin.headers,
                              json={'user_id': bob.id, 'address': address})
    assert taken.status_code == 409 and taken.json()['error']['details']['owner_email'] == 'alice@example.com'
    gone = await client.delete(f'/api/v1/admin/nodes/{address}/assignment', headers=admin.headers)
    assert gone.status_code == 200 and gone.json() == {'address': address, 'user_id': alice.id}
    assert (await client.get('/api/v1/nodes/my', headers=alice.headers)).json()['total'] == 0
    again = await client.delete(f'/api/v1/admin/nodes/{address}/assignment', headers=admin.headers)
    assert again.status_code == 404


async def test_assign_validation_errors_name_the_field(client, admin, alice):
    cases = [({'user_id': alice.id, 'address': 'gonka1notvalid'}, 'address'),
             ({'user_id': 999_999, 'address': make_address(6)}, 'user_id'),
             ({'user_id': alice.id, 'address': make_address(6), 'gpu_count': 0}, 'gpu_count'),
             ({'user_id': alice.id, 'address': make_address(6), 'label': 'x' * 101}, 'label'),
             ({'address': make_address(6)}, 'user_id')]
    for body, field in cases:
        response = await client.post('/api/v1/admin/nodes/assign', headers=admin.headers, json=body)
        assert response.status_code == 422, body
        assert response.json()['error']['details'][0]['field'] == field, response.json()
    bad = await client.delete('/api/v1/admin/nodes/cosmos1xyz/assignment', headers=admin.headers)
    assert bad.status_code == 422 and bad.json()['error']['details'][0]['field'] == 'address'


async def test_request_queue_and_transitions(client, admin, alice):
    with session_scope() as db:
        catalog.ensure_default_catalog(db)
    ids = []
    for quantity in (1, 2):
        made = await client.post('/api/v1/support/requests', headers=alice.headers,
                                 json={'gpu_type': 'H100', 'quantity': quantity})
        ids.append(made.json()['id'])
    queue = Page[AdminRequestOut].model_validate(
        (await client.get('/api/v1/admin/requests', headers=admin.headers)).json())
    assert [r.id for r in queue.items] == ids and queue.items[0].user_email == 'alice@example.com'
    assert queue.items[0].next_statuses == ['in_progress', 'rejected']
    url = f'/api/v1/admin/requests/{ids[0]}'
    moved = await client.put(url, headers=admin.headers, json={'status': 'in_progress', 'comment': 'on it',
                                                                 'internal': False})
    assert moved.status_code == 200 and moved.json()['status'] == 'in_progress'
    assert moved.json()['handled_by_email'] == 'admin@example.com'
    note = await client.put(url, headers=admin.headers, json={'comment': 'vendor slow', 'internal': True})
    assert note.json()['events'][-1]['visible_to_customer'] is False
    mine = (await client.get('/api/v1/support/requests/my', headers=alice.headers)).json()['items']
    bodies = [e['body'] for r in mine for e in r['events']]
    assert 'on it' in bodies and 'vendor slow' not in bodies  # internal notes stay internal
    no_reason = await client.put(url, headers=admin.headers, json={'status': 'rejected'})
    assert no_reason.status_code == 422 and no_reason.json()['error']['details'][0]['field'] == 'reason'
    wrong = await client.put(f'/api/v1/admin/requests/{ids[1]}', headers=admin.headers, json={'status': 'completed'})
    assert wrong.status_code == 409 and wrong.json()['error']['code'] == 'transition_invalid'
    assert (await client.put('/api/v1/admin/requests/99999', headers=admin.headers,
                             json={'status': 'in_progress'})).status_code == 404
    empty = await client.put(url, headers=admin.headers, json={})
    assert empty.status_code == 422 and empty.json()['error']['details'][0]['field'] == 'status'
    filtered = (await client.get('/api/v1/admin/requests', headers=admin.headers,
                                 params={'status': 'pending', 'order': 'desc', 'limit': 1})).json()
    assert [r['id'] for r in filtered['items']] == [ids[1]] and filtered['total'] == 1
    naive = await client.get('/api/v1/admin/requests', headers=admin.headers,
                             params={'created_from': '2026-01-01T00:00:00'})
    assert naive.status_code == 422 and naive.json()['error']['details'][0]['field'] == 'created_from'
