"""API test helpers: the standalone API app over the ``database`` fixture (SQLite and PostgreSQL), accounts with
tokens, nodes with cached status and settled earnings, and an unthrottled API app with that data in place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from minegnk.api import deps
from minegnk.api.app import create_app
from minegnk.api.ratelimit import Limits
from minegnk.config import get_settings
from minegnk.db.engine import session_scope
from minegnk.db.models import EarningsHistory, NetworkSnapshot, Node, NodeAssignment, NodeStatsCache, utcnow
from minegnk.services import accounts, api_tokens, catalog, requests

PASSWORD = 'correct horse battery'


@dataclass
class Account:
    id: int
    email: str
    token: str
    refresh: str
    family: str

    @property
    def headers(self) -> dict[str, str]:
        return {'Authorization': f'Bearer {self.token}'}


def create_account(email: str, *, admin: bool = False) -> Account:
    with session_scope() as db:
        if admin:
            user, _ = accounts.ensure_admin(db, email, PASSWORD)
        else:
            user = accounts.register(db, email, PASSWORD)
        issued = api_tokens.issue_family(db, user.id)
    token, _ = deps.state().tokens.issue(issued.user_id, issued.family_id)
    return Account(issued.user_id, email, token, issued.token, issued.family_id)


@pytest.fixture
async def client(database: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(get_settings(), init_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url='http://api.test') as c:
        yield c


@pytest.fixture
def alice(client: httpx.AsyncClient) -> Account:
    return create_account('alice@example.com')


@pytest.fixture
def bob(client: httpx.AsyncClient) -> Account:
    return create_account('bob@example.com')


@pytest.fixture
def admin(client: httpx.AsyncClient) -> Account:
    return create_account('admin@example.com', admin=True)


def make_address(i: int) -> str:
    """A valid bech32 gonka address derived from ``i``."""
    from minegnk.sim.bech32 import encode  # the simulator's own encoder; independent of our validator
    return encode('gonka', i.to_bytes(20, 'big'))


def add_node(user_id: int | None, address: str, *, label: str | None = None, status: str = 'healthy',
             epochs: list[tuple[int, int, int]] = (), work_ngonka: int | None = 5_000_000_000,
             weight: int = 1000) -> int:
    """A node owned by ``user_id`` with a cached view and settled epochs (epoch, reward, work)."""
    now = utcnow()
    with session_scope() as db:
        node = Node(address=address, label=label, gpu_type='H100', gpu_count=8, region='europe')
        db.add(node)
        db.flush()
        if user_id is not None:
            db.add(NodeAssignment(node_id=node.id, user_id=user_id, assigned_at=now - timedelta(days=3)))
        db.add(NodeStatsCache(node_id=node.id, status=status, reasons=[] if status == 'healthy' else
                              [{'code': f'{status}_reason', 'params': {'n': 1}}],
                              view={'epoch_id': 60, 'weight': weight, 'network_weight': 100_000,
                                    'weight_share': '0.010000', 'models': ['Qwen/QwQ-32B'], 'registered': True,
                                    'in_set': True, 'chain_status': 'ACTIVE', 'is_jailed': status == 'jailed',
                                    'missed_rate': '0.0100', 'notes': [], 'ml_nodes': [
                                        {'node_id': 'ml-1', 'status': 'INFERENCE', 'poc_weight': weight,
                                         'models': ['Qwen/QwQ-32B'], 'host': '10.0.0.1', 'port': '8080'}]},
                              epoch_id=60, weight=weight, inference_count=100, missed_requests=1,
                              epoch_work_ngonka=work_ngonka, source='tracker', data_as_of=now, fetched_at=now,
                              stale=False))
        for epoch, reward, work in epochs:
            db.add(EarningsHistory(node_id=node.id, epoch_id=epoch, reward_ngonka=reward, work_ngonka=work,
                                   claimed=epoch % 2 == 0, inference_count=10, missed_requests=0,
                                   settled_at=now - timedelta(days=60 - epoch)))
        return node.id


def add_network_snapshot() -> None:
    with session_scope() as db:
        db.add(NetworkSnapshot(taken_at=utcnow(), epoch_id=60, phase='inference', block_height=1_000_000,
                               avg_block_seconds=Decimal('6.0'), epoch_length=15_391,
                               next_poc_start_block=1_002_000, total_weight=100_000, participant_count=42,
                               failing_share=Decimal('0.0100'), source='tracker', stale=False))


@dataclass
class SeededApi:
    """An API app and what :func:`seeded_api` put in its database."""
    app: FastAPI
    admin: Account
    alice: Account
    request_id: int  # alice's one node request


@pytest.fixture
def seeded_api(database: str) -> SeededApi:
    """The API app with rate limits lifted (for tests that send many requests), over ``database`` holding an admin,
    alice with one node (settled earnings in epoch 58), a network snapshot, the default GPU catalog and one node
    request of alice's."""
    app = create_app(get_settings(), init_db=False)
    deps.configure(get_settings().resolved_secret('jwt_secret'),
                   limits=Limits(auth_per_minute=1_000_000, api_per_minute=1_000_000, refresh_per_minute=1_000_000))
    admin = create_account('admin@example.com', admin=True)
    alice = create_account('alice@example.com')
    add_network_snapshot()
    add_node(alice.id, make_address(1), epochs=[(58, 10**9, 5)])
    with session_scope() as db:
        catalog.ensure_default_catalog(db)
        view, _created = requests.create_request(db, user_id=alice.id, idempotency_key='seeded-api-request-01',
                                                 gpu_type='H100', quantity=1)
    return SeededApi(app, admin, alice, view.id)
