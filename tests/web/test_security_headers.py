"""Security headers, cookie flags and health probes over the app's real HTTP stack."""

from __future__ import annotations

from nicegui.testing import User

from minegnk.web.auth import safe_next


async def test_html_pages_carry_security_headers(user: User):
    response = await user.http_client.get('/login')
    assert response.status_code == 200
    headers = response.headers
    assert "frame-ancestors 'none'" in headers['content-security-policy']
    assert "object-src 'none'" in headers['content-security-policy']
    assert headers['x-frame-options'] == 'DENY'
    assert headers['x-content-type-options'] == 'nosniff'
    assert headers['referrer-policy'] == 'strict-origin-when-cross-origin'
    assert 'strict-transport-security' not in headers  # only behind TLS (MINEGNK_HTTPS=true)


async def test_session_cookie_is_httponly_lax_and_a_browser_session_cookie(user: User):
    response = await user.http_client.get('/login')
    cookie = response.headers['set-cookie'].lower()
    assert cookie.startswith('session=')
    assert 'httponly' in cookie and 'samesite=lax' in cookie
    assert 'max-age' not in cookie  # without "remember me" it dies with the browser
    assert 'secure' not in cookie


async def test_healthz_and_readyz(user: User):
    health = await user.http_client.get('/healthz')
    assert health.status_code == 200 and health.json()['status'] == 'ok'
    ready = await user.http_client.get('/readyz')
    assert ready.status_code == 200 and ready.json() == {'status': 'ok', 'database': 'sqlite'}


async def test_readyz_is_503_with_a_reason_when_the_database_is_unreachable(user: User):
    from minegnk.db import engine
    engine.init_database('postgresql+psycopg://nobody@127.0.0.1:1/nothing')
    response = await user.http_client.get('/readyz')
    assert response.status_code == 503
    body = response.json()
    assert body['status'] == 'unavailable' and 'database unreachable' in body['reason']


def test_safe_next_only_allows_local_paths():
    assert safe_next('/nodes?status=jailed') == '/nodes?status=jailed'
    for bad in (None, '', 'https://evil.example', '//evil.example', '/\\evil', 'javascript:alert(1)', 'nodes',
                '/\x00x'):
        assert safe_next(bad) == '/'


async def test_errors_and_responses_that_set_a_cookie_are_never_stored_by_a_cache(user: User):
    from nicegui import __version__
    # NiceGUI marks all of /_nicegui/ public and immutable, its 404 page included: that page must not start a session
    missing = await user.http_client.get(f'/_nicegui/{__version__}/static/no-such-file.js')
    assert missing.status_code == 404 and 'immutable' in missing.headers['cache-control']
    assert 'set-cookie' not in missing.headers
    page = await user.http_client.get('/login')
    assert 'set-cookie' in page.headers and page.headers['cache-control'] == 'no-store'
    user.http_client.cookies.clear()
    static = await user.http_client.get(f'/_nicegui/{__version__}/static/nicegui.css')
    assert static.status_code == 200 and 'set-cookie' not in static.headers
    assert 'immutable' in static.headers['cache-control']
