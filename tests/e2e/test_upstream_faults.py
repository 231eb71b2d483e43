"""Upstream faults while a customer has the dashboard and a node page open in Chromium.

One portal (`python main.py`, PostgreSQL, its own scheduler) reads a real simulator over HTTP. An admin drives
refresh cycles with "Refresh data now" on /admin/system while the simulator serves, in turn: tracker 500s with one
node URL down (the portal falls back to the next node URL), a tracker that times out with node APIs answering
malformed JSON, and everything down (502). Throughout, no page and no API call answers with a 5xx; the pages keep the
last-known data and, once no upstream answers, show the amber stale notice with the reason in plain words. When the
upstream returns, the first cycle brings the data up to date (an epoch that passed during the outage) and the notice
goes.
"""

from __future__ import annotations

import re
import time

import httpx
import pytest

from sqlalchemy import create_engine, text

from minegnk.db.models import Base
from minegnk.sim import SimServer
from tests.e2e.conftest import log_in_page

pytestmark = pytest.mark.browser

PASSWORD = 'correct horse battery'
ADMIN_EMAIL = 'faults.admin@example.com'
CUSTOMER_EMAIL = 'faults.customer@example.com'
CYCLE_DEADLINE = 120  # seconds; a cycle with a timing-out tracker takes ~50 s (3 attempts x 15 s read timeout)
REFRESH_GAP = 31  # "Refresh data now" is accepted at most once per 30 s


class Watch:
    """Calls every page and API route the customer uses and remembers anything that was a 5xx."""

    def __init__(self, portal_url: str, token: str, addresses: list[str], browser_context) -> None:  # noqa: ANN001
        self.api = httpx.Client(base_url=portal_url, timeout=20, headers={'Authorization': f'Bearer {token}'})
        self.context = browser_context
        self.portal_url = portal_url
        self.addresses = addresses
        self.failures: list[str] = []
        self.calls = 0
        self.slowest = 0.0
        self.phase = 'setup'

    def record(self, what: str, status: int) -> None:
        if status >= 500:
            self.failures.append(f'{self.phase}: {what} -> {status}')

    def sweep(self) -> None:
        address = self.addresses[0]
        for path in ('/api/v1/nodes/my', f'/api/v1/nodes/{address}', f'/api/v1/nodes/{address}/earnings',
                     f'/api/v1/nodes/{address}/metrics', '/api/v1/network/status'):
            started = time.monotonic()
            self.record(f'GET {path}', self.api.get(path).status_code)
            self.slowest = max(self.slowest, time.monotonic() - started)
            self.calls += 1
        for path in ('/', '/nodes', f'/nodes/{address}'):
            started = time.monotonic()
            self.record(f'page {path}', self.context.request.get(self.portal_url + path).status)
            self.slowest = max(self.slowest, time.monotonic() - started)
            self.calls += 1

    def network(self) -> dict:
        response = self.api.get('/api/v1/network/status')
        self.record('GET /api/v1/network/status', response.status_code)
        assert response.status_code == 200, response.text
        return response.json()


class Refresher:
    """The admin's "Refresh data now" button, respecting its once-per-30-s limit; waits for the cycle's snapshot."""

    def __init__(self, page, portal_url: str, watch: Watch) -> None:  # noqa: ANN001
        self.page = page
        self.portal_url = portal_url
        self.watch = watch
        self.last_click = 0.0

    def cycle(self) -> dict:
        """One new refresh cycle; returns the network status it wrote. Pages and API are swept while waiting."""
        before = self.watch.network()['taken_at']
        for _attempt in range(3):  # a click while the previous run's backfill still runs is dropped by the scheduler
            while time.monotonic() - self.last_click < REFRESH_GAP:
                self.watch.sweep()
                time.sleep(1)
            self.page.goto(f'{self.portal_url}/admin/system')
            self.page.get_by_role('button', name='Refresh data now').click()
            self.last_click = time.monotonic()
            self.page.get_by_text('Refresh started.').wait_for(timeout=10_000)
            deadline = time.monotonic() + CYCLE_DEADLINE
            while time.monotonic() < deadline:
                network = self.watch.network()
                if network['taken_at'] != before:
                    return network
                self.watch.sweep()
                time.sleep(1)
        raise AssertionError('no refresh cycle completed after three requests')


def set_fault(sim: SimServer, target: str, mode: str) -> None:
    response = httpx.post(f'{sim.control_url}/faults', json={'target': target, 'mode': mode}, timeout=10)
    assert response.status_code == 200, response.text


def stale_notice(page):  # noqa: ANN001, ANN201
    """The amber freshness stamp ("… · The network's data services are not answering (…)")."""
    return page.locator('.text-amber-700', has_text=re.compile(r'not answering'))


def empty_database(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text('TRUNCATE ' + ', '.join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
                                + ' RESTART IDENTITY CASCADE'))
    engine.dispose()


def test_pages_and_api_ride_out_upstream_faults(postgres_url, start_portal, browser, screenshot):
    empty_database(postgres_url)
    with SimServer(participants=40, speed=0, scripted=False, fault_timeout_seconds=20) as sim:
        portal = start_portal({
            'MINEGNK_DATABASE_URL': postgres_url, 'MINEGNK_SCHEDULER_ENABLED': 'true', 'MINEGNK_REFRESH_SECONDS': '300',
            'MINEGNK_TRACKER_URL': sim.tracker_url, 'MINEGNK_NODE_URLS': ','.join(sim.node_urls),
            'MINEGNK_ADMIN_EMAIL': ADMIN_EMAIL, 'MINEGNK_ADMIN_PASSWORD': PASSWORD,
            'MINEGNK_API_RATE_PER_MINUTE': '100000'})
        healthy, jailed = sim.sim.scenarios['healthy'], sim.sim.scenarios['jailed']
        api = httpx.Client(base_url=portal.url, timeout=20)
        registered = api.post('/api/v1/auth/register', json={'email': CUSTOMER_EMAIL, 'password': PASSWORD})
        assert registered.status_code == 201, registered.text
        customer_token = registered.json()['access_token']
        customer_id = api.get('/api/v1/auth/me', headers={'Authorization': f'Bearer {customer_token}'}).json()['id']
        admin_login = api.post('/api/v1/auth/login', json={'email': ADMIN_EMAIL, 'password': PASSWORD})
        assert admin_login.status_code == 200, admin_login.text
        admin_headers = {'Authorization': f'Bearer {admin_login.json()["access_token"]}'}
        for label, address in (('rig-healthy', healthy), ('rig-jailed', jailed)):
            assigned = api.post('/api/v1/admin/nodes/assign', headers=admin_headers,
                                json={'user_id': customer_id, 'address': address, 'label': label})
            assert assigned.status_code == 201, assigned.text

        admin_page = log_in(browser, portal.url, ADMIN_EMAIL)
        customer = browser.new_context(viewport={'width': 1280, 'height': 900})
        dashboard = log_in_context(customer, portal.url, CUSTOMER_EMAIL)
        watch = Watch(portal.url, customer_token, [healthy, jailed], customer)
        server_errors: list[str] = []
        refresher = Refresher(admin_page, portal.url, watch)

        # Baseline: one healthy cycle from the tracker.
        watch.phase = 'baseline'
        network = refresher.cycle()
        assert network['stale'] is False and network['source'] == 'tracker', network
        node_page = customer.new_page()
        for page in (dashboard, node_page):
            page.on('response', lambda r: server_errors.append(f'{r.url} -> {r.status}') if r.status >= 500 else None)
        dashboard.reload()
        dashboard.get_by_text('1 of 2 healthy').wait_for(timeout=20_000)
        dashboard.get_by_text(f'Epoch {network["epoch_id"]}').wait_for()
        node_page.goto(f'{portal.url}/nodes/{healthy}')
        node_page.get_by_text('rig-healthy').first.wait_for(timeout=20_000)
        node_page.get_by_text(re.compile(r'updated .* from tracker')).wait_for(timeout=20_000)
        assert stale_notice(dashboard).count() == 0 and stale_notice(node_page).count() == 0

        # 1. Tracker answers 500 and the first node URL is down: the next node URL serves, nothing is stale.
        watch.phase = 'tracker 500, n1 down'
        set_fault(sim, 'tracker', 'http500')
        set_fault(sim, 'n1', 'down')
        network = refresher.cycle()
        assert network['stale'] is False and network['source'] == 'node_api', network
        node_page.get_by_text(re.compile(r'updated .* from network nodes')).wait_for(timeout=20_000)
        dashboard.get_by_text('1 of 2 healthy').wait_for()
        assert stale_notice(dashboard).count() == 0 and stale_notice(node_page).count() == 0

        # 2. The tracker times out and every node URL answers JSON of the wrong shape: no fresh data at all.
        watch.phase = 'tracker timeout, nodes malformed'
        set_fault(sim, 'n1', 'ok')
        set_fault(sim, 'tracker', 'timeout')
        set_fault(sim, 'nodes', 'malformed')
        network = refresher.cycle()
        assert network['stale'] is True, network
        assert 'tracker: timeout' in network['stale_reason'] and 'unusable answer' in network['stale_reason'], network
        for page in (dashboard, node_page):
            stale_notice(page).first.wait_for(timeout=20_000)
            notice = stale_notice(page).first.inner_text()
            assert 'tracker: timed out' in notice and 'unusable answers' in notice and 'timeout' not in notice
        dashboard.get_by_text('1 of 2 healthy').wait_for()  # last-known data stays
        node_page.get_by_text('rig-healthy').first.wait_for()
        screenshot(dashboard, 'faults-dashboard-stale')
        screenshot(node_page, 'faults-node-stale')

        # 3. Everything down (tracker, node URLs, the hosts' own endpoints) while the network moves on an epoch.
        watch.phase = 'everything down'
        set_fault(sim, 'all', 'down')
        advanced = httpx.post(f'{sim.control_url}/advance', json={'epochs': 1}, timeout=10)
        assert advanced.status_code == 200, advanced.text
        new_epoch = httpx.get(f'{sim.control_url}/state', timeout=10).json()['epoch']
        assert new_epoch > network['epoch_id']
        network = refresher.cycle()
        assert network['stale'] is True and 'HTTP 502' in network['stale_reason'], network
        for page in (dashboard, node_page):
            page.get_by_text(re.compile(r'not answering .*answering with errors')).first.wait_for(timeout=20_000)
        dashboard.get_by_text('1 of 2 healthy').wait_for()
        node_page.get_by_text('rig-healthy').first.wait_for()
        assert watch.network()['epoch_id'] != new_epoch  # nothing new could be known yet

        # 4. The upstream returns: one cycle brings the new epoch and the stale notice goes, on the open pages.
        watch.phase = 'recovery'
        set_fault(sim, 'all', 'ok')
        network = refresher.cycle()
        assert network['stale'] is False and network['source'] == 'tracker', network
        assert network['epoch_id'] == new_epoch
        dashboard.get_by_text(f'Epoch {new_epoch}').wait_for(timeout=20_000)
        node_page.get_by_text(re.compile(r'updated .* from tracker')).wait_for(timeout=20_000)
        for page in (dashboard, node_page):
            stale_notice(page).first.wait_for(state='detached', timeout=20_000)
        dashboard.get_by_text('1 of 2 healthy').wait_for()
        # The API keeps each user's node list for a few seconds (minegnk/api/readcache.py): allow it to turn over.
        deadline = time.monotonic() + 20
        while True:
            mine = watch.api.get('/api/v1/nodes/my').json()
            stale = {n['address']: n['stale'] for n in mine['items']}
            if stale == {healthy: False, jailed: False} or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert stale == {healthy: False, jailed: False}
        screenshot(dashboard, 'faults-dashboard-recovered')

        watch.sweep()
        assert watch.calls > 0
        assert not watch.failures, watch.failures
        assert not server_errors, server_errors
        # Nothing waits for an upstream: a page or API call that did would take at least its 15 s read timeout.
        assert watch.slowest < 14, f'a page or API call took {watch.slowest:.1f} s during the faults'
        customer.close()


def log_in_context(context, portal_url: str, email: str):  # noqa: ANN001, ANN201
    return log_in_page(context.new_page(), portal_url, email, PASSWORD)


def log_in(browser, portal_url: str, email: str):  # noqa: ANN001, ANN201
    return log_in_context(browser.new_context(viewport={'width': 1280, 'height': 900}), portal_url, email)
