"""Untrusted text (request comments, support comments and notes, node labels) renders as text in a real browser.

The payloads go in through the API, as a customer's or an admin's script would send them; then Chromium opens the
pages that show them. A script that ran would open a dialog or set a global; neither may happen.
"""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.browser

SCRIPT = '<script>window.__xss = 1; alert("xss")</script>'
IMAGE = '<img src=x onerror="window.__xss = 2; alert(2)">'
ADDRESS = 'gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364'
PASSWORD = 'correct horse battery'


def login_api(client: httpx.Client, email: str) -> dict[str, str]:
    response = client.post('/api/v1/auth/login', json={'email': email, 'password': PASSWORD})
    assert response.status_code == 200, response.text
    return {'Authorization': f'Bearer {response.json()["access_token"]}'}


def test_payloads_render_as_text(start_portal, browser, screenshot):
    portal = start_portal({'MINEGNK_ADMIN_EMAIL': 'root@example.com', 'MINEGNK_ADMIN_PASSWORD': PASSWORD})
    api = httpx.Client(base_url=portal.url, timeout=20)
    customer = api.post('/api/v1/auth/register', json={'email': 'victim@example.com', 'password': PASSWORD})
    assert customer.status_code == 201, customer.text
    user_headers = {'Authorization': f'Bearer {customer.json()["access_token"]}'}
    created = api.post('/api/v1/support/requests', headers={**user_headers, 'Idempotency-Key': 'xss-request-00001'},
                       json={'gpu_type': 'H100', 'quantity': 1, 'comments': f'{SCRIPT} {IMAGE}'})
    assert created.status_code in (200, 201), created.text
    request_id = created.json()['id']

    admin = login_api(api, 'root@example.com')
    users = api.get('/api/v1/admin/users', headers=admin, params={'q': 'victim'}).json()['items']
    user_id = next(u['id'] for u in users if u['email'] == 'victim@example.com')
    assigned = api.post('/api/v1/admin/nodes/assign', headers=admin,
                        json={'user_id': user_id, 'address': ADDRESS, 'label': f'{IMAGE}label', 'region': SCRIPT})
    assert assigned.status_code == 201, assigned.text
    updated = api.put(f'/api/v1/admin/requests/{request_id}', headers=admin,
                      json={'status': 'in_progress', 'comment': f'{IMAGE} from support'})
    assert updated.status_code == 200, updated.text

    dialogs: list[str] = []
    for who, email in (('customer', 'victim@example.com'), ('admin', 'root@example.com')):
        page = browser.new_context(viewport={'width': 1280, 'height': 900}).new_page()
        page.on('dialog', lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f'{portal.url}/login')
        page.get_by_label('Email').fill(email)
        page.get_by_label('Password', exact=True).fill(PASSWORD)
        page.get_by_role('button', name='Log in').click()
        page.wait_for_url(f'{portal.url}/')
        paths = ['/', '/requests', '/nodes', f'/nodes/{ADDRESS}'] if who == 'customer' else \
            ['/admin/requests', '/admin/nodes', f'/nodes/{ADDRESS}']
        for path in paths:
            page.goto(f'{portal.url}{path}')
            page.wait_for_load_state('networkidle')
            page.wait_for_timeout(500)
            assert page.evaluate('window.__xss') is None, f'script ran on {path}'
            screenshot(page, f'xss-{who}{path.replace("/", "-")[:40]}')
        if who == 'customer':
            page.goto(f'{portal.url}/requests')
            page.get_by_text('from support', exact=False).first.wait_for()
            assert page.get_by_text('<img src=x', exact=False).count() >= 1  # shown literally, as text
        page.context.close()
    assert dialogs == []
