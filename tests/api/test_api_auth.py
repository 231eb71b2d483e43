"""Register, login, me; rate limits; the error shape for every failure; the API inside the portal's NiceGUI app."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from minegnk.api import deps
from minegnk.api.ratelimit import Limits, MovingWindow
from minegnk.api.schemas import Me, TokenPair
from minegnk.config import get_settings
from minegnk.db.engine import session_scope
from minegnk.services import accounts
from tests.api.conftest import PASSWORD


async def test_register_returns_tokens_that_work(client):
    response = await client.post('/api/v1/auth/register', json={'email': 'New@Example.com', 'password': PASSWORD,
                                                                'language': 'ru'})
    assert response.status_code == 201
    pair = TokenPair.model_validate(response.json())
    me = await client.get('/api/v1/auth/me', headers={'Authorization': f'Bearer {pair.access_token}'})
    body = Me.model_validate(me.json())
    assert body.email == 'new@example.com' and body.role == 'user' and body.language == 'ru'


@pytest.mark.parametrize(('payload', 'field', 'code'), [
    ({'email': 'not-an-email', 'password': PASSWORD}, 'email', 'email_invalid'),
    ({'email': 'x@example.com', 'password': 'short'}, 'password', 'password_too_short'),
    ({'email': 'x@example.com', 'password': 'password123'}, 'password', 'password_too_common'),
    ({'email': 'alice@example.com', 'password': PASSWORD}, 'email', 'email_taken'),
    ({'email': 'x@example.com'}, 'password', 'missing'),
    ({'email': 'x@example.com', 'password': PASSWORD, 'role': 'admin'}, 'role', 'extra_forbidden'),
    ({'email': 'x@example.com', 'password': PASSWORD, 'language': 'de'}, 'language', 'literal_error'),
    ({'email': 'x@example.com', 'password': 12345678901}, 'password', 'string_type'),
])
async def test_register_validation_errors_name_the_field(client, alice, payload, field, code):
    response = await client.post('/api/v1/auth/register', json=payload)
    assert response.status_code == 422
    error = response.json()['error']
    assert error['code'] == 'validation_error'
    assert {'field': field, 'code': code} == {k: error['details'][0][k] for k in ('field', 'code')}


async def test_malformed_json_is_a_422_in_the_error_shape(client):
    response = await client.post('/api/v1/auth/login', content=b'{"email": ', headers={'content-type': 'application/json'})
    assert response.status_code == 422 and response.json()['error']['code'] == 'validation_error'


async def test_login_success_and_failures_look_the_same_for_unknown_accounts(client, alice):
    pair = TokenPair.model_validate((await client.post('/api/v1/auth/login', json={
        'email': 'ALICE@example.com', 'password': PASSWORD})).json())
    assert pair.expires_in == 900 and pair.token_type == 'bearer'
    wrong = await client.post('/api/v1/auth/login', json={'email': 'alice@example.com', 'password': 'wrong one!!'})
    unknown = await client.post('/api/v1/auth/login', json={'email': 'nobody@example.com', 'password': 'wrong one!!'})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {'error': {'code': 'invalid_credentials',
                                                         'message': 'Invalid email or password.', 'details': None}}


async def test_the_portals_account_lockout_applies_to_the_api(client, alice):
    deps.configure(get_settings().resolved_secret('jwt_secret'), limits=Limits(auth_per_minute=100))
    for _ in range(accounts.LOCKOUT_FAILURES):
        assert (await client.post('/api/v1/auth/login', json={'email': alice.email, 'password': 'bad password!'})
                ).status_code == 401
    response = await client.post('/api/v1/auth/login', json={'email': alice.email, 'password': PASSWORD})
    assert response.status_code == 429 and response.json()['error']['code'] == 'account_locked'
    assert 0 < int(response.headers['retry-after']) <= 15 * 60


async def test_login_is_rate_limited_per_address_and_per_account(client, alice):
    for i in range(5):
        await client.post('/api/v1/auth/login', json={'email': f'user{i}@example.com', 'password': 'x' * 12})
    response = await client.post('/api/v1/auth/login', json={'email': alice.email, 'password': PASSWORD})
    assert response.status_code == 429
    assert response.json()['error']['code'] == 'rate_limited' and int(response.headers['retry-after']) >= 1
    assert response.json()['error']['details']['retry_after'] == int(response.headers['retry-after'])
    # per account: the same email from other addresses is limited too
    deps.state().limiters.login_ip.reset()
    window = deps.state().limiters.login_account
    for _ in range(5):
        window.hit('bob@example.com')
    response = await client.post('/api/v1/auth/login', json={'email': 'BOB@example.com', 'password': PASSWORD})
    assert response.status_code == 429


async def test_register_is_rate_limited_per_address(client):
    for i in range(5):
        await client.post('/api/v1/auth/register', json={'email': f'u{i}@example.com', 'password': 'short'})
    response = await client.post('/api/v1/auth/register', json={'email': 'u9@example.com', 'password': PASSWORD})
    assert response.status_code == 429 and 'retry-after' in response.headers


async def test_other_endpoints_are_rate_limited_per_token(client, alice, bob):
    deps.configure(get_settings().resolved_secret('jwt_secret'), limits=Limits(api_per_minute=3))
    for _ in range(3):
        assert (await client.get('/api/v1/auth/me', headers=alice.headers)).status_code == 200
    limited = await client.get('/api/v1/auth/me', headers=alice.headers)
    assert limited.status_code == 429 and 1 <= int(limited.headers['retry-after']) <= 60
    assert (await client.get('/api/v1/auth/me', headers=bob.headers)).status_code == 200  # bob has his own budget


def test_moving_window_refuses_until_the_oldest_hit_leaves():
    now = [100.0]
    window = MovingWindow(2, 60, clock=lambda: now[0])
    assert window.hit('k').allowed and window.hit('k').allowed
    refused = window.hit('k')
    assert not refused.allowed and refused.retry_after == pytest.approx(60)
    now[0] += 30
    assert window.hit('k').retry_after == pytest.approx(30)  # refused hits are not counted
    now[0] += 30.01
    assert window.hit('k').allowed and window.hit('other').allowed


async def test_unknown_api_path_and_wrong_method_use_the_error_shape(client, alice):
    response = await client.get('/api/v1/nothing-here', headers=alice.headers)
    assert response.status_code == 404 and response.json()['error']['code'] == 'not_found'
    response = await client.delete('/api/v1/auth/me', headers=alice.headers)
    assert response.status_code == 405 and response.json()['error']['code'] == 'method_not_allowed'


async def test_an_unexpected_failure_is_a_500_that_leaks_nothing(client, alice, monkeypatch, caplog):
    from minegnk.services import profile

    def broken(*_args, **_kwargs):
        raise RuntimeError('password=hunter2 at db.internal:5432')
    monkeypatch.setattr(profile, 'get_profile', broken)
    response = await client.get('/api/v1/profile', headers=alice.headers)
    assert response.status_code == 500
    assert response.json()['error']['code'] == 'internal_error'
    assert 'hunter2' not in response.text and 'RuntimeError' not in response.text
    assert 'hunter2' in caplog.text  # but it is logged for us


async def test_openapi_documents_every_endpoint_model_and_error(client):
    schema = (await client.get('/api/openapi.json')).json()
    expected = {('post', '/api/v1/auth/register'), ('post', '/api/v1/auth/login'), ('post', '/api/v1/auth/refresh'),
                ('post', '/api/v1/auth/logout'), ('get', '/api/v1/auth/me'), ('get', '/api/v1/nodes/my'),
                ('get', '/api/v1/nodes/{address}'), ('get', '/api/v1/nodes/{address}/metrics'),
                ('get', '/api/v1/nodes/{address}/earnings'), ('get', '/api/v1/network/status'),
                ('post', '/api/v1/support/requests'), ('get', '/api/v1/support/requests/my'),
                ('post', '/api/v1/support/requests/{request_id}/cancel'), ('get', '/api/v1/profile'),
                ('put', '/api/v1/profile'), ('get', '/api/v1/admin/users'), ('get', '/api/v1/admin/nodes'),
                ('post', '/api/v1/admin/nodes/assign'), ('delete', '/api/v1/admin/nodes/{address}/assignment'),
                ('get', '/api/v1/admin/requests'), ('put', '/api/v1/admin/requests/{request_id}')}
    found = {(method, path) for path, ops in schema['paths'].items() for method in ops}
    assert found == expected
    for method, path in expected:
        op = schema['paths'][path][method]
        assert '500' in op['responses'], (method, path)
        for status, entry in op['responses'].items():
            assert 'application/json' in entry.get('content', {}) or status == '204', (method, path, status)
            if status.startswith(('4', '5')):
                assert entry['content']['application/json']['schema'] == {'$ref': '#/components/schemas/ErrorBody'}
        assert ('security' in op) == (path.rsplit('/', 1)[-1] not in {'register', 'login', 'refresh', 'logout'})
    assert '401' in schema['paths']['/api/v1/admin/users']['get']['responses']
    assert '403' in schema['paths']['/api/v1/admin/users']['get']['responses']
    assert 'HTTPValidationError' not in schema['components']['schemas']
    docs = await client.get('/api/docs')
    assert docs.status_code == 200 and '/api/openapi.json' in docs.text


# ---- inside the portal (NiceGUI's app, full middleware stack) ----

def _make_user(email: str) -> None:
    with session_scope() as db:
        accounts.register(db, email, PASSWORD)


async def test_the_portal_serves_the_api_docs_and_schema(user: User):
    schema = await user.http_client.get('/api/openapi.json')
    assert schema.status_code == 200 and '/api/v1/nodes/my' in schema.json()['paths']
    docs = await user.http_client.get('/api/docs')
    assert docs.status_code == 200 and 'swagger' in docs.text.lower()
    assert "frame-ancestors 'none'" in docs.headers['content-security-policy']


async def test_the_portal_session_cookie_never_authenticates_an_api_call(user: User):
    _make_user('carol@example.com')
    await user.open('/login')
    user.find(marker='email').type('carol@example.com')
    user.find(marker='password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await user.should_see(marker='user-menu', retries=50)
    pages = await user.http_client.get('/')  # the browser session is logged in...
    assert pages.status_code == 200
    response = await user.http_client.get('/api/v1/auth/me')  # ...and the same cookies get nothing from the API
    assert response.status_code == 401 and response.json()['error']['code'] == 'unauthenticated'


async def test_the_api_works_inside_the_portal_with_the_same_error_shape(user: User):
    _make_user('dave@example.com')
    client = user.http_client
    login = await client.post('/api/v1/auth/login', json={'email': 'dave@example.com', 'password': PASSWORD})
    assert login.status_code == 200
    assert 'set-cookie' not in login.headers  # NiceGUI's session machinery is not involved in API calls
    assert login.headers['x-content-type-options'] == 'nosniff'
    headers = {'Authorization': f"Bearer {login.json()['access_token']}"}
    nodes = await client.get('/api/v1/nodes/my', headers=headers)
    assert nodes.status_code == 200 and nodes.json()['total'] == 0
    invalid = await client.get('/api/v1/nodes/my', headers=headers, params={'limit': 'many'})
    assert invalid.status_code == 422 and invalid.json()['error']['details'][0]['field'] == 'limit'
    missing = await client.get('/api/v1/no-such-thing', headers=headers)
    assert missing.status_code == 404 and set(missing.json()['error']) == {'code', 'message', 'details'}
    anonymous = await client.get('/api/v1/admin/users')
    assert anonymous.status_code == 401 and anonymous.json()['error']['code'] == 'unauthenticated'
    forbidden = await client.get('/api/v1/admin/users', headers=headers)
    assert forbidden.status_code == 403 and forbidden.json()['error']['code'] == 'forbidden'
