"""Bad input in page URLs, over real HTTP against `python main.py` on PostgreSQL: absurd page numbers, ids and
addresses, invalid UTF-8 and NUL characters in paths and query strings, and oversized bodies. No page answers with a
5xx; an impossible id or address is the "Not found" page; a list page with nonsense in its query falls back to its
defaults and still shows the list; and nothing in the database changes.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from minegnk.db.models import Base, Node, NodeAssignment, utcnow
from tests.e2e.conftest import PortalProcess, browser, chromium_path, log_in_page, screenshot  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

PASSWORD = 'correct horse battery'
HUGE = '9' * 30
ADMIN_EMAIL = 'bad.input.admin@example.com'
CUSTOMER_EMAIL = 'bad.input.customer@example.com'
NODE_ADDRESS = 'gonka1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnnrkykm'


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        result = {t.name: connection.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables
                  if t.name not in ('user_sessions', 'login_attempts', 'audit_log')}  # the logins themselves
    engine.dispose()
    return result


@pytest.fixture
def portal(postgres_url: str, tmp_path: Path):
    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text('TRUNCATE ' + ', '.join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
                                + ' RESTART IDENTITY CASCADE'))
    engine.dispose()
    process = PortalProcess(tmp_path / 'portal', {'MINEGNK_DATABASE_URL': postgres_url,
                                                  'MINEGNK_ADMIN_EMAIL': ADMIN_EMAIL, 'MINEGNK_ADMIN_PASSWORD': PASSWORD})
    yield process
    process.stop()


def logged_in(browser, portal: PortalProcess, email: str):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    return context, log_in_page(context.new_page(), portal.url, email, PASSWORD)


CUSTOMER_LIST_URLS = [
    f'/nodes?page={HUGE}', '/nodes?page=-1', '/nodes?page=abc', f'/nodes?per={HUGE}', '/nodes?per=-5',
    '/nodes?sort=%3Cscript%3E', '/nodes?status=%FF', '/nodes?q=%FF%FE', '/nodes?q=%00', '/nodes?desc=%00&gpu=%C3%28',
    f'/requests?highlight={HUGE}', '/requests?highlight=abc', '/requests?highlight=-1', '/requests?highlight=%00',
    f'/?page={HUGE}', '/?q=%FF', f'/notifications?page={HUGE}', '/notifications?page=%FF',
    f'/notifications/settings?user_id={HUGE}', '/notifications/settings?user_id=abc',
    '/password/reset?token=%00', '/password/reset?token=%FF', '/login?next=%00', '/register?next=%FF%00',
]
NOT_FOUND_URLS = ['/nodes/%FF%FE', '/nodes/%00', '/nodes/' + 'q' * 5000, f'/nodes/gonka1{HUGE}',
                  '/nodes/..%2F..%2Fetc%2Fpasswd']
ADMIN_URLS = [f'/admin/users/{HUGE}', '/admin/users/abc', '/admin/users/-1', '/admin/users/%00',
              f'/admin/users/{HUGE}/view', '/admin/users/0/view', f'/admin/nodes/assign?user_id={HUGE}',
              '/admin/nodes/assign?user_id=abc', '/admin/nodes/assign?user_id=%FF', f'/admin/users?page={HUGE}',
              '/admin/nodes?q=%00', '/admin/requests?status=%FF', f'/admin/audit?page={HUGE}',
              f'/notifications/settings?user_id={HUGE}']


def test_bad_page_urls_never_get_a_5xx_and_change_nothing(portal, browser, postgres_url, screenshot):
    registered = httpx.post(f'{portal.url}/api/v1/auth/register', json={'email': CUSTOMER_EMAIL, 'password': PASSWORD})
    assert registered.status_code == 201, registered.text
    customer_id = httpx.get(f'{portal.url}/api/v1/auth/me', headers={
        'Authorization': f'Bearer {registered.json()["access_token"]}'}).json()['id']
    engine = create_engine(postgres_url)
    with Session(engine) as db, db.begin():
        node = Node(address=NODE_ADDRESS, label='rig-bad-input')
        db.add(node)
        db.flush()
        db.add(NodeAssignment(node_id=node.id, user_id=customer_id, assigned_at=utcnow()))
    engine.dispose()
    before = counts(postgres_url)

    customer, page = logged_in(browser, portal, CUSTOMER_EMAIL)
    for url in CUSTOMER_LIST_URLS:
        response = customer.request.get(portal.url + url)
        assert response.status < 500, (url, response.status)
        assert response.status == 200, (url, response.status, response.text()[:300])
    # a list page with nonsense in its query still shows the list: defaults, and the page clamped to the last one
    page.goto(f'{portal.url}/nodes?page={HUGE}&per=-5&sort=%3Cscript%3E&status=%FF')
    page.get_by_text('My nodes').first.wait_for()
    page.get_by_text('rig-bad-input').first.wait_for()
    page.goto(f'{portal.url}/requests?highlight={HUGE}')
    page.get_by_text('My requests').first.wait_for()
    for url in NOT_FOUND_URLS:
        response = customer.request.get(portal.url + url)
        assert response.status in (400, 404), (url, response.status, response.text()[:300])
    page.goto(f'{portal.url}/nodes/%FF%FE')
    page.get_by_text(re.compile('not found', re.I)).first.wait_for()
    screenshot(page, 'bad-input-node-not-found')
    for url in (u for u in ADMIN_URLS if u.startswith('/admin')):  # a customer on admin URLs: 403, whatever the id
        response = customer.request.get(portal.url + url)
        assert response.status in (403, 404), (url, response.status)

    admin, admin_page = logged_in(browser, portal, ADMIN_EMAIL)
    for url in ADMIN_URLS:
        response = admin.request.get(portal.url + url)
        assert response.status in (200, 400, 404), (url, response.status, response.text()[:300])
    admin_page.goto(f'{portal.url}/admin/users/{HUGE}')
    admin_page.get_by_text(re.compile('not found', re.I)).first.wait_for()
    screenshot(admin_page, 'bad-input-admin-user-not-found')

    for path in ('/', '/login', '/nodes', '/admin/users'):
        response = customer.request.post(portal.url + path, data=b'x' * (10 * 1024 * 1024),
                                         headers={'Content-Type': 'application/json'})
        assert 400 <= response.status < 500, (path, response.status)
    assert counts(postgres_url) == before


def test_raw_bytes_in_urls_and_oversized_api_bodies_through_the_portal(portal):
    """The portal's own process: raw non-UTF-8 bytes in page URLs are no server error, and the API it serves refuses
    a 10 MB body with 413 like the standalone API does."""
    response = httpx.post(f'{portal.url}/api/v1/auth/login', content=b'{"email": "' + b'x' * (10 * 1024 * 1024) + b'"}',
                          headers={'Content-Type': 'application/json'}, timeout=30)
    assert response.status_code == 413 and response.json()['error']['code'] == 'body_too_large'
    for target in (b'/nodes?q=\xff\xfe', b'/nodes/\xff', b'/login?next=\xc3\x28'):
        with socket.create_connection(('127.0.0.1', portal.port), timeout=15) as connection:
            connection.sendall(b'GET ' + target + b' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
            answer = b''
            while chunk := connection.recv(65536):
                answer += chunk
        status = int(answer.split(b' ', 2)[1])
        assert status < 500, (target, answer[:300])
