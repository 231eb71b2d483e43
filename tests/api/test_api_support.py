"""Support requests through the API: create (idempotent), list with filters and paging, cancel; others' → 404."""

from __future__ import annotations

import pytest

from minegnk.api.schemas import Page, RequestOut
from minegnk.db.engine import session_scope
from minegnk.services import catalog

URL = '/api/v1/support/requests'


@pytest.fixture(autouse=True)
def gpu_catalog(client):
    with session_scope() as db:
        catalog.ensure_default_catalog(db)


async def create(client, account, key: str | None = None, **fields):
    body = {'gpu_type': 'H100', 'quantity': 2, **fields}
    headers = {**account.headers, **({'Idempotency-Key': key} if key else {})}
    return await client.post(URL, json=body, headers=headers)


async def test_create_request_and_replay_with_the_same_key(client, alice):
    response = await create(client, alice, 'k' * 20, budget_min='1000.50', budget_max=2000, comments='soon please')
    assert response.status_code == 201
    made = RequestOut.model_validate(response.json())
    assert made.status == 'pending' and made.quantity == 2 and made.can_cancel
    assert made.budget_min == '1000.50' and made.budget_max == '2000' and made.budget_currency == 'USD'
    assert made.events[0].to_status == 'pending' and made.events[0].by == 'you'
    replay = await create(client, alice, 'k' * 20, quantity=5)
    assert replay.status_code == 200 and replay.json()['id'] == made.id and replay.json()['quantity'] == 2


@pytest.mark.parametrize(('fields', 'errors'), [
    ({'quantity': 0}, {'quantity': 'quantity_range'}),
    ({'quantity': 101, 'gpu_type': 'Z999'}, {'quantity': 'quantity_range', 'gpu_type': 'gpu_unknown'}),
    ({'budget_min': '500', 'budget_max': '100'}, {'budget_max': 'budget_order'}),
    ({'budget_min': '1.234'}, {'budget_min': 'budget_too_precise'}),
    ({'budget_min': 12.5}, {'budget_min': 'string_type'}),  # money is never a float
    ({'network': 'akash'}, {'network': 'network_unavailable'}),
    ({'region': 'moon'}, {'region': 'region_invalid'}),
    ({'quantity': 'two'}, {'quantity': 'int_parsing'}),
])
async def test_create_validation_errors_name_every_field(client, alice, fields, errors):
    response = await create(client, alice, **fields)
    assert response.status_code == 422
    details = response.json()['error']['details']
    found = {d['field']: d['code'] for d in details}
    for field, code in errors.items():
        assert found.get(field, '').startswith(code.split('_type')[0]), (found, field, code)


async def test_bad_idempotency_key_and_a_key_of_another_user(client, alice, bob):
    for bad in ('short', 'sixteen chars ok', 'slashes/are/not/allowed'):
        response = await create(client, alice, bad)
        error = response.json()['error']
        assert response.status_code == 422 and error['details'][0]['field'] == 'Idempotency-Key', (bad, error)
        # The API's own words naming the header and its rules, not the web form's "This form has expired".
        assert error['message'].startswith('Idempotency-Key: the header must be 16 to 64 characters'), error
        assert 'form' not in error['message'] and 'form' not in error['details'][0]['message']
    assert (await create(client, alice, 'x' * 16)).status_code == 201
    conflict = await create(client, bob, 'x' * 16)
    assert conflict.status_code == 409 and conflict.json()['error']['code'] == 'idempotency_conflict'


async def test_my_requests_filters_sorts_pages_and_shows_only_mine(client, alice, bob):
    ids = [(await create(client, alice, quantity=q)).json()['id'] for q in (1, 2, 3)]
    await create(client, bob)
    await client.post(f'{URL}/{ids[0]}/cancel', headers=alice.headers)
    page = Page[RequestOut].model_validate((await client.get(f'{URL}/my', headers=alice.headers)).json())
    assert page.total == 3 and [r.id for r in page.items] == ids[::-1]
    body = (await client.get(f'{URL}/my', headers=alice.headers, params={'status': 'open'})).json()
    assert body['total'] == 2 and {r['id'] for r in body['items']} == set(ids[1:])
    body = (await client.get(f'{URL}/my', headers=alice.headers,
                             params={'order': 'asc', 'limit': 1, 'offset': 1})).json()
    assert [r['id'] for r in body['items']] == [ids[1]] and body['total'] == 3
    body = (await client.get(f'{URL}/my', headers=alice.headers, params={'status': 'cancelled'})).json()
    assert [r['id'] for r in body['items']] == [ids[0]]
    bad = await client.get(f'{URL}/my', headers=alice.headers, params={'status': 'lost'})
    assert bad.status_code == 422 and bad.json()['error']['details'][0]['field'] == 'status'


async def test_cancel_own_pending_request_only(client, alice, bob):
    request_id = (await create(client, alice)).json()['id']
    other = await client.post(f'{URL}/{request_id}/cancel', headers=bob.headers)
    assert other.status_code == 404 and other.json()['error']['code'] == 'not_found'
    assert (await client.post(f'{URL}/999999/cancel', headers=alice.headers)).status_code == 404
    done = await client.post(f'{URL}/{request_id}/cancel', headers=alice.headers)
    assert done.status_code == 200 and done.json()['status'] == 'cancelled' and not done.json()['can_cancel']
    again = await client.post(f'{URL}/{request_id}/cancel', headers=alice.headers)
    assert again.status_code == 409 and again.json()['error']['code'] == 'not_cancellable'
    bad = await client.post(f'{URL}/abc/cancel', headers=alice.headers)
    assert bad.status_code == 422 and bad.json()['error']['details'][0]['field'] == 'request_id'
