"""The world the end-to-end journeys run in: `python main.py` on PostgreSQL with its own scheduler, reading a real
simulator over HTTP and mailing through a loopback SMTP server; plus the few steps every journey repeats (log in,
wait for a refresh cycle, save a screenshot).

Setup goes through the portal's own interfaces (the admin bootstrapped from MINEGNK_ADMIN_*, accounts and
assignments over the JSON API, "Refresh data now" on /admin/system); only the exchange rates are written into the
database before the portal starts, as an admin would have entered them earlier.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from minegnk.db import engine as db_engine
from minegnk.db.engine import session_scope
from minegnk.db.models import NotificationOutbox, utcnow
from minegnk.services import rates as rate_service
from minegnk.sim import SimServer
from tests.conftest import _truncate_all
from tests.e2e.conftest import SCREENSHOTS, PortalProcess, log_in_page
from tests.notify.conftest import SmtpServer, free_port

PASSWORD = 'correct horse battery'
ADMIN_EMAIL = 'support@minegnk.example'
PUBLIC_URL = 'https://portal.example'
GNK_USD = Decimal('0.85')
USD_EUR = Decimal('0.92')
# Mainnet timing (an epoch of 15,391 blocks, about a day), as in the demo: 30 settled epochs are 30 days of earnings.
EPOCH_LENGTH = 15_391
HISTORY_EPOCHS = 30
CYCLE_DEADLINE = 90  # seconds for one refresh cycle to show up, on a loaded CI machine
REFRESH_GAP = 31  # "Refresh data now" is accepted at most once per 30 s
UI_TIMEOUT = 30_000  # ms: Playwright waits for what a page shows
DESKTOP = {'width': 1280, 'height': 900}
PHONE = {'width': 375, 'height': 812}


@dataclass
class Journey:
    portal: PortalProcess
    sim: SimServer
    smtp: SmtpServer
    api: httpx.Client
    admin_headers: dict[str, str]
    db_url: str
    last_refresh_click: float = 0.0
    screenshots: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.portal.url

    # ------------------------------------------------------------------------------------------------ simulator
    def control(self, path: str, payload: dict | None = None) -> dict:
        url = f'{self.sim.control_url}/{path}'
        response = httpx.post(url, json=payload, timeout=10) if payload is not None else httpx.get(url, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def healthy_addresses(self, count: int) -> list[str]:
        """Participants the simulator reports healthy (the 'healthy' scenario first)."""
        scenarios = self.sim.sim.scenario_addresses()
        picked = [scenarios['healthy'], scenarios['healthy_ramping']]
        return picked[:count]

    def settled_ngonka(self, address: str, epochs: list[int]) -> int:
        """What the simulated chain paid ``address`` for these epochs (reward + work coins), from its own ledger."""
        total = 0
        with self.sim.sim.lock:
            for epoch in epochs:
                summary = self.sim.sim.summary(epoch, address)
                assert summary is not None, f'the chain has no summary of epoch {epoch} for {address}'
                total += summary.rewarded_coins + summary.earned_coins
        return total

    # ------------------------------------------------------------------------------------------------ JSON API
    def register_customer(self, email: str) -> tuple[int, dict[str, str]]:
        response = self.api.post('/api/v1/auth/register', json={'email': email, 'password': PASSWORD})
        assert response.status_code == 201, response.text
        headers = {'Authorization': f'Bearer {response.json()["access_token"]}'}
        return self.api.get('/api/v1/auth/me', headers=headers).json()['id'], headers

    def assign(self, user_id: int, address: str, **fields: object) -> None:
        response = self.api.post('/api/v1/admin/nodes/assign', headers=self.admin_headers,
                                 json={'user_id': user_id, 'address': address, **fields})
        assert response.status_code == 201, response.text

    def my_nodes(self, headers: dict[str, str]) -> dict[str, dict]:
        response = self.api.get('/api/v1/nodes/my', headers=headers)
        assert response.status_code == 200, response.text
        return {item['address']: item for item in response.json()['items']}

    def wait_for_nodes(self, headers: dict[str, str], statuses: dict[str, str], *, with_earnings: bool = True) -> dict:
        """Until the refresh has written each node's status (and its settled history, the backfill after a cycle)."""
        deadline = time.monotonic() + CYCLE_DEADLINE
        nodes: dict[str, dict] = {}
        while time.monotonic() < deadline:
            nodes = self.my_nodes(headers)
            if {a: n['status'] for a, n in nodes.items()} == statuses and \
                    (not with_earnings or all(n['settled_epochs'] > 0 for n in nodes.values())):
                return nodes
            time.sleep(0.5)
        raise AssertionError(f'nodes did not reach {statuses}: {nodes}')

    def network_taken_at(self) -> str | None:
        response = self.api.get('/api/v1/network/status', headers=self.admin_headers)
        assert response.status_code == 200, response.text
        return response.json()['taken_at']

    # ------------------------------------------------------------------------------------------------ browser
    def log_in(self, browser, email: str, *, viewport: dict | None = None, **context_options):  # noqa: ANN001, ANN201
        """A new browser context (its own cookies) logged in through the login page; returns the page on '/'."""
        context = browser.new_context(viewport=viewport or DESKTOP, **context_options)
        context.set_default_timeout(UI_TIMEOUT)
        return log_in_page(context.new_page(), self.url, email, PASSWORD)

    def refresh_now(self, admin_page) -> None:  # noqa: ANN001
        """The admin's "Refresh data now"; returns once the cycle it started has written its network snapshot."""
        before = self.network_taken_at()
        for _attempt in range(3):  # a click while a cycle is still running is dropped by the scheduler
            while time.monotonic() - self.last_refresh_click < REFRESH_GAP:
                time.sleep(0.5)
            admin_page.goto(f'{self.url}/admin/system')
            admin_page.get_by_role('button', name='Refresh data now').click()
            self.last_refresh_click = time.monotonic()
            admin_page.get_by_text('Refresh started.').wait_for()
            deadline = time.monotonic() + CYCLE_DEADLINE
            while time.monotonic() < deadline:
                if self.network_taken_at() != before:
                    return
                time.sleep(0.5)
        raise AssertionError('no refresh cycle completed after three requests')

    def wait_for_outbox_delivered(self) -> dict[str, int]:
        """Until the delivery worker has nothing left to send; returns the outbox's rows per status."""
        deadline = time.monotonic() + CYCLE_DEADLINE
        counts: dict[str, int] = {}
        while time.monotonic() < deadline:
            engine = create_engine(self.db_url)
            try:
                with engine.connect() as connection:
                    counts = dict(connection.execute(select(NotificationOutbox.status, func.count())
                                                     .group_by(NotificationOutbox.status)).all())
            finally:
                engine.dispose()
            if not counts.keys() & {'pending', 'sending'}:
                return counts
            time.sleep(0.5)
        raise AssertionError(f'the outbox still has messages to send: {counts}')

    def emails(self, subject: str) -> list:
        return [message for _sender, _to, message in self.smtp.inbox.messages if str(message['Subject']) == subject]

    def wait_for_email(self, subject: str) -> object:
        deadline = time.monotonic() + CYCLE_DEADLINE
        while time.monotonic() < deadline:
            found = self.emails(subject)
            if found:
                return found[0]
            time.sleep(0.3)
        raise AssertionError(f'no email {subject!r}; got {self.smtp.inbox.subjects()}')

    def shot(self, page, name: str) -> Path:  # noqa: ANN001
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f'{name}.png'
        page.evaluate('window.scrollTo(0, 0)')  # else the fixed header is drawn where the page was scrolled to
        page.screenshot(path=str(path), full_page=True)
        self.screenshots.append(path)
        return path


def no_horizontal_scroll(page) -> bool:  # noqa: ANN001
    return page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')


def _seed_rates(url: str) -> None:
    db_engine.init_database(url)
    try:
        with session_scope() as db:
            as_of = utcnow() - timedelta(hours=1)
            rate_service.set_manual_rate(db, None, 'GNK', 'USD', GNK_USD, as_of)
            rate_service.set_manual_rate(db, None, 'USD', 'EUR', USD_EUR, as_of)
    finally:
        db_engine.get_engine().dispose()


@pytest.fixture
def journey(postgres_url: str, tmp_path: Path) -> Iterator[Journey]:
    """A fresh portal on an empty PostgreSQL database with its simulator and SMTP server (stopped afterwards)."""
    _truncate_all(postgres_url)
    _seed_rates(postgres_url)
    smtp = SmtpServer(free_port())
    smtp.start()
    # speed 0: the chain stands still unless the test changes it, so amounts are exact and repeatable.
    sim = SimServer(participants=60, epoch_length=EPOCH_LENGTH, history_epochs=HISTORY_EPOCHS, speed=0,
                    scripted=False, seed=11).start()
    portal = None
    try:
        portal = PortalProcess(tmp_path / 'portal', {
            'MINEGNK_DATABASE_URL': postgres_url, 'MINEGNK_SCHEDULER_ENABLED': 'true',
            'MINEGNK_REFRESH_SECONDS': '60', 'MINEGNK_TRACKER_URL': sim.tracker_url,
            'MINEGNK_NODE_URLS': ','.join(sim.node_urls), 'MINEGNK_ADMIN_EMAIL': ADMIN_EMAIL,
            'MINEGNK_ADMIN_PASSWORD': PASSWORD, 'MINEGNK_API_RATE_PER_MINUTE': '100000',
            'MINEGNK_SMTP_HOST': '127.0.0.1', 'MINEGNK_SMTP_PORT': str(smtp.port), 'MINEGNK_SMTP_SECURITY': 'none',
            'MINEGNK_SMTP_FROM': 'MineGNK <alerts@portal.example>', 'MINEGNK_PUBLIC_URL': PUBLIC_URL,
            'MINEGNK_NOTIFY_POLL_SECONDS': '0.5',
            # A state counts after one refresh (the default 2 would double every wait; anti-flap has its own tests).
            'MINEGNK_ALERT_CONFIRM_CYCLES': '1'})
        api = httpx.Client(base_url=portal.url, timeout=30)
        login = api.post('/api/v1/auth/login', json={'email': ADMIN_EMAIL, 'password': PASSWORD})
        assert login.status_code == 200, login.text
        yield Journey(portal, sim, smtp, api, {'Authorization': f'Bearer {login.json()["access_token"]}'},
                      postgres_url)
        api.close()
    finally:
        if portal is not None:
            portal.stop()
        sim.stop()
        smtp.stop()


@dataclass
class Customer:
    email: str
    user_id: int
    headers: dict[str, str]
    nodes: dict[str, dict]  # address -> the API's node item

    @property
    def addresses(self) -> list[str]:
        return sorted(self.nodes)


@pytest.fixture
def customer(journey: Journey) -> Customer:
    """A customer with two healthy simulated nodes whose status and settled history the portal has fetched."""
    email = 'miner@example.com'
    user_id, headers = journey.register_customer(email)
    addresses = journey.healthy_addresses(2)
    for i, address in enumerate(addresses, 1):
        journey.assign(user_id, address, label=f'Frankfurt H100 #{i}', gpu_type='H100', gpu_count=8,
                       region='Frankfurt')
    nodes = journey.wait_for_nodes(headers, {a: 'healthy' for a in addresses})
    return Customer(email, user_id, headers, nodes)
