"""The support tool and the demo mode, run as an operator runs them: real subprocesses, real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from minegnk.sim import SimServer

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('MINEGNK_', 'PYTEST_', 'NICEGUI_'))}
    env.update(extra)
    return env


@pytest.fixture
def live_sim():
    with SimServer(participants=40, epoch_length=120, speed=0, scripted=False, seed=3) as sim:
        yield sim


def run_inspect(sim: SimServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = clean_env(MINEGNK_DATA_DIR=str(tmp_path), MINEGNK_TRACKER_URL=sim.tracker_url,
                    MINEGNK_NODE_URLS=','.join(sim.node_urls))
    return subprocess.run([sys.executable, str(ROOT / 'main.py'), 'inspect', *args], env=env, capture_output=True,
                          text=True, timeout=60)


def test_inspect_json_has_stable_keys_and_integer_ngonka(live_sim, tmp_path):
    address = live_sim.sim.scenario_addresses()['unhealthy_missed']
    result = run_inspect(live_sim, tmp_path, address, '--json', '--epochs', '5')
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report['address'] == address and report['source'] == 'tracker' and report['status'] == 'unhealthy'
    assert report['reasons'][0]['code'] == 'missed_test_failed'
    assert len(report['earnings']) == 5
    for epoch in report['earnings']:
        assert isinstance(epoch['reward_ngonka'], int) and isinstance(epoch['work_ngonka'], int)
        assert epoch['total_ngonka'] == epoch['reward_ngonka'] + epoch['work_ngonka']
        # the simulator settles by weight share: compare with what it serves, to the ngonka
        assert epoch['reward_ngonka'] == live_sim.sim.summary(epoch['epoch'], address).rewarded_coins
    assert report['earnings_total_ngonka'] == sum(e['total_ngonka'] for e in report['earnings'])
    assert set(report) >= {'address', 'status', 'reasons', 'jail', 'weight', 'weight_share', 'models', 'ml_nodes',
                           'counters', 'missed_test', 'liveness', 'earnings', 'errors', 'reachable'}


def test_inspect_text_and_errors(live_sim, tmp_path):
    address = live_sim.sim.scenario_addresses()['jailed']
    result = run_inspect(live_sim, tmp_path, address)
    assert result.returncode == 0, result.stderr
    assert 'JAILED' in result.stdout and 'settled epochs' in result.stdout
    bad = run_inspect(live_sim, tmp_path, 'gonka1notanaddress')
    assert bad.returncode == 2 and 'Invalid address' in bad.stderr


def test_inspect_reports_unreachable_upstreams(tmp_path):
    env = clean_env(MINEGNK_DATA_DIR=str(tmp_path), MINEGNK_TRACKER_URL='http://127.0.0.1:9',
                    MINEGNK_NODE_URLS='http://127.0.0.1:9')
    result = subprocess.run([sys.executable, str(ROOT / 'main.py'), 'inspect',
                             'gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364', '--json'],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report['reachable'] is False and report['status'] == 'unknown'
    assert set(report['errors']) >= {'tracker', 'node_api'}


def test_demo_mode_serves_a_living_network_offline(tmp_path):
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = clean_env(MINEGNK_DATA_DIR=str(tmp_path / 'data'), MINEGNK_PORT=str(port))
    log = (tmp_path / 'demo.log').open('w')
    process = subprocess.Popen([sys.executable, str(ROOT / 'main.py'), '--demo'], env=env, cwd=tmp_path, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / 'demo.log').read_text()[-3000:]
            try:
                if httpx.get(f'http://127.0.0.1:{port}/readyz', timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        demo_db = tmp_path / 'data' / 'demo' / 'minegnk-demo.sqlite3'
        engine = create_engine(f'sqlite:///{demo_db}')
        statuses: set[str] = set()
        while time.monotonic() < deadline and statuses != {'healthy', 'unhealthy', 'jailed', 'offline', 'inactive'}:
            time.sleep(0.5)
            with engine.connect() as connection:
                statuses = set(connection.scalars(text('SELECT status FROM node_stats_cache')))
        assert statuses == {'healthy', 'unhealthy', 'jailed', 'offline', 'inactive'}
        with engine.connect() as connection:
            owned = connection.scalar(text(
                "SELECT count(*) FROM node_assignments a JOIN users u ON u.id = a.user_id "
                "WHERE u.email = 'demo@example.com' AND a.unassigned_at IS NULL"))
            epochs = connection.scalars(text('SELECT count(*) FROM earnings_history GROUP BY node_id')).all()
            roles = dict(connection.execute(text('SELECT email, role FROM users')).all())
        assert owned == 8
        assert len(epochs) >= 7 and min(epochs) >= 30  # 30+ settled epochs backfilled for the charts
        assert roles == {'admin@example.com': 'admin', 'demo@example.com': 'user'}
        assert not (tmp_path / 'data' / 'minegnk.sqlite3').exists()  # the real database is never touched
        assert 'demo@example.com / demo-password' in (tmp_path / 'demo.log').read_text()
        engine.dispose()
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()
