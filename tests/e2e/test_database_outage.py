"""A database outage while the portal runs: clear 503s, no crash, recovery without a restart, nothing lost.

Uses a private PostgreSQL cluster (initdb in a temp dir) so stopping it disturbs nothing else.
"""

from __future__ import annotations

import time

import httpx
import pytest

pytestmark = pytest.mark.browser


def wait_for(check, timeout: float = 30.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError('condition not met in time')


def test_database_outage_and_recovery(private_postgres, start_portal, browser, screenshot):
    portal = start_portal({'MINEGNK_DATABASE_URL': private_postgres.url})
    api = httpx.Client(base_url=portal.url, timeout=15)
    registered = api.post('/api/v1/auth/register', json={'email': 'outage@example.com', 'password': 'correct horse battery'})
    assert registered.status_code == 201, registered.text
    token = registered.json()['access_token']
    headers = {'Authorization': f'Bearer {token}'}
    created = api.post('/api/v1/support/requests', headers={**headers, 'Idempotency-Key': 'outage-request-0001'},
                       json={'gpu_type': 'H100', 'quantity': 2, 'comments': 'before the outage'})
    assert created.status_code in (200, 201), created.text

    page = browser.new_context().new_page()
    page.goto(f'{portal.url}/login')
    page.get_by_label('Email').fill('outage@example.com')
    page.get_by_label('Password', exact=True).fill('correct horse battery')
    page.get_by_role('button', name='Log in').click()
    page.wait_for_url(f'{portal.url}/')

    private_postgres.stop()
    ready = api.get('/readyz')
    assert ready.status_code == 503 and 'database unreachable' in ready.json()['reason']
    during = api.get('/api/v1/support/requests/my', headers=headers)
    assert during.status_code == 503
    assert during.json()['error']['code'] == 'service_unavailable' and during.headers['retry-after']
    response = page.goto(f'{portal.url}/requests')
    assert response.status in (500, 503)
    page.get_by_text('Temporarily unavailable').wait_for()
    screenshot(page, 'outage-page')
    assert api.get('/healthz').status_code == 200  # the process itself is fine

    private_postgres.start()
    wait_for(lambda: api.get('/readyz').status_code == 200)
    mine = api.get('/api/v1/support/requests/my', headers=headers)
    assert mine.status_code == 200
    assert [r['comments'] for r in mine.json()['items']] == ['before the outage']  # acknowledged before: still there
    page.goto(f'{portal.url}/requests')
    page.get_by_text('before the outage').wait_for()
