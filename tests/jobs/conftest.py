"""A live network simulator over real HTTP and a refresh job pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from minegnk.db.engine import session_scope
from minegnk.db.models import Node, NodeAssignment, User
from minegnk.jobs.refresh import RefreshJob, Upstreams
from minegnk.sim import SimServer
from minegnk.upstream.node_api import NodeApiClient
from minegnk.upstream.probe import make_probe_client
from minegnk.upstream.tracker import TrackerClient


@pytest.fixture
def sim() -> Iterator[SimServer]:
    # speed=0: the clock stands still unless a test advances it, so every figure is deterministic.
    with SimServer(participants=60, epoch_length=120, speed=0, scripted=False, seed=7, history_epochs=60,
                   fault_timeout_seconds=3.0) as server:
        yield server


@pytest.fixture
def control(sim: SimServer):
    """Call the simulator's control API: control('scenarios') GETs, control('faults', {...}) POSTs."""
    def call(path: str, payload: dict | None = None) -> dict:
        url = f'{sim.control_url}/{path}'
        response = httpx.post(url, json=payload, timeout=10) if payload is not None else httpx.get(url, timeout=10)
        response.raise_for_status()
        return response.json()
    return call


@pytest.fixture
async def job(sim: SimServer) -> AsyncIterator[RefreshJob]:
    upstreams = Upstreams(TrackerClient(sim.tracker_url, timeout=2, retries=0),
                          NodeApiClient(sim.node_urls, timeout=2, retries=0), make_probe_client())
    yield RefreshJob(upstreams)
    await upstreams.aclose()


@pytest.fixture
def assign(database):
    """Give a customer nodes (directly in the tables; the assignment service is tested on its own)."""
    return _assign


def _assign(addresses: list[str], email: str = 'owner@example.com') -> dict[str, int]:
    with session_scope() as db:
        user = User(email=email, password_hash='x')
        db.add(user)
        db.flush()
        ids = {}
        for address in addresses:
            node = Node(address=address)
            db.add(node)
            db.flush()
            db.add(NodeAssignment(node_id=node.id, user_id=user.id))
            ids[address] = node.id
        return ids
