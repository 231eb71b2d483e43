"""Bad input everywhere in the JSON API, over real HTTP (uvicorn on a socket) against PostgreSQL: oversized bodies,
invalid UTF-8 in bodies and query strings, absurd paging, impossible quantities and invalid addresses.

Each gets a 4xx in the one error shape with a message naming the field, and changes nothing in the database.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from minegnk.api.request_guard import MAX_BODY_BYTES
from minegnk.db.engine import session_scope
from minegnk.db.models import Base
from tests.api.conftest import Account, SeededApi, make_address

TEN_MB = 10 * 1024 * 1024
HUGE = 10**30

pytestmark = pytest.mark.parametrize('database', ['postgresql'], indirect=True)  # PostgreSQL only


@dataclass
class Api:
    url: str
    client: httpx.Client
    admin: Account
    alice: Account
    request_id: int


def error_of(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {'error'} and set(body['error']) == {'code', 'message', 'details'}, body
    return body['error']


def table_counts() -> dict[str, int]:
    with session_scope() as db:
        return {t.name: db.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


@pytest.fixture
def api(seeded_api: SeededApi) -> Iterator[Api]:
    """The seeded API served by uvicorn on a loopback socket, with an HTTP client for it."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    server = uvicorn.Server(uvicorn.Config(seeded_api.app, log_level='warning', lifespan='off'))
    thread = threading.Thread(target=server.run, kwargs={'sockets': [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, 'API server did not start'
        time.sleep(0.02)
    url = f'http://127.0.0.1:{sock.getsockname()[1]}'
    with httpx.Client(base_url=url, timeout=30) as client:
        yield Api(url, client, seeded_api.admin, seeded_api.alice, seeded_api.request_id)
    server.should_exit = True
    thread.join(timeout=10)


# ------------------------------------------------------------------------------------------------ oversized bodies
def body_routes(api: Api) -> list[tuple[str, str, dict[str, str]]]:
    return [('POST', '/api/v1/auth/register', {}), ('POST', '/api/v1/auth/login', {}),
            ('POST', '/api/v1/auth/refresh', {}),
            ('POST', '/api/v1/support/requests', api.alice.headers), ('PUT', '/api/v1/profile', api.alice.headers),
            ('POST', '/api/v1/admin/nodes/assign', api.admin.headers),
            ('PUT', f'/api/v1/admin/requests/{api.request_id}', api.admin.headers)]


def test_oversized_bodies_get_413_and_change_nothing(api: Api):
    big = json.dumps({'comments': 'x' * TEN_MB, 'gpu_type': 'H100', 'quantity': 1}).encode()
    before = table_counts()
    for method, path, headers in body_routes(api):
        response = api.client.request(method, path, content=big, headers={**headers, 'Content-Type': 'application/json'})
        assert response.status_code == 413, (path, response.text)
        error = error_of(response)
        assert error['code'] == 'body_too_large' and '64 KB' in error['message'], error
        assert error['details'] == {'max_bytes': MAX_BODY_BYTES}
        # the same without a Content-Length (chunked): counted while it streams in
        chunks = iter([big[i:i + 1_000_000] for i in range(0, len(big), 1_000_000)])
        streamed = api.client.request(method, path, content=chunks,
                                      headers={**headers, 'Content-Type': 'application/json'})
        assert streamed.status_code == 413 and error_of(streamed)['code'] == 'body_too_large', path
    assert table_counts() == before


def test_an_oversized_body_is_refused_from_its_header_before_it_is_sent(api: Api):
    """The answer comes while the client has sent 1 KB of a declared 10 MB: the server never waits for the rest."""
    host, port = api.url.removeprefix('http://').split(':')
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall((f'POST /api/v1/support/requests HTTP/1.1\r\nHost: {host}\r\n'
                            f'Authorization: Bearer {api.alice.token}\r\nContent-Type: application/json\r\n'
                            f'Content-Length: {TEN_MB}\r\n\r\n').encode() + b'{"comments": "' + b'x' * 1024)
        answer = b''
        while b'\r\n\r\n' not in answer or not answer.rstrip().endswith(b'}'):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b'\r\n\r\n')
    assert head.startswith(b'HTTP/1.1 413'), head
    assert json.loads(body)['error']['code'] == 'body_too_large'


# ------------------------------------------------------------------------------------------------ invalid UTF-8
INVALID_UTF8_BODIES = [b'{"gpu_type": "H\xff100", "quantity": 1}', b'{"email": "\xc3\x28@example.com", "password": "x"}',
                       b'\xfe\xff\x00{', b'{"comments": "\xed\xa0\x80"}']  # the last one: an encoded UTF-16 surrogate


def test_invalid_utf8_json_bodies_get_400_naming_the_body(api: Api):
    before = table_counts()
    for method, path, headers in body_routes(api):
        for body in INVALID_UTF8_BODIES:
            response = api.client.request(method, path, content=body,
                                          headers={**headers, 'Content-Type': 'application/json'})
            assert response.status_code == 400, (path, body, response.text)
            error = error_of(response)
            assert error['code'] == 'invalid_encoding' and 'not valid UTF-8' in error['message'], error
            assert error['details'][0]['field'] == 'body'
    assert table_counts() == before


def test_broken_json_names_the_body_and_where_it_broke(api: Api):
    response = api.client.post('/api/v1/support/requests', content=b'{"gpu_type": "H100", "quantity": ',
                               headers={**api.alice.headers, 'Content-Type': 'application/json'})
    assert response.status_code == 422
    detail = error_of(response)['details'][0]
    assert detail['field'] == 'body' and detail['code'] == 'json_invalid'
    assert 'not valid JSON' in detail['message'] and 'character 33' in detail['message'], detail


GET_ROUTES = ['/api/v1/nodes/my', '/api/v1/support/requests/my', '/api/v1/admin/users', '/api/v1/admin/nodes',
              '/api/v1/admin/requests', '/api/v1/network/status', '/api/v1/auth/me', '/api/v1/profile']


@pytest.mark.parametrize('query, parameter', [('q=%FF%FE', 'q'), ('status=%C3%28', 'status'),
                                              ('limit=1&sort=%80abc', 'sort'), ('%FF=1', '\ufffd')])
def test_invalid_utf8_in_query_strings_gets_400_naming_the_parameter(api: Api, query: str, parameter: str):
    before = table_counts()
    for path in GET_ROUTES:
        response = api.client.get(f'{path}?{query}', headers=api.admin.headers)
        assert response.status_code == 400, (path, response.text)
        error = error_of(response)
        assert error['code'] == 'invalid_encoding' and repr(parameter) in error['message'], error
        assert [d['field'] for d in error['details']] == [parameter]
    assert table_counts() == before


def test_raw_non_utf8_bytes_in_a_query_string_get_400(api: Api):
    host, port = api.url.removeprefix('http://').split(':')
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(b'GET /api/v1/nodes/my?q=\xff\xfe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer '
                           + api.alice.token.encode() + b'\r\nConnection: close\r\n\r\n')
        answer = b''
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.startswith(b'HTTP/1.1 400'), answer[:200]


# ------------------------------------------------------------------------------------------------ NUL characters
def test_nul_characters_get_400_naming_where_they_are(api: Api):
    before = table_counts()
    response = api.client.get('/api/v1/nodes/%00', headers=api.alice.headers)
    assert response.status_code == 400
    assert error_of(response)['details'][0]['field'] == 'path'
    response = api.client.get('/api/v1/admin/users?q=ab%00c', headers=api.admin.headers)
    assert response.status_code == 400
    error = error_of(response)
    assert error['code'] == 'invalid_characters' and error['details'][0]['field'] == 'q'
    for method, path, headers, body, field in [
            ('POST', '/api/v1/support/requests', api.alice.headers,
             {'gpu_type': 'H100', 'quantity': 1, 'comments': 'a\x00b'}, 'comments'),
            ('POST', '/api/v1/auth/register', {}, {'email': 'nul\x00@example.com', 'password': 'x' * 12}, 'email'),
            ('POST', '/api/v1/admin/nodes/assign', api.admin.headers,
             {'user_id': api.alice.id, 'address': GOOD, 'label': 'rig\x00'}, 'label'),
            ('PUT', '/api/v1/profile', api.alice.headers, {'notification_prefs': {'node_down': ['in\x00app']}},
             'notification_prefs.node_down.0')]:
        response = api.client.request(method, path, json=body, headers=headers)
        assert response.status_code == 400, (path, response.text)
        error = error_of(response)
        assert error['code'] == 'invalid_characters' and field in error['message'], error
        assert [d['field'] for d in error['details']] == [field]
    assert table_counts() == before


# ------------------------------------------------------------------------------------------------ paging
PAGED = ['/api/v1/nodes/my', '/api/v1/support/requests/my', '/api/v1/admin/users', '/api/v1/admin/nodes',
         '/api/v1/admin/requests']
BAD_PAGING = [('limit', str(HUGE)), ('limit', '-1'), ('limit', '0'), ('limit', 'abc'), ('limit', '1e3'),
              ('limit', ''), ('offset', str(HUGE)), ('offset', str(-HUGE)), ('offset', '-1'), ('offset', 'ten'),
              ('offset', '0x10'), ('offset', '1.5')]


@pytest.mark.parametrize('path', PAGED)
def test_absurd_paging_gets_422_naming_the_parameter(api: Api, path: str):
    before = table_counts()
    for name, value in BAD_PAGING:
        response = api.client.get(path, params={name: value}, headers=api.admin.headers)
        assert response.status_code == 422, (path, name, value, response.text)
        error = error_of(response)
        assert error['code'] == 'validation_error'
        assert [d['field'] for d in error['details']] == [name], error
        assert error['message'].startswith(f'{name}: '), error
    # the largest allowed window is an empty page, not an error
    response = api.client.get(path, params={'offset': '1000000'}, headers=api.admin.headers)
    assert response.status_code == 200 and response.json()['items'] == []
    assert table_counts() == before


@pytest.mark.parametrize('method, path', [('POST', '/api/v1/support/requests/{id}/cancel'),
                                          ('PUT', '/api/v1/admin/requests/{id}')])
def test_absurd_ids_in_paths_get_a_4xx(api: Api, method: str, path: str):
    before = table_counts()
    for bad in (str(HUGE), '-1', '0', 'abc', '1.5', '%FF'):
        response = api.client.request(method, path.format(id=bad), headers=api.admin.headers,
                                      json={'comment': 'x'} if method == 'PUT' else None)
        assert response.status_code in (400, 404, 422), (bad, response.text)
        error_of(response)
    assert table_counts() == before


def test_absurd_addresses_in_node_paths_are_not_found(api: Api):
    for bad in ('gonka1' + 'q' * 120, 'x' * 129, '%00', '..%2F..%2Fetc', str(HUGE)):
        for suffix in ('', '/metrics', '/earnings'):
            response = api.client.get(f'/api/v1/nodes/{bad}{suffix}', headers=api.alice.headers)
            assert response.status_code in (400, 404, 422), (bad, suffix, response.text)
            error_of(response)


# ------------------------------------------------------------------------------------------------ quantities
IMPOSSIBLE_QUANTITIES = [(0, 'quantity_range'), (-1, 'quantity_range'), (-HUGE, 'quantity_range'),
                         (HUGE, 'quantity_range'), (101, 'quantity_range'), (1.5, 'int_from_float'),
                         ('many', 'int_parsing'), (None, 'int_type'), ([1], 'int_type')]


def test_impossible_quantities_in_a_node_request_get_422(api: Api):
    before = table_counts()
    for quantity, code in IMPOSSIBLE_QUANTITIES:
        response = api.client.post('/api/v1/support/requests', headers=api.alice.headers,
                                   json={'gpu_type': 'H100', 'quantity': quantity})
        assert response.status_code == 422, (quantity, response.text)
        error = error_of(response)
        assert [(d['field'], d['code']) for d in error['details']] == [('quantity', code)], (quantity, error)
        assert error['message'].startswith('quantity: ')
        if code == 'quantity_range':
            assert error['details'][0]['message'] == 'Choose between 1 and 100 GPUs.'
    assert table_counts() == before


def test_a_missing_quantity_is_named(api: Api):
    response = api.client.post('/api/v1/support/requests', headers=api.alice.headers, json={'gpu_type': 'H100'})
    assert response.status_code == 422
    assert [(d['field'], d['code']) for d in error_of(response)['details']] == [('quantity', 'missing')]


# ------------------------------------------------------------------------------------------------ addresses
GOOD = make_address(7)


def _other_checksum(address: str) -> str:
    return address[:-1] + ('q' if address[-1] != 'q' else 'p')


INVALID_ADDRESSES = [
    ('', 'address_empty', 'Enter an address.'),
    ('cosmos1' + GOOD[6:], 'address_wrong_prefix', "The address must start with 'gonka1', not 'cosmos1'."),
    ('gonkavaloper1' + GOOD[6:], 'address_wrong_prefix',
     "This is a validator operator address; enter the account address, which starts with 'gonka1'."),
    (_other_checksum(GOOD), 'address_bad_checksum', 'The checksum does not match: a character is wrong, missing or '
                                                    'swapped. Copy the address again from where it came from.'),
    (GOOD[:11] + 'b' + GOOD[12:], 'address_invalid_characters',
     "Invalid character 'b' at position 12: after 'gonka1' an address uses only digits and lower-case letters "
     "except 1, b, i and o."),
    (GOOD[:20] + ' ' + GOOD[20:], 'address_invalid_characters',
     'The address has a space at position 21; remove it.'),
    (GOOD[:8] + 'é' + GOOD[9:], 'address_invalid_characters',
     "Invalid character 'é' at position 9: an address has no spaces or non-ASCII characters."),
    ('gonka1' + GOOD[6].upper() + GOOD[7:], 'address_mixed_case',
     'The address mixes upper- and lower-case letters; an address is all lower case (or all upper case).'),
    (GOOD + 'qq', 'address_wrong_length',
     'The address is too long: a gonka address has 44 characters, this one has 46.'),
    (GOOD[:-3], 'address_wrong_length',
     'The address is too short: a gonka address has 44 characters, this one has 41.'),
    ('gonka1' + 'q' * 100, 'address_wrong_length',
     'The address is too long: a gonka address has 44 characters, this one has 106.'),
]


def test_invalid_addresses_in_the_assign_api_say_which_rule_failed(api: Api):
    before = table_counts()
    for address, code, message in INVALID_ADDRESSES:
        response = api.client.post('/api/v1/admin/nodes/assign', headers=api.admin.headers,
                                   json={'user_id': api.alice.id, 'address': address})
        assert response.status_code == 422, (address, response.text)
        error = error_of(response)
        assert error['details'] == [{'field': 'address', 'code': code, 'message': message}], address
        assert error['message'] == f'address: {message}'
    assert table_counts() == before


def test_an_address_longer_than_the_schema_allows_is_named(api: Api):
    response = api.client.post('/api/v1/admin/nodes/assign', headers=api.admin.headers,
                               json={'user_id': api.alice.id, 'address': 'gonka1' + 'q' * 200})
    assert response.status_code == 422
    assert [d['field'] for d in error_of(response)['details']] == ['address']


def test_other_assignment_fields_have_plain_messages(api: Api):
    before = table_counts()
    response = api.client.post('/api/v1/admin/nodes/assign', headers=api.admin.headers,
                               json={'user_id': api.alice.id, 'address': GOOD, 'gpu_count': -3})
    assert response.status_code == 422
    assert error_of(response)['details'] == [{'field': 'gpu_count', 'code': 'gpu_count_invalid',
                                              'message': 'The GPU count must be a whole number from 1 to 10000.'}]
    response = api.client.post('/api/v1/admin/nodes/assign', headers=api.admin.headers,
                               json={'user_id': HUGE, 'address': GOOD})
    assert response.status_code == 422 and error_of(response)['details'][0]['field'] == 'user_id'
    assert table_counts() == before
    # and a valid one goes through: the refusals above were about the input, not the route
    response = api.client.post('/api/v1/admin/nodes/assign', headers=api.admin.headers,
                               json={'user_id': api.alice.id, 'address': GOOD.upper()})
    assert response.status_code == 201, response.text
    assert response.json()['address'] == GOOD
