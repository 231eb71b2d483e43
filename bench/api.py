"""Benchmark: GET /api/v1/nodes/my for a user with 50 nodes, 50 concurrent keep-alive connections, loopback.

Measured two ways: the API inside the portal's NiceGUI process (``python main.py``), and the standalone API app
(``uvicorn minegnk.api.app:app --workers 2``). Both use one throw-away SQLite database seeded here (50 nodes with a
cached status view and 20 settled epochs each, plus a network snapshot); the per-login rate limit is raised so that
it is checked on every request but never refuses.

The load generator is a minimal asyncio HTTP/1.1 client (one request in flight per connection), so the figures
include its own CPU use on the same machine, as a real client on loopback would.

    .venv/bin/python bench/api.py                 # both ways, 10 s each after a 2 s warm-up
    .venv/bin/python bench/api.py --only standalone --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import machine  # noqa: E402  (bench/machine.py, beside this file)
from processes import free_port  # noqa: E402

EMAIL, PASSWORD = 'bench@example.com', 'correct horse battery'
NODES, EPOCHS = 50, 20
PATH = '/api/v1/nodes/my'


def seed(url: str) -> None:
    from minegnk.db.engine import init_database, session_scope
    from minegnk.db.migrate import upgrade_to_head
    from minegnk.db.models import EarningsHistory, NetworkSnapshot, Node, NodeAssignment, NodeStatsCache, utcnow
    from minegnk.services import accounts
    from minegnk.sim.bech32 import encode
    upgrade_to_head(url)
    init_database(url)
    now = utcnow()
    with session_scope() as db:
        user = accounts.register(db, EMAIL, PASSWORD)
        db.add(NetworkSnapshot(taken_at=now, epoch_id=60, phase='inference', block_height=1_000_000,
                               avg_block_seconds=Decimal('6.0'), epoch_length=15_391, next_poc_start_block=1_002_000,
                               total_weight=5_000_000, participant_count=400, failing_share=Decimal('0.01'),
                               source='tracker', stale=False))
        statuses = ['healthy'] * 45 + ['unhealthy', 'offline', 'jailed', 'inactive', 'unknown']
        for i in range(NODES):
            node = Node(address=encode('gonka', (i + 1).to_bytes(20, 'big')), label=f'rack-{i:02d}', gpu_type='H100',
                        gpu_count=8, region='europe')
            db.add(node)
            db.flush()
            db.add(NodeAssignment(node_id=node.id, user_id=user.id, assigned_at=now - timedelta(days=30)))
            status = statuses[i]
            db.add(NodeStatsCache(
                node_id=node.id, status=status,
                reasons=[] if status == 'healthy' else [{'code': f'{status}_reason', 'params': {'n': i}}],
                view={'epoch_id': 60, 'weight': 10_000 + i, 'network_weight': 5_000_000, 'weight_share': '0.002000',
                      'models': ['Qwen/QwQ-32B'], 'missed_rate': '0.0100'},
                epoch_id=60, weight=10_000 + i, inference_count=1_000 + i, missed_requests=i,
                epoch_work_ngonka=5_000_000_000 + i, source='tracker', data_as_of=now, fetched_at=now, stale=False))
            for epoch in range(60 - EPOCHS, 60):
                db.add(EarningsHistory(node_id=node.id, epoch_id=epoch, reward_ngonka=40_000_000_000 + epoch,
                                       work_ngonka=1_000_000 + i, claimed=True, inference_count=100,
                                       missed_requests=1, settled_at=now - timedelta(days=60 - epoch)))


async def http(host: str, port: int, method: str, path: str, body: bytes = b'',
               headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(host, port)
    head = f'{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n'
    head += ''.join(f'{k}: {v}\r\n' for k, v in (headers or {}).items())
    writer.write(head.encode() + b'\r\n' + body)
    data = await reader.read()
    writer.close()
    status = int(data.split(b' ', 2)[1])
    return status, data.split(b'\r\n\r\n', 1)[1]


async def wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _ = await http('127.0.0.1', port, 'GET', '/api/openapi.json')
            if status == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.3)
    raise RuntimeError(f'server on port {port} did not start')


async def connection(port: int, request: bytes, stop_at: float, record_from: float, latencies: list[float],
                     errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    try:
        while True:
            start = time.perf_counter()
            if start >= stop_at:
                return
            writer.write(request)
            head = await reader.readuntil(b'\r\n\r\n')
            status = int(head.split(b' ', 2)[1])
            length = 0
            chunked = False
            for line in head.split(b'\r\n')[1:]:
                name, _, value = line.partition(b':')
                name = name.strip().lower()
                if name == b'content-length':
                    length = int(value)
                elif name == b'transfer-encoding' and b'chunked' in value.lower():
                    chunked = True
            if chunked:
                while True:
                    size = int((await reader.readuntil(b'\r\n')).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            else:
                await reader.readexactly(length)
            end = time.perf_counter()
            if status != 200:
                errors.append(status)
            elif start >= record_from:
                latencies.append(end - start)
    finally:
        writer.close()


async def load(port: int, token: str, *, concurrency: int, seconds: float, warmup: float) -> dict:
    request = (f'GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n'
               f'Accept: application/json\r\n\r\n').encode()
    latencies: list[float] = []
    errors: list[int] = []
    begin = time.perf_counter()
    record_from, stop_at = begin + warmup, begin + warmup + seconds
    await asyncio.gather(*(connection(port, request, stop_at, record_from, latencies, errors)
                           for _ in range(concurrency)))
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {'requests': len(latencies), 'rps': len(latencies) / seconds, 'p50_ms': pick(0.50),
            'p99_ms': pick(0.99), 'mean_ms': statistics.fmean(latencies) * 1000, 'errors': len(errors)}


async def measure(name: str, command: list[str], env: dict[str, str], port: int, args: argparse.Namespace) -> dict:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await wait_ready(port)
        status, body = await http('127.0.0.1', port, 'POST', '/api/v1/auth/login',
                                  json.dumps({'email': EMAIL, 'password': PASSWORD}).encode(),
                                  {'Content-Type': 'application/json'})
        assert status == 200, body
        token = json.loads(body)['access_token']
        status, body = await http('127.0.0.1', port, 'GET', PATH, headers={'Authorization': f'Bearer {token}'})
        assert status == 200 and json.loads(body)['total'] == NODES, body[:200]
        result = await load(port, token, concurrency=args.concurrency, seconds=args.seconds, warmup=args.warmup)
        result['name'] = name
        return result
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--only', choices=['nicegui', 'standalone'])
    parser.add_argument('--seconds', type=float, default=10)
    parser.add_argument('--warmup', type=float, default=2)
    parser.add_argument('--concurrency', type=int, default=50)
    parser.add_argument('--workers', type=int, default=2)
    args = parser.parse_args()
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass

    with tempfile.TemporaryDirectory() as tmp:
        url = f'sqlite:///{Path(tmp) / "bench.sqlite3"}'
        env = {**os.environ, 'MINEGNK_DATA_DIR': tmp, 'MINEGNK_DATABASE_URL': url,
               'MINEGNK_JWT_SECRET': 'bench-jwt-secret-' + 'x' * 40, 'MINEGNK_STORAGE_SECRET': 'bench-storage-' + 'y' * 40,
               'MINEGNK_SCHEDULER_ENABLED': 'false', 'MINEGNK_API_RATE_PER_MINUTE': '10000000',
               'MINEGNK_LOG_LEVEL': 'WARNING'}
        os.environ.update({k: v for k, v in env.items() if k.startswith('MINEGNK_')})
        seed(url)
        results = []
        if args.only in (None, 'nicegui'):
            port = free_port()
            results.append(asyncio.run(measure('NiceGUI process (python main.py)', [sys.executable, 'main.py'],
                                               {**env, 'MINEGNK_PORT': str(port)}, port, args)))
        if args.only in (None, 'standalone'):
            port = free_port()
            command = [sys.executable, '-m', 'uvicorn', 'minegnk.api.app:app', '--host', '127.0.0.1', '--port',
                       str(port), '--workers', str(args.workers), '--log-level', 'warning', '--no-access-log']
            results.append(asyncio.run(measure(f'standalone API, uvicorn --workers {args.workers}', command, env,
                                               port, args)))
    print(f'# {platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · '
          f'{args.concurrency} connections · {args.seconds:g} s after {args.warmup:g} s warm-up · {NODES} nodes')
    print(f'# machine {json.dumps(machine.describe())}')
    print('| server | requests/s | p50 ms | p99 ms | mean ms | non-200 |')
    print('|---|---:|---:|---:|---:|---:|')
    for r in results:
        print(f"| {r['name']} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['mean_ms']:.1f} | "
              f"{r['errors']} |")


if __name__ == '__main__':
    main()
