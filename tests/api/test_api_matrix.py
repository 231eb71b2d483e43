"""The authorisation matrix: every endpoint × {anonymous, user A, user B, admin} × resource owner, one expected
status per cell, written out below. Someone else's node or request is a 404 (same as missing); admin endpoints are
401 for anonymous callers and 403 for users.

Callers run in the order anonymous, B, admin, A, so that a call that changes state (cancel) runs after the callers
that must be refused. Every row starts from a fresh database.
"""

from __future__ import annotations

import itertools

import pytest

from minegnk.db.engine import session_scope
from minegnk.services import api_tokens, catalog, requests
from tests.api.conftest import PASSWORD, add_node, create_account, make_address

NODE_A, NODE_B = make_address(101), make_address(102)
CALLERS = ('anon', 'B', 'admin', 'A')
_fresh = itertools.count(1000)

# (row id, method, path, body: None | dict | callable(ctx) -> dict, expected {caller: status})
MATRIX = [
    ('auth.register', 'POST', '/api/v1/auth/register',
     lambda c: {'email': f'new{next(_fresh)}@example.com', 'password': PASSWORD},
     {'anon': 201, 'B': 201, 'admin': 201, 'A': 201}),
    ('auth.login', 'POST', '/api/v1/auth/login', {'email': 'a@example.com', 'password': PASSWORD},
     {'anon': 200, 'B': 200, 'admin': 200, 'A': 200}),
    ('auth.refresh', 'POST', '/api/v1/auth/refresh', lambda c: {'refresh_token': c.fresh_refresh()},
     {'anon': 200, 'B': 200, 'admin': 200, 'A': 200}),
    ('auth.logout', 'POST', '/api/v1/auth/logout', lambda c: {'refresh_token': c.fresh_refresh()},
     {'anon': 204, 'B': 204, 'admin': 204, 'A': 204}),
    ('auth.me', 'GET', '/api/v1/auth/me', None, {'anon': 401, 'B': 200, 'admin': 200, 'A': 200}),
    ('nodes.my', 'GET', '/api/v1/nodes/my', None, {'anon': 401, 'B': 200, 'admin': 200, 'A': 200}),
    ('nodes.detail.owner_A', 'GET', f'/api/v1/nodes/{NODE_A}', None, {'anon': 401, 'B': 404, 'admin': 200, 'A': 200}),
    ('nodes.detail.owner_B', 'GET', f'/api/v1/nodes/{NODE_B}', None, {'anon': 401, 'B': 200, 'admin': 200, 'A': 404}),
    ('nodes.detail.missing', 'GET', f'/api/v1/nodes/{make_address(103)}', None,
     {'anon': 401, 'B': 404, 'admin': 404, 'A': 404}),
    ('nodes.metrics.owner_A', 'GET', f'/api/v1/nodes/{NODE_A}/metrics', None,
     {'anon': 401, 'B': 404, 'admin': 200, 'A': 200}),
    ('nodes.metrics.owner_B', 'GET', f'/api/v1/nodes/{NODE_B}/metrics', None,
     {'anon': 401, 'B': 200, 'admin': 200, 'A': 404}),
    ('nodes.earnings.owner_A', 'GET', f'/api/v1/nodes/{NODE_A}/earnings', None,
     {'anon': 401, 'B': 404, 'admin': 200, 'A': 200}),
    ('nodes.earnings.owner_B', 'GET', f'/api/v1/nodes/{NODE_B}/earnings', None,
     {'anon': 401, 'B': 200, 'admin': 200, 'A': 404}),
    ('network.status', 'GET', '/api/v1/network/status', None, {'anon': 401, 'B': 200, 'admin': 200, 'A': 200}),
    ('support.create', 'POST', '/api/v1/support/requests', {'gpu_type': 'H100', 'quantity': 1},
     {'anon': 401, 'B': 201, 'admin': 201, 'A': 201}),
    ('support.my', 'GET', '/api/v1/support/requests/my', None, {'anon': 401, 'B': 200, 'admin': 200, 'A': 200}),
    ('support.cancel.owner_A', 'POST', '/api/v1/support/requests/{request_A}/cancel', None,
     {'anon': 401, 'B': 404, 'admin': 404, 'A': 200}),
    ('support.cancel.owner_B', 'POST', '/api/v1/support/requests/{request_B}/cancel', None,
     {'anon': 401, 'B': 200, 'admin': 404, 'A': 404}),
    ('profile.get', 'GET', '/api/v1/profile', None, {'anon': 401, 'B': 200, 'admin': 200, 'A': 200}),
    ('profile.put', 'PUT', '/api/v1/profile', {'currency': 'EUR'}, {'anon': 401, 'B': 200, 'admin': 200, 'A': 200}),
    ('admin.users', 'GET', '/api/v1/admin/users', None, {'anon': 401, 'B': 403, 'admin': 200, 'A': 403}),
    ('admin.nodes', 'GET', '/api/v1/admin/nodes', None, {'anon': 401, 'B': 403, 'admin': 200, 'A': 403}),
    ('admin.assign', 'POST', '/api/v1/admin/nodes/assign', lambda c: {'user_id': c.ids['A'],
                                                                       'address': make_address(next(_fresh))},
     {'anon': 401, 'B': 403, 'admin': 201, 'A': 403}),
    ('admin.unassign.owner_A', 'DELETE', f'/api/v1/admin/nodes/{NODE_A}/assignment', None,
     {'anon': 401, 'B': 403, 'admin': 200, 'A': 403}),
    ('admin.requests', 'GET', '/api/v1/admin/requests', None, {'anon': 401, 'B': 403, 'admin': 200, 'A': 403}),
    ('admin.request_update.owner_A', 'PUT', '/api/v1/admin/requests/{request_A}', {'status': 'in_progress'},
     {'anon': 401, 'B': 403, 'admin': 200, 'A': 403}),
]


class Context:
    def __init__(self) -> None:
        a = create_account('a@example.com')
        b = create_account('b@example.com')
        admin = create_account('admin@example.com', admin=True)
        self.ids = {'A': a.id, 'B': b.id, 'admin': admin.id}
        self.headers = {'anon': {}, 'A': a.headers, 'B': b.headers, 'admin': admin.headers}
        add_node(a.id, NODE_A)
        add_node(b.id, NODE_B)
        with session_scope() as db:
            catalog.ensure_default_catalog(db)
            self.requests = {
                owner: requests.create_request(db, user_id=self.ids[owner], idempotency_key=f'matrix-{owner}-key-0001',
                                               gpu_type='H100', quantity=1)[0].id for owner in ('A', 'B')}

    def fresh_refresh(self) -> str:
        with session_scope() as db:
            return api_tokens.issue_family(db, self.ids['A']).token


def test_the_matrix_covers_every_documented_endpoint():
    from minegnk.api.app import openapi_schema
    documented = {(m.upper(), p) for p, ops in openapi_schema()['paths'].items() for m in ops}
    covered = {(method, path.replace('{request_A}', '{request_id}').replace('{request_B}', '{request_id}')
                .replace(NODE_A, '{address}').replace(NODE_B, '{address}').replace(make_address(103), '{address}'))
               for _, method, path, _, _ in MATRIX}
    assert covered == documented
    assert all(set(expected) == set(CALLERS) for *_, expected in MATRIX)


@pytest.mark.parametrize(('method', 'path', 'body', 'expected'), [row[1:] for row in MATRIX],
                         ids=[row[0] for row in MATRIX])
async def test_authorisation_matrix(client, method, path, body, expected):
    ctx = Context()
    url = path.format(request_A=ctx.requests['A'], request_B=ctx.requests['B'])
    got = {}
    for caller in CALLERS:
        payload = body(ctx) if callable(body) else body
        headers = dict(ctx.headers[caller])
        if method == 'POST' and url.endswith('/support/requests'):
            headers['Idempotency-Key'] = f'matrix-create-{caller}-0001'
        response = await client.request(method, url, headers=headers, json=payload)
        got[caller] = response.status_code
        if response.status_code >= 400:
            assert set(response.json()['error']) == {'code', 'message', 'details'}
    assert got == expected
