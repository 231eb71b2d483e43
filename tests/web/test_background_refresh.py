"""The app starts the refresh scheduler when enabled: a cycle runs at start and fills the database."""

from __future__ import annotations

import asyncio

import pytest
from nicegui.testing import User
from sqlalchemy import func, select

from minegnk.components.live import data_refreshed
from minegnk.db.engine import session_scope
from minegnk.db.models import NetworkSnapshot
from minegnk.services import network_directory
from minegnk.sim import SimServer


@pytest.fixture
def sim_env(monkeypatch: pytest.MonkeyPatch):
    with SimServer(participants=40, epoch_length=120, speed=0, scripted=False) as sim:
        monkeypatch.setenv('MINEGNK_SCHEDULER_ENABLED', 'true')
        monkeypatch.setenv('MINEGNK_TRACKER_URL', sim.tracker_url)
        monkeypatch.setenv('MINEGNK_NODE_URLS', ','.join(sim.node_urls))
        from minegnk.config import get_settings
        get_settings.cache_clear()
        network_directory.reset()
        yield sim


async def test_scheduler_runs_a_cycle_at_start_and_emits_the_event(sim_env, user: User):
    reports = []
    data_refreshed.subscribe(reports.append)
    for _ in range(100):
        if reports:
            break
        await asyncio.sleep(0.1)
    assert reports and reports[0].source == 'tracker'
    with session_scope() as db:
        assert db.scalar(select(func.count()).select_from(NetworkSnapshot)) >= 1
    assert network_directory.is_known(None, 'gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364') is True
    assert network_directory.is_known(None, 'gonka1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq') is False
